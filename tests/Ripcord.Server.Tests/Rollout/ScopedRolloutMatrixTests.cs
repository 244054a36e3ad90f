using static Ripcord.Testing.Groups;

namespace Ripcord.Server.Tests.Rollout;

/// <summary>
/// SPEC §2/§3 scoped rollout validation matrix, end to end over HTTP: each case sets up stage,
/// cohorts and overrides through the API and checks value, reason and scope from
/// POST /api/v1/programs/groups/evaluate for several workspaces, users and tiers.
/// </summary>
public sealed class ScopedRolloutMatrixTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private sealed record Ctx(string? Workspace, string? User, int? Tier)
    {
        public override string ToString() => $"(workspace {Workspace ?? "-"}, user {User ?? "-"}, tier {Tier?.ToString() ?? "-"})";
    }

    private async Task<Evaluated> Eval(Ctx c) => await _server.EvaluateAsync(c.Workspace, c.User, c.Tier);

    private static void Expect(Evaluated e, Ctx c, string flag, bool value, string? reason = null, string? scope = null, string? source = null)
    {
        var r = e[flag];
        var where = $"{flag} for {c}: {e}";
        Assert.True(r.Value == value, $"value: expected {value} — {where}");
        if (reason is not null)
        {
            Assert.True(r.Reason == reason, $"reason: expected {reason} — {where}");
        }
        if (scope is not null)
        {
            Assert.True(r.Scope == scope, $"scope: expected {scope} — {where}");
        }
        if (source is not null)
        {
            Assert.True(r.Source == source, $"source: expected {source} — {where}");
        }
    }

    [Fact]
    public async Task GlobalRoutesOff_WithEmergencyOff_NoTransportOrActionFlagIsOnForAnyone()
    {
        var now = _server.Clock.GetUtcNow();
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "w-pilot-1", "w-pilot-2" } });
        await _server.PutCohortAsync("pilot-secure", new { workspaces = new[] { "w-pilot-1" } });
        await _server.SetStageAsync(1);
        // Not vacuous: without the global switch-off, stage 1 turns routes and transports on for the pilot.
        var before = await _server.EvaluateAsync("w-pilot-1", "u-1", 1);
        Assert.True(before[F1].Value && before[F2].Value && before[F3].Value, before.ToString());

        await _server.SetOverrideAsync("F1", "global", false);
        await _server.SetOverrideAsync("F5", "global", false);
        // Overrides that try to turn transports on at every narrower scope.
        await _server.SetOverrideAsync("F2", "workspace:w-pilot-1", true);
        await _server.SetOverrideAsync("F2", "cohort:pilot", true);
        await _server.SetOverrideAsync("F3", "workspace:w-other", true);
        await _server.SetOverrideAsync("F3", "user:u-diag", true, now.AddHours(24));
        await _server.SetOverrideAsync("groups.send.enabled", "workspace:w-pilot-2", true);

        Ctx[] contexts =
        [
            new("w-pilot-1", "u-1", 0), new("w-pilot-1", "u-diag", 2), new("w-pilot-2", "u-2", 1), new("w-other", "u-diag", 2),
            new("w-other", null, null), new(null, "u-diag", 1), new(null, null, null), new("w-never-seen", "u-3", 0),
        ];
        foreach (var c in contexts)
        {
            var e = await Eval(c);
            Expect(e, c, F1, false, "override", "global", "override@global");
            Expect(e, c, F5, false, "override", "global");
            foreach (var flag in new[] { F2, F3, Create, Send })
            {
                Expect(e, c, flag, false);
            }
            Expect(e, c, F4, true);
            Expect(e, c, Readonly, false);
        }

        // The overrides that tried to switch transports on lose to the prerequisite, and say so.
        var pilot = new Ctx("w-pilot-1", "u-1", 0);
        Expect(await Eval(pilot), pilot, F2, false, "prerequisite", "F1", "prerequisite:F1");
        var diag = new Ctx("w-other", "u-diag", 2);
        Expect(await Eval(diag), diag, F3, false, "prerequisite", "F1", "prerequisite:F1");
        var sender = new Ctx("w-pilot-2", "u-2", 1);
        Expect(await Eval(sender), sender, Send, false, "prerequisite", "F1", "prerequisite:F1");
    }

    [Fact]
    public async Task SecurePilotOverride_ForOneWorkspace_TurnsSecureOnThereOnly_OthersKeepBaseline()
    {
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "w-a", "w-b", "w-c" } });
        await _server.SetStageAsync(1);
        var created = await _server.SetOverrideAsync("F3", "workspace:w-a", true);
        Assert.Equal("workspace:w-a", created.GetProperty("override").GetProperty("scope").GetString());
        Assert.False(created.GetProperty("override").GetProperty("diagnostic").GetBoolean());

        foreach (var c in new Ctx[] { new("w-a", "u-1", 0), new("w-a", "u-2", 2), new("w-a", null, null), new("w-a", "u-3", 1) })
        {
            var e = await Eval(c);
            Expect(e, c, F1, true, "stage", "cohort:pilot", "stage:1@cohort:pilot");
            Expect(e, c, F2, true, "stage", "global", "stage:1");
            Expect(e, c, F3, true, "override", "workspace:w-a", "override@workspace:w-a");
        }
        foreach (var c in new Ctx[] { new("w-b", "u-1", 0), new("w-b", "u-4", 2), new("w-c", null, 1) })
        {
            var e = await Eval(c);
            Expect(e, c, F1, true, "stage", "cohort:pilot");
            Expect(e, c, F2, true, "stage", "global");
            Expect(e, c, F3, false, "default", "global", "default");
        }
        // Outside the pilot nothing is on, and the secure override does not leak there.
        var outside = new Ctx("w-z", "u-1", 2);
        var z = await Eval(outside);
        Expect(z, outside, F1, false, "default");
        Expect(z, outside, F2, false, "prerequisite", "F1");
        Expect(z, outside, F3, false, "default");
    }

    [Fact]
    public async Task PilotCohortAtStage1_GetsRoutesAndBaseline_EveryoneElseGetsNothing()
    {
        var beforeStage = await _server.EvaluateAsync("w-p1", "u-1", 1);
        Assert.False(beforeStage[F1].Value, beforeStage.ToString());

        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "w-p1", "w-p2" } });
        await _server.SetStageAsync(1);

        foreach (var c in new Ctx[] { new("w-p1", "u-1", 0), new("w-p1", "u-2", 1), new("w-p2", "u-3", 2), new("w-p2", null, null) })
        {
            var e = await Eval(c);
            Assert.Equal("1", e.Stage);
            Expect(e, c, F1, true, "stage", "cohort:pilot", "stage:1@cohort:pilot");
            Expect(e, c, F2, true, "stage", "global", "stage:1");
            Expect(e, c, F3, false, "default");
            Expect(e, c, Create, true, "default");
            Expect(e, c, Send, true, "default");
            Expect(e, c, F4, true, "stage");
            Expect(e, c, F5, false);
        }
        foreach (var c in new Ctx[] { new("w-x", "u-1", 0), new("w-y", "u-9", 2), new(null, "u-1", 1), new(null, null, null) })
        {
            var e = await Eval(c);
            Expect(e, c, F1, false, "default", "global", "default");
            foreach (var flag in new[] { F2, Create, Send })
            {
                Expect(e, c, flag, false, "prerequisite", "F1", "prerequisite:F1");
            }
            Expect(e, c, F3, false);
        }
    }

    [Fact]
    public async Task DiagnosticUserOverride_AppliesToThatUserOnly_ChangesNoWorkspaceDefault_AndStopsAtExpiry()
    {
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "w-1" } });
        await _server.SetStageAsync(1);
        var workspaceBefore = await _server.EvaluateAsync("w-1", null, 1);
        var otherUserBefore = await _server.EvaluateAsync("w-1", "u-other", 1);

        var expires = _server.Clock.GetUtcNow().AddHours(48);
        var created = await _server.SetOverrideAsync("F3", "user:u-diag", true, expires, "diagnose secure send for one user");
        var view = created.GetProperty("override");
        Assert.Equal("user:u-diag", view.GetProperty("scope").GetString());
        Assert.True(view.GetProperty("diagnostic").GetBoolean());
        Assert.Equal(expires, view.GetProperty("expiresAt").GetDateTimeOffset());

        var diag = new Ctx("w-1", "u-diag", 1);
        Expect(await Eval(diag), diag, F3, true, "override", "user:u-diag", "override@user:u-diag");
        // The user's override follows the user, but prerequisites still hold outside the pilot.
        var diagElsewhere = new Ctx("w-outside", "u-diag", 1);
        Expect(await Eval(diagElsewhere), diagElsewhere, F3, false, "prerequisite", "F1");

        // Nobody else and no workspace default changed (only the revision moved).
        AssertSameFlags(workspaceBefore, await _server.EvaluateAsync("w-1", null, 1));
        AssertSameFlags(otherUserBefore, await _server.EvaluateAsync("w-1", "u-other", 1));

        var listed = (await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray()
            .Single(o => o.GetProperty("scope").GetString() == "user:u-diag");
        Assert.True(listed.GetProperty("diagnostic").GetBoolean());
        Assert.False(listed.GetProperty("expired").GetBoolean());

        _server.Clock.Advance(TimeSpan.FromHours(48) - TimeSpan.FromSeconds(1));
        Expect(await Eval(diag), diag, F3, true, "override", "user:u-diag");

        _server.Clock.Advance(TimeSpan.FromSeconds(1));
        Expect(await Eval(diag), diag, F3, false, "default", "global", "default");
        AssertSameFlags(otherUserBefore, await _server.EvaluateAsync("w-1", "u-diag", 1));
        listed = (await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray()
            .Single(o => o.GetProperty("scope").GetString() == "user:u-diag");
        Assert.True(listed.GetProperty("expired").GetBoolean());
    }

    [Fact]
    public async Task DiagnosticUserOverride_MustExpireWithin72Hours()
    {
        var now = _server.Clock.GetUtcNow();
        var head = await _server.HeadAsync();
        foreach (var expiresAt in new DateTimeOffset?[] { null, now.AddHours(72).AddSeconds(1), now.AddDays(30) })
        {
            using var response = await _server.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
                json: new { flag = "F3", scope = "user:u-1", value = true, reason = "diag", expiresAt });
            var problem = await ApiAssert.ProblemAsync(response, System.Net.HttpStatusCode.BadRequest);
            Assert.Contains("72", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(head, await _server.HeadAsync());
        var accepted = await _server.SetOverrideAsync("F3", "user:u-1", true, now.AddHours(72));
        Assert.Equal(head + 1, accepted.GetProperty("revision").GetInt64());
    }

    [Fact]
    public async Task FreezeStage_PutsEveryFlagAtItsSafeValueForEveryone_WithReasonEmergency()
    {
        var now = _server.Clock.GetUtcNow();
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "w-1", "w-2" } });
        await _server.SetStageAsync(1);
        // Overrides pulling every flag the unsafe way, including a narrow attempt to switch the emergency off.
        await _server.SetOverrideAsync("F1", "global", true);
        await _server.SetOverrideAsync("F2", "user:u-1", true, now.AddHours(1));
        await _server.SetOverrideAsync("F3", "workspace:w-1", true);
        await _server.SetOverrideAsync("F4", "cohort:pilot", false);
        await _server.SetOverrideAsync("groups.create.enabled", "global", true);
        await _server.SetOverrideAsync("groups.state.readonly", "workspace:w-2", false);
        await _server.SetOverrideAsync("F5", "workspace:w-1", false);
        await _server.SetOverrideAsync("F5", "user:u-1", false, now.AddHours(1));

        var stage = await _server.OkAsync(HttpMethod.Put, "/api/v1/programs/groups/stage", new { stage = "freeze" });
        Assert.Equal("freeze", stage.GetProperty("stage").GetString());

        await AssertEverythingSafe("stage", new Ctx("w-1", "u-1", 0), new Ctx("w-1", "u-2", 2), new Ctx("w-2", null, 1),
            new Ctx("w-9", "u-9", null), new Ctx(null, null, null), new Ctx(null, "u-1", 2));
    }

    [Fact]
    public async Task EmergencyFlagOnByGlobalOverride_PutsEveryFlagAtItsSafeValueForEveryone_WithReasonEmergency()
    {
        var now = _server.Clock.GetUtcNow();
        await _server.SetStageAsync(3);
        var before = await _server.EvaluateAsync("w-1", "u-1", 1);
        Assert.True(before[F1].Value && before[F2].Value && before[F3].Value, before.ToString());

        await _server.SetOverrideAsync("F3", "workspace:w-1", true);
        await _server.SetOverrideAsync("F5", "global", true);
        // Monotone: narrower overrides cannot switch the emergency off inside a global one.
        await _server.SetOverrideAsync("F5", "workspace:w-1", false);
        await _server.SetOverrideAsync("F5", "user:u-1", false, now.AddHours(2));

        await AssertEverythingSafe("override", new Ctx("w-1", "u-1", 1), new Ctx("w-1", "u-2", 2), new Ctx("w-2", "u-1", 0),
            new Ctx(null, null, null), new Ctx("w-3", null, 2));
    }

    private async Task AssertEverythingSafe(string emergencyReason, params Ctx[] contexts)
    {
        foreach (var c in contexts)
        {
            var e = await Eval(c);
            Expect(e, c, F5, true, emergencyReason, "global");
            foreach (var (flag, safe) in Safe)
            {
                if (flag == F5)
                {
                    continue;
                }
                Expect(e, c, flag, safe, "emergency", "global", "emergency:F5");
            }
        }
    }

    private static void AssertSameFlags(Evaluated expected, Evaluated actual)
    {
        Assert.Equal(expected.Stage, actual.Stage);
        Assert.Equal(expected.Flags.OrderBy(kv => kv.Key, StringComparer.Ordinal), actual.Flags.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }
}
