using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Ripcord.Core.Telemetry;

namespace Ripcord.Sdk.Internal;

/// <summary>The body of POST /api/v1/telemetry, named by the schema in Core.</summary>
internal sealed record TelemetryBatch(
    [property: JsonPropertyName(TelemetryBatchFields.Program)] string Program,
    [property: JsonPropertyName(TelemetryBatchFields.Instance)] string Instance,
    [property: JsonPropertyName(TelemetryBatchFields.Sdk)] string Sdk,
    [property: JsonPropertyName(TelemetryBatchFields.Dropped)] long Dropped,
    [property: JsonPropertyName(TelemetryBatchFields.Events)] List<TelemetryEvent> Events);

/// <summary>
/// Sends queued telemetry in the background: a flush every TelemetryFlushInterval, or soon after
/// a revision is applied (within a random HeartbeatJitter, so a fleet does not post at once), a
/// revision heartbeat every HeartbeatInterval, batches of TelemetryBatchSize. An undelivered batch
/// goes back in the queue for the next flush; one the server refuses is counted as failed, never
/// retried. Every wait runs on the options' clock.
/// </summary>
internal sealed class TelemetrySender : IDisposable
{
    private static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly RipcordClientOptions _options;
    private readonly string _instance;
    private readonly string _sdk;
    private readonly ILogger _log;
    private readonly Func<TelemetryEvent> _heartbeat;
    private readonly CancellationToken _stopping;
    private readonly TelemetryQueue _queue;
    private readonly SemaphoreSlim _flushNow = new(0, 1);
    private long _sent;
    private long _failed;
    private long _droppedReported;

    // heartbeat: makes a revision heartbeat for the revision in effect now; stopping: ends the
    // flush loop and cancels pending jittered flushes.
    public TelemetrySender(HttpClient http, RipcordClientOptions options, string instance, string sdk, ILogger log,
        Func<TelemetryEvent> heartbeat, CancellationToken stopping)
    {
        _http = http;
        _options = options;
        _instance = instance;
        _sdk = sdk;
        _log = log;
        _heartbeat = heartbeat;
        _stopping = stopping;
        _queue = new TelemetryQueue(Math.Max(1, options.TelemetryQueueCapacity));
    }

    public TelemetryCounters Counters => new(_queue.Queued, Interlocked.Read(ref _sent), _queue.Dropped, Interlocked.Read(ref _failed));

    /// <summary>Copies the event into the bounded queue; never blocks, drops the oldest when full.</summary>
    public void Enqueue(in TelemetryEvent e) => _queue.Enqueue(e);

    public void Heartbeat() => _queue.Enqueue(_heartbeat());

    /// <summary>Flushes within a random delay up to HeartbeatJitter (at once when it is zero).</summary>
    public void FlushAfterJitter()
    {
        var max = _options.HeartbeatJitter;
        if (max <= TimeSpan.Zero)
        {
            FlushSoon();
            return;
        }
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * max.TotalMilliseconds);
        _ = Task.Delay(delay, _options.Clock, _stopping).ContinueWith(static (t, state) =>
        {
            if (!t.IsCanceled)
            {
                ((TelemetrySender)state!).FlushSoon();
            }
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

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

    public async Task RunAsync()
    {
        var clock = _options.Clock;
        // The flush interval runs on the injected clock: a one-shot timer, re-armed before each
        // wait, wakes the loop the way FlushSoon does.
        using var interval = clock.CreateTimer(static state => ((TelemetrySender)state!).FlushSoon(), this,
            Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var lastHeartbeat = clock.GetUtcNow();
        while (!_stopping.IsCancellationRequested)
        {
            interval.Change(_options.TelemetryFlushInterval, Timeout.InfiniteTimeSpan);
            try
            {
                await _flushNow.WaitAsync(_stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            interval.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (clock.GetUtcNow() - lastHeartbeat >= _options.HeartbeatInterval)
            {
                lastHeartbeat = clock.GetUtcNow();
                Heartbeat();
            }
            // A POST under way when the client stops is let finish (within PostTimeout): cancelled, its batch would go back in
            // the queue and the dispose flush would send again what the server may already have stored.
            await FlushAsync(_stopping, letInFlightFinish: true);
        }
    }

    /// <summary>
    /// Sends what is queued, batch by batch; an undelivered batch goes back in the queue. <paramref name="ct"/> stops
    /// taking more batches and, unless <paramref name="letInFlightFinish"/>, cancels the POST under way too.
    /// </summary>
    public async Task FlushAsync(CancellationToken ct, bool letInFlightFinish = false)
    {
        while (!ct.IsCancellationRequested)
        {
            var batch = _queue.Take(_options.TelemetryBatchSize);
            if (batch.Count == 0)
            {
                return;
            }
            var dropped = _queue.TakeDroppedSinceLastReport(ref _droppedReported);
            try
            {
                using var timeout = new CancellationTokenSource(PostTimeout, _options.Clock);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(letInFlightFinish ? CancellationToken.None : ct, timeout.Token);
                using var response = await _http.PostAsJsonAsync("api/v1/telemetry",
                    new TelemetryBatch(_options.Program, _instance, _sdk, dropped, batch), linked.Token);
                if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden or HttpStatusCode.NotFound
                    or HttpStatusCode.RequestEntityTooLarge)
                {
                    // The server refused the content, or this key may not send it (another key owns the instance id):
                    // sending it again would fail again.
                    Interlocked.Add(ref _failed, batch.Count);
                    continue;
                }
                response.EnsureSuccessStatusCode();
                Interlocked.Add(ref _sent, batch.Count);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                _droppedReported -= dropped;
                _queue.Requeue(batch);
                Log.TelemetryFailed(_log, ex.GetType().Name, batch.Count);
                return;
            }
        }
    }

    public void Dispose() => _flushNow.Dispose();
}
