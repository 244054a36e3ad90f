using System.Text.Json;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Core.Governance;
using Ripcord.Core.Sync;

using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>Tier-2 override grants as part of the program state (SPEC §4): commands, sync, digest, and the fallback rule that reads them.</summary>
public sealed class GrantTests
{
    private static readonly Principal Sec = new("prn_sec", "sec-lead");
    private static readonly DateTimeOffset Now = Groups.Now;

    private static ProgramState Issue(ProgramState state, string id, string workspace = "acme", string action = "send", int minutes = 30,
        DateTimeOffset? at = null) =>
        ProgramChanges.Apply(state, new IssueGrant(id, workspace, action, "relay down", (at ?? Now).AddMinutes(minutes), Sec), at ?? Now).State;

    /// <summary>The groups definition as it was before tiers could carry inAppOverride (same JSON as the base commit's).</summary>
    // Stage 2's ramp came later too: left out the same way.
    private static ProgramDefinition GroupsWithoutInAppOverride(ProgramDefinition d) =>
        d with { Tiers = [.. d.Tiers.Select(t => t with { InAppOverride = null })], Alerts = [], Stages = [.. d.Stages.Select(s => s with { Ramp = null })] }; // alert rules and ramps came later still

    [Fact]
    [Invariant("GR-1", "a state without grants has the JSON and digest it had before grants existed")]
    public void A_state_without_grants_keeps_the_digest_computed_before_grants_existed()
    {
        // Digests computed with Ripcord.Core as of commit 727035e (before grants), for the same states:
        // the built-in groups program as created, then with an override and a kill switch.
        var start = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var alice = new Principal("prn_alice", "alice");
        var s0 = ProgramChanges.Apply(null, new ApplyDefinition(GroupsWithoutInAppOverride(BuiltInPrograms.Groups)), start).State;
        var s1 = ProgramChanges.Apply(s0, new SetOverride("ovr_1", "F3", "workspace:acme", true, "pilot", null, alice), start.AddMinutes(1)).State;
        var s2 = ProgramChanges.Apply(s1, new ActivateKillSwitch("ks_1", "KS2", "global", null, "drill", alice), start.AddMinutes(2)).State;
        Assert.Equal("1a34982db09fe786b7fc7d87b3e4ecb914d5ef51f0edd478d2a886f0dde10c39", StateSync.Digest(s0));
        Assert.Equal("f4ac5d7041f9b0560786f091ce283b9aeb15400c0aaab7b010da54572054fcdb", StateSync.Digest(s2));
        var json = JsonSerializer.Serialize(s2, CoreJson.Options);
        Assert.Equal(12462, json.Length);
        Assert.DoesNotContain("\"grants\"", json, StringComparison.Ordinal);

        // A grant issued and then revoked leaves the digest where it was.
        var granted = Issue(s2, "g1", at: start.AddMinutes(3));
        Assert.NotEqual(StateSync.Digest(s2), StateSync.Digest(granted));
        var revoked = ProgramChanges.Apply(granted, new RevokeGrant("g1", "done"), start.AddMinutes(4)).State;
        Assert.Equal(StateSync.Digest(s2), StateSync.Digest(revoked));
        Assert.Equal(json, JsonSerializer.Serialize(revoked, CoreJson.Options));
    }

