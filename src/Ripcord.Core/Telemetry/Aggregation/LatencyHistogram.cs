using System.Globalization;
using System.Text;

namespace Ripcord.Core.Telemetry.Aggregation;

/// <summary>
/// Send ack latencies as counts in fixed log-scale slots, never the samples themselves. Slot
/// <c>k ≥ 1</c> holds the latencies in <c>(Min·γ^(k−2), Min·γ^(k−1)]</c> with
/// <c>γ = (1+α)/(1−α)</c>, so the value a slot stands for is within <see cref="RelativeAccuracy"/>
/// (α) of every latency in it, and a quantile read from the slots is within α of the exact
/// (nearest-rank) quantile. Slot 0 holds latencies below <see cref="MinTrackedMs"/> (read back as 0);
/// latencies above <see cref="MaxTrackedMs"/> are counted in the top slot. Because the slots are
/// fixed, merging is adding counts slot by slot: exact, associative and commutative — so minutes
/// merge into hours and days, and group commits into stored rows, without losing anything.
/// </summary>
public sealed class LatencyHistogram : IEquatable<LatencyHistogram>
{
    /// <summary>α: the largest relative error of a value read back (2%).</summary>
    public const double RelativeAccuracy = 0.02;

    /// <summary>1 µs: below it a latency is read back as 0.</summary>
    public const double MinTrackedMs = 0.001;

    /// <summary>About 2.8 hours: above it a latency is counted in the top slot.</summary>
    public const double MaxTrackedMs = 10_000_000;

    private static readonly double Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
    private static readonly double LogGamma = Math.Log(Gamma);

    /// <summary>The highest slot (about 580).</summary>
    public static int MaxSlot { get; } = (int)Math.Ceiling(Math.Log(MaxTrackedMs / MinTrackedMs) / LogGamma) + 1;

    public static LatencyHistogram Empty { get; } = new([], []);

    private readonly int[] _slots;
    private readonly long[] _counts;

    private LatencyHistogram(int[] slots, long[] counts)
    {
        _slots = slots;
        _counts = counts;
        Count = counts.Sum();
    }

    /// <summary>How many latencies.</summary>
    public long Count { get; }

    /// <summary>The non-empty slots, lowest first.</summary>
    public IEnumerable<(int Slot, long Count)> Slots => _slots.Select((s, i) => (s, _counts[i]));

    /// <summary>The slot a latency (in milliseconds) is counted in.</summary>
    public static int SlotOf(double ms)
    {
        if (!(ms >= MinTrackedMs))
        {
            return 0;
        }
        if (ms >= MaxTrackedMs)
        {
            return MaxSlot;
        }
        return Math.Min(MaxSlot, (int)Math.Ceiling(Math.Log(ms / MinTrackedMs) / LogGamma) + 1);
    }

    /// <summary>The latency a slot stands for: within α of every latency counted in it.</summary>
    public static double ValueOf(int slot) => slot <= 0 ? 0 : MinTrackedMs * 2 * Math.Pow(Gamma, slot - 1) / (Gamma + 1);

    /// <summary>From (slot, count) pairs in any order; counts of the same slot add up, empty slots and unknown slots are dropped.</summary>
    public static LatencyHistogram FromSlots(IEnumerable<(int Slot, long Count)> slots)
    {
        var sums = new SortedDictionary<int, long>();
        foreach (var (slot, count) in slots)
        {
            if (count > 0 && slot >= 0 && slot <= MaxSlot)
            {
                sums[slot] = sums.GetValueOrDefault(slot) + count;
            }
        }
        return sums.Count == 0 ? Empty : new([.. sums.Keys], [.. sums.Values]);
    }

    /// <summary>
    /// The stored form: <c>slot:count</c> pairs, lowest slot first, separated by commas (<c>""</c> when empty) —
    /// one column per bucket rather than a row per slot, so a group commit writes one row per bucket.
    /// </summary>
    public string Encode()
    {
        var text = new StringBuilder(_slots.Length * 8);
        for (var i = 0; i < _slots.Length; i++)
        {
            text.Append(i > 0 ? "," : "").Append(_slots[i].ToString(CultureInfo.InvariantCulture)).Append(':')
                .Append(_counts[i].ToString(CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Reads <see cref="Encode"/>'s form; pairs that are not numbers are skipped (the stored form is only ever written by Encode).</summary>
    public static LatencyHistogram Decode(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return Empty;
        }
        var pairs = new List<(int, long)>();
        foreach (var pair in encoded.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && int.TryParse(pair.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var slot)
                && long.TryParse(pair.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                pairs.Add((slot, count));
            }
        }
        return FromSlots(pairs);
    }

    /// <summary>Two stored forms merged: the stored form of the merged histograms (what the databases' merge function computes).</summary>
    public static string MergeEncoded(string? a, string? b) => Decode(a).Merge(Decode(b)).Encode();

    /// <summary>The histogram of these latencies.</summary>
    public static LatencyHistogram Of(IEnumerable<double> latenciesMs) => FromSlots(latenciesMs.Select(ms => (SlotOf(ms), 1L)));

    /// <summary>Slot by slot sum: the histogram of both samples together.</summary>
    public LatencyHistogram Merge(LatencyHistogram other)
    {
        if (other.Count == 0)
        {
            return this;
        }
        if (Count == 0)
        {
            return other;
        }
        var slots = new List<int>(_slots.Length + other._slots.Length);
        var counts = new List<long>(slots.Capacity);
        int i = 0, j = 0;
        while (i < _slots.Length || j < other._slots.Length)
        {
            if (j == other._slots.Length || (i < _slots.Length && _slots[i] < other._slots[j]))
            {
                slots.Add(_slots[i]);
                counts.Add(_counts[i++]);
            }
            else if (i == _slots.Length || other._slots[j] < _slots[i])
            {
                slots.Add(other._slots[j]);
                counts.Add(other._counts[j++]);
            }
            else
            {
                slots.Add(_slots[i]);
                counts.Add(_counts[i++] + other._counts[j++]);
            }
        }
        return new([.. slots], [.. counts]);
    }

    /// <summary>
    /// The q-quantile (0 &lt; q ≤ 1) by nearest rank — the value of the ⌈q·n⌉-th smallest latency —
    /// within α of the exact one; null when there are no latencies.
    /// </summary>
    public double? Quantile(double q)
    {
        if (Count == 0)
        {
            return null;
        }
        var rank = Math.Clamp((long)Math.Ceiling(q * Count), 1, Count);
        long seen = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return ValueOf(_slots[i]);
            }
        }
        return ValueOf(_slots[^1]);
    }

    public bool Equals(LatencyHistogram? other) =>
        other is not null && _slots.AsSpan().SequenceEqual(other._slots) && _counts.AsSpan().SequenceEqual(other._counts);

    public override bool Equals(object? obj) => Equals(obj as LatencyHistogram);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (var i = 0; i < _slots.Length; i++)
        {
            hash.Add(_slots[i]);
            hash.Add(_counts[i]);
        }
        return hash.ToHashCode();
    }

    public override string ToString()
    {
        var text = new StringBuilder("{");
        for (var i = 0; i < _slots.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ",")}{_slots[i]}:{_counts[i]}");
        }
        return text.Append('}').ToString();
    }
}
