using System.Collections.Concurrent;

namespace Ripcord.Server.Telemetry;

public sealed record TelemetryStatsView(long BatchesAccepted, long EventsAccepted, long BatchesRejected,
    IReadOnlyDictionary<string, long> RejectedBy, long DroppedBySdks);

/// <summary>Ingest counters: what was accepted, what was refused and why, what SDKs dropped before sending.</summary>
public sealed class TelemetryStats
{
    private long _batches;
    private long _events;
    private long _rejected;
    private long _dropped;
    private readonly ConcurrentDictionary<string, long> _rejectedBy = new(StringComparer.Ordinal);

    public void Accepted(int events, long sdkDropped)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _events, events);
        Interlocked.Add(ref _dropped, sdkDropped);
    }

    public void Rejected(string code)
    {
        Interlocked.Increment(ref _rejected);
        _rejectedBy.AddOrUpdate(code, 1, (_, n) => n + 1);
    }

    public TelemetryStatsView View() => new(Interlocked.Read(ref _batches), Interlocked.Read(ref _events), Interlocked.Read(ref _rejected),
        new SortedDictionary<string, long>(_rejectedBy, StringComparer.Ordinal), Interlocked.Read(ref _dropped));
}
