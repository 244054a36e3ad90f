using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ripcord.Core;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Core.Sync;
using Ripcord.Sdk.Internal;

namespace Ripcord.Sdk;

/// <summary>
/// A Ripcord client for one program. It evaluates flags locally with the same engine as the
/// server, follows the server's revision stream (resuming with Last-Event-ID, reconnecting
/// with jittered backoff), keeps the last-known-good revision on disk, decides fallback by
/// mission tier, and sends telemetry in the background. Thread-safe; evaluation reads an
/// immutable snapshot and never throws or blocks.
/// </summary>
public sealed class RipcordClient : IAsyncDisposable, IDisposable
{
    private const string SdkName = "ripcord-dotnet/0.1";

    private readonly RipcordClientOptions _options;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly DiskCache _cache;
    private readonly TelemetryQueue _telemetry;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _flushNow = new(0, 1);
    private readonly TaskCompletionSource _live = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _streamLoop;
    private readonly Task _telemetryLoop;
    private readonly ProgramDefinition? _builtIn;
    private Snapshot _snapshot;
    private long _sent;
    private long _failed;
    private long _droppedReported;
    private int _disposed;

    /// <summary>What evaluation reads: swapped whole, never mutated.</summary>
    private sealed record Snapshot(CompiledProgram? Program, StateSnapshot? Source, ClientState State, FallbackCatalog Catalog);

