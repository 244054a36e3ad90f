using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Ramps;
using static Ripcord.Server.Tests.Gates.GateHarness;

namespace Ripcord.Server.Tests.Ramps;

/// <summary>
/// Guarded ramps against a real server on a fake clock, telemetry posted through the API as an SDK would:
/// stage 2's limited-ga widens 1% → 5% → 10% an hour at a time while the metrics hold, each step a revision by
/// the system actor with its audit row; a breach holds (or rolls back), a freeze holds, bad input changes nothing.
/// The background ticks run too (the clock moves them); each test runs a pass itself, which gives the same result.
/// </summary>
public sealed class RampTests
{
    private const string Ramps = Api + "/ramps";

    /// <summary>The built-in groups definition with a sample size a test can post (10 operations), optionally rolling back on a breach.</summary>
    private static string Definition(bool rollback = false) => Ripcord.Server.RipcordServer.BuiltInGroupsYaml()
        .Replace("minOperations: 1000", "minOperations: 10", StringComparison.Ordinal)
        .Replace("rollbackOnBreach: false", rollback ? "rollbackOnBreach: true" : "rollbackOnBreach: false", StringComparison.Ordinal);

    private sealed record Ramp(RipcordTestServer Server, string ReleaseManager, string Sdk)
    {
        public async Task<decimal> PercentageAsync() => (await Server.GetAsync($"{Api}/cohorts")).EnumerateArray()
            .Single(c => c.GetProperty("id").GetString() == "limited-ga").GetProperty("percentage").GetDecimal();

        public async Task<JsonElement> StatusAsync() => (await Server.GetAsync(Ramps)).GetProperty("ramp");

        public async Task GoodMinuteAsync()
        {
            await Server.PostEventsAsync(Sdk, 20, Mode);
            await Server.PostEventsAsync(Sdk, 20, at => Send(at, "ok"));
        }

        public async Task BadMinuteAsync()
        {
            await Server.PostEventsAsync(Sdk, 20, Mode);
            await Server.PostEventsAsync(Sdk, 10, at => Send(at, "failed"));
        }

        public async Task PassAsync(TimeSpan after)
        {
            Server.Clock.Advance(after);
            await Server.Services.GetRequiredService<RampService>().RunOnceAsync(CancellationToken.None);
        }

        public async Task<List<JsonElement>> AuditAsync(long after, string prefix) =>
            [.. (await Server.AuditAfterAsync(after)).Where(e => e.GetProperty("action").GetString()!.StartsWith(prefix, StringComparison.Ordinal))];
    }

