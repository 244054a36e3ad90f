using System.Collections.Immutable;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ripcord.Core;
using Ripcord.Core.Definitions;
using Ripcord.Core.Announcements;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Core.Telemetry;
using Ripcord.Sdk.Internal;

namespace Ripcord.Sdk;

/// <summary>
/// A Ripcord client for one program. It evaluates flags locally with the same engine as the
/// server, follows the server's revision stream (resuming with Last-Event-ID, reconnecting
/// with jittered backoff), keeps the last-known-good revision on disk, decides fallback by
/// mission tier, and sends telemetry in the background. Thread-safe; evaluation reads an
/// immutable snapshot and never throws or blocks.
/// <para>This class is the public face: evaluation, fallback and the telemetry records. The
/// stream, backoff, apply and disk cache are <see cref="RevisionFeed"/>; the telemetry queue and
/// its flushes are <see cref="TelemetrySender"/>.</para>
/// </summary>
public sealed class RipcordClient : IAsyncDisposable, IDisposable
{
    private const string SdkName = "ripcord-dotnet/0.1";
    private static readonly TimeSpan OverrideRequestTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LoopStopTimeout = TimeSpan.FromSeconds(5);

    private readonly RipcordClientOptions _options;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly RevisionFeed _feed;
    private readonly TelemetrySender _telemetry;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _streamLoop;
    private readonly Task _telemetryLoop;
    private readonly ProgramDefinition? _builtIn;
    private ClientSnapshot _snapshot;
    // Grants this client obtained in-app, honoured at once (before their revision arrives by the stream).
    private OverrideGrant[] _obtained = [];
    private readonly Lock _obtainedGate = new();
    private int _disposed;

