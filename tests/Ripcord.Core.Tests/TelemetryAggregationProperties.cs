using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Telemetry;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>
/// SPEC §7 aggregation (docs/telemetry.md, docs/invariants.md): the buckets built from a random
/// event stream — shuffled, cut into random chunks, with late, early and out-of-order events —
/// equal a brute-force recomputation from the events themselves.
/// </summary>
public sealed class TelemetryAggregationProperties
{
    // Half an hour before midnight: streams cross minute, hour and day boundaries.
    private static readonly DateTimeOffset Base = new(2026, 3, 1, 23, 30, 0, TimeSpan.Zero);
    private static readonly AggregationOptions Options = new();

    private static readonly Gen<double?> Latencies = Gen.OneOf(
        Gen.Constant<double?>(null), Gen.Constant<double?>(0), Gen.Choose(0, 5000).Select(n => (double?)n),
        Gen.Choose(1, 1_000_000).Select(n => (double?)(n / 1000.0)));

    private static readonly Gen<TelemetryFacts> Facts =
        from ws in Gen.Elements<string?>(null, "w1", "w2")
        from tier in Gen.Elements<int?>(null, 0, 1, 2)
        from cohort in Gen.Elements<string?>(null, "pilot")
        from revision in Gen.Elements<long?>(null, 1, 2)
        from transport in Gen.Elements<string?>(null, "secure", "baseline")
        from decision in Gen.Elements<string?>(null, "proceed", "fallback-auto", "fallback-prompt", "blocked")
        from outcome in Gen.Elements<string?>(null, "ok", "failed", "timeout")
        from latency in Latencies
        from count in Gen.Elements<double?>(null, 0, 1, 3, 2.5, 1e12)
        select new TelemetryFacts(ws, tier, cohort, revision, transport, decision, outcome, latency, count);

    private static readonly Gen<TelemetryObservation> Events =
        from program in Gen.Elements("groups", "other")
        from type in Gen.Elements(TelemetrySchema.Events.Keys.ToArray())
        from atSeconds in Gen.Choose(0, 3 * 3600)
        from atMicros in Gen.Choose(0, 999_999)
        // Received from 3 minutes before its own time (a clock ahead) to 14 minutes after (some beyond the lateness).
        from delaySeconds in Gen.Choose(-180, 14 * 60)
        from facts in Facts
        let at = Base.AddSeconds(atSeconds).AddTicks(atMicros * 10L)
        select new TelemetryObservation(program, type, at, at.AddSeconds(delaySeconds), facts);

    /// <summary>A stream, a shuffle of it and cut points into chunks.</summary>
    private static readonly Gen<(List<TelemetryObservation> Events, List<TelemetryObservation> Shuffled, int[] Cuts)> Streams =
        from events in Gen.ListOf(Events).Select(l => l.ToList())
        from seed in Gen.Choose(0, int.MaxValue)
        let shuffled = events.OrderBy(_ => 0).ToList().Shuffled(seed)
        from cuts in Gen.ArrayOf(Gen.Choose(0, Math.Max(0, events.Count)))
        select (events, shuffled, cuts);

    private static bool IsLate(TelemetryObservation e) => e.At < e.ReceivedAt - Options.AllowedLateness;

    private static bool IsAhead(TelemetryObservation e) => e.At > e.ReceivedAt + Options.AllowedSkew;

    private static BucketKey KeyOf(TelemetryObservation e, AggregateResolution resolution) => new(e.Program, resolution,
        BucketKey.Floor(IsLate(e) || IsAhead(e) ? e.ReceivedAt : e.At, resolution),
        e.Facts.WorkspaceId ?? "", e.Facts.Tier, e.Facts.Cohort ?? "", e.Facts.Revision);

    /// <summary>Every bucket at every resolution, counted straight from the events that fall in it.</summary>
    private static ImmutableDictionary<BucketKey, BucketMeasures> BruteForce(IReadOnlyList<TelemetryObservation> events) =>
        Enum.GetValues<AggregateResolution>()
            .SelectMany(r => events.GroupBy(e => KeyOf(e, r)))
            .ToImmutableDictionary(g => g.Key, g => Expected([.. g]));

