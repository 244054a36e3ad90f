using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Rollback;
using Ripcord.Server.Tests.KillSwitches;

namespace Ripcord.Server.Tests.Rollback;

/// <summary>
/// Forward fix (seed §14) against a real server: open for an incident, temporary mitigations with an expiry, the patch for one
/// cohort only, checks re-run for that cohort, two sign-offs by two people, then the resume that lifts the rollback's stage
/// lock and freeze and removes the mitigations marked no longer needed; a refusal lists every missing criterion and changes nothing.
/// </summary>
public sealed class ForwardFixTests
{
    private const string Api = "/api/v1/programs/groups";

    private static async Task<JsonElement> TimelineAsync(RipcordTestServer server, string incident) =>
        (await server.GetAsync($"{Api}/incidents/{incident}")).GetProperty("incident").GetProperty("timeline");

    private static int Count(JsonElement timeline, string kind) => timeline.EnumerateArray().Count(e => e.GetProperty("kind").GetString() == kind);

    private static string[] Missing(JsonElement problem) => [.. problem.GetProperty("missing").EnumerateArray().Select(m => m.GetString()!)];

    private static Task<JsonElement> CheckAsync(RipcordTestServer server, string kind, string cohort, string status) =>
        server.OkAsync(HttpMethod.Post, $"{Api}/checks", new { kind, stage = 1, cohort, status, evidence = "https://ci.example/run/1" });

    private static async Task<string[]> RefusedAsync(RipcordTestServer server, string fix, string token, object body)
    {
        using var response = await server.SendAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/resume", token, body);
        return Missing(await ApiAssert.ProblemAsync(response, HttpStatusCode.UnprocessableEntity));
    }

