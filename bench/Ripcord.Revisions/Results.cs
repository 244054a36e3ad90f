using System.Diagnostics;

namespace Ripcord.Revisions;

/// <summary>Write latency over a range of writes (1-based, inclusive), in milliseconds, send to response read.</summary>
public sealed record LatencyWindow(string Name, int From, int To, int Count, double P50, double P95, double P99, double Max, double Mean)
{
    /// <summary>Nearest-rank percentiles over writes From..To that were made (a stopped run fills fewer).</summary>
    public static LatencyWindow Of(string name, IReadOnlyList<double> latencies, int from, int to)
    {
        var slice = new List<double>();
        for (var i = from - 1; i < Math.Min(to, latencies.Count); i++)
        {
            slice.Add(latencies[i]);
        }
        slice.Sort();
        double P(double p) => slice.Count == 0 ? double.NaN : slice[Math.Clamp((int)Math.Ceiling(p / 100 * slice.Count) - 1, 0, slice.Count - 1)];
        return new LatencyWindow(name, from, to, slice.Count, P(50), P(95), P(99), P(100), slice.Count == 0 ? double.NaN : slice.Average());
    }
}

/// <summary>This process's CPU, allocation and GC pause per write over a range (client and server share the process).</summary>
public sealed record WindowCost(string Name, int From, int To, double CpuMsPerWrite, double AllocatedKbPerWrite, double GcPauseMsPerWrite, int Gen2Collections)
{
    public static WindowCost Of(string name, int from, int to, Counters a, Counters b)
    {
        var n = Math.Max(1, b.Writes - a.Writes);
        return new WindowCost(name, from, to, (b.CpuMs - a.CpuMs) / n, (b.AllocatedBytes - a.AllocatedBytes) / 1024.0 / n,
            (b.GcPauseMs - a.GcPauseMs) / n, b.Gen2 - a.Gen2);
    }
}

/// <summary>Process counters read between writes, outside the timed region.</summary>
public sealed record Counters(int Writes, double CpuMs, long AllocatedBytes, double GcPauseMs, int Gen2)
{
    public static Counters Read(int writes)
    {
        using var self = Process.GetCurrentProcess();
        return new Counters(writes, self.TotalProcessorTime.TotalMilliseconds, GC.GetTotalAllocatedBytes(false),
            GC.GetTotalPauseDuration().TotalMilliseconds, GC.CollectionCount(2));
    }
}

/// <summary>The database on disk after a number of writes.</summary>
public sealed record SizeSample(int Writes, long Revision, double Seconds, long TotalBytes, IReadOnlyList<StoredSize> Items);

/// <summary>GET …/revisions/{n}: every read's status and time; the size of the body.</summary>
public sealed record RevisionRead(string Which, long Revision, IReadOnlyList<int> Status, long Bytes, IReadOnlyList<double> Ms);

public sealed record MachineInfo(int Cores, string Os, string Runtime, string Gc, string? LoadAverageStart, string? LoadAverageEnd, string? Commit);

public sealed record RunResult
{
    public string? Label { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public string Backend { get; init; } = "";
    public string Endpoint { get; init; } = "";
    public string Flag { get; init; } = "";
    public int OverridesRequested { get; init; }
    public int OverridesWritten { get; init; }
    public bool Completed { get; init; }
    /// <summary>Why the run ended before every write and read succeeded (null when it did not).</summary>
    public string? StopReason { get; init; }
    public long InitialRevision { get; init; }
    public long HeadRevision { get; init; }
    public int ConnectionsOpened { get; init; }
    public double WriteSeconds { get; init; }
    public double TotalSeconds { get; init; }
    public double FirstWriteMs { get; init; }
    public LatencyWindow First100 { get; init; } = null!;
    public LatencyWindow Last100 { get; init; } = null!;
    public IReadOnlyList<LatencyWindow> Deciles { get; init; } = [];
    public IReadOnlyList<WindowCost> DecileCosts { get; init; } = [];
    /// <summary>p50 of each block of 100 writes (the growth curve, small enough to keep).</summary>
    public IReadOnlyList<double> P50Per100 { get; init; } = [];
    public IReadOnlyList<SizeSample> Sizes { get; init; } = [];
    public SizeSample? Final { get; init; }
    public IReadOnlyList<RevisionRead> RevisionReads { get; init; } = [];
    public MachineInfo Machine { get; init; } = null!;
    public string? KeptAt { get; init; }
}
