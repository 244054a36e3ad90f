using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.KillSwitches;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The recommender over random cohorts, affected sets, triggers and failing operations (docs/invariants.md).</summary>
public sealed class RecommenderProperties
{
    private static readonly string[] Pool = ["w1", "w2", "w3", "w4", "w5", "w6"];
    private static readonly string[] CohortIds = ["internal", "pilot", "pilot-secure", "secure-ready", "extra"];

    public sealed record Case(ProgramState State, string Trigger, Scope[] Affected, string? Failing)
    {
        public override string ToString() =>
            $"{Trigger} [{string.Join(" ", Affected)}] failing={Failing ?? "-"} cohorts={string.Join(" ", State.Cohorts.Where(c => c.Kind == CohortKind.Explicit).Select(c => c.Id + "=" + string.Join(",", c.Workspaces)))}";
    }

    private static readonly Gen<string[]> Members = Gen.SubListOf(Pool).Select(l => l.ToArray());

    private static readonly Gen<Scope> AffectedScope = Gen.Frequency(
        (8, Gen.Elements(Pool).Select(w => new Scope(ScopeKind.Workspace, w))),
        (2, Gen.Elements(CohortIds).Select(c => new Scope(ScopeKind.Cohort, c))),
        (1, Gen.Constant(Scope.Global)));

    public static readonly Gen<Case> Cases =
        from cohorts in Gen.ArrayOf(Members, CohortIds.Length)
        from trigger in Gen.Elements([.. KillSwitchTriggers.All, "meteor-strike"])
        from count in Gen.Choose(0, 5)
        from affected in Gen.ArrayOf(AffectedScope, count)
        from failing in Gen.Elements<string?>(null, "send", "create", "routes", "secure-transport", "teleport")
        select new Case(WithCohorts(cohorts), trigger, affected, failing);

    private static ProgramState WithCohorts(string[][] members)
    {
        var state = Groups.Initial;
        for (var i = 0; i < CohortIds.Length; i++)
        {
            state = state.WithCohort(CohortIds[i], members[i]);
        }
        return state;
    }

    private static Recommendation Recommend(Case c) => Recommender.Recommend(c.State, c.Trigger, c.Affected, c.Failing);

    [Property(MaxTest = 500)]
    [Invariant("KR-1", "the recommended scope covers every affected workspace and cohort")]
    public Property Scope_covers_the_affected() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var scope = Recommend(c).Scope!.Value;
        return c.Affected.All(a => scope.Kind switch
        {
            ScopeKind.Global => true,
            ScopeKind.Workspace => a == scope,
            ScopeKind.Cohort => a == scope || (a.Kind == ScopeKind.Workspace && c.State.FindCohort(scope.Id!)!.Workspaces.Contains(a.Id!)),
            _ => false,
        });
    });

    [Property(MaxTest = 500)]
    [Invariant("KR-2", "for a crash or memory regression in a named operation, the recommended level stops it and no smaller level does")]
    public Property Level_is_the_smallest_that_stops_the_failing_operation() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var d = c.State.Definition;
        if (c.Trigger != KillSwitchTriggers.CrashOrMemoryRegression || c.Failing is null || !d.Operations.ContainsKey(c.Failing))
        {
            return true;
        }
        var level = Recommend(c).Level!;
        var size = LevelOperations.ForcedFlagCount(d, level);
        return LevelOperations.DisabledOperations(d, level).Contains(c.Failing)
            && !d.KillSwitchLevels.Any(l => LevelOperations.ForcedFlagCount(d, l.Id) < size && LevelOperations.DisabledOperations(d, l.Id).Contains(c.Failing));
    });

    [Property(MaxTest = 500)]
    [Invariant("KR-3", "the level is left to the operator exactly when the trigger maps to ask or is not mapped; otherwise it is a level of the definition")]
    public Property Level_is_null_only_for_ask() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var d = c.State.Definition;
        var level = Recommend(c).Level;
        var ask = !d.Triggers.TryGetValue(c.Trigger, out var mapped) || mapped == ProgramDefinition.AskOperator;
        return ask ? level is null : d.KillSwitchLevels.Any(l => l.Id == level);
    });

    [Property(MaxTest = 500)]
    [Invariant("KR-4", "a cohort chosen for several affected workspaces is a listed cohort made exactly or mostly of them (at least half its members)")]
    public Property Chosen_cohort_is_mostly_the_affected() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var scope = Recommend(c).Scope!.Value;
        var workspaces = c.Affected.Where(a => a.Kind == ScopeKind.Workspace).Select(a => a.Id!).Distinct().ToList();
        if (scope.Kind != ScopeKind.Cohort || c.Affected.Any(a => a.Kind == ScopeKind.Cohort))
        {
            return true;
        }
        var cohort = c.State.FindCohort(scope.Id!)!;
        return cohort.Kind == CohortKind.Explicit && 2 * workspaces.Count >= cohort.Workspaces.Length;
    });

    [Property(MaxTest = 300)]
    [Invariant("KR-5", "the recommendation is deterministic and always gives its reasons")]
    public Property Deterministic_with_reasons() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var a = Recommend(c);
        var b = Recommend(c);
        return a.Level == b.Level && a.Scope == b.Scope && a.Reasoning.SequenceEqual(b.Reasoning) && a.Reasoning.Length >= 2;
    });
}
