using FsCheck;
using FsCheck.Fluent;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Tests;

/// <summary>A random groups configuration and context: the input space of the property tests.</summary>
public sealed record Scenario(ProgramState State, EvaluationContext Context, DateTimeOffset Now, string Story)
{
    public override string ToString() => Story;

    private static readonly string[] Workspaces = ["w1", "w2", "w3", "w4"];
    private static readonly string[] Users = ["u1", "u2", "u3"];
    private static readonly string[] CohortIds = ["internal", "internal-secure", "pilot", "pilot-secure", "secure-ready", "limited-ga", "tier-eligible", "all"];

    public static string[] FlagKeys => [.. Groups.Definition.Value.Flags.Select(f => f.Key)];

    private static Gen<string> ScopeGen(bool allowUser) => Gen.OneOf(
        Gen.Constant("global"),
        Gen.Elements(Workspaces).Select(w => "workspace:" + w),
        Gen.Elements(CohortIds).Select(c => "cohort:" + c),
        allowUser ? Gen.Elements(Users).Select(u => "user:" + u) : Gen.Constant("global"));

    private sealed record OverrideSpec(string Flag, string Scope, bool Value, int ExpiryHours);

    private static readonly Gen<OverrideSpec> OverrideGen =
        from flag in Gen.Elements(FlagKeys)
        from scope in ScopeGen(allowUser: true)
        from value in ArbMap.Default.GeneratorFor<bool>()
        // negative: already expired at evaluation time; 0: no expiry (user scope gets 24 h)
        from expiry in Gen.Choose(-48, 48)
        select new OverrideSpec(flag, scope, value, expiry);

    public static readonly Gen<Scenario> Generator =
        from stage in Gen.Elements("0", "1", "2", "3", "freeze")
        from members in Gen.ListOf(Gen.Elements(Workspaces).Zip(Gen.Elements(CohortIds.Take(5).ToArray())))
        from overrides in Gen.ListOf(OverrideGen).Select(l => l.Take(12).ToList())
        from kills in Gen.ListOf(Gen.Elements("KS1", "KS2", "KS3", "KS4", "KS5").Zip(ScopeGen(allowUser: false))).Select(l => l.Take(3).ToList())
        from grants in Gen.ListOf(Gen.Elements(Workspaces).Zip(Gen.Choose(-30, 60))).Select(l => l.Take(3).ToList())
        from workspace in Gen.Elements(Workspaces.Append(null).ToArray())
        from user in Gen.Elements(Users.Append(null).ToArray())
        from tier in Gen.Elements<int?>(0, 1, 2, null)
        from tag in Gen.Choose(0, 1_000_000_000)
        select Build(stage, members, overrides, kills, grants, workspace, user, tier, tag);

    public static Arbitrary<Scenario> Arbitrary => Generator.ToArbitrary();

    private static Scenario Build(string stage, IList<(string, string)> members, List<OverrideSpec> overrides,
        List<(string, string)> kills, List<(string, int)> grants, string? workspace, string? user, int? tier, int tag)
    {
        var now = Groups.Now;
        var created = now.AddDays(-3);
        var state = ProgramChanges.SetStage(Groups.Initial, stage);
        foreach (var cohort in members.GroupBy(m => m.Item2))
        {
            state = ProgramChanges.PutCohort(state, new CohortDefinition { Id = cohort.Key, Workspaces = [.. cohort.Select(m => m.Item1).Distinct()] }).State;
        }
        var i = 0;
        foreach (var o in overrides)
        {
            // Overrides are created in the past so that some have expired by `now`.
            DateTimeOffset? expires = o.ExpiryHours == 0 ? null : now.AddHours(o.ExpiryHours);
            var at = o.Scope.StartsWith("user:", StringComparison.Ordinal) ? (expires ?? now.AddHours(24)).AddHours(-60) : created;
            if (o.Scope.StartsWith("user:", StringComparison.Ordinal))
            {
                expires ??= now.AddHours(24);
            }
            state = ProgramChanges.AddOverride(state, new OverrideRequest(o.Flag, o.Scope, o.Value, "p", expires), $"o{tag}-{i++}", "p", at).State;
        }
        foreach (var (level, scope) in kills)
        {
            state = ProgramChanges.ActivateKillSwitch(state, new KillSwitchActivation
            {
                Id = $"k{tag}-{i++}", Level = level, Scope = Scope.Parse(scope), Reason = "p", ActivatedAt = now, ActivatedBy = "p",
            });
        }
        foreach (var (grantWorkspace, minutes) in grants)
        {
            // Minutes from now, negative: already expired at evaluation time.
            state = state with { Grants = state.Grants.Add(new Fallback.OverrideGrant($"g{tag}-{i++}", "groups", grantWorkspace, "send", now.AddMinutes(minutes), "p")) };
        }
        var story = $"stage {stage}; cohorts [{string.Join(",", members)}]; overrides [{string.Join(", ", overrides.Select(o => $"{o.Flag}={o.Value}@{o.Scope}/{o.ExpiryHours}h"))}]; " +
            $"kills [{string.Join(",", kills)}]; grants [{string.Join(",", grants)}]; context ws={workspace} user={user} tier={tier}";
        return new Scenario(state, new EvaluationContext(workspace, user, tier), now, story);
    }
}