    public RipcordClient(RipcordClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.SdkKey))
        {
            throw new ArgumentException("an SDK key is required (ripcord token create --role sdk)", nameof(options));
        }
        if (options.InstanceId is { } id && !TelemetrySchema.IsId(id))
        {
            // The server refuses telemetry from a longer id, and lists the stream under a made-up one.
            throw new ArgumentException($"an InstanceId has 1 to {TelemetrySchema.MaxIdLength} characters", nameof(options));
        }
        if (options.InstanceId is { } shaped && TelemetrySchema.LooksLikeKeyMaterial(shaped))
        {
            // The server refuses every batch from such an id, and lists it nowhere.
            throw new ArgumentException("an InstanceId must not look like a key or token (a long random run, a PEM marker, rc_sdk_/rc_usr_)", nameof(options));
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
        _builtIn = BuiltInPrograms.Find(options.Program);

        _feed = new RevisionFeed(_http, options, _builtIn, _log, OnApplied);
        _snapshot = _feed.Initial;
        _telemetry = new TelemetrySender(_http, options, InstanceId, SdkName, _log, RevisionHeartbeat, _stop.Token);
        _telemetry.Enqueue(TelemetryEvent.SessionStart(Ticks(), SdkName, StateName(State)));
        _streamLoop = Task.Run(() => _feed.RunAsync(_stop.Token));
        _telemetryLoop = Task.Run(_telemetry.RunAsync);
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

    public TelemetryCounters Telemetry => _telemetry.Counters;

    /// <summary>Raised (on a background thread) after a new revision takes effect.</summary>
    public event EventHandler<RevisionAppliedEventArgs>? RevisionApplied;

    /// <summary>Waits until the stream delivered a revision; false when the timeout passes first (cached or safe values stay in use).</summary>
    public async Task<bool> WaitUntilLiveAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var done = await Task.WhenAny(_feed.Live, Task.Delay(timeout, _options.Clock, ct));
        return done == _feed.Live;
    }

    /// <summary>A revision from the stream: evaluation reads it from here on; the server hears of it soon.</summary>
    private void OnApplied(ClientSnapshot snapshot, bool fromDelta)
    {
        Volatile.Write(ref _snapshot, snapshot);
        _telemetry.Heartbeat();
        _telemetry.FlushAfterJitter();
        try
        {
            RevisionApplied?.Invoke(this, new RevisionAppliedEventArgs(snapshot.Program!.Revision, ClientState.Live, fromDelta));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A subscriber's bug must not stop the stream.
        }
    }

    // ---- evaluation ------------------------------------------------------------------------

    public bool IsEnabled(string flag, EvaluationContext context) => Resolve(flag, context, out _).Value;

    public EvaluationDetail Evaluate(string flag, EvaluationContext context)
    {
        var result = Resolve(flag, context, out var revision);
        return EvaluationDetail.From(result, revision);
    }

    /// <summary>
    /// The degraded-mode notices that apply to this context (seed §2: never hide downgrade impacts from
    /// users): one per active kill switch whose scope contains it, rendered from the definition's
    /// <c>user</c> template in <paramref name="locale"/> (falling back to English). They arrive with the
    /// revision, so an app can show a banner without a round trip; none before a revision was applied.
    /// </summary>
    public IReadOnlyList<Notice> Notices(EvaluationContext context, string locale = "en")
    {
        var program = Volatile.Read(ref _snapshot).Program;
        return program is null ? [] : Core.Announcements.Notices.For(program, context ?? EvaluationContext.Empty, locale ?? "en");
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

    /// <summary>
    /// SPEC §4 for a fully specified request; records the decision as telemetry. Unless the request names
    /// its own <see cref="FallbackRequest.Grants"/>, the tier-2 override grants of the revision in effect (and
    /// those this client obtained in-app) are consulted: an unexpired one for the workspace and action lets
    /// the action fall back, with no call to the server.
    /// </summary>
    public FallbackDecision Decide(FallbackRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = Volatile.Read(ref _snapshot);
        var now = _options.Clock.GetUtcNow();
        ImmutableArray<OverrideGrant> grants = default;
        if (request.Grants is null)
        {
            // Passed beside the request, not copied into it: Decide stays free of allocations of its own.
            grants = snapshot.Program?.State.Grants ?? default;
            var obtained = Volatile.Read(ref _obtained);
            if (obtained.Length > 0)
            {
                grants = grants.IsDefault ? [.. obtained] : [.. grants, .. obtained];
            }
        }
        var decision = FallbackEngine.Decide(request.Locale is null && _options.Locale is not null ? request with { Locale = _options.Locale } : request,
            snapshot.Catalog, now, grants);
        var t = decision.Telemetry;
        _telemetry.Enqueue(TelemetryEvent.Fallback(now.UtcTicks, t.Decision, t.ReasonCode, t.Tier, t.EffectiveTier,
            t.Capability, t.Transport, t.Action, request.WorkspaceId, t.GrantId));
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
    /// Asks the server, with this client's own SDK key, for an in-app tier-2 override of one action in one
    /// workspace, on behalf of a user holding <paramref name="inAppRole"/> in the app (who has confirmed).
    /// The server grants it only when the program's definition lets that role override tier 2
    /// (<c>tiers: inAppOverride</c>), and only after its audit event and the grant (a new revision) are
    /// stored. Returns the grant — <see cref="Decide(EvaluationContext, string, string, Transport, OverrideGrant?)"/>
    /// honours it from then on, until it expires — or null when the server could not be reached or could
    /// not record it: fail closed, there is no override. Throws <see cref="OverrideRefusedException"/>
    /// when the server refuses (a role the definition does not allow, bad input).
    /// </summary>
    public async Task<OverrideGrant?> RequestOverrideAsync(string workspaceId, string action, string reason, string inAppRole,
        CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/programs/{Uri.EscapeDataString(Program)}/override-grants/in-app")
        {
            Content = JsonContent.Create(new { workspaceId, action, reason, role = inAppRole }),
        };
        using var timeout = new CancellationTokenSource(OverrideRequestTimeout, _options.Clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        OverrideGrant? grant;
        try
        {
            using var response = await _http.SendAsync(request, linked.Token);
            if ((int)response.StatusCode is >= 400 and < 500)
            {
                var detail = await response.Content.ReadAsStringAsync(linked.Token);
                throw new OverrideRefusedException((int)response.StatusCode, detail);
            }
            if (!response.IsSuccessStatusCode)
            {
                Log.OverrideUnavailable(_log, (int)response.StatusCode);
                return null;
            }
            grant = (await response.Content.ReadFromJsonAsync<IssuedGrant>(CoreJson.Options, linked.Token))?.Grant;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            // Unreachable, timed out, or an answer we cannot read: no override.
            Log.OverrideUnavailable(_log, 0);
            return null;
        }
        if (grant is null)
        {
            return null;
        }
        var now = _options.Clock.GetUtcNow();
        lock (_obtainedGate)
        {
            Volatile.Write(ref _obtained, [.. _obtained.Where(h => !h.IsExpired(now)), grant]);
        }
        return grant;
    }

    // ---- telemetry -------------------------------------------------------------------------

    // Each Record* copies its fields into a struct in the bounded ring; the JSON is built at flush,
    // where the schema's limits are applied (TelemetryEvent.Write).

    public void RecordMode(EvaluationContext context, Transport transport) =>
        _telemetry.Enqueue(TelemetryEvent.Mode(Ticks(), context.Tier, context.WorkspaceId, TelemetryValues.TransportName(transport), Revision));

    public void RecordSend(EvaluationContext context, Transport transport, TimeSpan ackLatency, SendOutcome outcome) =>
        _telemetry.Enqueue(TelemetryEvent.Send(Ticks(), ackLatency.TotalMilliseconds, OutcomeName(outcome),
            TelemetryValues.TransportName(transport), context.WorkspaceId, context.Tier, Revision));

    public void RecordDivergence(EvaluationContext context, string projection, int count) =>
        _telemetry.Enqueue(TelemetryEvent.Divergence(Ticks(), projection, count, context.WorkspaceId));

    public void RecordSecuritySignal(EvaluationContext context, string kind, string severity) =>
        _telemetry.Enqueue(TelemetryEvent.SecuritySignal(Ticks(), kind, severity, context.WorkspaceId));

    public void RecordCrash(string kind, string? platform = null, string? appVersion = null) =>
        _telemetry.Enqueue(TelemetryEvent.SessionCrash(Ticks(), kind, platform, appVersion));

    private long Ticks() => _options.Clock.GetUtcNow().UtcTicks;

    private TelemetryEvent RevisionHeartbeat() => TelemetryEvent.RevisionHeartbeat(Ticks(), Revision, StateName(State));

    // The schema closes the outcome to three values; a value outside the enum (a cast) is a failure.
    private static string OutcomeName(SendOutcome outcome) => outcome switch
    {
        SendOutcome.Ok => TelemetryValues.Ok,
        SendOutcome.Timeout => TelemetryValues.Timeout,
        _ => TelemetryValues.Failed,
    };

    private static string StateName(ClientState state) => state switch
    {
        ClientState.Live => TelemetryValues.Live,
        ClientState.Cached => TelemetryValues.Cached,
        _ => TelemetryValues.SafeDefaults,
    };

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
            await Task.WhenAll(_streamLoop, _telemetryLoop).WaitAsync(LoopStopTimeout, _options.Clock);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }
        using (var flush = new CancellationTokenSource(_options.DisposeFlushTimeout, _options.Clock))
        {
            var cacheWritten = _feed.Cache.FlushAsync(_options.DisposeFlushTimeout);
            try
            {
                await _telemetry.FlushAsync(flush.Token);
            }
            catch (OperationCanceledException)
            {
            }
            if (!await cacheWritten)
            {
                Log.CacheWriteUnfinished(_log, _feed.Cache.Path!, (long)_options.DisposeFlushTimeout.TotalMilliseconds);
            }
        }
        _http.Dispose();
        _stop.Dispose();
        _telemetry.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>The server's answer to an in-app override request (it also names the revision and review).</summary>
internal sealed record IssuedGrant(OverrideGrant Grant, long Revision);

public enum SendOutcome
{
    Ok,
    Failed,
    Timeout,
}

/// <summary>The server refused a tier-2 override (a role the definition does not allow, or a bad request).</summary>
public sealed class OverrideRefusedException(int status, string detail)
    : Exception($"the override was not granted ({status}): {detail}")
{
    public int Status { get; } = status;
}
