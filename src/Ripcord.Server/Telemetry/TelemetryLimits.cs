using Ripcord.Core.Telemetry;
using Ripcord.Core.Telemetry.Aggregation;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// What one SDK key may cost the server (docs/api.md, "Telemetry limits"). The defaults are far
/// above what a legitimate fleet sends — an SDK batches every few seconds and heartbeats every
/// half minute — and far below what fills a disk.
/// </summary>
public sealed record TelemetryLimits
{
    /// <summary>Events per second one key may send, sustained (a token bucket refilled every second).</summary>
    public int EventsPerSecondPerKey { get; init; } = 5_000;

    /// <summary>How many events one key may send at once above the sustained rate; never less than one full batch.</summary>
    public int BurstEventsPerKey { get; init; } = 25_000;

    /// <summary>How many SDK instances one key may register (heartbeat) at a time.</summary>
    public int MaxInstancesPerKey { get; init; } = 10_000;

    /// <summary>Events older than this are deleted.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How late (and how far ahead) an event may be and still be aggregated (docs/telemetry.md).</summary>
    public AggregationOptions Aggregation { get; init; } = new();

    /// <summary>Minute buckets older than this are deleted.</summary>
    public TimeSpan MinuteRetention { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Hour buckets older than this are deleted.</summary>
    public TimeSpan HourRetention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Day buckets older than this are deleted.</summary>
    public TimeSpan DayRetention { get; init; } = TimeSpan.FromDays(400);

    /// <summary>The most events the telemetry store keeps: at the cap ingest is refused (507) until the pruner has deleted the oldest.</summary>
    public long MaxStoredEvents { get; init; } = 10_000_000;

    /// <summary>How often the pruner runs.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Free space on the SQLite data volume kept for configuration writes: below it telemetry is
    /// refused (507), so a kill switch or an override can still be stored. Not used on PostgreSQL.
    /// </summary>
    public long ReservedFreeBytes { get; init; } = 256L * 1024 * 1024;

    internal int Burst => Math.Max(BurstEventsPerKey, TelemetrySchema.MaxEventsPerBatch);
}
