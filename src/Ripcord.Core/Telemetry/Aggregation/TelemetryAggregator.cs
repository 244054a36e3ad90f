using System.Collections.Immutable;
using T = Ripcord.Core.Telemetry.TelemetryEventTypes;
using V = Ripcord.Core.Telemetry.TelemetryValues;

namespace Ripcord.Core.Telemetry.Aggregation;

/// <summary>How far behind (or ahead of) the server's clock an event's <c>at</c> may be and still be aggregated.</summary>
public sealed record AggregationOptions
{
    /// <summary>An event whose <c>at</c> is older than its receipt minus this is late: counted, not aggregated.</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>An event whose <c>at</c> is later than its receipt plus this (a client clock running ahead) is counted, not aggregated.</summary>
    public TimeSpan AllowedSkew { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether an event made at <paramref name="at"/> and received at <paramref name="receivedAt"/> is aggregated (neither late nor ahead).</summary>
    public bool OnTime(DateTimeOffset at, DateTimeOffset receivedAt) => at >= receivedAt - AllowedLateness && at <= receivedAt + AllowedSkew;
}

/// <summary>
/// The buckets of a set of events at the three resolutions. Adding two aggregates bucket by
/// bucket is the aggregate of both sets (what storing one group commit after another does).
/// </summary>
public sealed record TelemetryAggregate(ImmutableDictionary<BucketKey, BucketMeasures> Buckets)
{
    public static TelemetryAggregate Empty { get; } = new(ImmutableDictionary<BucketKey, BucketMeasures>.Empty);

    public TelemetryAggregate Merge(TelemetryAggregate other)
    {
        var merged = Buckets.ToBuilder();
        foreach (var (key, measures) in other.Buckets)
        {
            merged[key] = merged.TryGetValue(key, out var mine) ? mine.Merge(measures) : measures;
        }
        return new(merged.ToImmutable());
    }

    /// <summary>Sums of the minute buckets into buckets of <paramref name="resolution"/>: exact by construction.</summary>
    public static ImmutableDictionary<BucketKey, BucketMeasures> RollUp(IEnumerable<KeyValuePair<BucketKey, BucketMeasures>> minutes, AggregateResolution resolution)
    {
        var rolled = new Dictionary<BucketKey, BucketMeasures>();
        foreach (var (key, measures) in minutes)
        {
            var up = key.RollUp(resolution);
            rolled[up] = rolled.TryGetValue(up, out var sum) ? sum.Merge(measures) : measures;
        }
        return rolled.ToImmutableDictionary();
    }
}

/// <summary>
/// Builds the aggregate of a stream of events (SPEC §7): per-minute buckets by program, the
/// event's own minute, workspace, tier, cohort and revision, rolled up to hours and days. Events
/// may come in any order and in any chunks: only an event's own time and its receipt time decide
/// where it counts, so aggregating chunk by chunk and adding the results is the same as
/// aggregating everything at once. Not thread-safe; one per group commit. Per event: one
/// dictionary lookup and a few additions (a logarithm for a latency).
/// </summary>
public sealed class TelemetryAggregator(AggregationOptions options)
{
    private readonly Dictionary<BucketKey, Accumulator> _minutes = [];

    /// <summary>Events aggregated so far.</summary>
    public long Aggregated { get; private set; }

    /// <summary>Events refused as late or ahead so far.</summary>
    public long Refused { get; private set; }

