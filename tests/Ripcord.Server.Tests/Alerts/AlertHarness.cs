using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Alerts;
using Ripcord.Server.Tests.Telemetry;

namespace Ripcord.Server.Tests.Alerts;

/// <summary>What the alert tests do against a real server: post real telemetry as an SDK, run evaluation passes on the fake clock, read alerts.</summary>
public static class AlertHarness
{
    public const string AlertsPath = "/api/v1/programs/groups/alerts";

    /// <summary>A server whose alert loop is off: each test runs the passes itself, at the instants it chooses.</summary>
    public static Task<RipcordTestServer> StartAsync(string? postgres = null) =>
        RipcordTestServer.StartAsync(postgres, customize: o => o with { AlertInterval = TimeSpan.Zero });

    /// <summary>Sends at the clock's now: <paramref name="failed"/> of <paramref name="total"/> fail.</summary>
    public static async Task PostSendsAsync(this RipcordTestServer server, int total, int failed)
    {
        var now = server.Clock.GetUtcNow();
        await server.PostTelemetryAsync(await server.TokenAsync("sdk"), new
        {
            program = "groups",
            instance = "alerts-1",
            events = Enumerable.Range(0, total).Select(i => new
            {
                type = "send", at = now, ackLatencyMs = 10, outcome = i < failed ? "failed" : "ok", transport = "secure", workspaceId = "w1", tier = 1,
            }),
        }).ExpectAsync(HttpStatusCode.Accepted);
    }

    public static async Task PostSecuritySignalAsync(this RipcordTestServer server)
    {
        var now = server.Clock.GetUtcNow();
        await server.PostTelemetryAsync(await server.TokenAsync("sdk"), new
        {
            program = "groups",
            instance = "alerts-1",
            events = new[] { new { type = "security-signal", at = now, kind = "confidentiality-risk", severity = "critical", workspaceId = "w1" } },
        }).ExpectAsync(HttpStatusCode.Accepted);
    }

    /// <summary>One evaluation pass at the clock's now.</summary>
    public static Task PassAsync(this RipcordTestServer server) =>
        server.Services.GetRequiredService<AlertService>().EvaluateAsync(CancellationToken.None);

    public static async Task<List<JsonElement>> AlertsAsync(this RipcordTestServer server, string token = RipcordTestServer.AdminToken) =>
        [.. (await server.GetAsync(AlertsPath, token)).EnumerateArray()];

    public static async Task<List<JsonElement>> AlertsOfAsync(this RipcordTestServer server, string rule) =>
        [.. (await server.AlertsAsync()).Where(a => a.GetProperty("rule").GetString() == rule)];
}
