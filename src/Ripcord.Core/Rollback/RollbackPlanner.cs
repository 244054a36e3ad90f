using System.Collections.Immutable;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Rollback;

/// <summary>One context a rollback is judged on, with the label an operator reads (<c>workspace:acme</c>, <c>sample:3 (tier 2)</c>).</summary>
public sealed record PlanContext(string Label, string? Workspace, string? User, int? Tier)
{
    public EvaluationContext ToContext() => new(Workspace, User, Tier);
}

/// <summary>A flag whose value at a context differs between now and after the rollback.</summary>
public sealed record FlagDifference(string Flag, string Context, bool Now, bool After, string NowReason, string AfterReason);

/// <summary>An override as a plan lists it: what happens to it (<c>removed</c>, <c>restored</c>, <c>kept</c>, <c>dropped-orphan</c>).</summary>
public sealed record PlannedOverride(string Id, string Flag, string Scope, bool Value, string Fate);

/// <summary>An active kill switch as a plan lists it: <c>kept</c>, or <c>lifted</c> only when the operator said so.</summary>
public sealed record PlannedKillSwitch(string Id, string Level, string Scope, string Fate);

/// <summary>
/// What a rollback to <see cref="TargetRevision"/> would do, before anything changes (seed §13): the effective
/// difference per flag and context, the overrides and kill switches removed or kept, and the scope overrides
/// the target would leave orphaned (dropped by the rollback, so none is left after it).
/// </summary>
public sealed record RollbackPlan
{
    public required string Program { get; init; }
    public required long CurrentRevision { get; init; }
    public required long TargetRevision { get; init; }
    public required string CurrentStage { get; init; }
    public required string TargetStage { get; init; }
    public required bool KeepKillSwitches { get; init; }
    public ImmutableArray<PlanContext> Contexts { get; init; } = [];
    /// <summary>At most <see cref="RollbackPlanner.MaxDifferences"/>; <see cref="DifferenceCount"/> counts them all.</summary>
    public ImmutableArray<FlagDifference> Differences { get; init; } = [];
    public int DifferenceCount { get; init; }
    public ImmutableArray<PlannedOverride> Overrides { get; init; } = [];
    public ImmutableArray<PlannedKillSwitch> KillSwitches { get; init; } = [];
    /// <summary>Target overrides pointing at a flag or cohort the target does not know: dropped, never restored.</summary>
    public ImmutableArray<PlannedOverride> Orphaned { get; init; } = [];
    /// <summary>The configuration changes in words (<see cref="StateDiff"/>).</summary>
    public ImmutableArray<StateChange> Changes { get; init; } = [];
    public bool ChangesNothing => Changes.IsEmpty;
}

/// <summary>The effective evaluation compared with the expected one over a context set.</summary>
public sealed record EvaluationCheck(bool Equal, int Contexts, int Flags, ImmutableArray<FlagDifference> Mismatches);

/// <summary>
/// Plans and checks rollbacks, purely: the state after a rollback (<see cref="After"/>), the context set it is
/// judged on, and the effective difference between two states over it.
/// </summary>
public static class RollbackPlanner
{
    public const int MaxDifferences = 200;
    public const int SampleSize = 24;
    public const int MaxContexts = 600;
    private const int PerCohort = 20;

    /// <summary>What the program looks like after rolling back to <paramref name="target"/> (the same rule as the writer's).</summary>
    public static ProgramState After(ProgramState current, long targetRevision, ProgramState target, bool keepKillSwitches, DateTimeOffset now) =>
        ProgramChanges.Apply(current, new RollbackTo(targetRevision, target, "plan", keepKillSwitches), now).State;