    private static BucketMeasures Expected(List<TelemetryObservation> bucket)
    {
        var kept = bucket.Where(e => !IsLate(e) && !IsAhead(e)).ToList();
        long Count(string type, Func<TelemetryFacts, bool>? where = null) => kept.Count(e => e.Type == type && (where ?? (_ => true))(e.Facts));
        var values = new long[BucketMeasures.MeasureCount];
        void Set(Measure m, long v) => values[(int)m] = v;
        Set(Measure.Modes, Count("mode"));
        Set(Measure.ModesSecure, Count("mode", f => f.Transport == "secure"));
        Set(Measure.ModesBaseline, Count("mode", f => f.Transport == "baseline"));
        Set(Measure.Fallbacks, Count("fallback"));
        Set(Measure.FallbacksProceed, Count("fallback", f => f.Decision == "proceed"));
        Set(Measure.FallbacksAuto, Count("fallback", f => f.Decision == "fallback-auto"));
        Set(Measure.FallbacksPrompt, Count("fallback", f => f.Decision == "fallback-prompt"));
        Set(Measure.FallbacksBlocked, Count("fallback", f => f.Decision == "blocked"));
        Set(Measure.Sends, Count("send"));
        Set(Measure.SendsOk, Count("send", f => f.Outcome == "ok"));
        Set(Measure.SendsFailed, Count("send", f => f.Outcome == "failed"));
        Set(Measure.SendsTimeout, Count("send", f => f.Outcome == "timeout"));
        Set(Measure.Divergences, Count("divergence"));
        Set(Measure.DivergenceCount, kept.Where(e => e.Type == "divergence").Sum(e => e.Facts.Count is { } c ? (long)Math.Min(c, int.MaxValue) : 1));
        Set(Measure.Sessions, Count("session-start"));
        Set(Measure.Crashes, Count("session-crash"));
        Set(Measure.SecuritySignals, Count("security-signal"));
        Set(Measure.Heartbeats, Count("revision-heartbeat"));
        Set(Measure.Late, bucket.Count(IsLate));
        Set(Measure.Ahead, bucket.Count(IsAhead));
        var latency = LatencyHistogram.Of(kept.Where(e => e.Type == "send" && e.Facts.AckLatencyMs is not null).Select(e => e.Facts.AckLatencyMs!.Value));
        return new(ImmutableArray.Create(values), kept.Count == 0 ? null : kept.Min(e => e.At), latency);
    }

    private static TelemetryAggregate InChunks(List<TelemetryObservation> events, int[] cuts)
    {
        var bounds = cuts.Append(0).Append(events.Count).Distinct().Order().ToList();
        var total = TelemetryAggregate.Empty;
        for (var i = 0; i + 1 < bounds.Count; i++)
        {
            total = total.Merge(TelemetryAggregator.Aggregate(events[bounds[i]..bounds[i + 1]], Options));
        }
        return total;
    }

    private static bool SameBuckets(ImmutableDictionary<BucketKey, BucketMeasures> actual, ImmutableDictionary<BucketKey, BucketMeasures> expected) =>
        actual.Count == expected.Count && expected.All(kv => actual.TryGetValue(kv.Key, out var a) && a.Equals(kv.Value));

    [Property(MaxTest = 300)]
    [Invariant("AG-1", "aggregating a stream in any order and any chunks gives exactly the buckets recomputed from the events (minutes, hours, days)")]
    public Property Chunked_shuffled_aggregation_equals_brute_force() => Prop.ForAll(Streams.ToArbitrary(), s =>
        SameBuckets(InChunks(s.Shuffled, s.Cuts).Buckets, BruteForce(s.Events)));

    [Property(MaxTest = 300)]
    [Invariant("AG-2", "every hour and day bucket is the sum of its minute buckets")]
    public Property Rollups_are_sums_of_minutes() => Prop.ForAll(Streams.ToArbitrary(), s =>
    {
        var buckets = TelemetryAggregator.Aggregate(s.Events, Options).Buckets;
        var minutes = buckets.Where(kv => kv.Key.Resolution == AggregateResolution.Minute).ToList();
        return new[] { AggregateResolution.Hour, AggregateResolution.Day }.All(r =>
        {
            var rolled = buckets.Where(kv => kv.Key.Resolution == r).ToImmutableDictionary();
            return rolled.Count == minutes.Select(kv => kv.Key.RollUp(r)).Distinct().Count()
                && rolled.All(kv => minutes.Where(m => m.Key.RollUp(r) == kv.Key).Select(m => m.Value).Aggregate(BucketMeasures.Empty, (a, b) => a.Merge(b)).Equals(kv.Value));
        });
    });

