using static Ripcord.Propagation.Units;

namespace Ripcord.Propagation;

/// <summary>The human summary: headline figures, per-round table, memory table, targets.</summary>
public static class Report
{
    private const double LatencyTargetMs = 250;
    private const double MemoryTargetBytes = 20 * 1024;

    public static void Print(RunResult r, TextWriter w)
    {
        var o = r.Options;
        w.WriteLine();
        w.WriteLine($"Ripcord propagation — {o.Clients} {(o.ClientsKind == "raw" ? $"raw SSE readers{(o.RawTelemetry ? " + a heartbeat POST per frame" + (o.RawTelemetryJitterMs > 0 ? $" (jitter 0..{o.RawTelemetryJitterMs} ms)" : "") : "")} (latency = frame arrival)" : "SDK clients (latency = RevisionApplied)")}, {o.Rounds} rounds every {o.IntervalMs} ms after {o.WarmupRounds} unmeasured warm-up rounds; server: {r.Server}" +
            $"{(r.ServerPid is { } pid ? $" (pid {pid})" : "")}; {r.ProcessorCount} cores; {r.Runtime}");
        w.WriteLine($"heartbeat jitter after each revision: {(o.HeartbeatJitterMs is { } j ? $"0..{j} ms (--heartbeat-jitter-ms)" : "the SDK default")}; " + $"handlers: {(o.SharedHandler ? "one shared SocketsHttpHandler" : o.ClientIdleTimeoutMs > 0 ? "one per client (harness-made)" : "one per client (SDK default)")}" +
            $"{(o.ClientIdleTimeoutMs > 0 ? $", PooledConnectionIdleTimeout {o.ClientIdleTimeoutMs} ms" : "")}; disk cache: {(o.DiskCache ? "on" : "off")}; " +
            $"groups `messages`: {(r.MessagesStripped ? "stripped (cross-process digest work-around)" : "kept")}; server telemetry store: {o.ServerTelemetry}" +
            (o.ServerTelemetry == "sqlite" ? " (as shipped)" : " (EXPERIMENT, swapped in by the harness)"));
        w.WriteLine($"harness GC: {r.HarnessGc} (the server child always runs with the runtime defaults)");
        if (r.Aborted is not null)
        {
            w.WriteLine($"ABORTED: {r.Aborted}");
        }
        w.WriteLine($"connect: {r.Live}/{o.Clients} live in {F(r.ConnectSeconds, 2)} s; disconnect {F(r.DisposeSeconds, 2)} s; total run {F(r.TotalSeconds)} s");
        w.WriteLine();

        Table(w, ["latency (ms)", "samples", "min", "p50", "p90", "p99", "p99.9", "max", "mean"],
        [
            Row("applied − acknowledged", r.AppliedMinusAckMs),
            Row("applied − sent", r.AppliedMinusSentMs),
            Row("write sent → acknowledged", r.AckMs),
        ]);
        w.WriteLine($"missed client-rounds: {r.MissedClientRounds} (clients that missed any round: {r.ClientsThatMissedARound}); " +
            $"reached through a later revision: {r.SkippedClientRounds}; resync snapshots during rounds: {r.ResyncSnapshots}; " +
            $"applied before the ack arrived: {r.AppliedBeforeAck}" + (o.RawTelemetry ? $"; heartbeat POST failures: {r.RawTelemetryFailures}" : ""));
        w.WriteLine();

        Table(w, ["round", "revision", "ack ms", "first", "p50", "p99", "max", "reached", "missed", "server pool threads"],
            r.Rounds.Select(x => new[]
            {
                x.Round.ToString(System.Globalization.CultureInfo.InvariantCulture), x.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture),
                F(x.AckMs), F(x.FirstAppliedMs), F(x.P50Ms), F(x.P99Ms), F(x.MaxMs),
                x.Reached.ToString(System.Globalization.CultureInfo.InvariantCulture), x.Missed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                x.ServerThreads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }).ToList());
        w.WriteLine();

