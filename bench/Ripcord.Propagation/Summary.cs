using System.Globalization;
using System.Text.Json;
using static Ripcord.Propagation.Units;

namespace Ripcord.Propagation;

/// <summary>`summarize FILE.json…`: one line per saved --json run, grouped by configuration, medians across repeats.</summary>
public static class Summary
{
    public static int Run(IReadOnlyList<string> files, TextWriter w)
    {
        var runs = new List<(string File, JsonElement Root)>();
        foreach (var file in files)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            runs.Add((file, doc.RootElement.Clone()));
        }
        var rows = new List<string[]>();
        foreach (var group in runs.GroupBy(r => Config(r.Root)))
        {
            double Med(Func<JsonElement, double> f)
            {
                var xs = group.Select(g => f(g.Root)).Where(x => !double.IsNaN(x)).Order().ToArray();
                return xs.Length == 0 ? double.NaN : xs[xs.Length / 2];
            }
            string Range(Func<JsonElement, double> f)
            {
                var xs = group.Select(g => f(g.Root)).ToArray();
                return xs.Length == 1 ? F(xs[0], 0) : $"{F(Med(f), 0)} ({F(xs.Min(), 0)}–{F(xs.Max(), 0)})";
            }
            rows.Add(
            [
                group.Key, group.Count().ToString(CultureInfo.InvariantCulture),
                Range(r => D(r, "appliedMinusAckMs", "p50")), Range(r => D(r, "appliedMinusAckMs", "p99")), Range(r => D(r, "appliedMinusAckMs", "max")),
                Range(r => D(r, "ackMs", "p50")), Range(r => D(r, "ackMs", "max")),
                group.Sum(g => g.Root.GetProperty("missedClientRounds").GetInt32()).ToString(CultureInfo.InvariantCulture),
                F(Med(r => N(r, "serverBytesPerStreamGcHeap") / 1024)), F(Med(r => N(r, "serverBytesPerStreamWorkingSet") / 1024)),
                F(Med(r => N(r, "serverCpuMsPerRound")), 0), F(Med(r => N(r, "harnessCpuMsPerRound")), 0),
                F(Med(r => D(r, "harnessCounters", "gcPauseMs")), 0),
            ]);
        }
        Report.Table(w, ["configuration", "runs", "p50 ms", "p99 ms", "max ms", "ack p50 ms", "ack max ms", "missed",
            "srv KB/stream (GC)", "srv KB/stream (WS)", "srv CPU ms/round", "harness CPU ms/round", "harness GC pause ms/round"], rows);
        w.WriteLine("applied − acknowledged latency over all clients × rounds; medians across runs, (min–max) across runs.");
        return 0;
    }

    private static string Config(JsonElement r)
    {
        var o = r.GetProperty("options");
        var kind = o.GetProperty("clientsKind").GetString();
        var parts = new List<string> { $"{o.GetProperty("clients").GetInt32()} {kind}" };
        if (kind == "raw" && o.GetProperty("rawTelemetry").GetBoolean())
        {
            var jitter = o.GetProperty("rawTelemetryJitterMs").GetInt32();
            parts.Add(jitter > 0 ? $"+heartbeat POST (jitter {jitter} ms)" : "+heartbeat POST");
        }
        parts.Add("telemetry store " + o.GetProperty("serverTelemetry").GetString());
        if (o.GetProperty("sharedHandler").GetBoolean())
        {
            parts.Add("shared handler");
        }
        if (o.GetProperty("clientIdleTimeoutMs").GetInt32() is > 0 and var idle)
        {
            parts.Add($"client idle timeout {idle} ms");
        }
        if (o.GetProperty("diskCache").GetBoolean())
        {
            parts.Add("disk cache");
        }
        if (o.GetProperty("server").GetString() != "child")
        {
            parts.Add("in-process server");
        }
        var gc = r.GetProperty("harnessGc").GetString() ?? "";
        var knobs = gc.Split(", ").Where(p => p.Contains('=', StringComparison.Ordinal)).ToList();
        if (knobs.Count > 0)
        {
            parts.Add("harness " + string.Join(" ", knobs));
        }
        return string.Join(", ", parts);
    }

    private static double D(JsonElement r, string a, string b) =>
        r.TryGetProperty(a, out var x) && x.ValueKind == JsonValueKind.Object && x.TryGetProperty(b, out var y) && y.ValueKind == JsonValueKind.Number
            ? y.GetDouble() : double.NaN;

    private static double N(JsonElement r, string a) =>
        r.TryGetProperty(a, out var x) && x.ValueKind == JsonValueKind.Number ? x.GetDouble() : double.NaN;
}