    public static RollbackPlan Plan(ProgramState current, long currentRevision, ProgramState target, long targetRevision, bool keepKillSwitches,
        DateTimeOffset now)
    {
        var after = After(current, targetRevision, target, keepKillSwitches, now);
        var contexts = Contexts(current, target);
        var differences = Compare(current, after, contexts, now, int.MaxValue);
        var orphaned = ProgramChanges.OrphanedOverrides(target).Select(o => Planned(o, "dropped-orphan")).ToImmutableArray();
        var currentIds = current.Overrides.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var afterIds = after.Overrides.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var overrides = current.Overrides.Select(o => Planned(o, afterIds.Contains(o.Id) ? "kept" : "removed"))
            .Concat(after.Overrides.Where(o => !currentIds.Contains(o.Id)).Select(o => Planned(o, "restored")))
            .OrderBy(o => o.Flag, StringComparer.Ordinal).ThenBy(o => o.Scope, StringComparer.Ordinal).ToImmutableArray();
        var keptKs = after.KillSwitches.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var killSwitches = current.KillSwitches.Select(k => new PlannedKillSwitch(k.Id, k.Level, k.Scope.ToString(), keptKs.Contains(k.Id) ? "kept" : "lifted"))
            .Concat(after.KillSwitches.Where(k => !current.KillSwitches.Any(c => c.Id == k.Id))
                .Select(k => new PlannedKillSwitch(k.Id, k.Level, k.Scope.ToString(), "restored")))
            .ToImmutableArray();
        return new RollbackPlan
        {
            Program = current.Program,
            CurrentRevision = currentRevision,
            TargetRevision = targetRevision,
            CurrentStage = current.Stage,
            TargetStage = after.Stage,
            KeepKillSwitches = keepKillSwitches,
            Contexts = contexts,
            Differences = [.. differences.Mismatches.Take(MaxDifferences)],
            DifferenceCount = differences.Mismatches.Length,
            Overrides = overrides,
            KillSwitches = killSwitches,
            Orphaned = orphaned,
            Changes = StateDiff.Between(current, after),
        };
    }

    /// <summary>
    /// The contexts a rollback is judged on: no workspace at all; every explicit member of every cohort of either
    /// state (at most 20 per cohort); every workspace and user that has an override in either state; and a
    /// deterministic sample of made-up workspaces across tiers (which percentage and rule cohorts bucket).
    /// </summary>
    public static ImmutableArray<PlanContext> Contexts(params ProgramState[] states)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<PlanContext>();
        void Add(PlanContext c)
        {
            if (list.Count < MaxContexts && seen.Add(c.Label))
            {
                list.Add(c);
            }
        }
        Add(new PlanContext("global", null, null, null));
        foreach (var state in states)
        {
            foreach (var cohort in state.Cohorts.OrderBy(c => c.Id, StringComparer.Ordinal))
            {
                foreach (var w in cohort.Workspaces.Take(PerCohort))
                {
                    Add(new PlanContext("workspace:" + w, w, null, null));
                }
                foreach (var u in cohort.Users.Take(PerCohort))
                {
                    Add(new PlanContext("user:" + u, null, u, null));
                }
            }
        }
        foreach (var state in states)
        {
            foreach (var o in state.Overrides.OrderBy(o => o.Scope.ToString(), StringComparer.Ordinal))
            {
                switch (o.Scope.Kind)
                {
                    case ScopeKind.Workspace:
                        Add(new PlanContext("workspace:" + o.Scope.Id, o.Scope.Id, null, null));
                        break;
                    case ScopeKind.User:
                        Add(new PlanContext("user:" + o.Scope.Id, null, o.Scope.Id, null));
                        break;
                }
            }
        }
        for (var i = 0; i < SampleSize; i++)
        {
            var tier = i % 4 == 0 ? (int?)null : i % 4 - 1;
            Add(new PlanContext($"sample:{i}" + (tier is { } t ? $" (tier {t})" : ""), $"sample-ws-{i}", $"sample-user-{i}", tier));
        }
        return [.. list];
    }

    /// <summary>Every flag of either state at every context: where <paramref name="actual"/> and <paramref name="expected"/> differ.</summary>
    public static EvaluationCheck Compare(ProgramState actual, ProgramState expected, IReadOnlyList<PlanContext> contexts, DateTimeOffset now,
        int maxMismatches = MaxDifferences)
    {
        var a = CompiledProgram.Compile(actual, 0);
        var e = CompiledProgram.Compile(expected, 0);
        var flags = actual.Definition.Flags.Select(f => f.Key).Union(expected.Definition.Flags.Select(f => f.Key), StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToList();
        var mismatches = ImmutableArray.CreateBuilder<FlagDifference>();
        foreach (var context in contexts)
        {
            var ctx = context.ToContext();
            foreach (var flag in flags)
            {
                var x = Evaluator.Evaluate(a, flag, ctx, now);
                var y = Evaluator.Evaluate(e, flag, ctx, now);
                if ((x.Value != y.Value || x.Reason != y.Reason) && mismatches.Count < maxMismatches)
                {
                    mismatches.Add(new FlagDifference(flag, context.Label, x.Value, y.Value, x.ReasonName, y.ReasonName));
                }
            }
        }
        return new EvaluationCheck(mismatches.Count == 0, contexts.Count, flags.Count, mismatches.ToImmutable());
    }

    private static PlannedOverride Planned(FlagOverride o, string fate) => new(o.Id, o.Flag, o.Scope.ToString(), o.Value, fate);
}