    public void Add(in TelemetryObservation e)
    {
        var f = e.Facts;
        var late = e.At < e.ReceivedAt - options.AllowedLateness;
        var ahead = !late && !options.OnTime(e.At, e.ReceivedAt);
        var key = new BucketKey(e.Program, AggregateResolution.Minute,
            BucketKey.Floor(late || ahead ? e.ReceivedAt : e.At, AggregateResolution.Minute), f.WorkspaceId ?? "", f.Tier, f.Cohort ?? "", f.Revision);
        if (!_minutes.TryGetValue(key, out var a))
        {
            _minutes[key] = a = new Accumulator();
        }
        if (late || ahead)
        {
            a.Values[(int)(late ? Measure.Late : Measure.Ahead)]++;
            Refused++;
            return;
        }
        Aggregated++;
        a.FirstEventAt = BucketMeasures.Earliest(a.FirstEventAt, e.At);
        var v = a.Values;
        switch (e.Type)
        {
            case T.Mode:
                v[(int)Measure.Modes]++;
                if (f.Transport == V.Secure)
                {
                    v[(int)Measure.ModesSecure]++;
                }
                else if (f.Transport == V.Baseline)
                {
                    v[(int)Measure.ModesBaseline]++;
                }
                break;
            case T.Fallback:
                v[(int)Measure.Fallbacks]++;
                var decision = f.Decision switch
                {
                    "proceed" => Measure.FallbacksProceed,
                    "fallback-auto" => Measure.FallbacksAuto,
                    "fallback-prompt" => Measure.FallbacksPrompt,
                    "blocked" => Measure.FallbacksBlocked,
                    _ => (Measure?)null,
                };
                if (decision is { } d)
                {
                    v[(int)d]++;
                }
                break;
            case T.Send:
                v[(int)Measure.Sends]++;
                var outcome = f.Outcome switch
                {
                    V.Ok => Measure.SendsOk,
                    V.Failed => Measure.SendsFailed,
                    V.Timeout => Measure.SendsTimeout,
                    _ => (Measure?)null,
                };
                if (outcome is { } o)
                {
                    v[(int)o]++;
                }
                if (f.AckLatencyMs is { } ms)
                {
                    a.Latency ??= [];
                    var slot = LatencyHistogram.SlotOf(ms);
                    a.Latency[slot] = a.Latency.GetValueOrDefault(slot) + 1;
                }
                break;
            case T.Divergence:
                v[(int)Measure.Divergences]++;
                v[(int)Measure.DivergenceCount] += DivergenceCount(f.Count);
                break;
            case T.SessionStart:
                v[(int)Measure.Sessions]++;
                break;
            case T.SessionCrash:
                v[(int)Measure.Crashes]++;
                break;
            case T.SecuritySignal:
                v[(int)Measure.SecuritySignals]++;
                break;
            case T.RevisionHeartbeat:
                v[(int)Measure.Heartbeats]++;
                break;
        }
    }

    /// <summary>What a divergence event adds to the summed count: its whole <c>count</c> (at most 2³¹−1), 1 when it has none.</summary>
    public static long DivergenceCount(double? count) => count is { } c ? (long)Math.Floor(Math.Min(c, int.MaxValue)) : 1;

    /// <summary>The minute buckets so far and their hour and day rollups.</summary>
    public TelemetryAggregate Build()
    {
        var minutes = _minutes.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToMeasures());
        var all = minutes.ToBuilder();
        all.AddRange(TelemetryAggregate.RollUp(minutes, AggregateResolution.Hour));
        all.AddRange(TelemetryAggregate.RollUp(minutes, AggregateResolution.Day));
        return new(all.ToImmutable());
    }

    /// <summary>Aggregates a whole set at once.</summary>
    public static TelemetryAggregate Aggregate(IEnumerable<TelemetryObservation> events, AggregationOptions options)
    {
        var aggregator = new TelemetryAggregator(options);
        foreach (var e in events)
        {
            aggregator.Add(e);
        }
        return aggregator.Build();
    }

    private sealed class Accumulator
    {
        public readonly long[] Values = new long[BucketMeasures.MeasureCount];
        public DateTimeOffset? FirstEventAt;
        public Dictionary<int, long>? Latency;

        public BucketMeasures ToMeasures() => new(ImmutableArray.Create(Values), FirstEventAt,
            Latency is null ? LatencyHistogram.Empty : LatencyHistogram.FromSlots(Latency.Select(kv => (kv.Key, kv.Value))));
    }
}
