using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Ripcord.Core.Alerts;
using Ripcord.Core.Definitions;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Alerts;
using Ripcord.Server.Programs;
using Ripcord.Server.Telemetry;
using static Ripcord.Server.Ui.DashboardViews;

namespace Ripcord.Server.Ui;

/// <summary>
/// The charts page (issue 12): the seed's five telemetry dashboards from <see cref="MetricsService"/> (the query behind
/// <c>GET …/metrics/{dashboard}</c>), over a chosen range and scope, with the definition's thresholds drawn (alert rules, stage
/// exit criteria) and the alert store's firings marked. Chart.js (vendored, served by the app) draws them from a JSON block
/// that is never executed; each chart's figures are a plain table too.
/// </summary>
public static partial class DashboardEndpoints
{
    /// <summary>The ranges offered, by their query value; the step follows from the length as in the API (minute ≤ 6 h, hour ≤ 31 d).</summary>
    private static readonly (string Value, string Label, TimeSpan Length)[] ChartRanges =
        [("1h", "1 h", TimeSpan.FromHours(1)), ("6h", "6 h", TimeSpan.FromHours(6)), ("24h", "24 h", TimeSpan.FromHours(24)), ("7d", "7 d", TimeSpan.FromDays(7))];

    /// <summary>Constant text, not encoded (it holds no markup).</summary>
    private const string NoTelemetry = "no telemetry in this range — SDKs report it; see docs/telemetry.md";

    private static readonly Lazy<byte[]> ChartsScript = new(() => Resource("dashboard/charts.js"));
    private static readonly Lazy<byte[]> ChartJs = new(() => Resource("dashboard/vendor/chart.umd.min.js"));
    private static readonly Lazy<byte[]> ChartJsLicense = new(() => Resource("dashboard/vendor/chart.js.LICENSE.md"));

