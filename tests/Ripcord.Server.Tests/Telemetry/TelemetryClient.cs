using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Telemetry;

namespace Ripcord.Server.Tests.Telemetry;

/// <summary>What the telemetry tests do against a real server: post raw batches as an SDK key, read what was stored.</summary>
public static class TelemetryClient
{
    public static async Task<HttpResponseMessage> PostTelemetryAsync(this RipcordTestServer server, string key, string rawJson) =>
        await server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/telemetry", key,
            new StringContent(rawJson, Encoding.UTF8, "application/json")));

    public static Task<HttpResponseMessage> PostTelemetryAsync(this RipcordTestServer server, string key, object batch) =>
        server.PostTelemetryAsync(key, JsonSerializer.Serialize(batch, JsonSerializerOptions.Web));

    /// <summary>A batch of <paramref name="count"/> send events from <paramref name="instance"/>.</summary>
    public static object Sends(RipcordTestServer server, string instance, int count) => new
    {
        program = "groups",
        instance,
        events = Enumerable.Range(0, count).Select(i => new
        {
            type = "send", at = server.Time.GetUtcNow(), ackLatencyMs = i, outcome = "ok", transport = "secure", workspaceId = "w1", tier = 1,
        }),
    };

    public static object Heartbeat(RipcordTestServer server, string instance, object revision) => new
    {
        program = "groups",
        instance,
        events = new[] { new { type = "revision-heartbeat", at = server.Time.GetUtcNow(), revision, state = "live" } },
    };

    public static async Task<JsonElement> ExpectAsync(this Task<HttpResponseMessage> sending, HttpStatusCode status)
    {
        using var response = await sending;
        if (status == HttpStatusCode.Accepted)
        {
            Assert.True(response.StatusCode == status, $"expected 202, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return default;
        }
        return await ApiAssert.ProblemAsync(response, status);
    }

    public static Task<long> StoredAsync(this RipcordTestServer server) =>
        server.Services.GetRequiredService<ITelemetryStore>().CountAsync("groups");

    public static async Task<long> RejectedAsync(this RipcordTestServer server, string code)
    {
        var stats = await server.GetAsync("/api/v1/telemetry/stats");
        return stats.GetProperty("rejectedBy").TryGetProperty(code, out var n) ? n.GetInt64() : 0;
    }
}
