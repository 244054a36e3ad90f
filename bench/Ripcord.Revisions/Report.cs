using System.Globalization;
using static Ripcord.Revisions.Units;

namespace Ripcord.Revisions;

/// <summary>The human summary: latency windows, database size as it grew, revision reads, machine.</summary>
public static class Report
{
    public static void Print(RunResult r, TextWriter w)
    {
        w.WriteLine();
        w.WriteLine($"Ripcord revisions — {r.OverridesRequested:N0} workspace overrides of {r.Flag} created one at a time " +
            $"({r.Endpoint}), {r.Backend}{(r.Label is null ? "" : $", label '{r.Label}'")}");
        w.WriteLine($"writes: {r.OverridesWritten:N0} of {r.OverridesRequested:N0} in {F(r.WriteSeconds, 1)} s " +
            $"(revisions {r.InitialRevision + 1:N0}–{r.HeadRevision:N0}; {r.ConnectionsOpened} connection(s) opened); " +
            $"whole run {F(r.TotalSeconds, 1)} s; first write {F(r.FirstWriteMs)} ms");
        if (r.StopReason is not null)
        {
            w.WriteLine($"STOPPED: {r.StopReason}");
        }
        w.WriteLine();

        var costs = r.DecileCosts.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var windows = new List<LatencyWindow> { r.First100 };
        windows.AddRange(r.Deciles);
        windows.Add(r.Last100);
        Table(w, ["write latency (ms)", "writes", "n", "p50", "p95", "p99", "max", "mean", "CPU ms/write", "alloc KB/write", "GC pause ms/write"],
            windows.Select(x =>
            {
                costs.TryGetValue(x.Name, out var c);
                return new[]
                {
                    x.Name, $"{x.From:N0}–{x.To:N0}", x.Count.ToString("N0", CultureInfo.InvariantCulture),
                    F(x.P50), F(x.P95), F(x.P99), F(x.Max), F(x.Mean),
                    c is null ? "" : F(c.CpuMsPerWrite), c is null ? "" : F(c.AllocatedKbPerWrite, 0), c is null ? "" : F(c.GcPauseMsPerWrite),
                };
            }).ToList());
        w.WriteLine("CPU, allocation and GC pause are this process's (client and server share it), per write.");
        w.WriteLine();

        var names = r.Sizes.SelectMany(s => s.Items.Select(i => i.Name)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        Table(w, ["after writes", "revision", "seconds", "total MB", .. names.Select(n => n + " MB")],
            r.Sizes.Select(s => (string[])
            [
                s.Writes.ToString("N0", CultureInfo.InvariantCulture), s.Revision.ToString("N0", CultureInfo.InvariantCulture),
                F(s.Seconds, 1), Mb(s.TotalBytes),
                .. names.Select(n => s.Items.FirstOrDefault(i => string.Equals(i.Name, n, StringComparison.Ordinal)) is { } item ? Mb(item.Bytes) : "-"),
            ]).ToList());
        if (r.Final is { } final)
        {
            w.WriteLine($"at the end: {final.TotalBytes:N0} bytes ({Mb(final.TotalBytes)} MB) — " +
                string.Join(", ", final.Items.Select(i => $"{i.Name} {i.Bytes:N0}")));
        }
        w.WriteLine("MB = 1,000,000 bytes.");
        w.WriteLine();

        Table(w, ["GET revisions/{n}", "n", "status", "body MB", "ms (each read)"],
            r.RevisionReads.Select(x => new[]
            {
                x.Which, x.Revision.ToString("N0", CultureInfo.InvariantCulture), string.Join(", ", x.Status), Mb(x.Bytes),
                string.Join(" / ", x.Ms.Select(m => F(m))),
            }).ToList());
        w.WriteLine();
        var m = r.Machine;
        w.WriteLine($"machine: {m.Cores} cores, {m.Os}, {m.Runtime}, {m.Gc}; load average {m.LoadAverageStart ?? "n/a"} at start, " +
            $"{m.LoadAverageEnd ?? "n/a"} at end; commit {m.Commit ?? "unknown"}");
        if (r.KeptAt is not null)
        {
            w.WriteLine($"kept: {r.KeptAt}");
        }
    }

    public static void Table(TextWriter w, IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        w.WriteLine("| " + string.Join(" | ", header.Select((h, i) => i == 0 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))) + " |");
        w.WriteLine("|" + string.Join("|", widths.Select((x, i) => i == 0 ? new string('-', x + 2) : new string('-', x + 1) + ":")) + "|");
        foreach (var row in rows)
        {
            w.WriteLine("| " + string.Join(" | ", widths.Select((x, i) =>
            {
                var cell = i < row.Length ? row[i] : "";
                return i == 0 ? cell.PadRight(x) : cell.PadLeft(x);
            })) + " |");
        }
    }
}