    internal static void MapCharts(RouteGroupBuilder ui)
    {
        ui.MapGet("/ui/programs/{program}/charts", ChartsPageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapGet("/ui/charts.js", (HttpContext http) => Cached(http, ChartsScript.Value, "text/javascript; charset=utf-8")).WithMetadata(DashboardEndpoint.Open);
        ui.MapGet("/ui/vendor/chart.umd.min.js", (HttpContext http) => Cached(http, ChartJs.Value, "text/javascript; charset=utf-8"))
            .WithMetadata(DashboardEndpoint.Open);
        ui.MapGet("/ui/vendor/chart.js.LICENSE.md", (HttpContext http) => Cached(http, ChartJsLicense.Value, "text/plain; charset=utf-8"))
            .WithMetadata(DashboardEndpoint.Open);
        Nav(60, "Charts", p => ProgramPath(p) + "/charts");
    }

    private static byte[] Resource(string name)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the embedded resource '{name}' is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>A static asset: cacheable for a day (it changes only with a release), never sniffed as another type.</summary>
    private static IResult Cached(HttpContext http, byte[] bytes, string type)
    {
        http.Response.Headers.CacheControl = "public, max-age=86400";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(bytes, type);
    }

    private static async Task<IResult> ChartsPageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        ProgramRegistry registry, MetricsService metrics, AlertService alerts, TimeProvider clock)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            var definition = registry.Current(program).State.Definition;
            var q = http.Request.Query;
            var range = ChartRanges.FirstOrDefault(r => r.Value == q["range"].ToString());
            range = range.Value is null ? ChartRanges[0] : range;
            string? Field(string name) => q[name].ToString().Trim() is { Length: > 0 } v ? v : null;
            var (workspace, tier, cohort) = (Field("workspace"), Field("tier"), Field("cohort"));
            var to = clock.GetUtcNow();
            var from = to - range.Length;
            var form = $"""
                <form method="get" action="{ProgramPath(program)}/charts" class="charts-scope">
                <label>Range <select name="range">{string.Concat(ChartRanges.Select(r => $"<option value=\"{r.Value}\"{(r.Value == range.Value ? " selected" : "")}>{E(r.Label)}</option>"))}</select></label>
                <label>Workspace <input name="workspace" value="{E(workspace)}" placeholder="all"></label>
                <label>Tier <select name="tier">{Options(["", "0", "1", "2"], tier ?? "")}</select></label>
                <label>Cohort <select name="cohort">{Options(["", .. definition.Cohorts.Select(c => c.Id)], cohort ?? "")}</select></label>
                <button type="submit">Show</button>
                </form>
                """;
            var firings = (await alerts.ListAsync(program, 500, http.RequestAborted)).Where(a => a.FiredAt >= from && a.FiredAt < to).ToList();
            var sections = new StringBuilder();
            var specs = new List<ChartSpec>();
            try
            {
                foreach (var name in Dashboards.Names)
                {
                    var view = await metrics.ReadAsync(program, new MetricsRequest(name, from.ToString("O", CultureInfo.InvariantCulture),
                        to.ToString("O", CultureInfo.InvariantCulture), null, workspace, tier, cohort), http.RequestAborted);
                    sections.Append(ChartSection(view, definition, firings, specs));
                }
            }
            catch (MetricsQueryException ex)
            {
                sections.Clear().Append(CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\" data-test=\"error\">{E(ex.Message)}</p>");
                specs.Clear();
            }
            var data = JsonSerializer.Serialize(specs, JsonSerializerOptions.Web).Replace("<", "\\u003c", StringComparison.Ordinal);
            var body = $"""
                <p><a href="/">← Overview</a></p>
                <h1>Telemetry of {E(program)}</h1>
                {form}
                <p class="note">From {Time(from)} to {Time(to)}{(workspace is null ? "" : $", workspace {E(workspace)}")}{(tier is null ? "" : $", tier {E(tier)}")}{(cohort is null ? "" : $", cohort {E(cohort)}")}.
                Dashed red lines are thresholds from the definition (alert rules, stage exit criteria); red triangles are alert firings.</p>
                {sections}
                <script type="application/json" id="chart-data">{data}</script>
                <script src="/ui/vendor/chart.umd.min.js" defer></script><script src="/ui/charts.js" defer></script>
                """;
            return Page(http, actor, antiforgery, $"Ripcord — charts ({program})", body);
        });
    }

    private sealed record ChartSeries(string Label, double?[] Data, string Kind = "series", string Axis = "y");

    private sealed record ChartSpec(string Id, string Type, string Unit, string? Unit2, string[] Labels, List<ChartSeries> Series);

    /// <summary>One column of a dashboard's table: its header and how to read it from the figures.</summary>
    private sealed record Column(string Header, Func<DashboardFigures, string> Read);

    private static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "—";

    private static string Pct(double? v) => v is { } x ? (x * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %" : "—";

    private static string Ms(double? v) => v is { } x ? x.ToString("0.#", CultureInfo.InvariantCulture) : "—";

    private static double? P(double? v) => v is { } x ? Math.Round(x * 100, 4) : null;

    private static Column[] Columns(string dashboard) => dashboard switch
    {
        "mode-adoption" => [new("Operations", f => N(f.Operations)), new("Secure", f => N(f.Secure)), new("Baseline", f => N(f.Baseline)), new("Secure share", f => Pct(f.SecureShare))],
        "fallback-rate" => [new("Operations", f => N(f.Operations)), new("Fallbacks", f => N(f.Fallbacks)), new("Auto", f => N(f.FallbackAuto)),
            new("Prompt", f => N(f.FallbackPrompt)), new("Blocked", f => N(f.Blocked)), new("Fallback rate", f => Pct(f.FallbackRate))],
        "send-latency" => [new("Sends", f => N(f.Sends)), new("Failures", f => N(f.Failures)), new("Failure rate", f => Pct(f.FailureRate)),
            new("p50 ms", f => Ms(f.P50Ms)), new("p95 ms", f => Ms(f.P95Ms)), new("p99 ms", f => Ms(f.P99Ms))],
        "divergence" => [new("Divergence events", f => N(f.Divergences)), new("Divergences counted", f => N(f.DivergenceCount))],
        _ => [new("Sessions", f => N(f.Sessions)), new("Crashes", f => N(f.Crashes)), new("Crash-free", f => Pct(f.CrashFree))],
    };

    /// <summary>Whether a step (or the totals) holds anything this dashboard counts.</summary>
    private static bool HasData(DashboardFigures f) =>
        (f.Operations ?? 0) + (f.Fallbacks ?? 0) + (f.Sends ?? 0) + (f.Divergences ?? 0) + (f.Sessions ?? 0) + (f.Crashes ?? 0) > 0;

    private static string Title(string dashboard) => dashboard switch
    {
        "mode-adoption" => "Mode adoption by tier",
        "fallback-rate" => "Fallback rate by workspace",
        "send-latency" => "Send latency and failure rate",
        "divergence" => "Projection divergence",
        _ => "Crash-free sessions",
    };

    /// <summary>The definition's thresholds that apply to a dashboard's rate, in percent: alert rules on its metric, and the stage exit criteria.</summary>
    private static List<(string Label, double Percent)> Thresholds(string dashboard, ProgramDefinition definition)
    {
        var (metric, stage) = dashboard switch
        {
            "fallback-rate" => ((AlertMetric?)AlertMetric.FallbackRate,
                new List<(string, double)> { ("stage exit: max fallback rate", (double)definition.Thresholds.MaxFallbackRate * 100) }
                    .Concat(definition.Thresholds.MinFallbackRate > 0 ? [("stage exit: min fallback rate", (double)definition.Thresholds.MinFallbackRate * 100)] : [])
                    .ToList()),
            "send-latency" => (AlertMetric.SendFailureRate, [("stage exit: max send error rate", (double)definition.Thresholds.MaxErrorRate * 100)]),
            _ => ((AlertMetric?)null, new List<(string, double)>()),
        };
        return [.. definition.Alerts.Where(r => r.Metric == metric).Select(r => ($"alert {r.Id} (> {r.Threshold * 100:0.##} %)", r.Threshold * 100)), .. stage];
    }

    private static string ChartSection(MetricsView view, ProgramDefinition definition, List<Alert> firings, List<ChartSpec> specs)
    {
        var d = view.Dashboard;
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<section class=\"chart\" data-dashboard=\"{E(d)}\"><h2>{E(Title(d))}</h2>");
        if (!HasData(view.Totals))
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"empty\" data-test=\"no-telemetry\">{NoTelemetry}</p></section>");
            return html.ToString();
        }
        var points = view.Points;
        var wide = view.To - view.From > TimeSpan.FromDays(1);
        var labels = points.Select(p => p.At.UtcDateTime.ToString(wide ? "MM-dd HH:mm" : "HH:mm", CultureInfo.InvariantCulture)).ToArray();
        double?[] Of(Func<DashboardFigures, double?> read) => [.. points.Select(p => read(p.Figures))];
        var series = new List<ChartSeries>();
        var (type, unit, unit2) = ("line", "%", (string?)null);
        AlertMetric? marked = null;
        switch (d)
        {
            case "mode-adoption":
                series.Add(new("secure share, all tiers", Of(f => P(f.SecureShare))));
                foreach (var t in view.Groups.Select(g => g.Key).Where(k => k is not null).Distinct(StringComparer.Ordinal))
                {
                    series.Add(new($"secure share, tier {t}", [.. points.Select(p => P(p.Groups?.FirstOrDefault(g => g.Key == t)?.Figures.SecureShare))]));
                }
                break;
            case "fallback-rate":
                series.Add(new("fallback rate", Of(f => P(f.FallbackRate))));
                marked = AlertMetric.FallbackRate;
                break;
            case "send-latency":
                (unit, unit2) = ("ms", "% failed");
                series.Add(new("p50", Of(f => f.P50Ms)));
                series.Add(new("p95", Of(f => f.P95Ms)));
                series.Add(new("p99", Of(f => f.P99Ms)));
                series.Add(new("failure rate", Of(f => P(f.FailureRate)), Axis: "y1"));
                marked = AlertMetric.SendFailureRate;
                break;
            case "divergence":
                (type, unit) = ("bar", "events");
                series.Add(new("divergence events", Of(f => f.Divergences)));
                series.Add(new("divergences counted", Of(f => f.DivergenceCount)));
                break;
            default:
                series.Add(new("crash-free", Of(f => P(f.CrashFree))));
                break;
        }
        var thresholdAxis = d == "send-latency" ? "y1" : "y";
        var thresholds = Thresholds(d, definition);
        foreach (var (label, percent) in thresholds)
        {
            series.Add(new(label, [.. points.Select(_ => (double?)percent)], "threshold", thresholdAxis));
        }
        var fired = marked is null ? [] : firings.Where(a => a.Metric == marked).ToList();
        if (fired.Count > 0)
        {
            var data = new double?[points.Count];
            foreach (var a in fired)
            {
                var i = points.Count(p => p.At <= a.FiredAt) - 1;
                if (i >= 0)
                {
                    data[i] = Math.Round(a.Value * 100, 4);
                }
            }
            series.Add(new("alert fired", data, "alerts", thresholdAxis));
        }
        specs.Add(new ChartSpec(d, type, unit, unit2, labels, series));

        html.Append(CultureInfo.InvariantCulture,
            $"<div class=\"chart-box\"><canvas id=\"chart-{E(d)}\" role=\"img\" aria-label=\"{E(Title(d))}: the table below has the figures\"></canvas></div>");
        var columns = Columns(d);
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"wide\"><table data-test=\"figures-{E(d)}\"><thead><tr><th>Step ({E(view.Step)}, UTC)</th>");
        foreach (var c in columns)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th>{E(c.Header)}</th>");
        }
        html.Append("</tr></thead><tbody>");
        void Row(string head, DashboardFigures f, string cls) =>
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"{cls}\"><th scope=\"row\">{E(head)}</th>{string.Concat(columns.Select(c => $"<td>{E(c.Read(f))}</td>"))}</tr>");
        Row("total", view.Totals, "total");
        foreach (var g in view.Groups)
        {
            Row(d == "mode-adoption" ? $"tier {g.Key ?? "unknown"}" : $"workspace {g.Key ?? "none"}", g.Figures, "group");
        }
        for (var i = 0; i < points.Count; i++)
        {
            if (HasData(points[i].Figures))
            {
                Row(labels[i], points[i].Figures, "step");
            }
        }
        html.Append("</tbody></table></div>");
        html.Append("<p class=\"note\">Steps without telemetry are left out of the table.");
        if (thresholds.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $" Thresholds: {E(string.Join("; ", thresholds.Select(t => $"{t.Label}: {t.Percent:0.##} %")))}.");
        }
        html.Append("</p>");
        if (fired.Count > 0)
        {
            html.Append("<ul class=\"firings\" data-test=\"firings\">");
            foreach (var a in fired)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{E(a.Rule)} fired at {Time(a.FiredAt)}: {a.Value * 100:0.##} % (threshold {a.Threshold * 100:0.##} %)</li>");
            }
            html.Append("</ul>");
        }
        return html.Append("</section>").ToString();
    }
}
