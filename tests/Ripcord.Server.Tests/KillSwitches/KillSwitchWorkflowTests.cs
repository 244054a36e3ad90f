using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Storage;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.KillSwitches;

/// <summary>
/// The kill-switch workflow end to end on a real server (fake clock): declare → activate → verify
/// from SDK instances' reports → lift; requests and approvals; P1 governance; reviews; bad input.
/// </summary>
public sealed class KillSwitchWorkflowTests : IAsyncLifetime
{
    private readonly FailingStep _faults = new();
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync(configure: b => b.Services.AddSingleton<IWriteObserver>(_faults));
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });
        await _server.SetStageAsync(1);
    }

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private sealed class FailingStep : IWriteObserver
    {
        public WriteStep? FailAt { get; set; }

        public ValueTask OnStepAsync(WriteStep step, CancellationToken ct) =>
            step == FailAt ? throw new SqliteException("injected: disk I/O error", 10) : ValueTask.CompletedTask;
    }

    private async Task<JsonElement> IncidentAsync(string id) => (await _server.GetAsync($"{IncidentsPath}/{id}")).GetProperty("incident");

    private static string[] Kinds(JsonElement incident) =>
        [.. incident.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()!)];

    [Fact]
    [Invariant("KS-1", "a kill switch beats every override, applies only inside its scope, and lifting it restores the previous values exactly")]
    public async Task Activate_Verify_Lift_EndToEnd()
    {
        await _server.SetOverrideAsync("groups.send.enabled", "user:dana", true, _server.Time.GetUtcNow().AddHours(1)); // a diagnostic override the kill switch must beat
        var beforeAcme = await _server.EvaluateAsync("acme", "dana");
        var beforeOther = await _server.EvaluateAsync("initech");
        var sdk = await _server.CreateTokenAsync("sdk");
        await using var a = await FakeInstance.ConnectAsync(_server, sdk, "app-a");
        await using var b = await FakeInstance.ConnectAsync(_server, sdk, "app-b");
        var incident = await _server.DeclareAsync(affected: ["cohort:pilot"]);

        var (status, created) = await _server.ActivateAsync("KS3", "cohort:pilot", incident);
        Assert.Equal(HttpStatusCode.Created, status);
        var id = created.GetProperty("id").GetString()!;
        var revision = created.GetProperty("revision").GetInt64();
        Assert.Equal(revision, await _server.HeadAsync());

        var killed = await _server.EvaluateAsync("acme", "dana");
        Assert.False(killed["groups.send.enabled"].Value);
        Assert.Equal("kill-switch", killed["groups.send.enabled"].Reason);
        Assert.Equal(beforeOther.Flags.OrderBy(f => f.Key, StringComparer.Ordinal).ToList(), (await _server.EvaluateAsync("initech")).Flags.OrderBy(f => f.Key, StringComparer.Ordinal).ToList());

        Assert.Equal("pending", await _server.VerificationStatusAsync("KS3", id));
        await a.ReportAsync(revision);
        await b.ReportAsync(revision);
        Assert.Equal("verified", await _server.UntilDecidedAsync("KS3", id));
        var view = await _server.ActivationAsync("KS3", id);
        Assert.Equal(2, view.GetProperty("verification").GetProperty("applied").GetInt32());
        Assert.Equal(2, view.GetProperty("verification").GetProperty("total").GetInt32());
        Assert.True(view.GetProperty("timeToMitigateMs").GetDouble() >= 0);
        Assert.Equal(view.GetProperty("timeToMitigateMs").GetDouble(), view.GetProperty("verification").GetProperty("timeToMitigateMs").GetDouble());

        var after = await IncidentAsync(incident);
        Assert.Equal("mitigated", after.GetProperty("status").GetString());
        Assert.Equal(["declared", "applied", "review-opened", "verified"], Kinds(after));

        using (var lift = await _server.SendAsync(HttpMethod.Delete, $"/api/v1/programs/groups/kill-switches/KS3/activations/{id}", json: new { reason = "fixed" }))
        {
            Assert.Equal(HttpStatusCode.OK, lift.StatusCode);
        }
        Assert.Equal(beforeAcme.Flags.OrderBy(f => f.Key, StringComparer.Ordinal).ToList(), (await _server.EvaluateAsync("acme", "dana")).Flags.OrderBy(f => f.Key, StringComparer.Ordinal).ToList());
        Assert.Empty((await _server.GetAsync("/api/v1/programs/groups/kill-switches")).EnumerateArray());
        Assert.Contains("deactivated", Kinds(await IncidentAsync(incident)));
        var reviews = await _server.GetAsync($"/api/v1/reviews?incident={incident}");
        Assert.Equal(2, reviews.GetArrayLength()); // one for the activation, one for lifting it
    }

    [Fact]
    [Invariant("KS-2", "a verification that misses its deadline fails and names the stragglers; it never passes silently")]
    public async Task Verification_MissingItsDeadline_FailsNamingTheStragglers()
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        await using var fast = await FakeInstance.ConnectAsync(_server, sdk, "app-fast");
        await using var slow1 = await FakeInstance.ConnectAsync(_server, sdk, "app-slow-1");
        await using var slow2 = await FakeInstance.ConnectAsync(_server, sdk, "app-slow-2");
        var incident = await _server.DeclareAsync();
        var (_, created) = await _server.ActivateAsync("KS3", "global", incident, verifyWithinSeconds: 30);
        var id = created.GetProperty("id").GetString()!;
        await fast.ReportAsync(created.GetProperty("revision").GetInt64());

        _server.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("pending", await _server.VerificationStatusAsync("KS3", id));
        Assert.Equal("failed", await _server.UntilDecidedAsync("KS3", id, () => _server.Clock.Advance(TimeSpan.FromSeconds(1))));

        var v = (await _server.ActivationAsync("KS3", id)).GetProperty("verification");
        Assert.Equal(1, v.GetProperty("applied").GetInt32());
        Assert.Equal(["app-slow-1", "app-slow-2"], v.GetProperty("stragglers").EnumerateArray().Select(s => s.GetString()!));
        var incidentNow = await IncidentAsync(incident);
        Assert.Contains("verification-failed", Kinds(incidentNow));
        Assert.Equal("mitigating", incidentNow.GetProperty("status").GetString());
    }

    [Fact]
    [Invariant("KS-4", "an operation the kill switch disables, made in its scope under a revision that contains it, fails the verification")]
    public async Task ASendMadeUnderTheActivatedRevision_InScope_IsAViolation()
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        await using var app = await FakeInstance.ConnectAsync(_server, sdk, "app-leaky");
        var incident = await _server.DeclareAsync(affected: ["cohort:pilot"]);
        var (_, created) = await _server.ActivateAsync("KS3", "cohort:pilot", incident);
        var id = created.GetProperty("id").GetString()!;
        var revision = created.GetProperty("revision").GetInt64();

        await app.SendAsync(revision - 1, "acme");   // made before the switch: not a violation
        await app.SendAsync(revision, "initech");    // outside the scope: not a violation
        await app.ReportAsync(revision);
        Assert.Equal("verified", await _server.UntilDecidedAsync("KS3", id));

        await app.SendAsync(revision, "globex");     // inside the scope, under the switch: a violation
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await _server.VerificationStatusAsync("KS3", id) != "failed")
        {
            Assert.True(DateTime.UtcNow < deadline, "the violation did not fail the verification");
            await Task.Delay(20);
        }
        var violation = (await _server.ActivationAsync("KS3", id)).GetProperty("verification").GetProperty("violations").EnumerateArray().Single();
        Assert.Equal("send", violation.GetProperty("operation").GetString());
        Assert.Equal("globex", violation.GetProperty("workspace").GetString());
        await Eventually(async () => Kinds(await IncidentAsync(incident)).Contains("verification-failed"));
    }

    [Fact]
    public async Task TheRecommendation_AndAnAnnouncement_ComeFromTheDefinition()
    {
        var incident = await _server.DeclareAsync(affected: ["workspace:acme", "workspace:globex"]);
        var advice = await _server.GetAsync($"{IncidentsPath}/{incident}/recommendation");
        Assert.Equal("KS3", advice.GetProperty("level").GetString());
        Assert.Equal("cohort:pilot", advice.GetProperty("scope").GetString());
        Assert.NotEmpty(advice.GetProperty("reasoning").EnumerateArray());

        await _server.ActivateAsync("KS3", "cohort:pilot", incident);
        var sent = await _server.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/announcements", new { audience = "operator", locale = "fr" });
        Assert.Equal("fr", sent.GetProperty("locale").GetString());
        Assert.Contains("KS3", sent.GetProperty("text").GetString());
        Assert.Contains("announced", Kinds(await IncidentAsync(incident)));
        using var bad = await _server.SendAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/announcements", json: new { audience = "press" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    [Invariant("KS-5", "a verification pending when the server stops is watched again after it starts, until its deadline")]
    public async Task AVerificationPendingAcrossARestart_IsDecidedAfterIt()
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        var before = await FakeInstance.ConnectAsync(_server, sdk, "app-restart");
        var incident = await _server.DeclareAsync();
        var (_, created) = await _server.ActivateAsync("KS3", "global", incident, verifyWithinSeconds: 120);
        var id = created.GetProperty("id").GetString()!;
        await before.DisposeAsync();

        await _server.StopAsync();
        await _server.StartAgainAsync();
        Assert.Equal("pending", await _server.VerificationStatusAsync("KS3", id));
        await using var after = await FakeInstance.ConnectAsync(_server, sdk, "app-restart"); // the SDK reconnects and applies the head
        await after.ReportAsync(created.GetProperty("revision").GetInt64());
        Assert.Equal("verified", await _server.UntilDecidedAsync("KS3", id));
    }

    [Fact]
    public async Task AnInstanceThatDropsOffBeforeReporting_IsUnreachable_NeverCountedApplied_AndFailsAtTheDeadline()
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        await using var stays = await FakeInstance.ConnectAsync(_server, sdk, "app-stays");
        var gone = await FakeInstance.ConnectAsync(_server, sdk, "app-gone");
        var incident = await _server.DeclareAsync();
        var (_, created) = await _server.ActivateAsync("KS2", "global", incident, verifyWithinSeconds: 30);
        var id = created.GetProperty("id").GetString()!;
        await gone.DisposeAsync();
        await Eventually(async () => (await _server.GetAsync("/api/v1/programs/groups/clients")).GetProperty("clients").EnumerateArray()
            .Any(c => c.GetProperty("instance").GetString() == "app-gone" && !c.GetProperty("connected").GetBoolean()));
        await stays.ReportAsync(created.GetProperty("revision").GetInt64());

        Assert.Equal("pending", await _server.VerificationStatusAsync("KS2", id));
        Assert.Equal("failed", await _server.UntilDecidedAsync("KS2", id, () => _server.Clock.Advance(TimeSpan.FromSeconds(5))));
        var v = (await _server.ActivationAsync("KS2", id)).GetProperty("verification");
        Assert.Equal(1, v.GetProperty("applied").GetInt32());
        Assert.Equal(2, v.GetProperty("total").GetInt32());
        Assert.Empty(v.GetProperty("stragglers").EnumerateArray());
        Assert.Equal(["app-gone"], v.GetProperty("unreachable").EnumerateArray().Select(s => s.GetString()!));
    }

    [Fact]
    [Invariant("GV-1", "an ops lead's activation waits for approval by someone else; the approver activates it")]
    public async Task OpsLeadActivation_IsARequest_ThatAReleaseManagerApproves()
    {
        var opsLead = await _server.CreateTokenAsync("ops-lead", "olu");
        var releaseManager = await _server.CreateTokenAsync("release-manager", "rita");
        var incident = await _server.DeclareAsync(token: opsLead);
        var head = await _server.HeadAsync();

        var (status, requested) = await _server.ActivateAsync("KS3", "cohort:pilot", incident, token: opsLead);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(head, await _server.HeadAsync()); // nothing applied yet
        var request = requested.GetProperty("request").GetString()!;
        Assert.Equal("mitigating", (await IncidentAsync(incident)).GetProperty("status").GetString());

        using (var self = await _server.SendAsync(HttpMethod.Post, $"/api/v1/programs/groups/kill-switches/requests/{request}/approve", opsLead))
        {
            Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        }
        var approved = await _server.OkAsync(HttpMethod.Post, $"/api/v1/programs/groups/kill-switches/requests/{request}/approve", token: releaseManager);
        Assert.Equal(head + 1, approved.GetProperty("revision").GetInt64());
        var active = (await _server.GetAsync("/api/v1/programs/groups/kill-switches")).EnumerateArray().Single().GetProperty("activation");
        Assert.Equal("rita", active.GetProperty("activatedBy").GetString());
        Assert.Equal(request, active.GetProperty("requestId").GetString());
        using var again = await _server.SendAsync(HttpMethod.Post, $"/api/v1/programs/groups/kill-switches/requests/{request}/approve", releaseManager);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    [Invariant("GV-2", "a kill switch pulled for a P1 is lifted only by a security lead or an admin; a refusal is audited")]
    public async Task AP1KillSwitch_IsLiftedOnlyByASecurityLeadOrAdmin()
    {
        var incident = await _server.DeclareAsync("P1", "confidentiality-incident", ["workspace:acme"]);
        var (_, created) = await _server.ActivateAsync("KS1", "workspace:acme", incident);
        var path = $"/api/v1/programs/groups/kill-switches/KS1/activations/{created.GetProperty("id").GetString()}";
        var auditBefore = await _server.AuditHeadAsync();

        using (var refused = await _server.SendAsync(HttpMethod.Delete, path, await _server.TokenAsync("release-manager"), new { reason = "looks fine" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.Contains(await _server.AuditAfterAsync(auditBefore), e => e.GetProperty("outcome").GetString() == "denied");
        Assert.Single((await _server.GetAsync("/api/v1/programs/groups/kill-switches")).EnumerateArray());
        using var lifted = await _server.SendAsync(HttpMethod.Delete, path, await _server.TokenAsync("security-lead"), new { reason = "contained" });
        Assert.Equal(HttpStatusCode.OK, lifted.StatusCode);
    }

    [Fact]
    [Invariant("GV-3", "a post-action review is never completed by the actor it reviews")]
    public async Task AReview_IsCompletedBySomeoneOtherThanTheActor()
    {
        var rita = await _server.CreateTokenAsync("release-manager", "rita");
        var ritaAgain = await _server.CreateTokenAsync("release-manager", "rita"); // the same person with a second token
        var sam = await _server.CreateTokenAsync("security-lead", "sam");
        var incident = await _server.DeclareAsync();
        await _server.ActivateAsync("KS2", "global", incident, token: rita);
        var review = (await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray().Single().GetProperty("id").GetString()!;

        foreach (var token in new[] { rita, ritaAgain })
        {
            using var own = await _server.SendAsync(HttpMethod.Post, $"/api/v1/reviews/{review}/complete", token, new { findings = "all good" });
            Assert.Equal(HttpStatusCode.Conflict, own.StatusCode);
        }
        var done = await _server.OkAsync(HttpMethod.Post, $"/api/v1/reviews/{review}/complete", new { findings = "proportionate" }, token: sam);
        Assert.Equal("sam", done.GetProperty("completedBy").GetString());
        Assert.Empty((await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray());
        using var twice = await _server.SendAsync(HttpMethod.Post, $"/api/v1/reviews/{review}/complete", await _server.TokenAsync("admin"), new { findings = "again" });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
    }

    [Fact]
    [Invariant("GV-4", "every emergency action opens a post-action review: a change to the emergency flag too, and no other override does")]
    public async Task ChangingTheEmergencyFlag_OpensAReview_OtherOverridesDoNot()
    {
        await _server.SetOverrideAsync("F3", "workspace:acme", true);
        Assert.Empty((await _server.GetAsync("/api/v1/reviews")).EnumerateArray());
        var set = await _server.SetOverrideAsync("F5", "global", true);
        using (await _server.SendAsync(HttpMethod.Delete, $"/api/v1/programs/groups/overrides/{set.GetProperty("override").GetProperty("id").GetString()}"))
        {
        }
        var reviews = (await _server.GetAsync("/api/v1/reviews")).EnumerateArray().Select(r => r.GetProperty("summary").GetString()!).ToList();
        Assert.Equal(2, reviews.Count);
        Assert.All(reviews, r => Assert.Contains("emergency flag groups.emergency.disableAll", r, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("KS9", "global", "level")]
    [InlineData("KS3", "cohort:nobody", "scope")]
    [InlineData("KS3", "user:dana", "scope")]
    [InlineData("KS3", "galaxy", "scope")]
    public async Task BadActivations_Are400_AndChangeNothing(string level, string scope, string field)
    {
        var incident = await _server.DeclareAsync();
        var head = await _server.HeadAsync();
        var (status, problem) = await _server.ActivateAsync(level, scope, incident);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(head, await _server.HeadAsync());
        Assert.Equal(["declared"], Kinds(await IncidentAsync(incident)));
    }

    [Fact]
    public async Task AnActivation_ForAnIncidentThatDoesNotExist_Is404()
    {
        var head = await _server.HeadAsync();
        var (status, _) = await _server.ActivateAsync("KS3", "global", "inc_nope");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Theory]
    [InlineData("""{"class":"P9","severity":"high","trigger":"publish-ack-failures","summary":"x"}""")]
    [InlineData("""{"class":"P3","severity":"urgent","trigger":"publish-ack-failures","summary":"x"}""")]
    [InlineData("""{"class":"P3","severity":"high","trigger":"solar-flare","summary":"x"}""")]
    [InlineData("""{"class":"P3","severity":"high","trigger":"publish-ack-failures","summary":""}""")]
    [InlineData("""{"class":"P3","severity":"high","trigger":"publish-ack-failures","summary":"x","affected":["cohort:nobody"]}""")]
    [InlineData("""{"class":"P3","severity":"high","trigger":"publish-ack-failures","summary":"x","affected":["user:dana"]}""")]
    [InlineData("""{"class":"P3","severity":"high","trigger":"publish-ack-failures","summary":"x","summary":"y"}""")]
    public async Task BadDeclarations_Are400(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, IncidentsPath, RipcordTestServer.AdminToken, content));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty((await _server.GetAsync(IncidentsPath)).EnumerateArray());
    }

    [Fact]
    [Invariant("WP-2", "an activation the store cannot take fails loudly and leaves nothing: no revision, no record, no timeline entry, no review")]
    public async Task AnActivation_TheStoreCannotTake_Is503_AndLeavesNothing()
    {
        var incident = await _server.DeclareAsync();
        var head = await _server.HeadAsync();
        _faults.FailAt = WriteStep.AfterWorkflow;
        var (status, _) = await _server.ActivateAsync("KS3", "global", incident);
        _faults.FailAt = null;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(head, await _server.HeadAsync());
        Assert.Empty((await _server.GetAsync("/api/v1/programs/groups/kill-switches?all=true")).EnumerateArray());
        Assert.Empty((await _server.GetAsync("/api/v1/reviews")).EnumerateArray());
        Assert.Equal(["declared"], Kinds(await IncidentAsync(incident)));
        Assert.True((await _server.EvaluateAsync("acme"))["groups.send.enabled"].Value);
    }

    [Fact]
    [Invariant("KS-3", "activations racing on one program serialise: none is lost and revisions strictly increase")]
    public async Task ActivationsRacing_AllLand_OnConsecutiveRevisions()
    {
        var incident = await _server.DeclareAsync();
        var head = await _server.HeadAsync();
        var results = await Task.WhenAll(new[] { "KS1", "KS2", "KS3", "KS4" }.Select(l => _server.ActivateAsync(l, "global", incident)));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Equal(Enumerable.Range(1, 4).Select(i => head + i), results.Select(r => r.Body.GetProperty("revision").GetInt64()).Order());
        Assert.Equal(4, (await _server.GetAsync("/api/v1/programs/groups/kill-switches")).GetArrayLength());
    }

    [Fact]
    public async Task TheResponseClock_RunsAtRiskMissed_AndIsMetByTheFirstAction()
    {
        var p1 = await _server.DeclareAsync("P1", "confidentiality-incident");
        var p3 = await _server.DeclareAsync("P3");
        string ClockOf(JsonElement list, string id) =>
            list.EnumerateArray().Single(i => i.GetProperty("id").GetString() == id).GetProperty("responseClock").GetProperty("status").GetString()!;

        Assert.Equal("running", ClockOf(await _server.GetAsync(IncidentsPath), p1));
        _server.Clock.Advance(TimeSpan.FromMinutes(5));
        await _server.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{p3}/notes", new { text = "on it" });
        _server.Clock.Advance(TimeSpan.FromMinutes(7)); // 12 of 15 minutes
        Assert.Equal("at-risk", ClockOf(await _server.GetAsync(IncidentsPath), p1));
        _server.Clock.Advance(TimeSpan.FromMinutes(4));
        var list = await _server.GetAsync(IncidentsPath);
        Assert.Equal("missed", ClockOf(list, p1));
        Assert.Equal("met", ClockOf(list, p3));
    }

    [Fact]
    public async Task AnIncident_IsResolved_ThenClosed_OnlyWithEveryActionItemDone()
    {
        var incident = await _server.DeclareAsync();
        await _server.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/actions", new { text = "add a regression test", owner = "dana" });
        using (var early = await _server.SendAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/close"))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        }
        await _server.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/resolve", new { summary = "fixed" });
        using (var open = await _server.SendAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/close"))
        {
            Assert.Equal(HttpStatusCode.Conflict, open.StatusCode);
        }
        await _server.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/actions/a1/resolve");
        var closed = await _server.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/close");
        Assert.Equal("closed", closed.GetProperty("status").GetString());
        using var late = await _server.SendAsync(HttpMethod.Post, $"{IncidentsPath}/{incident}/notes", json: new { text = "late" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
