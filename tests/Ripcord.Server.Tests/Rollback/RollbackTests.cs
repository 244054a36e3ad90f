using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Gates;
using Ripcord.Core.Rollback;
using Ripcord.Server.Rollback;
using Ripcord.Server.Tests.KillSwitches;
using Ripcord.Server.Tests.Telemetry;

namespace Ripcord.Server.Tests.Rollback;

/// <summary>
/// Rollback (seed §13) against a real server: the plan is always readable and changes nothing; a run takes its five
/// steps once each, restores the target's evaluation, keeps kill switches, locks stages and freezes deploys; a run
/// stopped after any step resumes on the next start with the audit chain intact; bad input is a 4xx that changes nothing.
/// </summary>
public sealed class RollbackTests
{
    private const string Api = "/api/v1/programs/groups";
    private static readonly string[] StepKinds = ["stage-locked", "freeze", "reverted", "verified", "documented"];

    /// <summary>A test's stand-in for kill -9: the run stops after the step named, writing nothing more.</summary>
    private sealed class StopAfterStep : IRollbackFaults
    {
        public RollbackStep? At { get; set; }

        public bool StopAfter(RollbackStep step) => step == At;
    }

    private static readonly (string? Workspace, string? User, int? Tier)[] Contexts =
        [(null, null, null), ("acme", null, 1), ("w-1", null, null), ("globex", "u-1", 2), ("initech", null, 0)];

