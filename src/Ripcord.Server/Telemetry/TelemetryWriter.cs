using System.Threading.Channels;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// Group commit for telemetry: concurrent batches queue here and one background writer stores
/// whatever has gathered in a single transaction. Each POST still waits until its events are
/// durable, but a fleet's heartbeats cost one commit instead of a thousand, and no request
/// thread blocks on the database (SQLite's calls are synchronous underneath).
/// </summary>
public sealed class TelemetryWriter(ITelemetryStore store, ILogger<TelemetryWriter> log) : BackgroundService
{
    private const int MaxBatchesPerCommit = 256;

    private readonly Channel<(IReadOnlyList<TelemetryRecord> Events, TaskCompletionSource Stored)> _queue =
        Channel.CreateBounded<(IReadOnlyList<TelemetryRecord>, TaskCompletionSource)>(new BoundedChannelOptions(10_000)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

    /// <summary>Completes once the batch is durably stored; throws if the commit failed (nothing of it is stored).</summary>
    public async Task WriteAsync(IReadOnlyList<TelemetryRecord> events, CancellationToken ct)
    {
        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync((events, stored), ct);
        await stored.Task.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var pending = new List<(IReadOnlyList<TelemetryRecord> Events, TaskCompletionSource Stored)>(MaxBatchesPerCommit);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                pending.Clear();
                while (pending.Count < MaxBatchesPerCommit && reader.TryRead(out var item))
                {
                    pending.Add(item);
                }
                try
                {
                    await store.AppendAsync([.. pending.SelectMany(p => p.Events)], stoppingToken);
                    pending.ForEach(p => p.Stored.TrySetResult());
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogWarning("Storing {Batches} telemetry batches failed ({Error}); their senders will retry", pending.Count, ex.GetType().Name);
                    pending.ForEach(p => p.Stored.TrySetException(ex));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        pending.ForEach(p => p.Stored.TrySetCanceled(stoppingToken));
    }
}
