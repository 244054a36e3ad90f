using System.CommandLine;
using System.Globalization;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Telemetry;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord metrics</c>: the seed's five telemetry dashboards as tables (docs/telemetry.md).</summary>
public static class MetricsCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var dashboard = new Argument<string>("dashboard") { Description = "mode-adoption, fallback-rate, send-latency, divergence or crash-free" };
        var since = new Option<string?>("--since") { Description = "From this long ago to now: 30m, 6h, 7d (default 1h)" };
        var from = new Option<string?>("--from") { Description = "Start, an ISO-8601 time (with --to; instead of --since)" };
        var to = new Option<string?>("--to") { Description = "End, an ISO-8601 time (default now)" };
        var step = new Option<string?>("--step") { Description = "minute, hour or day (default: fits the range)" };
        var workspace = new Option<string?>("--workspace", "-w") { Description = "Only events of this workspace" };
        var tier = new Option<int?>("--tier") { Description = "Only events of this mission tier (0, 1 or 2)" };
        var cohort = new Option<string?>("--cohort") { Description = "Only events of this cohort" };

        return verbs.Verb("metrics", "Show a telemetry dashboard over a time range: mode-adoption, fallback-rate, send-latency, divergence, crash-free",
            [
                "ripcord metrics mode-adoption",
                "ripcord metrics fallback-rate --since 24h --workspace acme",
                "ripcord metrics send-latency --from 2026-03-01T00:00:00Z --to 2026-03-02T00:00:00Z --step hour",
                "ripcord metrics crash-free --since 30d --json | jq '.totals.crashFree'",
            ],
            async (context, ct) =>
            {
                if (context.Get(since) is not null && (context.Get(from) is not null || context.Get(to) is not null))
                {
                    throw new CliException("use --since or --from/--to, not both");
                }
                var start = context.Get(since) is { } s ? Inputs.Since(s, "--since").ToString("O", CultureInfo.InvariantCulture) : context.Get(from);
                var end = context.Get(since) is not null ? DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) : context.Get(to);
                var metrics = await context.Api.GetMetricsAsync(context.Program, context.Get(dashboard), start, end, context.Get(step),
                    context.Get(workspace), context.Get(tier), context.Get(cohort), ct);
                if (context.Json)
                {
                    context.Terminal.Json(metrics.Raw);
                    return ExitCodes.Success;
                }
                Write(context.Terminal, metrics.Value);
                return ExitCodes.Success;
            }, dashboard, since, from, to, step, workspace, tier, cohort);
    }

    private static void Write(Terminal terminal, MetricsView view)
    {
        terminal.Line($"{view.Dashboard} for {view.Program}, {Words.Time(view.From)} to {Words.Time(view.To)}, by {view.Step}");
        Dashboards.TryParse(view.Dashboard, out var dashboard);
        var (headers, cells) = Columns(dashboard ?? Dashboard.CrashFree);
        terminal.Table(new TableView(["AT", .. headers]).AddRows(view.Points, p => [Words.Time(p.At), .. cells(p.Figures)]));
        terminal.Table(new TableView(["TOTAL", .. headers]).AddRows(
            view.Groups.Select(g => (Label: Label(dashboard, g.Key), g.Figures)).Append((Label: "all", Figures: view.Totals)),
            g => [new Cell(g.Label, Tone.Strong), .. cells(g.Figures)]));
        if (view.Late > 0)
        {
            terminal.Note($"{view.Late} events in this range came too late (or too far ahead) to be counted");
        }
    }

    private static string Label(Dashboard? dashboard, string? key) => (dashboard, key) switch
    {
        (Dashboard.ModeAdoption, null) => "no tier",
        (Dashboard.ModeAdoption, _) => "tier " + key,
        (_, null) => "no workspace",
        _ => key,
    };

    private static (string[] Headers, Func<DashboardFigures, Cell[]> Cells) Columns(Dashboard dashboard) => dashboard switch
    {
        Dashboard.ModeAdoption => (["OPERATIONS", "SECURE", "BASELINE", "SECURE SHARE"],
            f => [Words.Number(f.Operations), Words.Number(f.Secure), Words.Number(f.Baseline), Percent(f.SecureShare)]),
        Dashboard.FallbackRate => (["OPERATIONS", "FALLBACKS", "AUTO", "PROMPT", "BLOCKED", "RATE"],
            f => [Words.Number(f.Operations), Words.Number(f.Fallbacks), Words.Number(f.FallbackAuto), Words.Number(f.FallbackPrompt),
                Words.Number(f.Blocked), Percent(f.FallbackRate)]),
        Dashboard.SendLatency => (["SENDS", "FAILURES", "FAILURE RATE", "P50 MS", "P95 MS", "P99 MS"],
            f => [Words.Number(f.Sends), Words.Number(f.Failures), Percent(f.FailureRate), Ms(f.P50Ms), Ms(f.P95Ms), Ms(f.P99Ms)]),
        Dashboard.Divergence => (["EVENTS", "SUMMED COUNT"], f => [Words.Number(f.Divergences), Words.Number(f.DivergenceCount)]),
        _ => (["SESSIONS", "CRASHES", "CRASH-FREE"], f => [Words.Number(f.Sessions), Words.Number(f.Crashes), Percent(f.CrashFree)]),
    };

    private static string Percent(double? share) => share is { } s ? s.ToString("0.##%", CultureInfo.InvariantCulture) : "–";

    private static string Ms(double? ms) => ms is { } m ? m.ToString("0.###", CultureInfo.InvariantCulture) : "–";
}