    [Property(MaxTest = 300)]
    [Invariant("AG-3", "an event older than the allowed lateness (or further ahead than the skew) is counted as late, never aggregated; every other is aggregated")]
    public Property Late_events_are_counted_not_aggregated() => Prop.ForAll(Streams.ToArbitrary(), s =>
    {
        var aggregator = new TelemetryAggregator(Options);
        s.Events.ForEach(e => aggregator.Add(e));
        var minutes = aggregator.Build().Buckets.Where(kv => kv.Key.Resolution == AggregateResolution.Minute).Select(kv => kv.Value).ToList();
        var late = s.Events.Count(IsLate);
        var ahead = s.Events.Count(IsAhead);
        var aggregated = minutes.Sum(m => m[Measure.Modes] + m[Measure.Fallbacks] + m[Measure.Sends] + m[Measure.Divergences]
            + m[Measure.Sessions] + m[Measure.Crashes] + m[Measure.SecuritySignals] + m[Measure.Heartbeats]);
        return minutes.Sum(m => m[Measure.Late]) == late && minutes.Sum(m => m[Measure.Ahead]) == ahead
            && aggregated == s.Events.Count - late - ahead && aggregator.Aggregated == aggregated && aggregator.Refused == late + ahead;
    });

    private static readonly Gen<double[]> Samples = Gen.ArrayOf(Gen.OneOf(
        Gen.Choose(0, 100_000).Select(n => n / 10.0), Gen.Choose(1, 1_000_000).Select(n => n * 10.0), Gen.Choose(1, 1000).Select(n => n / 1000.0)));

    [Property(MaxTest = 500)]
    [Invariant("AG-4", "latency histograms merge exactly: associative, commutative, and the merge is the histogram of the concatenated samples")]
    public Property Histogram_merge_is_exact() => Prop.ForAll(Samples.ToArbitrary(), Samples.ToArbitrary(), Samples.ToArbitrary(), (a, b, c) =>
    {
        var (ha, hb, hc) = (LatencyHistogram.Of(a), LatencyHistogram.Of(b), LatencyHistogram.Of(c));
        return ha.Merge(hb).Merge(hc).Equals(ha.Merge(hb.Merge(hc)))
            && ha.Merge(hb).Equals(hb.Merge(ha))
            && ha.Merge(hb).Equals(LatencyHistogram.Of([.. a, .. b]))
            && ha.Merge(LatencyHistogram.Empty).Equals(ha)
            && ha.Merge(hb).Count == a.Length + b.Length;
    });

    [Property(MaxTest = 500)]
    [Invariant("AG-9", "a histogram's stored form reads back as the same histogram, and merging stored forms is merging the histograms")]
    public Property Stored_form_round_trips_and_merges() => Prop.ForAll(Samples.ToArbitrary(), Samples.ToArbitrary(), (a, b) =>
    {
        var (ha, hb) = (LatencyHistogram.Of(a), LatencyHistogram.Of(b));
        return LatencyHistogram.Decode(ha.Encode()).Equals(ha)
            && LatencyHistogram.Decode(LatencyHistogram.MergeEncoded(ha.Encode(), hb.Encode())).Equals(ha.Merge(hb))
            && LatencyHistogram.MergeEncoded(ha.Encode(), "") == ha.Encode();
    });

    [Property(MaxTest = 500)]
    [Invariant("AG-5", "p50/p95/p99 read from a histogram are within its relative accuracy (2%) of the exact nearest-rank quantiles")]
    public Property Quantiles_within_relative_accuracy() => Prop.ForAll(Samples.ToArbitrary(), samples =>
    {
        var histogram = LatencyHistogram.Of(samples);
        if (samples.Length == 0)
        {
            return histogram.Quantile(0.5) is null;
        }
        var sorted = samples.Order().ToArray();
        return new[] { 0.5, 0.95, 0.99, 1.0 }.All(q =>
        {
            var exact = sorted[(int)Math.Ceiling(q * sorted.Length) - 1];
            var estimate = histogram.Quantile(q)!.Value;
            return exact < LatencyHistogram.MinTrackedMs
                ? estimate == 0
                : Math.Abs(estimate - exact) <= (LatencyHistogram.RelativeAccuracy + 1e-9) * exact;
        });
    });
}

internal static class ShuffleExtensions
{
    /// <summary>A permutation fixed by the seed FsCheck drew, so a failure shrinks and replays.</summary>
    public static List<T> Shuffled<T>(this List<T> list, int seed)
    {
        var random = new Random(seed);
        var copy = list.ToArray();
        random.Shuffle(copy);
        return [.. copy];
    }
}
