using System.Diagnostics;
using System.Globalization;
using Ripcord.Sdk;

namespace Ripcord.Propagation;

/// <summary>
/// One client's RevisionApplied log: the revision and a Stopwatch timestamp taken first thing in
/// the handler. The SDK raises the event from the client's single stream loop, so there is one
/// writer; the harness reads <see cref="Last"/> (acquire) and, after the run, the whole log.
/// </summary>
public sealed class Probe(int capacity)
{
    private readonly long[] _revisions = new long[capacity];
    private readonly long[] _times = new long[capacity];
    private int _count;
    private long _last;

    public long Last => Volatile.Read(ref _last);
    public int Count => Volatile.Read(ref _count);
    public int Overflow { get; private set; }
    /// <summary>Full snapshots applied (the first one on connect is expected; more mean resyncs).</summary>
    public int Snapshots { get; private set; }

    public void OnApplied(object? sender, RevisionAppliedEventArgs e) => Record(e.Revision, e.FromDelta);

    public void Record(long revision, bool fromDelta)
    {
        var now = Stopwatch.GetTimestamp();
        var i = _count;
        if (i < _revisions.Length)
        {
            _revisions[i] = revision;
            _times[i] = now;
            Volatile.Write(ref _count, i + 1);
        }
        else
        {
            Overflow++;
        }
        if (!fromDelta)
        {
            Snapshots++;
        }
        Volatile.Write(ref _last, revision);
    }

    /// <summary>The first event at or past <paramref name="revision"/>: exactly it, or a later one (it was skipped).</summary>
    public bool TryFind(long revision, out long timestamp, out long seen)
    {
        var n = Count;
        for (var i = 0; i < n; i++)
        {
            if (_revisions[i] >= revision)
            {
                timestamp = _times[i];
                seen = _revisions[i];
                return true;
            }
        }
        timestamp = 0;
        seen = 0;
        return false;
    }
}

/// <summary>Order statistics over milliseconds (nearest rank).</summary>
public sealed record Distribution(int Count, double Min, double P50, double P90, double P99, double P999, double Max, double Mean)
{
    public static Distribution Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return new Distribution(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        var sorted = values.ToArray();
        Array.Sort(sorted);
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Distribution(sorted.Length, sorted[0], At(0.50), At(0.90), At(0.99), At(0.999), sorted[^1], sorted.Average());
    }
}

public static class Units
{
    public static double Ms(long fromTimestamp, long toTimestamp) =>
        (toTimestamp - fromTimestamp) * 1000.0 / Stopwatch.Frequency;

    public static string F(double value, int decimals = 1) =>
        double.IsNaN(value) ? "n/a" : value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string Kb(double bytes) => F(bytes / 1024.0);

    public static string Mb(double bytes) => F(bytes / (1024.0 * 1024.0));
}

/// <summary>Established TCP connections on a local port, from /proc/net/tcp{,6} (the whole network namespace).</summary>
public static class TcpConnections
{
    public static int EstablishedOnLocalPort(int port)
    {
        var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var file in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length > 3 && cols[1].EndsWith(hexPort, StringComparison.Ordinal) && cols[3] == "01")
                {
                    count++;
                }
            }
        }
        return count;
    }
}
