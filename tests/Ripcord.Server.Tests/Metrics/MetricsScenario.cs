using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Telemetry;
using Ripcord.Server.Tests.Telemetry;

namespace Ripcord.Server.Tests.Metrics;

/// <summary>
/// A known set of events, posted through the real ingest path, and the figures each dashboard must
/// show for them — worked out by hand, not by the code under test. The server's clock stands at
/// 09:00; the events are from 08:55 to 08:58, plus one from 08:45 that is beyond the 10-minute lateness.
/// </summary>
public static class MetricsScenario
{
    public const string From = "2030-01-01T08:50:00Z";
    public const string To = "2030-01-01T09:01:00Z";
    public static readonly DateTimeOffset At0855 = new(2030, 1, 1, 8, 55, 10, TimeSpan.Zero);
    public static readonly DateTimeOffset At0856 = new(2030, 1, 1, 8, 56, 20, TimeSpan.Zero);
    public static readonly DateTimeOffset At0858 = new(2030, 1, 1, 8, 58, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Late = new(2030, 1, 1, 8, 45, 0, TimeSpan.Zero);

    public static object Batch() => new
    {
        program = "groups",
        instance = "metrics-1",
        events = new object[]
        {
            // Operations: 4 secure (3 w1 tier 1, 1 w2 tier 0 cohort pilot), 1 baseline (w2 tier 2).
            new { type = "mode", at = At0855, tier = 1, workspaceId = "w1", transport = "secure" },
            new { type = "mode", at = At0855, tier = 1, workspaceId = "w1", transport = "secure" },
            new { type = "mode", at = At0855, tier = 1, workspaceId = "w1", transport = "secure" },
            new { type = "mode", at = At0856, tier = 2, workspaceId = "w2", transport = "baseline" },
            new { type = "mode", at = At0856, tier = 0, workspaceId = "w2", transport = "secure", cohort = "pilot" },
            // Fallbacks: w1 proceeds (not a fallback), w2 falls back once and is blocked once.
            new { type = "fallback", at = At0855, decision = "proceed", tier = 1, workspaceId = "w1" },
            new { type = "fallback", at = At0856, decision = "fallback-auto", tier = 2, workspaceId = "w2" },
            new { type = "fallback", at = At0858, decision = "blocked", tier = 2, workspaceId = "w2" },
            // Sends: 10, 20, 30, 40 ms ok; 100 ms failed; a timeout without a latency.
            new { type = "send", at = At0858, ackLatencyMs = 10, outcome = "ok", workspaceId = "w1", tier = 1 },
            new { type = "send", at = At0858, ackLatencyMs = 20, outcome = "ok", workspaceId = "w1", tier = 1 },
            new { type = "send", at = At0858, ackLatencyMs = 30, outcome = "ok", workspaceId = "w1", tier = 1 },
            new { type = "send", at = At0858, ackLatencyMs = 40, outcome = "ok", workspaceId = "w1", tier = 1 },
            new { type = "send", at = At0858, ackLatencyMs = 100, outcome = "failed", workspaceId = "w1", tier = 1 },
            new { type = "send", at = At0858, outcome = "timeout", workspaceId = "w1", tier = 1 },
            new { type = "divergence", at = At0856, projection = "members", count = 3, workspaceId = "w1" },
            new { type = "divergence", at = At0858, projection = "members", count = 4, workspaceId = "w2" },
            new { type = "session-start", at = At0855, state = "live" },
            new { type = "session-start", at = At0855, state = "live" },
            new { type = "session-start", at = At0856, state = "live" },
            new { type = "session-start", at = At0858, state = "live" },
            new { type = "session-crash", at = At0858, kind = "oom" },
            // 15 minutes old when it arrives: counted as late, in no figure.
            new { type = "mode", at = Late, tier = 1, workspaceId = "w1", transport = "secure" },
        },
    };

    public static async Task PostAsync(RipcordTestServer server)
    {
        var key = await server.TokenAsync("sdk");
        await server.PostTelemetryAsync(key, Batch()).ExpectAsync(HttpStatusCode.Accepted);
    }

    public static Task<JsonElement> DashboardAsync(RipcordTestServer server, string dashboard, string query = $"from={From}&to={To}") =>
        server.GetAsync($"/api/v1/programs/groups/metrics/{dashboard}?{query}");

    /// <summary>Every dashboard's totals for the scenario, and the figures the stage gates read.</summary>
    public static async Task AssertFiguresAsync(RipcordTestServer server)
    {
        var mode = await DashboardAsync(server, "mode-adoption");
        Assert.Equal(11, mode.GetProperty("points").GetArrayLength());
        Assert.Equal("minute", mode.GetProperty("step").GetString());
        var totals = mode.GetProperty("totals");
        Assert.Equal(5, totals.GetProperty("operations").GetInt64());
        Assert.Equal(4, totals.GetProperty("secure").GetInt64());
        Assert.Equal(1, totals.GetProperty("baseline").GetInt64());
        Assert.Equal(0.8, totals.GetProperty("secureShare").GetDouble(), 10);
        Assert.Equal(1, mode.GetProperty("late").GetInt64());
        var tiers = mode.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("key").GetString() ?? "none", g => g.GetProperty("figures"));
        Assert.Equal(["0", "1", "2"], tiers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, tiers["1"].GetProperty("secure").GetInt64());
        Assert.Equal(0, tiers["2"].GetProperty("secureShare").GetDouble());
        var at0855 = mode.GetProperty("points")[5];
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 8, 55, 0, TimeSpan.Zero), at0855.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(3, at0855.GetProperty("figures").GetProperty("operations").GetInt64());