        Table(w, ["server memory after full GC", "streams", "TCP conns", "GC heap MB", "GC committed MB", "working set MB", "RssAnon MB", "harness GC MB"],
            r.Memory.Select(m => new[]
            {
                m.Phase, m.Server.Streams.ToString(System.Globalization.CultureInfo.InvariantCulture),
                m.ServerTcpConnections.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Mb(m.Server.GcTotalBytes), Mb(m.Server.GcCommittedBytes), Mb(m.Server.WorkingSetBytes), Mb(m.Server.RssAnonBytes),
                m.ClientGcBytes > 0 ? Mb(m.ClientGcBytes) : "-",
            }).ToList());
        w.WriteLine();
        if (r.ServerBytesPerStreamGcHeap is { } perStream)
        {
            w.WriteLine($"server memory per connected stream: GC heap {Kb(perStream)} KB" +
                (r.ServerBytesPerStreamWorkingSet is { } ws ? $", working set {Kb(ws)} KB, RssAnon {Kb(r.ServerBytesPerStreamRssAnon ?? double.NaN)} KB" : " (in-process: includes the clients' share)"));
        }
        if (r.ClientBytesPerSdkGcHeap is { } perClient)
        {
            w.WriteLine($"harness (client side) GC heap per connected client: {Kb(perClient)} KB");
        }
        var counters = new List<string[]>();
        if (r.ServerCounters is { } sc2)
        {
            counters.Add(CountersRow("server", r.ServerCpuMsPerRound, sc2));
        }
        if (r.HarnessCounters is { } hc)
        {
            counters.Add(CountersRow($"harness ({o.Clients} {(o.ClientsKind == "raw" ? "raw readers" : "SDK clients")})", r.HarnessCpuMsPerRound, hc));
        }
        if (counters.Count > 0)
        {
            w.WriteLine();
            Table(w, ["per round (rounds phase)", "CPU ms", "allocated MB", "GC pause ms", "gen0", "gen1", "gen2", "pool threads before → after"], counters);
        }
        w.WriteLine();
        var p99 = r.AppliedMinusAckMs?.P99 ?? double.NaN;
        w.WriteLine($"target p99(applied − ack) ≤ {LatencyTargetMs} ms: {Verdict(p99 <= LatencyTargetMs)} ({F(p99)} ms)");
        w.WriteLine($"target no missed rounds:            {Verdict(r.Samples > 0 && r.MissedClientRounds == 0)} ({r.MissedClientRounds} missed)");
        if (r.ServerBytesPerStreamGcHeap is { } g)
        {
            w.WriteLine($"target ≤ 20 KB server memory/stream: GC heap {Verdict(g <= MemoryTargetBytes)} ({Kb(g)} KB)" +
                (r.ServerBytesPerStreamWorkingSet is { } ws2 ? $"; working set {Verdict(ws2 <= MemoryTargetBytes)} ({Kb(ws2)} KB)" : ""));
        }
    }

    private static string[] CountersRow(string name, double? cpu, CountersPerRound c) =>
    [
        name, cpu is { } x ? F(x) : "n/a", F(c.AllocatedMb), F(c.GcPauseMs), F(c.Gen0, 2), F(c.Gen1, 2), F(c.Gen2, 2),
        $"{c.ThreadsBefore} → {c.ThreadsAfter}",
    ];

    private static string Verdict(bool met) => met ? "MET" : "NOT MET";

    private static string[] Row(string name, Distribution? d) => d is null
        ? [name, "0", "", "", "", "", "", "", ""]
        : [name, d.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), F(d.Min), F(d.P50), F(d.P90), F(d.P99), F(d.P999), F(d.Max), F(d.Mean)];

    public static void Table(TextWriter w, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))) + " |";
        w.WriteLine(Line(header));
        w.WriteLine("|" + string.Join("|", widths.Select((x, i) => i == 0 ? new string('-', x + 2) : new string('-', x + 1) + ":")) + "|");
        foreach (var row in rows)
        {
            w.WriteLine(Line(row));
        }
    }
}
