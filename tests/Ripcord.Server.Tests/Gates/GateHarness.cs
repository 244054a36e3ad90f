using System.Net;
using System.Text.Json;
using Ripcord.Server.Tests.Telemetry;

namespace Ripcord.Server.Tests.Gates;

/// <summary>What the gate tests do against a real server: post telemetry as an SDK would, post checks and sign-offs, ask to advance.</summary>
public static class GateHarness
{
    public const string Api = "/api/v1/programs/groups";

    /// <summary>The built-in groups definition, with the drill criterion waived (drills cannot be recorded yet).</summary>
    public static string GroupsWithDrillsWaived() =>
        Ripcord.Server.RipcordServer.BuiltInGroupsYaml() + "\ngates:\n  waive:\n    drills: \"drills are recorded by a later release\"\n";

    /// <summary>Posts <paramref name="count"/> events of one shape, at the server's now, in batches of 500 (the batch limit).</summary>
    public static async Task PostEventsAsync(this RipcordTestServer server, string sdkKey, int count, Func<DateTimeOffset, object> make)
    {
        for (var sent = 0; sent < count; sent += 500)
        {
            var batch = new
            {
                program = "groups",
                instance = "gate-test",
                events = Enumerable.Range(0, Math.Min(500, count - sent)).Select(_ => make(server.Time.GetUtcNow())).ToArray(),
            };
            await server.PostTelemetryAsync(sdkKey, batch).ExpectAsync(HttpStatusCode.Accepted);
        }
    }

    public static object Mode(DateTimeOffset at) => new { type = "mode", at, tier = 1, workspaceId = "acme", transport = "secure" };

    public static object Send(DateTimeOffset at, string outcome) => new { type = "send", at, ackLatencyMs = 12, outcome, transport = "secure", workspaceId = "acme", tier = 1 };

    public static object Fallback(DateTimeOffset at) => new { type = "fallback", at, decision = "fallback-auto", reasonCode = "relay-down", tier = 0, transport = "baseline" };

    public static Task<HttpResponseMessage> AdvanceAsync(this RipcordTestServer server, string token, object to, bool dryRun) =>
        server.SendAsync(HttpMethod.Post, $"{Api}/stage/advance", token, new { to, dryRun });

    public static async Task<JsonElement> PostCheckAsync(this RipcordTestServer server, string token, string kind, string cohort, string status = "passed") =>
        await server.OkAsync(HttpMethod.Post, $"{Api}/checks",
            new { kind, stage = "1", cohort, status, evidence = $"https://ci.example/{kind}/{cohort}", commit = "3f2a1b2c" }, token: token);

    public static Dictionary<string, JsonElement> ByName(JsonElement criteria) =>
        criteria.EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c, StringComparer.Ordinal);

    /// <summary>What a bad request must leave untouched: head, audit, and every gate list.</summary>
    public static async Task<string> GateStateAsync(this RipcordTestServer server) => string.Join("\n",
        await server.HeadAsync(), await server.AuditHeadAsync(),
        (await server.GetAsync($"{Api}/checks")).GetRawText(), (await server.GetAsync($"{Api}/signoffs")).GetRawText(),
        (await server.GetAsync($"{Api}/support-load")).GetRawText(), (await server.GetAsync($"{Api}/revisions/known-safe")).GetRawText(),
        (await server.GetAsync($"{Api}/stage")).GetRawText());
}
