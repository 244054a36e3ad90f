using System.Net;
using System.Text.Json;
using Ripcord.Server.Tests.Webhooks;

namespace Ripcord.Server.Tests.Alerts;

/// <summary>
/// The default alert rules of <c>groups</c> on a real server with the fake clock: real telemetry posted
/// through the ingest API, evaluation passes run at chosen instants, alerts read and acknowledged over
/// the API, webhooks received by a real local receiver.
/// </summary>
public sealed class AlertTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _server = await AlertHarness.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private void Advance(TimeSpan by) => _server.Clock.Advance(by);

    private static bool Absent(JsonElement e, string property) => !e.TryGetProperty(property, out var v) || v.ValueKind == JsonValueKind.Null;

    private async Task<List<string>> ReceivedAsync(Func<List<string>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var events = _receiver.Requests.Select(r => r.Event!).ToList();
            if (done(events))
            {
                return events;
            }
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for webhooks; got {string.Join(", ", events)}");
            await Task.Delay(25);
        }
    }

    [Fact]
    [Invariant("AL-1", "an alert never fires before its breach has held for the sustain duration")]
    [Invariant("AL-2", "an alert fires at most once per breach: while the breach holds, the same alert stays open")]
    [Invariant("AL-3", "a firing alert resolves only on a clean observation a whole window after its last breach")]
    public async Task Sustained_send_failures_fire_once_after_the_sustain_then_resolve_after_a_clean_window_with_one_webhook_each()
    {
        await _server.OkAsync(HttpMethod.Post, "/api/v1/webhooks", new { url = _receiver.Url, events = new[] { "alert.*" }, program = "groups" });

        // 09:00 — half the sends fail: the breach starts (send-failures: > 5% over 5m, sustained 10m).
        await _server.PostSendsAsync(total: 10, failed: 5);
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        Assert.Empty(await _server.AlertsAsync());

        // 09:05 — still failing, 5 minutes held.
        Advance(TimeSpan.FromSeconds(299));
        await _server.PostSendsAsync(total: 10, failed: 5);
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        Assert.Empty(await _server.AlertsAsync());

        // 09:10:00 — still failing, one second short of the sustain: nothing yet.
        Advance(TimeSpan.FromSeconds(299));
        await _server.PostSendsAsync(total: 10, failed: 5);
        await _server.PassAsync();
        Assert.Empty(await _server.AlertsAsync());

        // 09:10:01 — held for 10 minutes: it fires.
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        var firing = Assert.Single(await _server.AlertsAsync());
        Assert.Equal(("send-failures", "firing", "high"), (firing.GetProperty("rule").GetString(), firing.GetProperty("status").GetString(),
            firing.GetProperty("severity").GetString()));
        Assert.Equal(0.5, firing.GetProperty("value").GetDouble(), 6);
        Assert.True(Absent(firing, "incidentId")); // high, not critical: no suggested incident
        var id = firing.GetProperty("id").GetString();

        // 09:11 — the breach holds: the same alert, no second firing.
        Advance(TimeSpan.FromMinutes(1));
        await _server.PostSendsAsync(total: 4, failed: 4);
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        var still = Assert.Single(await _server.AlertsAsync());
        // Over 09:07–09:11: the 09:10 batch (5 of 10 failed) and the 09:11 one (4 of 4).
        Assert.Equal(id, still.GetProperty("id").GetString());
        Assert.Equal(9.0 / 14, still.GetProperty("lastValue").GetDouble(), 6);

        // 09:16:01 — the window is clean, but not yet a whole window after the last breach (09:11:02).
        Advance(TimeSpan.FromSeconds(299));
        await _server.PassAsync();
        Assert.Equal("firing", Assert.Single(await _server.AlertsAsync()).GetProperty("status").GetString());

        // 09:16:03 — a clean window: resolved by itself.
        Advance(TimeSpan.FromSeconds(2));
        await _server.PassAsync();
        var resolved = Assert.Single(await _server.AlertsAsync());
        Assert.Equal((id, "resolved"), (resolved.GetProperty("id").GetString(), resolved.GetProperty("status").GetString()));

        var events = await ReceivedAsync(e => e.Count >= 2);
        Assert.Equal(["alert.firing", "alert.resolved"], events);
        var body = ApiAssert.Parse(_receiver.Requests.First().Body).GetProperty("data");
        Assert.Equal((id, "send-failures"), (body.GetProperty("alert").GetString(), body.GetProperty("rule").GetString()));

        var audit = (await _server.GetAsync("/api/v1/audit?limit=1000")).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(1, audit.Count(a => a == "alert.fire"));
        Assert.Equal(1, audit.Count(a => a == "alert.resolve"));
    }

    [Fact]
    public async Task A_breach_after_resolution_is_a_new_alert()
    {
        await _server.PostSecuritySignalAsync();
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        Advance(TimeSpan.FromMinutes(6));
        await _server.PassAsync();
        await _server.PostSecuritySignalAsync();
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        var alerts = await _server.AlertsOfAsync("confidentiality-risk");
        Assert.Equal(["firing", "resolved"], alerts.Select(a => a.GetProperty("status").GetString()));
        Assert.NotEqual(alerts[0].GetProperty("id").GetString(), alerts[1].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_critical_alert_suggests_an_incident_with_the_recommenders_level_and_activates_nothing_by_default()
    {
        var head = await _server.HeadAsync();
        await _server.PostSecuritySignalAsync();
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();

        var alert = Assert.Single(await _server.AlertsAsync());
        Assert.Equal(("confidentiality-risk", "critical"), (alert.GetProperty("rule").GetString(), alert.GetProperty("severity").GetString()));
        var incidentId = alert.GetProperty("incidentId").GetString()!;
        var incident = (await _server.GetAsync($"/api/v1/programs/groups/incidents/{incidentId}")).GetProperty("incident");
        Assert.Equal((alert.GetProperty("id").GetString(), "P1", "critical", "confidentiality-incident", "declared", "ripcord"),
            (incident.GetProperty("suggestedByAlert").GetString(), incident.GetProperty("class").GetString(), incident.GetProperty("severity").GetString(),
                incident.GetProperty("trigger").GetString(), incident.GetProperty("status").GetString(), incident.GetProperty("declaredBy").GetString()));

        var recommendation = await _server.GetAsync($"/api/v1/programs/groups/incidents/{incidentId}/recommendation");
        Assert.Equal("KS1", recommendation.GetProperty("level").GetString());
        Assert.Equal((recommendation.GetProperty("level").GetString(), recommendation.GetProperty("scope").GetString()),
            (alert.GetProperty("recommendedLevel").GetString(), alert.GetProperty("recommendedScope").GetString()));

        // autoActivate is off: no kill switch, no new revision.
        Assert.True(Absent(alert, "activationId"));
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Fact]
    public async Task A_rule_that_opts_in_activates_the_recommended_kill_switch_as_the_automation_actor_with_a_review()
    {
        var yaml = RipcordServer.BuiltInGroupsYaml().Replace("    trigger: confidentiality-incident\n", "    trigger: confidentiality-incident\n    autoActivate: true\n",
            StringComparison.Ordinal);
        using (var applied = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/programs/groups/definition",
            RipcordTestServer.AdminToken, RipcordTestServer.Yaml(yaml))))
        {
            Assert.True(applied.IsSuccessStatusCode, await applied.Content.ReadAsStringAsync());
        }
        var head = await _server.HeadAsync();
        await _server.PostSecuritySignalAsync();
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();

        var alert = Assert.Single(await _server.AlertsAsync());
        var activation = alert.GetProperty("activationId").GetString()!;
        Assert.Equal(head + 1, await _server.HeadAsync());
        var view = await _server.GetAsync($"/api/v1/programs/groups/kill-switches/KS1/activations/{activation}");
        Assert.Equal("ripcord", view.GetProperty("activation").GetProperty("activatedBy").GetString());
        var review = Assert.Single((await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray(),
            r => r.GetProperty("target").GetString()!.EndsWith(activation, StringComparison.Ordinal));
        Assert.Equal(alert.GetProperty("incidentId").GetString(), review.GetProperty("incidentId").GetString());
    }

    [Fact]
    public async Task An_emergency_action_refused_by_the_role_matrix_fires_the_critical_admin_alert()
    {
        var viewer = await _server.CreateTokenAsync("viewer");
        using (var refused = await _server.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/kill-switches/KS3/activations", viewer,
            new { scope = "global", incident = "inc_x", reason = "let me" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        var alert = Assert.Single(await _server.AlertsAsync());
        Assert.Equal(("emergency-outside-roles", "critical", 1.0), (alert.GetProperty("rule").GetString(), alert.GetProperty("severity").GetString(),
            alert.GetProperty("value").GetDouble()));
        Assert.Empty(await _server.AlertsOfAsync("admin-denials")); // one refusal is not over the rate
    }

    [Fact]
    public async Task An_operator_acknowledges_a_firing_alert_once_with_a_reason()
    {
        await _server.PostSecuritySignalAsync();
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        var id = Assert.Single(await _server.AlertsAsync()).GetProperty("id").GetString();
        var operatorToken = await _server.CreateTokenAsync("operator", "olga");

        var acked = await _server.OkAsync(HttpMethod.Post, $"{AlertHarness.AlertsPath}/{id}/ack", new { reason = "looking into it" }, token: operatorToken);
        Assert.Equal(("olga", "looking into it"), (acked.GetProperty("acknowledgedBy").GetString(), acked.GetProperty("acknowledgeReason").GetString()));
        Assert.Equal("firing", acked.GetProperty("status").GetString());
        var listed = Assert.Single(await _server.AlertsAsync(await _server.CreateTokenAsync("viewer")));
        Assert.Equal("olga", listed.GetProperty("acknowledgedBy").GetString());

        // A later pass keeps the acknowledgement.
        Advance(TimeSpan.FromSeconds(30));
        await _server.PassAsync();
        Assert.Equal("olga", Assert.Single(await _server.AlertsAsync()).GetProperty("acknowledgedBy").GetString());

        using var again = await _server.SendAsync(HttpMethod.Post, $"{AlertHarness.AlertsPath}/{id}/ack", operatorToken, new { reason = "again" });
        await ApiAssert.ProblemAsync(again, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Bad_acknowledgements_are_problems_and_change_nothing()
    {
        await _server.PostSecuritySignalAsync();
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        var before = JsonSerializer.Serialize(await _server.AlertsAsync());
        var id = Assert.Single(await _server.AlertsAsync()).GetProperty("id").GetString();
        var auditHead = await _server.AuditHeadAsync();

        using (var unknown = await _server.SendAsync(HttpMethod.Post, $"{AlertHarness.AlertsPath}/al_nope/ack", json: new { reason = "x" }))
        {
            await ApiAssert.ProblemAsync(unknown, HttpStatusCode.NotFound);
        }
        using (var blank = await _server.SendAsync(HttpMethod.Post, $"{AlertHarness.AlertsPath}/{id}/ack", json: new { reason = "  " }))
        {
            await ApiAssert.ProblemAsync(blank, HttpStatusCode.BadRequest);
        }
        using (var noBody = await _server.SendAsync(HttpMethod.Post, $"{AlertHarness.AlertsPath}/{id}/ack"))
        {
            await ApiAssert.ProblemAsync(noBody, HttpStatusCode.BadRequest);
        }
        using (var otherProgram = await _server.SendAsync(HttpMethod.Post, $"/api/v1/programs/nope/alerts/{id}/ack", json: new { reason = "x" }))
        {
            await ApiAssert.ProblemAsync(otherProgram, HttpStatusCode.NotFound);
        }
        Assert.Equal(before, JsonSerializer.Serialize(await _server.AlertsAsync()));
        Assert.Equal(auditHead, await _server.AuditHeadAsync());
    }

    [Fact]
    public async Task A_firing_alert_whose_rule_leaves_the_definition_resolves()
    {
        await _server.PostSecuritySignalAsync();
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        Assert.Equal("firing", Assert.Single(await _server.AlertsAsync()).GetProperty("status").GetString());

        var yaml = RipcordServer.BuiltInGroupsYaml();
        var start = yaml.IndexOf("  - id: confidentiality-risk", StringComparison.Ordinal);
        yaml = yaml.Remove(start, yaml.IndexOf("  - id: admin-denials", StringComparison.Ordinal) - start);
        using (var applied = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/programs/groups/definition",
            RipcordTestServer.AdminToken, RipcordTestServer.Yaml(yaml))))
        {
            Assert.True(applied.IsSuccessStatusCode, await applied.Content.ReadAsStringAsync());
        }
        Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        Assert.Equal("resolved", Assert.Single(await _server.AlertsAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_definition_with_bad_alert_rules_is_refused_and_changes_nothing()
    {
        var head = await _server.HeadAsync();
        var yaml = RipcordServer.BuiltInGroupsYaml().Replace("    metric: auditDenials\n", "    metric: auditDenialz\n", StringComparison.Ordinal)
            .Replace("    threshold: 0.05\n", "    threshold: 5\n", StringComparison.Ordinal);
        using var response = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/programs/groups/definition",
            RipcordTestServer.AdminToken, RipcordTestServer.Yaml(yaml)));
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var text = problem.GetRawText();
        Assert.Contains("alerts[1].metric", text, StringComparison.Ordinal);
        Assert.Contains("alerts[3].threshold", text, StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());
    }
}

/// <summary>The alert loop itself: with the default interval, advancing the fake clock past it runs a pass.</summary>
public sealed class AlertLoopTests
{
    [Fact]
    public async Task The_background_service_evaluates_when_the_interval_passes_on_the_injected_clock()
    {
        await using var server = await RipcordTestServer.StartAsync();
        await server.PostSecuritySignalAsync();
        server.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(await server.AlertsAsync());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        while ((await server.AlertsAsync()).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no alert after the interval passed on the fake clock");
            await Task.Delay(25);
        }
        Assert.Equal("confidentiality-risk", Assert.Single(await server.AlertsAsync()).GetProperty("rule").GetString());
    }
}