    [Fact]
    public void A_delta_without_grant_changes_writes_no_grant_fields()
    {
        var before = Groups.Initial;
        var delta = StateSync.Compute(before, 1, before.WithOverride("F3", "workspace:w1", true), 2);
        var json = JsonSerializer.Serialize(delta, CoreJson.Options);
        Assert.DoesNotContain("grant", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    [Invariant("SY-1", "applying the delta between two revisions to the first gives exactly the second (same digest)")]
    public void Deltas_carry_grants_issued_and_revoked_and_pass_the_digest_check()
    {
        var s1 = Groups.Initial;
        var s2 = Issue(s1, "g1");
        var s3 = Issue(s2, "g2", workspace: "w9", action: "create");
        var s4 = ProgramChanges.Apply(s3, new RevokeGrant("g1", "restored"), Now).State;
        foreach (var (from, to) in new[] { (s1, s2), (s2, s3), (s3, s4), (s1, s4), (s4, s1) })
        {
            var delta = StateSync.Compute(from, 1, to, 2);
            var wire = JsonSerializer.Deserialize<StateDelta>(JsonSerializer.Serialize(delta, CoreJson.Options), CoreJson.Options)!;
            var applied = StateSync.Apply(from, wire);
            Assert.NotNull(applied);
            Assert.Equal(StateSync.Digest(to), StateSync.Digest(applied));
            Assert.Equal(to.Grants.Select(g => g.Id), applied.Grants.Select(g => g.Id));
        }
        var issued = StateSync.Compute(s1, 1, s2, 2);
        Assert.Equal("g1", Assert.Single(issued.GrantsAdded).Id);
        Assert.Equal(["g1"], StateSync.Compute(s3, 3, s4, 4).GrantsRemoved.ToArray());
        // A delta that names a grant the base lacks does not pass the digest check.
        Assert.Null(StateSync.Apply(s1, StateSync.Compute(s3, 3, s4, 4)));
    }

    [Fact]
    public void A_state_with_grants_round_trips_through_json_with_its_digest()
    {
        var state = Issue(Groups.Initial, "g1");
        var back = JsonSerializer.Deserialize<ProgramState>(JsonSerializer.Serialize(state, CoreJson.Options), CoreJson.Options)!;
        Assert.Equal(StateSync.Digest(state), StateSync.Digest(back));
        Assert.Equal(state.Grants.Single(), back.Grants.Single());
    }

    [Fact]
    public void Issuing_records_the_grant_an_event_and_a_tier2_audit_row_and_prunes_expired_grants()
    {
        var state = Issue(Groups.Initial, "g-old", minutes: 5);
        var change = ProgramChanges.Apply(state, new IssueGrant("g-new", " acme ", "send", "relay down", Now.AddMinutes(40), Sec, "group-admin"),
            Now.AddMinutes(10));
        var grant = change.State.Grants.Single();
        Assert.Equal(("g-new", "acme", "send", "sec-lead", "group-admin"), (grant.Id, grant.WorkspaceId, grant.Action, grant.GrantedBy, grant.InAppRole));
        Assert.Equal(Now.AddMinutes(10), grant.IssuedAt);
        var issued = change.Event<GrantIssued>();
        Assert.Equal(["g-old"], issued.Pruned.ToArray());
        Assert.Equal(AuditAction.Tier2OverrideGrant, change.Audit.Action);
        Assert.Equal("override-grant:groups/g-new", change.Audit.Target);
    }

    public static TheoryData<string, string, string, string, int> BadGrants => new()
    {
        { "g", "", "send", "why", 30 },
        { "g", "acme", " ", "why", 30 },
        { "g", "acme", "send", "", 30 },
        { "g", "acme", "send", "why", 0 },
        { "g", "acme", "send", "why", -5 },
        { "g", "acme", "send", "why", 241 },
        { "g", new string('w', 257), "send", "why", 30 },
        { "g", "acme", new string('a', 65), "why", 30 },
        { "dup", "acme", "send", "why", 30 },
    };

    [Theory]
    [MemberData(nameof(BadGrants))]
    public void Bad_grants_are_refused_and_change_nothing(string id, string workspace, string action, string reason, int minutes)
    {
        var state = Issue(Groups.Initial, "dup");
        var ex = Assert.Throws<ChangeRejectedException>(() =>
            ProgramChanges.Apply(state, new IssueGrant(id, workspace, action, reason, Now.AddMinutes(minutes), Sec), Now));
        Assert.Equal(ChangeError.Invalid, ex.Kind);
        Assert.Single(state.Grants);
    }

    [Fact]
    public void Revoking_removes_the_grant_and_needs_a_known_id_and_a_reason()
    {
        var state = Issue(Groups.Initial, "g1");
        var change = ProgramChanges.Apply(state, new RevokeGrant("g1", "relay restored"), Now);
        Assert.Empty(change.State.Grants);
        Assert.Equal(AuditAction.Tier2OverrideRevoke, change.Audit.Action);
        Assert.Equal("relay restored", change.Event<GrantRevoked>().Reason);
        Assert.Equal(ChangeError.NotFound, Assert.Throws<ChangeRejectedException>(() => ProgramChanges.Apply(state, new RevokeGrant("nope", "x"), Now)).Kind);
        Assert.Equal(ChangeError.Invalid, Assert.Throws<ChangeRejectedException>(() => ProgramChanges.Apply(state, new RevokeGrant("g1", " "), Now)).Kind);
    }

    [Fact]
    public void Definition_applies_and_rollbacks_keep_grants()
    {
        var state = Issue(Groups.Initial, "g1");
        var applied = ProgramChanges.Apply(state, new ApplyDefinition(state.Definition with { Description = "edited" }), Now).State;
        Assert.Equal(["g1"], applied.Grants.Select(g => g.Id));
        var rolledBack = ProgramChanges.Apply(applied, new RollbackTo(1, Groups.Initial, "back"), Now).State;
        Assert.Equal(["g1"], rolledBack.Grants.Select(g => g.Id));
    }

    private static FallbackRequest Tier2(ProgramState state, string workspace = "acme", string action = "send") => new()
    {
        Tier = 2, Capability = "key-unavailable", SecureEnabled = true, BaselineEnabled = true, WorkspaceId = workspace, Action = action,
        Grants = state.Grants,
    };

    [Fact]
    [Invariant("FB-3", "under tier 2 an intent is never replayed on a weaker transport without a valid grant for that workspace and action")]
    public void Decide_honours_a_state_grant_for_its_workspace_and_action_until_it_expires()
    {
        var state = Issue(Issue(Groups.Initial, "g-other", workspace: "w2"), "g1", minutes: 30);
        var catalog = FallbackCatalog.For(state.Definition);
        var d = FallbackEngine.Decide(Tier2(state), catalog, Now.AddMinutes(29));
        Assert.Equal(FallbackOutcome.FallbackPrompt, d.Outcome);
        Assert.Equal(IntentDisposition.ReplayAfterConfirmation, d.Intent);
        Assert.Equal("g1", d.Telemetry.GrantId);
        Assert.Equal("baseline-override", d.BadgeCode);

        // At its expiry it stops applying; another workspace or another action never had it.
        Assert.Equal(FallbackOutcome.Blocked, FallbackEngine.Decide(Tier2(state), catalog, Now.AddMinutes(30)).Outcome);
        Assert.Equal(FallbackOutcome.Blocked, FallbackEngine.Decide(Tier2(state, workspace: "w3"), catalog, Now).Outcome);
        Assert.Equal(FallbackOutcome.Blocked, FallbackEngine.Decide(Tier2(state, action: "create"), catalog, Now).Outcome);
        Assert.Equal(FallbackOutcome.Blocked, FallbackEngine.Decide(Tier2(Groups.Initial), catalog, Now).Outcome);
        // A grant never makes tier 2 fall back automatically.
        Assert.NotEqual(FallbackOutcome.FallbackAuto, FallbackEngine.Decide(Tier2(state) with { StrictTierEnforcement = false }, catalog, Now).Outcome);
    }

    [Fact]
    public void Groups_lets_a_group_admin_override_tier_2_in_app_for_15_minutes()
    {
        var policy = Groups.Definition.Value.InAppOverride(2);
        Assert.NotNull(policy);
        Assert.Equal(["group-admin"], policy.Roles.ToArray());
        Assert.Equal(15, policy.TtlMinutes);
        Assert.True(policy.Allows("group-admin"));
        Assert.False(policy.Allows("member"));
        Assert.Null(Groups.Definition.Value.InAppOverride(1));
        Assert.Contains("inAppOverride: { roles: [\"group-admin\"], ttlMinutes: 15 }", DefinitionWriter.Write(Groups.Definition.Value), StringComparison.Ordinal);
    }

    private const string WithTiers = """
        program: demo
        flags:
          - key: demo.a
            default: false
            safe: false
        stages:
          - id: "0"
        tiers:
        """;

    [Theory]
    [InlineData("  - id: 2\n    inAppOverride: { roles: [], ttlMinutes: 15 }", "tiers[0].inAppOverride.roles")]
    [InlineData("  - id: 2\n    inAppOverride: { roles: [group-admin], ttlMinutes: 0 }", "tiers[0].inAppOverride.ttlMinutes")]
    [InlineData("  - id: 2\n    inAppOverride: { roles: [group-admin], ttlMinutes: 241 }", "tiers[0].inAppOverride.ttlMinutes")]
    [InlineData("  - id: 2\n    inAppOverride: { roles: [\"group admin\"] }", "tiers[0].inAppOverride.roles[0]")]
    [InlineData("  - id: 1\n    inAppOverride: { roles: [group-admin] }", "tiers[0].inAppOverride")]
    [InlineData("  - id: 2\n    inAppOverride: { ttlMinutes: 5 }", "tiers[0].inAppOverride.roles")]
    [InlineData("  - id: 2\n    inAppOverride: { roles: [a], ttl: 5 }", "tiers[0].inAppOverride.ttl")]
    [InlineData("  - id: 2\n    inAppOverride: yes", "tiers[0].inAppOverride")]
    public void A_bad_in_app_override_policy_is_refused_with_its_path(string tiers, string path)
    {
        var result = DefinitionReader.Read(WithTiers + "\n" + tiers + "\n");
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Path == path);
    }

    [Fact]
    public void An_in_app_override_policy_reads_and_writes_back()
    {
        var result = DefinitionReader.Read(WithTiers + "\n  - id: 2\n    inAppOverride: { roles: [group-admin, owner] }\n");
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var policy = result.Definition!.InAppOverride(2)!;
        Assert.Equal(["group-admin", "owner"], policy.Roles.ToArray());
        Assert.Equal(InAppOverridePolicy.DefaultTtlMinutes, policy.TtlMinutes);
        var again = DefinitionReader.Read(DefinitionWriter.Write(result.Definition));
        Assert.Equal(policy.Roles.ToArray(), again.Definition!.InAppOverride(2)!.Roles.ToArray());
    }
}