    public RipcordClient(RipcordClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.SdkKey))
        {
            throw new ArgumentException("an SDK key is required (ripcord token create --role sdk)", nameof(options));
        }
        _options = options;
        _log = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ripcord.Sdk");
        InstanceId = options.InstanceId ?? "sdk-" + Guid.NewGuid().ToString("N")[..16];
        _http = new HttpClient(options.HttpHandler ?? CreateHandler(), disposeHandler: options.HttpHandler is null)
        {
            BaseAddress = options.ServerUrl,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.SdkKey);
        _http.DefaultRequestHeaders.Add("X-Ripcord-Instance", InstanceId);
        _http.DefaultRequestHeaders.Add("X-Ripcord-Sdk", SdkName);
        _cache = new DiskCache(options.CacheDirectory, options.Program, options.ServerUrl, _log);
        _telemetry = new TelemetryQueue(Math.Max(1, options.TelemetryQueueCapacity));
        _builtIn = BuiltInPrograms.Find(options.Program);

        var cached = _cache.Load();
        _snapshot = cached is null
            ? new Snapshot(null, null, ClientState.SafeDefaults, _builtIn is null ? FallbackCatalog.Default : FallbackCatalog.For(_builtIn))
            : new Snapshot(CompiledProgram.Compile(cached.State, cached.Revision), cached, ClientState.Cached, FallbackCatalog.For(cached.State.Definition));
        if (cached is null)
        {
            Log.SafeDefaults(_log, options.Program);
        }
        _telemetry.Enqueue(TelemetryEvent.SessionStart(Ticks(), SdkName, StateName(_snapshot.State)));
        _streamLoop = Task.Run(() => StreamLoopAsync(_stop.Token));
        _telemetryLoop = Task.Run(() => TelemetryLoopAsync(_stop.Token));
    }

    private static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        // The stream holds one connection; telemetry and grant requests open a second, which the
        // server keeps ~9 KB for while it is open (measured: 27 -> 18 KB per client with 1 s). A
        // client mostly idles between flushes (5 s by default, heartbeats every 30 s): 2 s outlasts
        // one flush (its batches go back-to-back) but closes before the next, so an idle client
        // holds only its stream. The price is a new connection per flush that has events to send.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
    };

    public string InstanceId { get; }
    public string Program => _options.Program;
    public ClientState State => Volatile.Read(ref _snapshot).State;
    /// <summary>The revision in effect; 0 with no configuration.</summary>
    public long Revision => Volatile.Read(ref _snapshot).Program?.Revision ?? 0;

    public TelemetryCounters Telemetry => new(_telemetry.Queued, Interlocked.Read(ref _sent), _telemetry.Dropped, Interlocked.Read(ref _failed));

    /// <summary>Raised (on a background thread) after a new revision takes effect.</summary>
    public event EventHandler<RevisionAppliedEventArgs>? RevisionApplied;

    /// <summary>Waits until the stream delivered a revision; false when the timeout passes first (cached or safe values stay in use).</summary>
    public async Task<bool> WaitUntilLiveAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var done = await Task.WhenAny(_live.Task, Task.Delay(timeout, ct));
        return done == _live.Task;
    }

    // ---- evaluation ------------------------------------------------------------------------

    public bool IsEnabled(string flag, EvaluationContext context) => Resolve(flag, context, out _).Value;

    public EvaluationDetail Evaluate(string flag, EvaluationContext context)
    {
        var result = Resolve(flag, context, out var revision);
        return EvaluationDetail.From(result, revision);
    }

    /// <summary>Every flag of the program, by key.</summary>
    public IReadOnlyDictionary<string, EvaluationDetail> EvaluateAll(EvaluationContext context)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        var all = new Dictionary<string, EvaluationDetail>(StringComparer.Ordinal);
        try
        {
            if (snapshot.Program is { } program)
            {
                var results = Evaluator.EvaluateAll(program, context ?? EvaluationContext.Empty, _options.Clock.GetUtcNow());
                for (var i = 0; i < results.Length; i++)
                {
                    all[program.FlagAt(i).Key] = EvaluationDetail.From(results[i], program.Revision);
                }
            }
            else if (_builtIn is not null)
            {
                foreach (var flag in _builtIn.Flags)
                {
                    all[flag.Key] = EvaluationDetail.From(SafeDefault(flag), 0);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Never throw on the caller's path; an empty answer means "use safe values".
        }
        return all;
    }

    private FlagResult Resolve(string flag, EvaluationContext context, out long revision)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        try
        {
            if (snapshot.Program is { } program)
            {
                revision = program.Revision;
                return program.TryGetFlagIndex(flag, out var index)
                    ? Evaluator.Evaluate(program, index, context ?? EvaluationContext.Empty, Now(program, index))
                    : NotFound;
            }
            revision = 0;
            return _builtIn?.FindFlag(flag) is { } known ? SafeDefault(known) : NotFound;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            revision = 0;
            return NotFound;
        }
    }

    // The clock read was a third of IsEnabled; most programs have no expiring override to need it.
    private DateTimeOffset Now(CompiledProgram program, int flagIndex) =>
        program.NeedsClock(flagIndex) ? _options.Clock.GetUtcNow() : DateTimeOffset.MinValue;

    private static readonly FlagResult NotFound = new(false, EvaluationReason.FlagNotFound, "global", "flag-not-found");

    private static FlagResult SafeDefault(FlagDefinition flag) =>
        new(flag.Safe, EvaluationReason.NoConfiguration, "global", "no-configuration");

    // ---- fallback --------------------------------------------------------------------------

    /// <summary>SPEC §4 for a fully specified request; records the decision as telemetry.</summary>
    public FallbackDecision Decide(FallbackRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = Volatile.Read(ref _snapshot);
        var now = _options.Clock.GetUtcNow();
        var decision = FallbackEngine.Decide(request.Locale is null && _options.Locale is not null ? request with { Locale = _options.Locale } : request,
            snapshot.Catalog, now);
        var t = decision.Telemetry;
        _telemetry.Enqueue(TelemetryEvent.Fallback(now.UtcTicks, t.Decision, t.ReasonCode, KnownTier(t.Tier), t.EffectiveTier,
            Truncate(t.Capability), t.Transport, Truncate(t.Action), Truncate(request.WorkspaceId), t.GrantId));
        return decision;
    }

    /// <summary>
    /// SPEC §4 with the policy flags (secure, baseline, strict) evaluated for the context from
    /// the program's definition. Tier and workspace come from the context.
    /// </summary>
    public FallbackDecision Decide(EvaluationContext context, string capability, string action = "send",
        Transport requested = Transport.Secure, OverrideGrant? grant = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var snapshot = Volatile.Read(ref _snapshot);
        var flags = (snapshot.Program?.State.Definition ?? _builtIn)?.Fallback;
        return Decide(new FallbackRequest
        {
            Tier = context.Tier,
            Requested = requested,
            Capability = capability,
            SecureEnabled = flags is not null && IsEnabled(flags.Secure, context),
            BaselineEnabled = flags is not null && IsEnabled(flags.Baseline, context),
            StrictTierEnforcement = flags is null || IsEnabled(flags.Strict, context),
            Action = action,
            WorkspaceId = context.WorkspaceId,
            Grant = grant,
        });
    }

    /// <summary>
    /// Asks the server for a tier-2 override for one workspace and action. The approver's own
    /// token is sent (security lead or admin); the server grants only after auditing it.
    /// </summary>
    public async Task<OverrideGrant> RequestOverrideAsync(string workspaceId, string action, string reason, string approverToken,
        TimeSpan? ttl = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/programs/{Uri.EscapeDataString(Program)}/override-grants")
        {
            Content = JsonContent.Create(new { workspaceId, action, reason, ttlMinutes = ttl is { } t ? (int?)Math.Ceiling(t.TotalMinutes) : null }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", approverToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        using var response = await _http.SendAsync(request, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(timeout.Token);
            throw new OverrideRefusedException((int)response.StatusCode, detail);
        }
        return await response.Content.ReadFromJsonAsync<OverrideGrant>(CoreJson.Options, timeout.Token)
            ?? throw new OverrideRefusedException((int)response.StatusCode, "empty grant");
    }

    // ---- telemetry -------------------------------------------------------------------------

    // Each Record* copies its fields into a struct in the bounded ring; the JSON is built at flush.

    public void RecordMode(EvaluationContext context, Transport transport) =>
        _telemetry.Enqueue(TelemetryEvent.Mode(Ticks(), KnownTier(context.Tier), Truncate(context.WorkspaceId), TransportName(transport)));

    public void RecordSend(EvaluationContext context, Transport transport, TimeSpan ackLatency, SendOutcome outcome) =>
        _telemetry.Enqueue(TelemetryEvent.Send(Ticks(), Math.Max(0, ackLatency.TotalMilliseconds), OutcomeName(outcome),
            TransportName(transport), Truncate(context.WorkspaceId), KnownTier(context.Tier)));

    public void RecordDivergence(EvaluationContext context, string projection, int count) =>
        _telemetry.Enqueue(TelemetryEvent.Divergence(Ticks(), Truncate(projection), Math.Max(0, count), Truncate(context.WorkspaceId)));

    public void RecordSecuritySignal(EvaluationContext context, string kind, string severity) =>
        _telemetry.Enqueue(TelemetryEvent.SecuritySignal(Ticks(), Truncate(kind), Truncate(severity), Truncate(context.WorkspaceId)));

    public void RecordCrash(string kind, string? platform = null, string? appVersion = null) =>
        _telemetry.Enqueue(TelemetryEvent.SessionCrash(Ticks(), Truncate(kind), Truncate(platform), Truncate(appVersion)));

    private long Ticks() => _options.Clock.GetUtcNow().UtcTicks;

    private static int? KnownTier(int? tier) => tier is >= 0 and <= 2 ? tier : null;

    private static string TransportName(Transport t) => t == Transport.Secure ? "secure" : "baseline";

    private static string OutcomeName(SendOutcome outcome) => outcome switch
    {
        SendOutcome.Ok => "ok",
        SendOutcome.Failed => "failed",
        SendOutcome.Timeout => "timeout",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    private static string? Truncate(string? s) => s is { Length: > 128 } ? s[..128] : s;

    private void FlushSoon()
    {
        try
        {
            if (_flushNow.CurrentCount == 0)
            {
                _flushNow.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void FlushAfterJitter()
    {
        var max = _options.HeartbeatJitter;
        if (max <= TimeSpan.Zero)
        {
            FlushSoon();
            return;
        }
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * max.TotalMilliseconds);
        _ = Task.Delay(delay, _stop.Token).ContinueWith(static (t, state) =>
        {
            if (!t.IsCanceled)
            {
                ((RipcordClient)state!).FlushSoon();
            }
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task TelemetryLoopAsync(CancellationToken ct)
    {
        var lastHeartbeat = _options.Clock.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _flushNow.WaitAsync(_options.TelemetryFlushInterval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_options.Clock.GetUtcNow() - lastHeartbeat >= _options.HeartbeatInterval)
            {
                lastHeartbeat = _options.Clock.GetUtcNow();
                Heartbeat();
            }
            await FlushAsync(ct);
        }
    }

    private void Heartbeat() => _telemetry.Enqueue(TelemetryEvent.RevisionHeartbeat(Ticks(), Revision, StateName(State)));

    private static string StateName(ClientState state) => state switch
    {
        ClientState.Live => "live",
        ClientState.Cached => "cached",
        _ => "safe-defaults",
    };

    /// <summary>Sends what is queued, batch by batch; an undelivered batch goes back in the queue.</summary>
    private async Task FlushAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var batch = _telemetry.Take(_options.TelemetryBatchSize);
            if (batch.Count == 0)
            {
                return;
            }
            var dropped = _telemetry.TakeDroppedSinceLastReport(ref _droppedReported);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                using var response = await _http.PostAsJsonAsync("api/v1/telemetry",
                    new { program = Program, instance = InstanceId, sdk = SdkName, dropped, events = batch }, timeout.Token);
                if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.RequestEntityTooLarge)
                {
                    // The server refused the content: sending it again would fail again.
                    Interlocked.Add(ref _failed, batch.Count);
                    continue;
                }
                response.EnsureSuccessStatusCode();
                Interlocked.Add(ref _sent, batch.Count);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                _droppedReported -= dropped;
                _telemetry.Requeue(batch);
                Log.TelemetryFailed(_log, ex.GetType().Name, batch.Count);
                return;
            }
        }
    }

    // ---- stream ----------------------------------------------------------------------------

    private async Task StreamLoopAsync(CancellationToken ct)
    {
        var attempt = 0;
        var rejections = 0;
        var forceSnapshot = false;
        while (!ct.IsCancellationRequested)
        {
            var received = false;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/programs/{Uri.EscapeDataString(Program)}/stream");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                var current = Volatile.Read(ref _snapshot);
                if (!forceSnapshot && current.Program is { } have)
                {
                    request.Headers.Add("Last-Event-ID", have.Revision.ToString(CultureInfo.InvariantCulture));
                }
                forceSnapshot = false;
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    Log.Unauthorized(_log, (int)response.StatusCode);
                    attempt = Math.Max(attempt, 6);
                    throw new HttpRequestException("unauthorized", null, response.StatusCode);
                }
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                var reader = new SseReader(body);
                while (await reader.ReadAsync(ct) is { } e)
                {
                    received = true;
                    attempt = 0;
                    if (!Handle(e))
                    {
                        forceSnapshot = true;
                        rejections++;
                        break;
                    }
                    rejections = 0;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or JsonException)
            {
                var delay = Backoff(attempt++);
                Log.StreamFailed(_log, _options.ServerUrl.GetLeftPart(UriPartial.Authority), ex.GetType().Name, (long)delay.TotalMilliseconds);
                await Delay(delay, ct);
                continue;
            }
            if (!received && !forceSnapshot)
            {
                await Delay(Backoff(attempt++), ct);
            }
            else if (forceSnapshot && rejections > 1)
            {
                // The same rejection again: back off rather than spin against the server.
                await Delay(Backoff(rejections), ct);
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var min = _options.ReconnectMinDelay.TotalMilliseconds;
        var max = _options.ReconnectMaxDelay.TotalMilliseconds;
        var exponential = Math.Min(max, min * Math.Pow(2, Math.Min(attempt, 16)));
        // Jitter in [0.5, 1.5) spreads a thousand reconnecting clients over time.
        return TimeSpan.FromMilliseconds(exponential * (0.5 + Random.Shared.NextDouble()));
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Applies one stream event; false asks for a fresh snapshot.</summary>
    private bool Handle(SseEvent e)
    {
        var current = Volatile.Read(ref _snapshot);
        switch (e.Event)
        {
            case "snapshot":
            {
                var snapshot = JsonSerializer.Deserialize<StateSnapshot>(e.Data, CoreJson.Options);
                if (snapshot is null || snapshot.Program != Program || StateSync.Digest(snapshot.State) != snapshot.Digest)
                {
                    Log.SnapshotRejected(_log, Program);
                    return false;
                }
                Apply(snapshot, fromDelta: false);
                return true;
            }
            case "delta":
            {
                var delta = JsonSerializer.Deserialize<StateDelta>(e.Data, CoreJson.Options);
                if (delta is null || current.Source is not { } source || source.Revision != delta.FromRevision)
                {
                    Log.Resync(_log, delta?.FromRevision ?? -1, current.Source?.Revision ?? 0);
                    return false;
                }
                var next = StateSync.Apply(source.State, delta);
                if (next is null)
                {
                    Log.Resync(_log, delta.FromRevision, source.Revision);
                    return false;
                }
                Apply(new StateSnapshot(Program, delta.ToRevision, delta.Digest, next), fromDelta: true);
                return true;
            }
            default:
                return true;
        }
    }

    private void Apply(StateSnapshot snapshot, bool fromDelta)
    {
        var compiled = CompiledProgram.Compile(snapshot.State, snapshot.Revision);
        Volatile.Write(ref _snapshot, new Snapshot(compiled, snapshot, ClientState.Live, FallbackCatalog.For(snapshot.State.Definition)));
        _live.TrySetResult();
        Log.Applied(_log, Program, snapshot.Revision, fromDelta ? "delta" : "snapshot");
        Heartbeat();
        FlushAfterJitter();
        try
        {
            RevisionApplied?.Invoke(this, new RevisionAppliedEventArgs(snapshot.Revision, ClientState.Live, fromDelta));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A subscriber's bug must not stop the stream.
        }
        _cache.SaveInBackground(snapshot, _options.Clock.GetUtcNow());
    }

    // ---- lifetime --------------------------------------------------------------------------

    /// <summary>
    /// Stops streaming, then flushes queued telemetry and finishes a pending cache write, waiting
    /// at most DisposeFlushTimeout for both.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_streamLoop, _telemetryLoop).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }
        using (var flush = new CancellationTokenSource(_options.DisposeFlushTimeout))
        {
            var cacheWritten = _cache.FlushAsync(_options.DisposeFlushTimeout);
            try
            {
                await FlushAsync(flush.Token);
            }
            catch (OperationCanceledException)
            {
            }
            if (!await cacheWritten)
            {
                Log.CacheWriteUnfinished(_log, _cache.Path!, (long)_options.DisposeFlushTimeout.TotalMilliseconds);
            }
        }
        _http.Dispose();
        _stop.Dispose();
        _flushNow.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

public enum SendOutcome
{
    Ok,
    Failed,
    Timeout,
}

/// <summary>The server did not grant a tier-2 override (wrong role, bad request, or the audit log could not record it).</summary>
public sealed class OverrideRefusedException(int status, string detail)
    : Exception($"the override was not granted ({status}): {detail}")
{
    public int Status { get; } = status;
}