    /// <summary>An incident with a finished rollback (its stage lock and freeze in place), run by a release manager.</summary>
    private static async Task<string> RolledBackAsync(RipcordTestServer server, string releaseManager)
    {
        await server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });
        var incident = await server.DeclareAsync();
        var run = await server.OkAsync(HttpMethod.Post, $"{Api}/rollbacks", new { incident, to = 1, reason = "acks failing" }, token: releaseManager);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.True((await server.GetAsync($"{Api}/stage-lock")).GetProperty("locked").GetBoolean());
        Assert.False((await server.GetAsync("/api/v1/freezes/active?program=groups")).GetProperty("deploysMayProceed").GetBoolean());
        return incident;
    }

    [Fact]
    [Invariant("FF-1", "a forward fix resumes the rollout only with passing quality and interop checks for its patch's cohort posted since it opened and both sign-offs by two people; the resume lifts the stage lock and the incident's freezes and removes exactly the mitigations released")]
    public async Task AForwardFix_EndToEnd_ResumesOnlyWhenChecksPassAndTwoPeopleSignedOff_ThenLiftsLockAndFreeze_AndReleasesMitigations()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var rm = await server.CreateTokenAsync("release-manager", "rita");
        var sl = await server.CreateTokenAsync("security-lead", "sam");
        var operatorToken = await server.CreateTokenAsync("operator", "olga");
        var incident = await RolledBackAsync(server, rm);
        await CheckAsync(server, "quality", "pilot", "passed"); // before the fix opened: does not count
        server.Clock.Advance(TimeSpan.FromSeconds(1));

        var opened = await server.OkAsync(HttpMethod.Post, $"{Api}/fixes", new { incident, reason = "patch the ack retry" }, token: rm);
        var fix = opened.GetProperty("fix").GetProperty("id").GetString()!;
        Assert.Equal("open", opened.GetProperty("fix").GetProperty("status").GetString());
        Assert.False(opened.GetProperty("readiness").GetProperty("allowed").GetBoolean());

        // Temporary mitigations: a new override with an expiry, and an existing one with an expiry.
        var expires = server.Clock.GetUtcNow().AddHours(6);
        var made = await server.OkAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/mitigations",
            new { flag = "F3", scope = "workspace:w-1", value = false, expiresAt = expires, reason = "keep w-1 off the broken path" }, token: rm);
        var released = made.GetProperty("fix").GetProperty("mitigations")[0].GetProperty("overrideId").GetString()!;
        var kept = (await server.SetOverrideAsync("F4", "workspace:acme", false, expires)).GetProperty("override").GetProperty("id").GetString()!;
        await server.OkAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/mitigations", new { @override = kept }, token: sl);
        Assert.Contains((await server.GetAsync($"{Api}/overrides")).EnumerateArray(), o => o.GetProperty("id").GetString() == released);

        // Nothing else there yet: every missing criterion is listed.
        Assert.Equal(["patch", "check:quality", "check:interop", "signoff:release-manager", "signoff:security-lead", "signoff:two-people"],
            await RefusedAsync(server, fix, rm, new { reason = "too early" }));

        await server.OkAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/patch", new { flag = "F3", cohort = "pilot" }, token: rm);
        var patch = (await server.GetAsync($"{Api}/fixes/{fix}")).GetProperty("fix").GetProperty("patch");
        Assert.Equal("pilot", patch.GetProperty("cohort").GetString());
        var patchOverride = (await server.GetAsync($"{Api}/overrides")).EnumerateArray().Single(o => o.GetProperty("id").GetString() == patch.GetProperty("overrideId").GetString());
        Assert.Equal("cohort:pilot", patchOverride.GetProperty("scope").GetString());
        Assert.True(patchOverride.GetProperty("value").GetBoolean());

        await CheckAsync(server, "quality", "pilot", "passed");
        await CheckAsync(server, "interop", "pilot", "failed");
        await CheckAsync(server, "interop", "limited-ga", "passed"); // another cohort: does not count
        Assert.Equal(["check:interop", "signoff:release-manager", "signoff:security-lead", "signoff:two-people"],
            await RefusedAsync(server, fix, rm, new { reason = "interop failed" }));
        await CheckAsync(server, "interop", "pilot", "passed");

        // Sign-offs: by role; an operator or an admin gives none; a role signs once.
        using (var denied = await server.SendAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/signoffs", operatorToken, new { note = "lgtm" }))
        {
            await ApiAssert.ProblemAsync(denied, HttpStatusCode.Forbidden);
        }
        using (var admin = await server.SendAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/signoffs", RipcordTestServer.AdminToken, new { note = "lgtm" }))
        {
            await ApiAssert.ProblemAsync(admin, HttpStatusCode.Forbidden);
        }
        await server.OkAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/signoffs", new { note = "rollout plan reviewed" }, token: rm);
        using (var twice = await server.SendAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/signoffs", rm, new { note = "again" }))
        {
            await ApiAssert.ProblemAsync(twice, HttpStatusCode.Conflict);
        }
        Assert.Equal(["signoff:security-lead", "signoff:two-people"], await RefusedAsync(server, fix, rm, new { reason = "one sign-off" }));
        var signed = await server.OkAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/signoffs", new { note = "patch reviewed" }, token: sl);
        Assert.True(signed.GetProperty("readiness").GetProperty("allowed").GetBoolean());

        // Releasing something that is not a mitigation of this fix is refused, and nothing changes.
        var head = await server.HeadAsync();
        var audit = await server.AuditHeadAsync();
        Assert.Equal(["release:ovr_not_mine"], await RefusedAsync(server, fix, rm, new { releaseMitigations = new[] { released, "ovr_not_mine" }, reason = "go" }));
        Assert.Equal(head, await server.HeadAsync());
        Assert.Equal(audit, await server.AuditHeadAsync());
        Assert.True((await server.GetAsync($"{Api}/stage-lock")).GetProperty("locked").GetBoolean());

        var resumed = await server.OkAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/resume",
            new { releaseMitigations = new[] { released }, reason = "patch verified on pilot" }, token: sl);
        Assert.Equal("resumed", resumed.GetProperty("fix").GetProperty("status").GetString());
        Assert.Equal(2, resumed.GetProperty("fix").GetProperty("lifted").GetArrayLength());
        Assert.False((await server.GetAsync($"{Api}/stage-lock")).GetProperty("locked").GetBoolean());
        Assert.True((await server.GetAsync("/api/v1/freezes/active?program=groups")).GetProperty("deploysMayProceed").GetBoolean());
        var overrides = (await server.GetAsync($"{Api}/overrides")).EnumerateArray().Select(o => o.GetProperty("id").GetString()).ToList();
        Assert.DoesNotContain(released, overrides);
        Assert.Contains(kept, overrides);
        Assert.Contains(patch.GetProperty("overrideId").GetString(), overrides);

        var timeline = await TimelineAsync(server, incident);
        Assert.Equal(1, Count(timeline, "fix-opened"));
        Assert.Equal(2, Count(timeline, "fix-mitigation"));
        Assert.Equal(1, Count(timeline, "fix-patch"));
        Assert.Equal(2, Count(timeline, "fix-signoff"));
        Assert.Equal(1, Count(timeline, "mitigation-released"));
        Assert.Equal(1, Count(timeline, "fix-resumed"));
        Assert.Equal(1, Count(timeline, "stage-lock-lifted"));
        Assert.Equal(1, Count(timeline, "freeze-lifted"));
        var actions = (await server.AuditAfterAsync(0)).Select(a => a.GetProperty("action").GetString()).ToList();
        foreach (var action in new[] { "fix.open", "fix.mitigate", "fix.patch", "fix.signoff", "fix.resume", "stage.lock-lift", "freeze.lift" })
        {
            Assert.Contains(action, actions);
        }
        Assert.True((await server.GetAsync("/api/v1/audit/verify")).GetProperty("ok").GetBoolean());

        // A resumed fix takes no further step.
        Assert.Equal(["open"], await RefusedAsync(server, fix, rm, new { reason = "again" }));
        using var late = await server.SendAsync(HttpMethod.Post, $"{Api}/fixes/{fix}/patch", rm, new { flag = "F3", cohort = "pilot" });
        await ApiAssert.ProblemAsync(late, HttpStatusCode.Conflict);
    }

    [Fact]
    [Invariant("FF-2", "the forward-fix patch is enabled for one cohort and nothing wider: global, workspace and user scopes are refused and change nothing")]
    public async Task ThePatch_IsNeverWiderThanACohort_AndBadInputIs4xx_WithStateUnchanged()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var rm = await server.CreateTokenAsync("release-manager", "rita");
        var incident = await server.DeclareAsync();
        var fix = (await server.OkAsync(HttpMethod.Post, $"{Api}/fixes", new { incident, reason = "patch" }, token: rm)).GetProperty("fix").GetProperty("id").GetString()!;
        var past = server.Clock.GetUtcNow().AddMinutes(-1);
        var noExpiry = (await server.SetOverrideAsync("F4", "workspace:acme", false)).GetProperty("override").GetProperty("id").GetString()!;
        var head = await server.HeadAsync();
        var audit = await server.AuditHeadAsync();

        var cases = new (string Path, object Body, HttpStatusCode Status)[]
        {
            ($"{Api}/fixes", new { incident = "inc_nope", reason = "x" }, HttpStatusCode.NotFound),
            ($"{Api}/fixes", new { incident, reason = "" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes", new { incident, reason = "second" }, HttpStatusCode.Conflict),
            ($"{Api}/fixes/fix_nope/patch", new { flag = "F3", cohort = "pilot" }, HttpStatusCode.NotFound),
            ($"{Api}/fixes/{fix}/patch", new { flag = "F3", scope = "global" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/patch", new { flag = "F3", scope = "workspace:w-1" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/patch", new { flag = "F3", scope = "user:u-1" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/patch", new { flag = "F3", cohort = "nope" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/patch", new { flag = "F99", cohort = "pilot" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/patch", new { flag = "F3", cohort = "pilot", scope = "cohort:pilot" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/mitigations", new { flag = "F3", scope = "workspace:w-1", value = false, expiresAt = past, reason = "x" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/mitigations", new { flag = "F3", scope = "workspace:w-1", value = false, reason = "no expiry" }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/mitigations", new { @override = noExpiry }, HttpStatusCode.BadRequest),
            ($"{Api}/fixes/{fix}/mitigations", new { @override = "ovr_nope" }, HttpStatusCode.NotFound),
            ($"{Api}/fixes/{fix}/resume", new { releaseMitigations = new[] { "" }, reason = "x" }, HttpStatusCode.BadRequest),
        };
        foreach (var (path, body, status) in cases)
        {
            using var response = await server.SendAsync(HttpMethod.Post, path, rm, body);
            await ApiAssert.ProblemAsync(response, status);
        }
        Assert.Equal(head, await server.HeadAsync());
        Assert.Equal(audit, await server.AuditHeadAsync());
        var view = (await server.GetAsync($"{Api}/fixes/{fix}")).GetProperty("fix");
        Assert.Equal(JsonValueKind.Null, view.TryGetProperty("patch", out var p) ? p.ValueKind : JsonValueKind.Null);
        Assert.Empty(view.GetProperty("mitigations").EnumerateArray());
        Assert.Single((await server.GetAsync($"{Api}/fixes?incident={incident}")).EnumerateArray());
    }

    [Fact]
    [Invariant("FF-3", "one person cannot give both forward-fix sign-offs")]
    public async Task OnePerson_CannotGiveBothSignoffs()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var incident = await server.DeclareAsync();
        var service = server.Services.GetRequiredService<ForwardFixService>();
        var person = new Principal("prn_dual", "dana");
        var fix = await service.OpenAsync("groups", incident, "patch", new Actor(person, Role.ReleaseManager, "t1"), CancellationToken.None);
        await service.SignOffAsync("groups", fix.Fix.Id, null, new Actor(person, Role.ReleaseManager, "t1"), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ChangeRejectedException>(() =>
            service.SignOffAsync("groups", fix.Fix.Id, null, new Actor(person, Role.SecurityLead, "t2"), CancellationToken.None));
        Assert.Equal(ChangeError.Conflict, refused.Kind);
        Assert.Single((await service.GetAsync("groups", fix.Fix.Id, CancellationToken.None)).Fix.Signoffs);
    }
}
