using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ripcord.Core;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Core.Sync;

namespace Ripcord.Sdk.Internal;

/// <summary>What evaluation reads: swapped whole, never mutated.</summary>
internal sealed record ClientSnapshot(CompiledProgram? Program, StateSnapshot? Source, ClientState State, FallbackCatalog Catalog);

/// <summary>One event of the revision stream, its JSON parsed straight from the UTF-8 bytes; other event types carry neither.</summary>
internal readonly record struct RevisionEvent(StateSnapshot? Snapshot, StateDelta? Delta)
{
    public const string SnapshotType = "snapshot";
    public const string DeltaType = "delta";

    public static RevisionEvent Parse(string eventType, ReadOnlySpan<byte> data) => eventType switch
    {
        SnapshotType => new(JsonSerializer.Deserialize<StateSnapshot>(data, CoreJson.Options), null),
        DeltaType => new(null, JsonSerializer.Deserialize<StateDelta>(data, CoreJson.Options)),
        _ => default,
    };
}

/// <summary>
/// Keeps the client's configuration current: starts from the last-known-good revision on disk
/// (or safe defaults), then follows the server's revision stream — resuming with Last-Event-ID,
/// reconnecting with jittered exponential backoff, applying snapshots and deltas (a delta that
/// does not fit, or a snapshot whose digest does not match, asks for a fresh snapshot, backing
/// off when the same rejection repeats) and saving each applied revision to disk. Every wait
/// runs on the options' clock.
/// <para>It hands each compiled snapshot to its owner, which publishes it to evaluation: the
/// hot path then reads the owner's own field, not one behind this object.</para>
/// </summary>
internal sealed class RevisionFeed
{
    private readonly HttpClient _http;
    private readonly RipcordClientOptions _options;
    private readonly ILogger _log;
    private readonly Action<ClientSnapshot, bool> _applied;
    private readonly TaskCompletionSource _live = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The revision the stream stands at: what Last-Event-ID resumes from and a delta applies to. Only the stream's task reads it.
    private StateSnapshot? _position;
    private CompiledProgram? _compiled;

    // applied: on the stream's task, for each revision applied (the snapshot to evaluate, from a
    // delta?); it must publish the snapshot before it returns: only then is the client live.
    public RevisionFeed(HttpClient http, RipcordClientOptions options, ProgramDefinition? builtIn, ILogger log, Action<ClientSnapshot, bool> applied)
    {
        _http = http;
        _options = options;
        _log = log;
        _applied = applied;
        Cache = new DiskCache(options.CacheDirectory, options.Program, options.ServerUrl, options.Clock, log);
        var cached = Cache.Load();
        _position = cached;
        _compiled = cached is null ? null : CompiledProgram.Compile(cached.State, cached.Revision);
        Initial = cached is null
            ? new ClientSnapshot(null, null, ClientState.SafeDefaults, builtIn is null ? FallbackCatalog.Default : FallbackCatalog.For(builtIn))
            : new ClientSnapshot(_compiled, cached, ClientState.Cached, FallbackCatalog.For(cached.State.Definition));
        if (cached is null)
        {
            Log.SafeDefaults(_log, options.Program);
        }
    }

    public DiskCache Cache { get; }

    /// <summary>What to evaluate until the stream delivers: the cached revision, or safe defaults.</summary>
    public ClientSnapshot Initial { get; }

    /// <summary>Completes when the stream delivered its first revision.</summary>
    public Task Live => _live.Task;

    private string Program => _options.Program;

    public async Task RunAsync(CancellationToken ct)
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
                if (!forceSnapshot && _position is { } have)
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
                // Comments (the server's heartbeats) and events without data never come out of the parser.
                await foreach (var e in SseParser.Create(body, RevisionEvent.Parse).EnumerateAsync(ct))
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
                await DelayAsync(delay, ct);
                continue;
            }
            if (!received && !forceSnapshot)
            {
                await DelayAsync(Backoff(attempt++), ct);
            }
            else if (forceSnapshot && rejections > 1)
            {
                // The same rejection again: back off rather than spin against the server.
                await DelayAsync(Backoff(rejections), ct);
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

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _options.Clock, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Applies one stream event; false asks for a fresh snapshot.</summary>
    private bool Handle(SseItem<RevisionEvent> e)
    {
        switch (e.EventType)
        {
            case RevisionEvent.SnapshotType:
            {
                var snapshot = e.Data.Snapshot;
                if (snapshot is null || snapshot.Program != Program || StateSync.Digest(snapshot.State) != snapshot.Digest)
                {
                    Log.SnapshotRejected(_log, Program);
                    return false;
                }
                Apply(snapshot, fromDelta: false);
                return true;
            }
            case RevisionEvent.DeltaType:
            {
                var delta = e.Data.Delta;
                if (delta is null || _position is not { } source || source.Revision != delta.FromRevision)
                {
                    Log.Resync(_log, delta?.FromRevision ?? -1, _position?.Revision ?? 0);
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
        // From a delta, only what changed is recompiled (the state shares every other part with the previous one).
        var compiled = CompiledProgram.Compile(snapshot.State, snapshot.Revision, fromDelta ? _compiled : null);
        _compiled = compiled;
        _position = snapshot;
        _applied(new ClientSnapshot(compiled, snapshot, ClientState.Live, FallbackCatalog.For(snapshot.State.Definition)), fromDelta);
        _live.TrySetResult();
        Log.Applied(_log, Program, snapshot.Revision, fromDelta ? "delta" : "snapshot");
        Cache.SaveInBackground(snapshot, _options.Clock.GetUtcNow());
    }
}