        var fallback = await DashboardAsync(server, "fallback-rate");
        Assert.Equal(2, fallback.GetProperty("totals").GetProperty("fallbacks").GetInt64());
        Assert.Equal(0.4, fallback.GetProperty("totals").GetProperty("fallbackRate").GetDouble(), 10);
        var workspaces = fallback.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("key").GetString() ?? "", g => g.GetProperty("figures"));
        Assert.Equal(0, workspaces["w1"].GetProperty("fallbackRate").GetDouble());
        Assert.Equal(1, workspaces["w2"].GetProperty("fallbackRate").GetDouble());
        Assert.Equal(1, workspaces["w2"].GetProperty("blocked").GetInt64());

        var latency = (await DashboardAsync(server, "send-latency")).GetProperty("totals");
        Assert.Equal(6, latency.GetProperty("sends").GetInt64());
        Assert.Equal(2, latency.GetProperty("failures").GetInt64());
        Assert.Equal(1.0 / 3, latency.GetProperty("failureRate").GetDouble(), 10);
        AssertWithin(30, latency.GetProperty("p50Ms").GetDouble()); // nearest rank 3 of 10, 20, 30, 40, 100
        AssertWithin(100, latency.GetProperty("p95Ms").GetDouble());
        AssertWithin(100, latency.GetProperty("p99Ms").GetDouble());

        var divergence = (await DashboardAsync(server, "divergence")).GetProperty("totals");
        Assert.Equal(2, divergence.GetProperty("divergences").GetInt64());
        Assert.Equal(7, divergence.GetProperty("divergenceCount").GetInt64());

        var crashFree = await DashboardAsync(server, "crash-free");
        Assert.Equal(4, crashFree.GetProperty("totals").GetProperty("sessions").GetInt64());
        Assert.Equal(1, crashFree.GetProperty("totals").GetProperty("crashes").GetInt64());
        Assert.Equal(0.75, crashFree.GetProperty("totals").GetProperty("crashFree").GetDouble(), 10);
        Assert.Equal(0, crashFree.GetProperty("points")[8].GetProperty("figures").GetProperty("crashFree").GetDouble()); // 08:58: 1 session, 1 crash

        var figures = server.Services.GetRequiredService<ITelemetryFigures>();
        var window = await figures.WindowAsync("groups", null, DateTimeOffset.Parse(From, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(To, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((5L, 2L, 6L, 2L, 4L, 1L, 0L, (DateTimeOffset?)At0855),
            (window.Operations, window.Fallbacks, window.Sends, window.SendFailures, window.Sessions, window.Crashes, window.SecuritySignals, window.FirstEventAt));
        var pilot = await figures.WindowAsync("groups", "pilot", At0855.AddMinutes(-5), At0855.AddMinutes(5));
        Assert.Equal((1L, 0L), (pilot.Operations, pilot.Sends));
    }

    private static void AssertWithin(double exact, double estimate) =>
        Assert.True(Math.Abs(estimate - exact) <= 0.02 * exact, $"{estimate} is not within 2% of {exact}");
}
