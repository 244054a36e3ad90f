using System.Net;
using System.Text.Json;
using Ripcord.Core.Gates;
using Ripcord.Server.Tests.KillSwitches;
using static Ripcord.Server.Tests.Gates.GateHarness;

namespace Ripcord.Server.Tests.Gates;

/// <summary>
/// Stage 0 → 1 through the gates against a real server on a fake clock: a refused advance lists every
/// failing criterion and changes nothing; once telemetry, checks, sign-offs, support load, soak and the
/// incident work pass, the advance writes one revision and tags the evaluated one known-safe.
/// </summary>
public sealed class StageAdvanceTests
{
    [Fact]
    [Invariant("SG-1", "a move is allowed exactly when every criterion passed; the checklist lists every criterion")]
    [Invariant("SG-6", "a refused advance names every failing criterion and writes nothing; an allowed one writes one revision and tags the evaluated revision known-safe")]
    public async Task FromStage0To1_RefusedWithEveryFailingCriterion_ThenAdvanced_AndKnownSafeTagged()
    {
        await using var server = await RipcordTestServer.StartAsync();
        await ZeroToOneAsync(server);
    }

    /// <summary>The whole scenario on <paramref name="server"/> (SQLite here, PostgreSQL in <see cref="PostgresGateTests"/>).</summary>
    internal static async Task ZeroToOneAsync(RipcordTestServer server)
    {
        var releaseManager = await server.CreateTokenAsync("release-manager", "rita");
        var ci = await server.CreateTokenAsync("operator", "ci");
        var security = await server.CreateTokenAsync("security-lead", "sam");
        var sdk = await server.CreateTokenAsync("sdk", "app");
        // Everything wrong at once: an open P1 with an open action item, a freeze (which opens a review), bad telemetry,
        // no checks, no sign-offs, no support load, no soak, no drill.
        var incident = await server.DeclareAsync("P1", "confidentiality-incident");
        await server.OkAsync(HttpMethod.Post, $"{Api}/incidents/{incident}/actions", new { text = "rotate the relay keys" });
        var freeze = (await server.OkAsync(HttpMethod.Post, $"{Api}/freezes", new { scope = "global", reason = "P1" })).GetProperty("id").GetString()!;
        await server.PostEventsAsync(sdk, 10, Mode);
        await server.PostEventsAsync(sdk, 5, Fallback);
        await server.PostEventsAsync(sdk, 5, at => Send(at, "ok"));
        await server.PostEventsAsync(sdk, 5, at => Send(at, "failed"));
        server.Clock.Advance(TimeSpan.FromMinutes(1)); // the window is [stage entered, now): now moves past the events

        var before = await server.GateStateAsync();
        using (var refused = await server.AdvanceAsync(releaseManager, 1, dryRun: false))
        {
            var problem = await ApiAssert.ProblemAsync(refused, HttpStatusCode.UnprocessableEntity);
            Assert.False(problem.GetProperty("allowed").GetBoolean());
            Assert.Equal("1", problem.GetProperty("target").GetString());
            Assert.Equal(CriterionNames.All.ToArray(), problem.GetProperty("failing").EnumerateArray().Select(f => f.GetString()!).ToArray());
            var criteria = ByName(problem.GetProperty("criteria"));
            Assert.Equal(CriterionNames.All.Length, criteria.Count);
            Assert.All(criteria.Values, c => Assert.False(c.GetProperty("passed").GetBoolean()));
            foreach (var name in CriterionNames.All)
            {
                Assert.Contains(name, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
            Assert.Equal("50% (5 of 10 sends failed)", criteria[CriterionNames.ErrorRate].GetProperty("figure").GetString());
            Assert.Equal("< 1%", criteria[CriterionNames.ErrorRate].GetProperty("threshold").GetString());
            Assert.Equal("50% (5 fallbacks in 10 operations)", criteria[CriterionNames.FallbackRate].GetProperty("figure").GetString());
            Assert.Equal("10 operations", criteria[CriterionNames.SampleSize].GetProperty("figure").GetString());
            Assert.Equal("no drill recorded", criteria[CriterionNames.Drills].GetProperty("evidence").GetString());
            Assert.Contains(freeze, criteria[CriterionNames.StageHold].GetProperty("evidence").GetString(), StringComparison.Ordinal);
            Assert.Contains(incident, criteria[CriterionNames.CriticalIncidents].GetProperty("evidence").GetString(), StringComparison.Ordinal);
            Assert.Equal("entry", criteria[CriterionNames.QualityGates].GetProperty("kind").GetString());
            Assert.Equal("exit", criteria[CriterionNames.SoakTime].GetProperty("kind").GetString());
        }
        Assert.Equal(before, await server.GateStateAsync());

        // Put every fact right.
        await server.OkAsync(HttpMethod.Post, $"{Api}/incidents/{incident}/actions/a1/resolve");
        await server.OkAsync(HttpMethod.Post, $"{Api}/incidents/{incident}/resolve", new { summary = "keys rotated" });
        await server.OkAsync(HttpMethod.Delete, $"{Api}/freezes/{freeze}", new { reason = "keys rotated" });
        foreach (var review in (await server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray())
        {
            await server.OkAsync(HttpMethod.Post, $"/api/v1/reviews/{review.GetProperty("id").GetString()}/complete", new { findings = "proportionate" }, token: security);
        }
        using (var applied = await server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, $"{Api}/definition", RipcordTestServer.AdminToken,
            RipcordTestServer.Yaml(GroupsWithDrillsWaived()))))
        {
            Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        }
        server.Clock.Advance(TimeSpan.FromMinutes(59));
        await server.PostEventsAsync(sdk, 990, Mode);                          // 1000 operations, 5 fallbacks: 0.5%
        await server.PostEventsAsync(sdk, 600, at => Send(at, "ok"));         // 5 of 610 sends failed: 0.82%
        await server.PostCheckAsync(ci, "quality", "pilot");
        await server.PostCheckAsync(ci, "interop", "pilot");
        await server.PostCheckAsync(ci, "interop", "pilot-secure", "failed");
        await server.PostCheckAsync(ci, "interop", "pilot-secure");           // the latest counts
        foreach (var tier in new[] { 0, 1, 2 })
        {
            await server.OkAsync(HttpMethod.Post, $"{Api}/signoffs", new { tier, stage = "1", reason = "threat model reviewed" }, token: security);
        }
        await server.OkAsync(HttpMethod.Put, $"{Api}/support-load", new { ticketsPerDay = 4 }, token: ci);

        // One hour short of the soak: only soak-time fails, and a dry run writes nothing.
        server.Clock.Advance(TimeSpan.FromHours(22));
        using (var early = await server.AdvanceAsync(releaseManager, "1", dryRun: true))
        {
            var view = await ApiAssert.SuccessJsonAsync(early);
            Assert.False(view.GetProperty("allowed").GetBoolean());
            Assert.Equal([CriterionNames.SoakTime], view.GetProperty("failing").EnumerateArray().Select(f => f.GetString()!).ToArray());
            Assert.Equal("23 h", ByName(view.GetProperty("criteria"))[CriterionNames.SoakTime].GetProperty("figure").GetString());
        }

        server.Clock.Advance(TimeSpan.FromHours(1));
        var evaluated = await server.HeadAsync();
        var auditHead = await server.AuditHeadAsync();
        using (var dry = await server.AdvanceAsync(releaseManager, 1, dryRun: true))
        {
            var view = await ApiAssert.SuccessJsonAsync(dry);
            Assert.True(view.GetProperty("allowed").GetBoolean(), view.GetRawText());
            Assert.Equal(evaluated, await server.HeadAsync());
        }
        using var advanced = await server.AdvanceAsync(releaseManager, 1, dryRun: false);
        var result = await ApiAssert.SuccessJsonAsync(advanced);
        Assert.True(result.GetProperty("allowed").GetBoolean());
        Assert.Equal(evaluated + 1, result.GetProperty("revision").GetInt64());
        Assert.Equal(evaluated, result.GetProperty("knownSafe").GetInt64());
        Assert.Equal(evaluated + 1, await server.HeadAsync());
        Assert.Equal("1", (await server.GetAsync($"{Api}/stage")).GetProperty("stage").GetString());
        var passed = ByName(result.GetProperty("criteria"));
        Assert.Equal("0.82% (5 of 610 sends failed)", passed[CriterionNames.ErrorRate].GetProperty("figure").GetString());
        Assert.Equal("0.5% (5 fallbacks in 1000 operations)", passed[CriterionNames.FallbackRate].GetProperty("figure").GetString());
        Assert.Contains("waived by the definition: drills are recorded by a later release", passed[CriterionNames.Drills].GetProperty("evidence").GetString(),
            StringComparison.Ordinal);

        // The evaluated revision is known-safe, with the exit checklist as evidence; the advance and the tag are audited.
        var revisions = await server.GetAsync($"{Api}/revisions?limit=5");
        var tagged = revisions.EnumerateArray().Single(r => r.GetProperty("revision").GetInt64() == evaluated).GetProperty("knownSafe");
        Assert.Equal("auto", tagged.GetProperty("kind").GetString());
        Assert.Equal("0", tagged.GetProperty("stage").GetString());
        var evidence = JsonDocument.Parse(tagged.GetProperty("evidence").GetString()!).RootElement;
        Assert.Equal(6, evidence.GetArrayLength());
        Assert.All(evidence.EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean()));
        Assert.False(revisions.EnumerateArray().First().TryGetProperty("knownSafe", out var newest) && newest.ValueKind != JsonValueKind.Null,
            "the advance's own revision is not known-safe yet");
        Assert.Equal(evaluated, (await server.GetAsync($"{Api}/revisions/known-safe/latest")).GetProperty("revision").GetInt64());
        var audit = await server.AuditAfterAsync(auditHead);
        Assert.Equal(["stage.set", "revision.known-safe"], audit.Select(e => e.GetProperty("action").GetString()!).ToArray());
        Assert.All(audit, e => Assert.Equal("rita", e.GetProperty("actor").GetString()));

        // Already there: advancing again is a conflict, not a second revision.
        using var again = await server.AdvanceAsync(releaseManager, 1, dryRun: false);
        await ApiAssert.ProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Equal(evaluated + 1, await server.HeadAsync());
    }
}