    /// <summary>Revision tagged known-safe with a cohort; then changes on top of it (overrides, a cohort edit) that the rollback undoes.</summary>
    private static async Task<(long Safe, Dictionary<string, string> Evaluations)> DriftAsync(RipcordTestServer server)
    {
        await server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });
        var safe = await server.HeadAsync();
        await server.OkAsync(HttpMethod.Post, $"{Api}/revisions/{safe}/known-safe", new { reason = "pilot was healthy" });
        var evaluations = await EvaluateAllAsync(server);
        await server.SetOverrideAsync("F3", "workspace:w-1", true);
        await server.SetOverrideAsync("F3", "cohort:pilot", true);
        await server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex", "initech" } });
        Assert.NotEqual(evaluations, await EvaluateAllAsync(server));
        return (safe, evaluations);
    }

    private static async Task<Dictionary<string, string>> EvaluateAllAsync(RipcordTestServer server)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (w, u, t) in Contexts)
        {
            var e = await server.EvaluateAsync(w, u, t);
            all[$"{w}/{u}/{t}"] = string.Join(";", e.Flags.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value.Value}:{f.Value.Reason}"));
        }
        return all;
    }

    private static async Task<JsonElement> TimelineAsync(RipcordTestServer server, string incident) =>
        (await server.GetAsync($"{Api}/incidents/{incident}")).GetProperty("incident").GetProperty("timeline");

    private static int Count(JsonElement timeline, string kind, string? about = null) => timeline.EnumerateArray().Count(e =>
        e.GetProperty("kind").GetString() == kind && (about is null || e.GetProperty("text").GetString()!.Contains(about, StringComparison.Ordinal)));

    private static async Task AuditVerifiesAsync(RipcordTestServer server) =>
        Assert.True((await server.GetAsync("/api/v1/audit/verify")).GetProperty("ok").GetBoolean());

    [Fact]
    [Invariant("RB-8", "the rollback plan is readable by a viewer at any time, names the target, the differences and the overrides removed, and changes nothing")]
    public async Task ThePlan_IsAlwaysReadable_SaysWhatWouldChange_AndChangesNothing()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var viewer = await server.CreateTokenAsync("viewer");
        using (var none = await server.SendAsync(HttpMethod.Get, $"{Api}/rollback/plan", viewer))
        {
            await ApiAssert.ProblemAsync(none, HttpStatusCode.Conflict); // no known-safe revision yet: the answer says to name one
        }
        var (safe, _) = await DriftAsync(server);
        var head = await server.HeadAsync();
        var audit = await server.AuditHeadAsync();

        var plan = await server.GetAsync($"{Api}/rollback/plan", viewer);
        Assert.Equal(safe, plan.GetProperty("targetRevision").GetInt64());
        Assert.Equal(head, plan.GetProperty("currentRevision").GetInt64());
        Assert.True(plan.GetProperty("differenceCount").GetInt32() > 0);
        Assert.Contains(plan.GetProperty("differences").EnumerateArray(), d => d.GetProperty("context").GetString() == "workspace:w-1");
        Assert.Equal(2, plan.GetProperty("overrides").EnumerateArray().Count(o => o.GetProperty("fate").GetString() == "removed"));
        Assert.Empty(plan.GetProperty("orphaned").EnumerateArray());
        var named = await server.GetAsync($"{Api}/rollback/plan?to={head}", viewer);
        Assert.Equal(0, named.GetProperty("differenceCount").GetInt32());

        Assert.Equal(head, await server.HeadAsync());
        Assert.Equal(audit, await server.AuditHeadAsync());
    }

    [Fact]
    [Invariant("RB-11", "after a rollback, an operation reported under its revision is a violation exactly when its flag is off for the reporting context (workspace and tier); a violation fails the rollback's verification")]
    public async Task AnOperationReportedUnderTheRevertedRevision_WhileItsFlagIsOff_FailsTheVerification()
    {
        await using var server = await RipcordTestServer.StartAsync(customize: o => o with { RollbackVerifyWait = TimeSpan.FromSeconds(30) });
        // The target: routes on everywhere, sends off for acme. Then sends go back on for acme.
        await server.SetOverrideAsync("F1", "global", true);
        await server.SetOverrideAsync("groups.send.enabled", "workspace:acme", false);
        var safe = await server.HeadAsync();
        await server.SetOverrideAsync("groups.send.enabled", "workspace:acme", true);
        var incident = await server.DeclareAsync();
        var releaseManager = await server.CreateTokenAsync("release-manager", "rita");
        var key = await server.TokenAsync("sdk");

        // An SDK instance connected at the revert that never reports applying it: the verification waits for it,
        // and meanwhile the instance reports a send from acme made under the reverted revision.
        using var sdk = server.NewClient(key);
        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, $"{Api}/stream");
        streamRequest.Headers.Add("X-Ripcord-Instance", "sender-1");
        using var stream = await sdk.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var before = await server.HeadAsync();
        var run = server.SendAsync(HttpMethod.Post, $"{Api}/rollbacks", releaseManager, new { incident, to = safe, reason = "sends failing for acme" });
        var reported = 0;
        while (!run.IsCompleted)
        {
            if (await server.HeadAsync() is var head && head > before)
            {
                using var posted = await server.PostTelemetryAsync(key, new
                {
                    program = "groups",
                    instance = "sender-1",
                    events = new object[] { new { type = "send", at = RipcordTestServer.Epoch, ackLatencyMs = 12, outcome = "ok", workspaceId = "acme", tier = 1, revision = head } },
                });
                Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
                reported++;
            }
            await Task.WhenAny(run, Task.Delay(50));
        }
        using var response = await run;
        var body = await ApiAssert.SuccessJsonAsync(response);

        Assert.True(reported > 0);
        var verification = body.GetProperty("verification");
        Assert.True(verification.GetProperty("evaluationEqual").GetBoolean());
        Assert.False(verification.GetProperty("passed").GetBoolean());
        var violation = verification.GetProperty("violations")[0];
        Assert.Equal("send", violation.GetProperty("operation").GetString());
        Assert.Equal("acme", violation.GetProperty("workspace").GetString());
        Assert.Equal(1, Count(await TimelineAsync(server, incident), "verification-failed", "disabled operations"));
    }

    [Fact]
    [Invariant("RB-9", "a rollback run takes each step once and in order, restores the target's evaluation as one revision, keeps active kill switches, refuses stage advance, freezes deploys, and opens a review")]
    public async Task ARollbackRun_RestoresTheTarget_AsOneRevision_KeepingKillSwitches_LockingStages_AndFreezingDeploys()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var (safe, atSafe) = await DriftAsync(server);
        var incident = await server.DeclareAsync();
        var (status, activation) = await server.ActivateAsync("KS1", "workspace:initech", incident);
        Assert.Equal(HttpStatusCode.Created, status);
        var killSwitch = activation.GetProperty("id").GetString()!;
        var head = await server.HeadAsync();
        var releaseManager = await server.CreateTokenAsync("release-manager", "rita");

        var run = await server.OkAsync(HttpMethod.Post, $"{Api}/rollbacks", new { incident, reason = "acks failing since the pilot grew" }, token: releaseManager);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(safe, run.GetProperty("targetRevision").GetInt64());
        Assert.Equal(["stage-lock", "freeze", "revert", "verify", "document"], run.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetString()!));
        Assert.Equal(head + 1, run.GetProperty("revision").GetInt64());
        Assert.Equal(head + 1, await server.HeadAsync());
        var verification = run.GetProperty("verification");
        Assert.True(verification.GetProperty("passed").GetBoolean());
        Assert.True(verification.GetProperty("evaluationEqual").GetBoolean());

        // The kill switch stayed: everywhere it does not apply, evaluation is the known-safe revision's.
        var kill = (await server.GetAsync($"{Api}/kill-switches/KS1/activations/{killSwitch}")).GetProperty("activation");
        Assert.Equal(killSwitch, kill.GetProperty("id").GetString());
        var now = await EvaluateAllAsync(server);
        foreach (var key in atSafe.Keys.Where(k => !k.StartsWith("initech", StringComparison.Ordinal)))
        {
            Assert.Equal(atSafe[key], now[key]);
        }
        Assert.Contains("kill-switch", now["initech//0"], StringComparison.Ordinal);
        Assert.Empty((await server.GetAsync($"{Api}/overrides")).EnumerateArray());

        // Stage advance refused, deploys frozen, a review open, every step on the timeline once.
        using (var advance = await server.SendAsync(HttpMethod.Post, $"{Api}/stage/advance", releaseManager, new { to = 1, dryRun = true }))
        {
            var verdict = JsonDocument.Parse(await advance.Content.ReadAsStringAsync()).RootElement;
            var hold = verdict.GetProperty("criteria").EnumerateArray().Single(c => c.GetProperty("name").GetString() == CriterionNames.StageHold);
            Assert.False(hold.GetProperty("passed").GetBoolean());
            Assert.Contains(run.GetProperty("stageLockId").GetString()!, hold.GetProperty("evidence").GetString(), StringComparison.Ordinal);
        }
        Assert.False((await server.GetAsync("/api/v1/freezes/active?program=groups")).GetProperty("deploysMayProceed").GetBoolean());
        Assert.Contains((await server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray(), r => r.GetProperty("action").GetString() == "rollback.start");
        var timeline = await TimelineAsync(server, incident);
        Assert.All(StepKinds, kind => Assert.Equal(1, Count(timeline, kind, run.GetProperty("id").GetString())));
        Assert.Equal(1, Count(timeline, "rollback-started"));

        var document = await server.Http.SendAsync(RipcordTestServer.Request(HttpMethod.Get, $"{Api}/incidents/{incident}/document", RipcordTestServer.AdminToken));
        var markdown = await document.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal("text/markdown", document.Content.Headers.ContentType!.MediaType);
        Assert.Contains($"# Incident {incident}", markdown, StringComparison.Ordinal);
        Assert.Contains("Post-incident summary", markdown, StringComparison.Ordinal);
        Assert.Contains("| reverted | rita |", markdown, StringComparison.Ordinal);
        Assert.Contains("verification passed", markdown, StringComparison.Ordinal);
        Assert.Contains("## Time to mitigate", markdown, StringComparison.Ordinal);

        // Driving the finished run again changes nothing.
        var audit = await server.AuditHeadAsync();
        var again = await server.Services.GetRequiredService<RollbackService>().DriveAsync(run.GetProperty("id").GetString()!, CancellationToken.None);
        Assert.Equal(RollbackStatus.Completed, again.Status);
        Assert.Equal(head + 1, await server.HeadAsync());
        Assert.Equal(audit, await server.AuditHeadAsync());

        // A second run while the first's lock stands is allowed; lifting the lock is the release manager's, with a reason.
        using (var noReason = await server.SendAsync(HttpMethod.Delete, $"{Api}/stage-lock", releaseManager, new { reason = "" }))
        {
            await ApiAssert.ProblemAsync(noReason, HttpStatusCode.BadRequest);
        }
        await server.OkAsync(HttpMethod.Delete, $"{Api}/stage-lock", new { reason = "fix verified on pilot" }, token: releaseManager);
        Assert.False((await server.GetAsync($"{Api}/stage-lock")).GetProperty("locked").GetBoolean());
        Assert.Equal(1, Count(await TimelineAsync(server, incident), "stage-lock-lifted"));
        await AuditVerifiesAsync(server);
    }

    public static TheoryData<RollbackStep> Steps() => [.. RollbackMachine.Order];

    [Theory]
    [MemberData(nameof(Steps))]
    [Invariant("RB-10", "a run stopped after any step (a server killed there) resumes on the next start at the next step: every step once, one revert revision, the audit chain verifies")]
    public async Task ARunStoppedAfterAnyStep_ResumesOnTheNextStart_EachStepOnce(RollbackStep stopAfter)
    {
        var faults = new StopAfterStep { At = stopAfter };
        await using var server = await RipcordTestServer.StartAsync(configure: b => b.Services.AddSingleton<IRollbackFaults>(faults));
        var (safe, _) = await DriftAsync(server);
        var incident = await server.DeclareAsync();
        var head = await server.HeadAsync();

        var stopped = await server.OkAsync(HttpMethod.Post, $"{Api}/rollbacks", new { incident, reason = "drill", to = safe });
        var id = stopped.GetProperty("id").GetString()!;
        var taken = RollbackMachine.Order.IndexOf(stopAfter) + 1;
        Assert.Equal(taken, stopped.GetProperty("steps").GetArrayLength());
        Assert.Equal(taken == 5 ? "completed" : "running", stopped.GetProperty("status").GetString());
        Assert.Equal(taken >= 3 ? head + 1 : head, await server.HeadAsync());

        await server.StopAsync();
        faults.At = null;
        await server.StartAgainAsync();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement run;
        while ((run = await server.GetAsync($"{Api}/rollbacks/{id}")).GetProperty("status").GetString() == "running" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(["stage-lock", "freeze", "revert", "verify", "document"], run.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetString()!));
        Assert.Equal(head + 1, await server.HeadAsync());
        var timeline = await TimelineAsync(server, incident);
        Assert.All(StepKinds, kind => Assert.Equal(1, Count(timeline, kind, id)));
        Assert.Single((await server.GetAsync("/api/v1/freezes/active?program=groups")).GetProperty("freezes").EnumerateArray());
        await AuditVerifiesAsync(server);
    }

    /// <summary>Fails the commit of the n-th write after it is armed, as a crash inside that step's transaction would.</summary>
    private sealed class FailingCommit : Ripcord.Server.Storage.IWriteObserver
    {
        private int _commits;

        public int? FailAt { get; set; }

        public ValueTask OnStepAsync(Ripcord.Server.Storage.WriteStep step, CancellationToken ct) =>
            step == Ripcord.Server.Storage.WriteStep.BeforeCommit && FailAt is { } n && Interlocked.Increment(ref _commits) == n
                ? throw new IOException($"injected failure before commit {n}")
                : ValueTask.CompletedTask;
    }

    public static TheoryData<RollbackStep> FailingSteps() => [.. RollbackMachine.Order];

    [Theory]
    [MemberData(nameof(FailingSteps))]
    [Invariant("RB-10", "a run stopped after any step (a server killed there) resumes on the next start at the next step: every step once, one revert revision, the audit chain verifies")]
    public async Task AStepWhoseTransactionFails_LeavesNothingOfIt_AndTheRunResumesThere(RollbackStep failing)
    {
        var faults = new FailingCommit();
        await using var server = await RipcordTestServer.StartAsync(configure: b => b.Services.AddSingleton<Ripcord.Server.Storage.IWriteObserver>(faults));
        var (safe, _) = await DriftAsync(server);
        var incident = await server.DeclareAsync();
        var head = await server.HeadAsync();
        var index = RollbackMachine.Order.IndexOf(failing);
        faults.FailAt = index + 2; // the start's own write is the first

        using (var failed = await server.SendAsync(HttpMethod.Post, $"{Api}/rollbacks", RipcordTestServer.AdminToken, new { incident, reason = "drill", to = safe }))
        {
            Assert.False(failed.IsSuccessStatusCode);
        }
        var run = Assert.Single((await server.GetAsync($"{Api}/rollbacks")).EnumerateArray());
        Assert.Equal("running", run.GetProperty("status").GetString());
        Assert.Equal(index, run.GetProperty("steps").GetArrayLength()); // the failed step left nothing
        Assert.Equal(index > 2 ? head + 1 : head, await server.HeadAsync());

        await server.StopAsync();
        faults.FailAt = null;
        await server.StartAgainAsync();
        var id = run.GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((run = await server.GetAsync($"{Api}/rollbacks/{id}")).GetProperty("status").GetString() == "running" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(head + 1, await server.HeadAsync());
        var timeline = await TimelineAsync(server, incident);
        Assert.All(StepKinds, kind => Assert.Equal(1, Count(timeline, kind, id)));
        await AuditVerifiesAsync(server);
    }

    public static TheoryData<string, string, HttpStatusCode> BadStarts() => new()
    {
        { "no reason", """{"incident":"INCIDENT","reason":""}""", HttpStatusCode.BadRequest },
        { "no incident", """{"reason":"why"}""", HttpStatusCode.BadRequest },
        { "unknown incident", """{"incident":"inc_nope","reason":"why"}""", HttpStatusCode.NotFound },
        { "revision 0", """{"incident":"INCIDENT","reason":"why","to":0}""", HttpStatusCode.BadRequest },
        { "a revision not written yet", """{"incident":"INCIDENT","reason":"why","to":999}""", HttpStatusCode.BadRequest },
        { "revision as text", """{"incident":"INCIDENT","reason":"why","to":"three"}""", HttpStatusCode.BadRequest },
        { "not JSON", "{incident", HttpStatusCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(BadStarts))]
    public async Task BadInput_Is4xxProblem_AndChangesNothing(string label, string body, HttpStatusCode expected)
    {
        await using var server = await RipcordTestServer.StartAsync();
        await DriftAsync(server);
        var incident = await server.DeclareAsync();
        var head = await server.HeadAsync();
        var audit = await server.AuditHeadAsync();
        using var request = RipcordTestServer.Request(HttpMethod.Post, $"{Api}/rollbacks", RipcordTestServer.AdminToken,
            new StringContent(body.Replace("INCIDENT", incident, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));
        using var response = await server.SendAsync(request);
        await ApiAssert.ProblemAsync(response, expected);
        Assert.True(head == await server.HeadAsync(), label);
        Assert.Equal(audit, await server.AuditHeadAsync());
        Assert.Empty((await server.GetAsync($"{Api}/rollbacks")).EnumerateArray());
        Assert.Equal(0, Count(await TimelineAsync(server, incident), "rollback-started"));
    }

    [Fact]
    public async Task OtherBadRequests_Are4xxProblems()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var viewer = await server.CreateTokenAsync("viewer");
        var incident = await server.DeclareAsync();
        var head = await server.HeadAsync();
        foreach (var (method, path, token, body, status) in new (HttpMethod, string, string, object?, HttpStatusCode)[]
        {
            (HttpMethod.Get, $"{Api}/rollbacks/rbk_nope", viewer, null, HttpStatusCode.NotFound),
            (HttpMethod.Get, "/api/v1/programs/nope/rollback/plan?to=1", viewer, null, HttpStatusCode.NotFound),
            (HttpMethod.Get, $"{Api}/rollback/plan?to=0", viewer, null, HttpStatusCode.BadRequest),
            (HttpMethod.Get, $"{Api}/rollback/plan?to=x", viewer, null, HttpStatusCode.BadRequest),
            (HttpMethod.Delete, $"{Api}/stage-lock", RipcordTestServer.AdminToken, new { reason = "nothing to lift" }, HttpStatusCode.NotFound),
            (HttpMethod.Post, $"{Api}/rollbacks", viewer, new { incident, reason = "why", to = 1 }, HttpStatusCode.Forbidden),
            (HttpMethod.Post, $"{Api}/rollbacks", await server.CreateTokenAsync("ops-lead"), new { incident, reason = "why", to = 1 }, HttpStatusCode.Forbidden),
            (HttpMethod.Post, $"{Api}/rollbacks", RipcordTestServer.AdminToken, new { incident, reason = "no known-safe revision" }, HttpStatusCode.Conflict),
        })
        {
            using var response = await server.SendAsync(method, path, token, body);
            await ApiAssert.ProblemAsync(response, status);
        }
        Assert.Equal(head, await server.HeadAsync());
        Assert.Empty((await server.GetAsync($"{Api}/rollbacks")).EnumerateArray());
    }
}
