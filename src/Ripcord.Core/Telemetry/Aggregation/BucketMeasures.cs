using System.Collections.Immutable;
using System.Globalization;

namespace Ripcord.Core.Telemetry.Aggregation;

/// <summary>
/// What a bucket counts. Every measure is a sum, so buckets merge by adding: a group commit's
/// buckets into the stored ones, minutes into hours and days.
/// </summary>
public enum Measure
{
    /// <summary><c>mode</c> events: one per user operation.</summary>
    Modes,
    ModesSecure,
    ModesBaseline,
    /// <summary><c>fallback</c> events, whatever their decision.</summary>
    Fallbacks,
    FallbacksProceed,
    FallbacksAuto,
    FallbacksPrompt,
    FallbacksBlocked,
    Sends,
    SendsOk,
    SendsFailed,
    SendsTimeout,
    /// <summary><c>divergence</c> events.</summary>
    Divergences,
    /// <summary>The summed <c>count</c> of divergence events (whole numbers; an event without one counts 1).</summary>
    DivergenceCount,
    Sessions,
    Crashes,
    SecuritySignals,
    Heartbeats,
    /// <summary>Events older than the allowed lateness when received: not aggregated, counted here (at the minute they arrived).</summary>
    Late,
    /// <summary>Events stamped further ahead than the allowed clock skew: not aggregated, counted here.</summary>
    Ahead,
}

/// <summary>The measures of one bucket: immutable; <see cref="Merge"/> is exact, associative and commutative.</summary>
public sealed class BucketMeasures : IEquatable<BucketMeasures>
{
    public static readonly int MeasureCount = Enum.GetValues<Measure>().Length;

    public static BucketMeasures Empty { get; } = new(ImmutableArray.Create(new long[MeasureCount]), null, LatencyHistogram.Empty);

    private readonly ImmutableArray<long> _values;

    public BucketMeasures(ImmutableArray<long> values, DateTimeOffset? firstEventAt, LatencyHistogram latency)
    {
        if (values.Length != MeasureCount)
        {
            throw new ArgumentException($"a bucket has {MeasureCount} measures, not {values.Length}", nameof(values));
        }
        _values = values;
        FirstEventAt = firstEventAt;
        Latency = latency;
    }

    public long this[Measure measure] => _values[(int)measure];

    /// <summary>The earliest <c>at</c> of the aggregated events; null when none were.</summary>
    public DateTimeOffset? FirstEventAt { get; }

    /// <summary>Ack latencies of the sends that carried one.</summary>
    public LatencyHistogram Latency { get; }

    public ImmutableArray<long> Values => _values;

    public BucketMeasures Merge(BucketMeasures other)
    {
        var sums = new long[MeasureCount];
        for (var i = 0; i < sums.Length; i++)
        {
            sums[i] = _values[i] + other._values[i];
        }
        return new(ImmutableArray.Create(sums), Earliest(FirstEventAt, other.FirstEventAt), Latency.Merge(other.Latency));
    }

    public static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    public bool Equals(BucketMeasures? other) =>
        other is not null && _values.AsSpan().SequenceEqual(other._values.AsSpan()) && FirstEventAt == other.FirstEventAt
        && Latency.Equals(other.Latency);

    public override bool Equals(object? obj) => Equals(obj as BucketMeasures);

    public override int GetHashCode() => HashCode.Combine(_values.Length == 0 ? 0 : _values[0], FirstEventAt, Latency);

    public override string ToString() =>
        string.Join(",", _values.Select((v, i) => v == 0 ? null : string.Create(CultureInfo.InvariantCulture, $"{(Measure)i}={v}")).OfType<string>())
        + string.Create(CultureInfo.InvariantCulture, $" first={FirstEventAt:O} latency={Latency}");
}

/// <summary>How long a bucket is.</summary>
public enum AggregateResolution
{
    Minute,
    Hour,
    Day,
}

/// <summary>
/// A bucket: a program, a start (UTC, aligned to the resolution) and the dimensions. An event
/// without a workspace or cohort has "" there; one without a tier or revision has null.
/// </summary>
public readonly record struct BucketKey(
    string Program, AggregateResolution Resolution, DateTimeOffset Start, string Workspace, int? Tier, string Cohort, long? Revision)
{
    public static TimeSpan Length(AggregateResolution resolution) => resolution switch
    {
        AggregateResolution.Minute => TimeSpan.FromMinutes(1),
        AggregateResolution.Hour => TimeSpan.FromHours(1),
        _ => TimeSpan.FromDays(1),
    };

    /// <summary>The start of the bucket of this resolution that holds <paramref name="at"/> (UTC).</summary>
    public static DateTimeOffset Floor(DateTimeOffset at, AggregateResolution resolution)
    {
        var ticks = at.UtcTicks;
        return new DateTimeOffset(ticks - ticks % Length(resolution).Ticks, TimeSpan.Zero);
    }

    /// <summary>The same dimensions in the bucket of a coarser resolution.</summary>
    public BucketKey RollUp(AggregateResolution resolution) => this with { Resolution = resolution, Start = Floor(Start, resolution) };
}
