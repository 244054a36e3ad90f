using Ripcord.Core.Telemetry;
using Ripcord.Core.Telemetry.Aggregation;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// <see cref="ITelemetryFigures"/> over the stored minute buckets: the sums of every minute
/// bucket whose start lies in [from, to). For a minute-aligned window that is exact — every
/// event aggregated with its own time in the window, nothing else. A window whose ends fall
/// inside a minute is read as the whole minutes that start in it: the partial minute at
/// <c>from</c> is left out and the one at <c>to</c> counted whole (so [10:00:30, 10:05:30) reads
/// [10:01, 10:06)) — a sliding window (alerts) never reaches further back than asked. "Since"
/// windows (a stage, a ramp step) pass <c>from</c> floored to its minute, so their first minute counts. Minute buckets are kept for <see cref="TelemetryLimits.MinuteRetention"/>
/// (14 days by default): a window reaching further back counts only what is still kept. With a
/// cohort, only events that carry that cohort count — today only <c>mode</c> events do, so
/// sends, fallbacks, sessions and crashes read 0 for a cohort. Late events (docs/telemetry.md) are
/// never in the figures.
/// </summary>
public sealed class AggregatedTelemetryFigures(TelemetryAggregates aggregates) : ITelemetryFigures
{
    public async Task<WindowFigures> WindowAsync(string program, string? cohort, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        if (to <= from)
        {
            return WindowFigures.Empty(from, to);
        }
        var rows = await aggregates.ReadAsync(new AggregateQuery(program, AggregateResolution.Minute, from, to, Cohort: cohort),
            AggregateGrouping.None, withLatency: false, ct);
        var m = rows.Aggregate(BucketMeasures.Empty, (sum, row) => sum.Merge(row.Measures));
        return new WindowFigures(from, to,
            Operations: m[Measure.Modes],
            Fallbacks: m[Measure.Fallbacks] - m[Measure.FallbacksProceed],
            Sends: m[Measure.Sends],
            SendFailures: m[Measure.SendsFailed] + m[Measure.SendsTimeout],
            Sessions: m[Measure.Sessions],
            Crashes: m[Measure.Crashes],
            SecuritySignals: m[Measure.SecuritySignals],
            FirstEventAt: m.FirstEventAt);
    }
}