    private static async Task<Ramp> AtStage2Async(RipcordTestServer server, bool rollback = false)
    {
        using (var applied = await server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, $"{Api}/definition", RipcordTestServer.AdminToken,
            RipcordTestServer.Yaml(Definition(rollback)))))
        {
            Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        }
        await server.SetStageAsync(2);
        return new Ramp(server, await server.CreateTokenAsync("release-manager", "rita"), await server.CreateTokenAsync("sdk", "app"));
    }

    private static async Task StartAsync(Ramp r)
    {
        using var started = await r.Server.SendAsync(HttpMethod.Post, Ramps, r.ReleaseManager);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
    }

    [Fact]
    [Invariant("RP-2", "a ramp never advances before `every` has passed since its step started")]
    [Invariant("RP-7", "every step of a ramp is a revision written by the system actor, and every automatic action (advance, hold, rollback, finish) has its audit row")]
    public async Task Steps_advance_hourly_while_the_metrics_hold_each_a_system_revision_with_its_audit_row()
    {
        await using var server = await RipcordTestServer.StartAsync();
        await HourlyStepsAsync(server);
    }

    /// <summary>The whole scenario on <paramref name="server"/> (SQLite here, PostgreSQL in <see cref="PostgresRampTests"/>).</summary>
    internal static async Task HourlyStepsAsync(RipcordTestServer server)
    {
        var r = await AtStage2Async(server);
        Assert.Equal(10m, await r.PercentageAsync());
        var (head, audit) = (await server.HeadAsync(), await server.AuditHeadAsync());

        await StartAsync(r);
        Assert.Equal(1m, await r.PercentageAsync());
        Assert.Equal(head + 1, await server.HeadAsync());
        var start = Assert.Single(await r.AuditAsync(audit, "ramp."));
        Assert.Equal(("ramp.start", "rita", "ramp:groups/2"),
            (start.GetProperty("action").GetString(), start.GetProperty("actor").GetString(), start.GetProperty("target").GetString()));

        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromMinutes(59));
        var waiting = await r.StatusAsync();
        Assert.Equal(("running", 0, 1m), (waiting.GetProperty("status").GetString(), waiting.GetProperty("step").GetInt32(), waiting.GetProperty("percentage").GetDecimal()));
        Assert.Equal(RipcordTestServer.Epoch.AddHours(1), waiting.GetProperty("nextStepAt").GetDateTimeOffset());
        Assert.Equal(20, waiting.GetProperty("figures").GetProperty("operations").GetInt64());
        Assert.Equal(head + 1, await server.HeadAsync());

        foreach (var (expected, revision) in new[] { (5m, head + 2), (10m, head + 3) })
        {
            var before = await server.AuditHeadAsync();
            await r.PassAsync(TimeSpan.FromMinutes(expected == 5m ? 1 : 60));
            Assert.Equal(expected, await r.PercentageAsync());
            Assert.Equal(revision, await server.HeadAsync());
            var rows = await server.AuditAfterAsync(before);
            Assert.Equal(["cohort.put", "ramp.advance"], rows.Select(e => e.GetProperty("action").GetString()!).ToArray());
            Assert.All(rows, e => Assert.Equal("system", e.GetProperty("role").GetString()));
            var row = await server.GetAsync($"{Api}/revisions/{revision}");
            Assert.Contains("put-cohort", row.GetRawText(), StringComparison.Ordinal);
            await r.GoodMinuteAsync();
        }

        var finishing = await server.AuditHeadAsync();
        await r.PassAsync(TimeSpan.FromHours(1));
        var done = await r.StatusAsync();
        Assert.Equal(("done", 10m), (done.GetProperty("status").GetString(), done.GetProperty("percentage").GetDecimal()));
        Assert.Equal("ramp.finish", Assert.Single(await r.AuditAsync(finishing, "ramp.")).GetProperty("action").GetString());
        Assert.Equal(head + 3, await server.HeadAsync());
    }

    [Fact]
    [Invariant("RP-1", "a ramp never advances on a breach of the error rate or the fallback band")]
    public async Task A_breach_holds_the_ramp_at_its_step_and_audits_the_hold_once()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var r = await AtStage2Async(server);
        await StartAsync(r);
        var (head, audit) = (await server.HeadAsync(), await server.AuditHeadAsync());

        await r.BadMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(2));
        await r.PassAsync(TimeSpan.FromHours(1));
        var held = await r.StatusAsync();
        Assert.Equal("holding", held.GetProperty("status").GetString());
        Assert.Contains("error rate 100%", held.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(1m, await r.PercentageAsync());
        Assert.Equal(head, await server.HeadAsync());
        var hold = Assert.Single(await r.AuditAsync(audit, "ramp."));
        Assert.Equal(("ramp.hold", "system"), (hold.GetProperty("action").GetString(), hold.GetProperty("role").GetString()));
    }

    [Fact]
    [Invariant("RP-5", "with rollbackOnBreach a breach moves the ramp back one step, once: it then stops until an operator resumes it")]
    public async Task With_rollback_on_breach_a_breach_moves_the_cohort_back_one_step_as_a_revision_and_stops()
    {
        await using var server = await RipcordTestServer.StartAsync();
        await RollbackAsync(server);
    }

    internal static async Task RollbackAsync(RipcordTestServer server)
    {
        var r = await AtStage2Async(server, rollback: true);
        await StartAsync(r);
        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(1));
        Assert.Equal(5m, await r.PercentageAsync());
        var (head, audit) = (await server.HeadAsync(), await server.AuditHeadAsync());

        await r.BadMinuteAsync();
        await r.PassAsync(TimeSpan.FromMinutes(10));
        Assert.Equal(1m, await r.PercentageAsync());
        Assert.Equal(head + 1, await server.HeadAsync());
        var status = await r.StatusAsync();
        Assert.Equal("rolled-back", status.GetProperty("status").GetString());
        Assert.StartsWith("rolled back from 5% to 1%", status.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(["cohort.put", "ramp.rollback"], (await server.AuditAfterAsync(audit)).Select(e => e.GetProperty("action").GetString()!).ToArray());

        // Stopped: nothing moves until a release manager resumes it.
        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(5));
        Assert.Equal((1m, head + 1), (await r.PercentageAsync(), await server.HeadAsync()));
        await server.OkAsync(HttpMethod.Post, $"{Ramps}/resume", token: r.ReleaseManager);
        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(1));
        Assert.Equal(5m, await r.PercentageAsync());
    }

    [Fact]
    [Invariant("RP-4", "a freeze, another stage or a pause holds a ramp: its percentage does not move")]
    public async Task A_rollbacks_stage_lock_holds_the_ramp_by_itself_until_lifted()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var r = await AtStage2Async(server);
        await StartAsync(r);
        var incident = await Ripcord.Server.Tests.KillSwitches.KillSwitchHarness.DeclareAsync(server);
        var run = await server.OkAsync(HttpMethod.Post, $"{Api}/rollbacks", new { incident, to = await server.HeadAsync(), reason = "drill at stage 2" },
            token: r.ReleaseManager);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        // The run's freeze is lifted: the stage lock alone must hold the ramp.
        await server.OkAsync(HttpMethod.Delete, $"{Api}/freezes/{run.GetProperty("freezeId").GetString()}", new { reason = "deploys may go on" });
        var head = await server.HeadAsync();
        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(2));
        var held = await r.StatusAsync();
        Assert.Equal("holding", held.GetProperty("status").GetString());
        Assert.Contains(run.GetProperty("stageLockId").GetString()!, held.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal((1m, head), (await r.PercentageAsync(), await server.HeadAsync()));

        await server.OkAsync(HttpMethod.Delete, $"{Api}/stage-lock", new { reason = "fix verified" }, token: r.ReleaseManager);
        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(1));
        Assert.Equal(5m, await r.PercentageAsync());
    }

    [Fact]
    [Invariant("RP-4", "a freeze, another stage or a pause holds a ramp: its percentage does not move")]
    public async Task A_freeze_holds_the_ramp_and_refuses_a_start_and_a_pause_stops_it_until_resumed()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var r = await AtStage2Async(server);
        var freeze = (await server.OkAsync(HttpMethod.Post, $"{Api}/freezes", new { scope = "global", reason = "P1" })).GetProperty("id").GetString()!;
        using (var refused = await server.SendAsync(HttpMethod.Post, Ramps, r.ReleaseManager))
        {
            var problem = await ApiAssert.ProblemAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains(freeze, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        await server.OkAsync(HttpMethod.Delete, $"{Api}/freezes/{freeze}", new { reason = "over" });
        await StartAsync(r);
        var head = await server.HeadAsync();

        freeze = (await server.OkAsync(HttpMethod.Post, $"{Api}/freezes", new { scope = "global", reason = "P2" })).GetProperty("id").GetString()!;
        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(2));
        var held = await r.StatusAsync();
        Assert.Equal("holding", held.GetProperty("status").GetString());
        Assert.Contains(freeze, held.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal((1m, head), (await r.PercentageAsync(), await server.HeadAsync()));

        await server.OkAsync(HttpMethod.Delete, $"{Api}/freezes/{freeze}", new { reason = "over" });
        await server.OkAsync(HttpMethod.Post, $"{Ramps}/pause", new { reason = "watching the dashboards" }, token: r.ReleaseManager);
        await r.PassAsync(TimeSpan.FromHours(2));
        Assert.Equal("paused", (await r.StatusAsync()).GetProperty("status").GetString());
        Assert.Equal((1m, head), (await r.PercentageAsync(), await server.HeadAsync()));

        await server.OkAsync(HttpMethod.Post, $"{Ramps}/resume", token: r.ReleaseManager);
        await r.GoodMinuteAsync();
        await r.PassAsync(TimeSpan.FromHours(1));
        Assert.Equal((5m, head + 1), (await r.PercentageAsync(), await server.HeadAsync()));
    }

    [Fact]
    [Invariant("RP-8", "bad input to the ramp endpoints is a 4xx problem and changes nothing")]
    public async Task Bad_input_is_a_problem_and_changes_nothing()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var rm = await server.CreateTokenAsync("release-manager", "rita");
        async Task<string> StateAsync() => string.Join("\n", await server.HeadAsync(), await server.AuditHeadAsync(), (await server.GetAsync(Ramps)).GetRawText(),
            (await server.GetAsync($"{Api}/cohorts")).GetRawText());

        async Task RefusedAsync(HttpMethod method, string path, object? body, HttpStatusCode status, string words)
        {
            var before = await StateAsync();
            using var response = await server.SendAsync(method, path, rm, body);
            var problem = await ApiAssert.ProblemAsync(response, status);
            Assert.Contains(words, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(before, await StateAsync());
        }

        await RefusedAsync(HttpMethod.Post, Ramps, null, HttpStatusCode.Conflict, "stage 0 of program 'groups' has no ramp");
        await RefusedAsync(HttpMethod.Post, $"{Ramps}/pause", new { reason = "x" }, HttpStatusCode.NotFound, "has no ramp");
        await RefusedAsync(HttpMethod.Post, $"{Ramps}/resume", null, HttpStatusCode.NotFound, "has no ramp");
        await RefusedAsync(HttpMethod.Post, "/api/v1/programs/nope/ramps", null, HttpStatusCode.NotFound, "nope");

        var r = await AtStage2Async(server);
        await StartAsync(r);
        await RefusedAsync(HttpMethod.Post, Ramps, null, HttpStatusCode.Conflict, "already running at 1%");
        await RefusedAsync(HttpMethod.Post, $"{Ramps}/pause", new { reason = "" }, HttpStatusCode.BadRequest, "reason is required");
        await RefusedAsync(HttpMethod.Post, $"{Ramps}/pause", new { reason = new string('x', 1001) }, HttpStatusCode.BadRequest, "reason is required");
        await RefusedAsync(HttpMethod.Post, $"{Ramps}/resume", null, HttpStatusCode.Conflict, "is running: it cannot be resumed");
        await RefusedAsync(HttpMethod.Post, $"{Ramps}/resume", new { reason = " " }, HttpStatusCode.BadRequest, "reason, when given");
        await RefusedAsync(HttpMethod.Post, Ramps, new { reason = new string('x', 1001) }, HttpStatusCode.BadRequest, "reason, when given");
        await RefusedAsync(HttpMethod.Post, Ramps, new { reason = 5 }, HttpStatusCode.BadRequest, "reason");
    }
}
