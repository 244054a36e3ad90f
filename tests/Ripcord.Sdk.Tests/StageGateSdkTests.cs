using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Server.Telemetry;

namespace Ripcord.Sdk.Tests;

/// <summary>
/// Issue 10, end to end: telemetry from the real SDK is what the stage gates measure. A fleet's SDK clients report
/// operations and sends; CI posts checks, the security lead signs off, and the release manager's advance from
/// stage 0 to 1 goes through on those figures and tags the evaluated revision known-safe.
/// </summary>
public sealed class StageGateSdkTests
{
    private const string Api = "api/v1/programs/groups";

    [Fact]
    public async Task TelemetryFromTheSdk_IsWhatTheExitCriteriaRead_AndTheAdvanceGoesThrough()
    {
        await using var server = await SdkTestServer.StartAsync();
        // The built-in program with a soak of a few seconds and a sample of 200 operations, and the drill criterion
        // waived (drills are recorded by a later release).
        var yaml = Ripcord.Server.RipcordServer.BuiltInGroupsYaml()
            .Replace("soakHours: 24", "soakHours: 0.001", StringComparison.Ordinal)
            .Replace("minOperations: 1000", "minOperations: 200", StringComparison.Ordinal)
            + "\ngates:\n  waive:\n    drills: \"drills are recorded by a later release\"\n";
        using (var applied = await server.Admin.PostAsync($"{Api}/definition", new StringContent(yaml, Encoding.UTF8, "application/yaml")))
        {
            Assert.True(applied.IsSuccessStatusCode, await applied.Content.ReadAsStringAsync());
        }
        var releaseManager = await server.CreateTokenAsync("release-manager", "rita");
        var ci = await server.CreateTokenAsync("operator", "ci");
        var security = await server.CreateTokenAsync("security-lead", "sam");

        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")));
        var context = new EvaluationContext("acme", "u1", 1);
        for (var i = 0; i < 250; i++)
        {
            client.RecordMode(context, Transport.Secure);
            client.RecordSend(context, Transport.Secure, TimeSpan.FromMilliseconds(20 + i % 30), SendOutcome.Ok);
        }
        var store = server.Services.GetRequiredService<ITelemetryStore>();
        await Eventually.TrueAsync(async () => await store.CountAsync("groups", "send") == 250 && await store.CountAsync("groups", "mode") == 250,
            "the SDK's 500 events stored");

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        async Task<JsonElement> Send(HttpMethod method, string path, string token, object body)
        {
            using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new("Bearer", token);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{method} {path}: {(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        foreach (var (kind, cohort) in new[] { ("quality", "pilot"), ("interop", "pilot"), ("interop", "pilot-secure") })
        {
            await Send(HttpMethod.Post, $"{Api}/checks", ci, new { kind, stage = "1", cohort, status = "passed", evidence = $"https://ci.example/{kind}", commit = "3f2a1b2c" });
        }
        foreach (var tier in new[] { 0, 1, 2 })
        {
            await Send(HttpMethod.Post, $"{Api}/signoffs", security, new { tier, stage = "1", reason = "threat model reviewed" });
        }
        await Send(HttpMethod.Put, $"{Api}/support-load", ci, new { ticketsPerDay = 2 });

        // Refused until the few seconds of soak have passed; then allowed.
        var verdict = await Send(HttpMethod.Post, $"{Api}/stage/advance", releaseManager, new { to = "1", dryRun = false });
        for (var waited = 0; !verdict.GetProperty("allowed").GetBoolean() && waited < 30; waited++)
        {
            Assert.Equal("soak-time", string.Join(",", verdict.GetProperty("failing").EnumerateArray().Select(f => f.GetString())));
            await Task.Delay(TimeSpan.FromSeconds(1));
            verdict = await Send(HttpMethod.Post, $"{Api}/stage/advance", releaseManager, new { to = "1", dryRun = false });
        }
        Assert.True(verdict.GetProperty("allowed").GetBoolean(), verdict.GetRawText());

        var criteria = verdict.GetProperty("criteria").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.All(criteria.Values, c => Assert.True(c.GetProperty("passed").GetBoolean(), c.GetRawText()));
        // The figures are the SDK's events: 250 operations, no fallback, 250 sends, none failed.
        Assert.Contains("0 of 250 sends failed", criteria["error-rate"].GetProperty("figure").GetString(), StringComparison.Ordinal);
        Assert.Equal("250 operations", criteria["sample-size"].GetProperty("figure").GetString());
        Assert.Equal("1", (await server.Admin.GetFromJsonAsync<JsonElement>($"{Api}/stage")).GetProperty("stage").GetString());
        var knownSafe = await server.Admin.GetFromJsonAsync<JsonElement>($"{Api}/revisions/known-safe/latest");
        Assert.Equal(verdict.GetProperty("knownSafe").GetInt64(), knownSafe.GetProperty("revision").GetInt64());
    }
}
