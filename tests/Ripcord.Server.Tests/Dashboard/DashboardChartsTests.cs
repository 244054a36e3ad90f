using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ripcord.Server.Alerts;
using Ripcord.Server.Tests.Alerts;
using static Microsoft.Playwright.Assertions;
using static Ripcord.Server.Tests.Metrics.MetricsScenario;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The charts page: telemetry posted through the SDK's ingest endpoint (the scenario of MetricsApiTests, whose figures were
/// worked out by hand) drawn by Chart.js in Chromium, the same figures in each chart's table over HTTP, the scope selectors
/// narrowing the query, the definition's thresholds and an alert firing on the chart, and the empty state.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardChartsTests(DashboardBrowser browser) : IAsyncLifetime
{
    private const string Charts = "/ui/programs/groups/charts";
    private RipcordTestServer _server = null!;

    // A fake clock at 09:00: the scenario's events are from 08:55 to 08:58.
    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TheCharts_RenderTheTelemetry_InChromium_WithThresholds()
    {
        await PostAsync(_server);
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "val"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Charts" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Telemetry of groups" })).ToBeVisibleAsync();
        await Expect(page.Locator("canvas")).ToHaveCountAsync(5);

        // Chart.js built each chart from the JSON block: read its data back from the live chart objects.
        var json = await page.EvaluateAsync<string>("""
            () => JSON.stringify(Array.from(document.querySelectorAll("canvas")).map(c => {
              const chart = Chart.getChart(c);
              return { id: c.id, datasets: chart ? chart.data.datasets.map(d => ({ label: d.label, data: d.data })) : null };
            }))
            """);
        var charts = JsonDocument.Parse(json).RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("datasets"));
        Assert.Equal(["chart-crash-free", "chart-divergence", "chart-fallback-rate", "chart-mode-adoption", "chart-send-latency"], charts.Keys.Order(StringComparer.Ordinal));
        double? At(string chart, string label, int index)
        {
            var data = charts[chart].EnumerateArray().Single(d => d.GetProperty("label").GetString() == label).GetProperty("data")[index];
            return data.ValueKind == JsonValueKind.Null ? null : data.GetDouble();
        }
        // The default range is the hour before 09:00, by minute: 08:55 is point 55, 08:58 point 58.
        Assert.Equal(100, At("chart-mode-adoption", "secure share, tier 1", 55));
        Assert.Equal(0, At("chart-mode-adoption", "secure share, tier 2", 56));
        Assert.Null(At("chart-mode-adoption", "secure share, all tiers", 10)); // no operations then: no share
        Assert.Equal(7, At("chart-divergence", "divergences counted", 56) + At("chart-divergence", "divergences counted", 58));
        Assert.Equal(0, At("chart-crash-free", "crash-free", 58));
        Assert.InRange(At("chart-send-latency", "p50", 58)!.Value, 29.4, 30.6);
        Assert.Equal(100.0 / 3, At("chart-send-latency", "failure rate", 58)!.Value, 3);
        // Thresholds: dashed constants from the definition's alert rule and stage exit criteria.
        Assert.Equal(5, At("chart-send-latency", "alert send-failures (> 5 %)", 0));
        Assert.Equal(1, At("chart-send-latency", "stage exit: max send error rate", 59));
        Assert.Equal(5, At("chart-fallback-rate", "stage exit: max fallback rate", 30));
    }

    [Fact]
    public async Task TheTables_ShowTheFigures_AndTheSelectorsChangeTheQuery()
    {
        await PostAsync(_server);
        var http = await DashboardHttp.SignedInAsync(_server, await _server.CreateTokenAsync("viewer"));
        var html = await http.GetStringAsync(Charts);
        // p50 is the latency sketch's estimate of 30 ms (within 2 %, as MetricsApiTests hold it).
        Assert.Matches(new Regex("<th scope=\"row\">total</th><td>6</td><td>2</td><td>33.33 %</td><td>(29\\.[4-9]|30|30\\.[0-6])</td>"), Table(html, "send-latency"));
        Assert.Contains("<th scope=\"row\">total</th><td>5</td><td>4</td><td>1</td><td>80 %</td>", Table(html, "mode-adoption"), StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">tier 1</th><td>3</td><td>3</td><td>0</td><td>100 %</td>", Table(html, "mode-adoption"), StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">workspace w2</th><td>2</td><td>2</td><td>1</td><td>0</td><td>1</td><td>100 %</td>", Table(html, "fallback-rate"), StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">total</th><td>2</td><td>7</td>", Table(html, "divergence"), StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">total</th><td>4</td><td>1</td><td>75 %</td>", Table(html, "crash-free"), StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">08:58</th><td>1</td><td>1</td><td>0 %</td>", Table(html, "crash-free"), StringComparison.Ordinal);
        Assert.Contains("stage exit: max send error rate: 1 %", html, StringComparison.Ordinal);
        Assert.DoesNotContain("no telemetry in this range", html, StringComparison.Ordinal);

        // A workspace narrows every dashboard: w2 sent nothing, and its fallbacks are all of its operations.
        var w2 = await http.GetStringAsync(Charts + "?range=1h&workspace=w2");
        Assert.Contains("<th scope=\"row\">total</th><td>2</td><td>2</td>", Table(w2, "fallback-rate"), StringComparison.Ordinal);
        Assert.Matches(new Regex("data-dashboard=\"send-latency\"><h2>[^<]*</h2><p class=\"empty\" data-test=\"no-telemetry\">no telemetry in this range"), w2);
        var tier1 = await http.GetStringAsync(Charts + "?tier=1");
        Assert.Contains("<th scope=\"row\">total</th><td>3</td><td>3</td><td>0</td><td>100 %</td>", Table(tier1, "mode-adoption"), StringComparison.Ordinal);
        var pilot = await http.GetStringAsync(Charts + "?cohort=pilot");
        Assert.Contains("<th scope=\"row\">total</th><td>1</td><td>1</td><td>0</td><td>100 %</td>", Table(pilot, "mode-adoption"), StringComparison.Ordinal);
        // A week: hourly steps, the same totals.
        var week = await http.GetStringAsync(Charts + "?range=7d");
        Assert.Contains("Step (hour, UTC)", week, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">total</th><td>4</td><td>1</td><td>75 %</td>", Table(week, "crash-free"), StringComparison.Ordinal);
        // A bad scope is the service's message; markup in it stays text, and the JSON block cannot be closed early.
        var bad = await http.GetStringAsync(Charts + "?workspace=" + Uri.EscapeDataString("</script><b>x") + new string('w', 300));
        Assert.Contains("data-test=\"error\">workspace must be 1", bad, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>x", bad, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAlertFiring_IsMarkedOnItsChart()
    {
        await using var server = await AlertHarness.StartAsync(); // the alert loop off: the passes run at the instants chosen here
        var alerts = server.Services.GetRequiredService<AlertService>();
        // Half the sends fail (the rule: > 5 % over 5 min, sustained 10 min), held from 09:00 to 09:10:01, as AlertTests do.
        await server.PostSendsAsync(total: 10, failed: 5);
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.PassAsync();
        server.Clock.Advance(TimeSpan.FromSeconds(299));
        await server.PostSendsAsync(total: 10, failed: 5);
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.PassAsync();
        server.Clock.Advance(TimeSpan.FromSeconds(299));
        await server.PostSendsAsync(total: 10, failed: 5);
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.PassAsync();
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        var fired = Assert.Single(await alerts.ListAsync("groups", 10, CancellationToken.None), a => a.Rule == "send-failures");

        var http = await DashboardHttp.SignedInAsync(server, await server.CreateTokenAsync("viewer"));
        var html = await http.GetStringAsync(Charts);
        Assert.Contains($"send-failures fired at {Ui.DashboardViews.Time(fired.FiredAt)}: 50 %", html, StringComparison.Ordinal);
        var data = JsonDocument.Parse(Regex.Match(html, "<script type=\"application/json\" id=\"chart-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value);
        var latency = data.RootElement.EnumerateArray().Single(c => c.GetProperty("id").GetString() == "send-latency");
        var marks = latency.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "alerts").GetProperty("data");
        Assert.Equal([50.0], marks.EnumerateArray().Where(v => v.ValueKind != JsonValueKind.Null).Select(v => v.GetDouble()));
    }

    [Fact]
    public async Task WithoutTelemetry_EachChartSaysSo_AndTheAssetsAreServedCacheableAndNotSniffed()
    {
        var http = await DashboardHttp.SignedInAsync(_server, await _server.CreateTokenAsync("viewer"));
        var html = await http.GetStringAsync(Charts);
        Assert.Equal(5, Regex.Count(html, "no telemetry in this range — SDKs report it; see docs/telemetry.md"));
        Assert.DoesNotContain("<canvas", html, StringComparison.Ordinal);

        foreach (var (path, needle) in new[] { ("/ui/vendor/chart.umd.min.js", "Chart.js v4.6.1"), ("/ui/charts.js", "new Chart("), ("/ui/vendor/chart.js.LICENSE.md", "MIT") })
        {
            using var anonymous = new HttpClient { BaseAddress = _server.BaseAddress };
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Contains("max-age", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
            Assert.Contains(needle, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static string Table(string html, string dashboard) =>
        Regex.Match(html, $"<table data-test=\"figures-{dashboard}\">.*?</table>", RegexOptions.Singleline) is { Success: true } m
            ? m.Value : throw new InvalidOperationException($"no table for {dashboard}");
}
