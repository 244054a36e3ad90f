using System.Collections.Immutable;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.KillSwitches;

/// <summary>
/// A recommended kill switch: the level (null when the operator must choose), the scope, and the reasons,
/// one plain-English line each, shown beside the recommendation.
/// </summary>
public sealed record Recommendation(string? Level, Scope? Scope, ImmutableArray<string> Reasoning);

/// <summary>
/// SPEC §5's recommender, pure: the minimal effective level for a trigger and the smallest scope that
/// covers the affected workspaces. Always recommends a scope, even when the level is left to the operator.
/// </summary>
public static class Recommender
{
    public static Recommendation Recommend(ProgramState state, string trigger, IReadOnlyList<Scope> affected, string? failingOperation)
    {
        var reasoning = ImmutableArray.CreateBuilder<string>();
        var level = Level(state.Definition, trigger, failingOperation, reasoning);
        var scope = SmallestScope(state, affected, reasoning);
        return new Recommendation(level, scope, reasoning.ToImmutable());
    }

    private static string? Level(ProgramDefinition d, string trigger, string? failingOperation, ImmutableArray<string>.Builder why)
    {
        if (!d.Triggers.TryGetValue(trigger, out var mapped))
        {
            why.Add($"trigger {trigger} has no level in the definition's triggers, so the operator chooses the level");
            return null;
        }
        if (string.Equals(mapped, ProgramDefinition.AskOperator, StringComparison.Ordinal))
        {
            why.Add($"trigger {trigger} maps to '{ProgramDefinition.AskOperator}': there is no default level, so the operator chooses");
            return null;
        }
        why.Add($"trigger {trigger} maps to {mapped} ({Meaning(d, mapped)})");
        if (failingOperation is null)
        {
            return mapped;
        }
        if (!d.Operations.ContainsKey(failingOperation))
        {
            why.Add($"the failing operation '{failingOperation}' is not one of the definition's operations ({string.Join(", ", d.Operations.Keys)}), so it does not narrow the level");
            return mapped;
        }
        if (!string.Equals(trigger, KillSwitchTriggers.CrashOrMemoryRegression, StringComparison.Ordinal))
        {
            if (!LevelOperations.DisabledOperations(d, mapped).Contains(failingOperation, StringComparer.Ordinal))
            {
                why.Add($"note: {mapped} does not stop the failing operation {failingOperation}");
            }
            return mapped;
        }
        // A crash or memory regression in a known operation needs only the smallest level that stops it.
        var smallest = SmallestLevelStopping(d, failingOperation);
        if (smallest is null)
        {
            why.Add($"no level stops the failing operation {failingOperation}, so {mapped} stays");
            return mapped;
        }
        why.Add($"the failing operation {failingOperation} is stopped by {smallest.Id} ({Meaning(d, smallest.Id)}), the smallest level that stops it"
            + $" ({Flags(LevelOperations.ForcedFlagCount(d, smallest.Id))} forced to the safe value, against {Flags(LevelOperations.ForcedFlagCount(d, mapped))} for {mapped})");
        return smallest.Id;
    }

    /// <summary>
    /// The level that stops <paramref name="operation"/> and forces the fewest flags to their safe value
    /// (see <see cref="LevelOperations.ForcedFlagCount"/>), earliest in the definition on a tie.
    /// </summary>
    public static KillSwitchLevel? SmallestLevelStopping(ProgramDefinition d, string operation) =>
        d.KillSwitchLevels
            .Select((level, index) => (level, index))
            .Where(x => LevelOperations.DisabledOperations(d, x.level.Id).Contains(operation, StringComparer.Ordinal))
            .OrderBy(x => LevelOperations.ForcedFlagCount(d, x.level.Id))
            .ThenBy(x => x.index)
            .Select(x => x.level)
            .FirstOrDefault();

    private static string Meaning(ProgramDefinition d, string level) =>
        d.KillSwitchLevels.FirstOrDefault(l => string.Equals(l.Id, level, StringComparison.Ordinal))?.Meaning is { Length: > 0 } m ? m : "no meaning given";

    private static string Flags(int n) => n == 1 ? "1 flag" : $"{n} flags";

    private static Scope SmallestScope(ProgramState state, IReadOnlyList<Scope> affected, ImmutableArray<string>.Builder why)
    {
        if (affected.Count == 0)
        {
            why.Add("no affected workspaces or cohorts were named, so the scope is global");
            return Scope.Global;
        }
        if (affected.Any(s => s.Kind == ScopeKind.Global))
        {
            why.Add("the affected set includes global, so the scope is global");
            return Scope.Global;
        }
        if (affected.Any(s => s.Kind == ScopeKind.User))
        {
            why.Add("a kill switch cannot be scoped to a user, and affected users' workspaces are not known, so the scope is global");
            return Scope.Global;
        }
        var workspaces = affected.Where(s => s.Kind == ScopeKind.Workspace).Select(s => s.Id!).Distinct(StringComparer.Ordinal).ToList();
        var cohorts = affected.Where(s => s.Kind == ScopeKind.Cohort).Select(s => s.Id!).Distinct(StringComparer.Ordinal).ToList();

        if (cohorts.Count == 0 && workspaces.Count == 1)
        {
            why.Add($"only workspace {workspaces[0]} is affected");
            return new Scope(ScopeKind.Workspace, workspaces[0]);
        }
        if (cohorts.Count > 1)
        {
            why.Add($"{cohorts.Count} cohorts are affected ({string.Join(", ", cohorts)}) and a kill switch has one scope, so the scope is global");
            return Scope.Global;
        }
        if (cohorts.Count == 1)
        {
            return CohortScope(state, cohorts[0], workspaces, why);
        }
        return SmallestCoveringCohort(state, workspaces, why);
    }

    private static Scope CohortScope(ProgramState state, string id, List<string> workspaces, ImmutableArray<string>.Builder why)
    {
        if (state.FindCohort(id) is not { } cohort)
        {
            why.Add($"cohort {id} is not one of the program's cohorts, so the scope is global");
            return Scope.Global;
        }
        if (workspaces.Count == 0)
        {
            why.Add($"only cohort {id} is affected");
            return new Scope(ScopeKind.Cohort, id);
        }
        var outside = cohort.Kind == CohortKind.Explicit
            ? workspaces.Where(w => !cohort.Workspaces.Contains(w, StringComparer.Ordinal)).ToList()
            : workspaces;
        if (outside.Count > 0)
        {
            why.Add(cohort.Kind == CohortKind.Explicit
                ? $"cohort {id} is affected, but {Workspaces(outside)} {Are(outside)} outside it, so the scope is global"
                : $"cohort {id} is affected along with {Workspaces(outside)}, and its membership is not a list that shows they are in it, so the scope is global");
            return Scope.Global;
        }
        why.Add($"cohort {id} is affected and {Workspaces(workspaces)} {Are(workspaces)} among its members");
        return new Scope(ScopeKind.Cohort, id);
    }

    private static Scope SmallestCoveringCohort(ProgramState state, List<string> workspaces, ImmutableArray<string>.Builder why)
    {
        var covering = state.Cohorts
            .Where(c => c.Kind == CohortKind.Explicit && workspaces.All(w => c.Workspaces.Contains(w, StringComparer.Ordinal)))
            .Select((c, index) => (cohort: c, members: Members(c), index))
            .OrderBy(x => x.members)
            .ThenBy(x => x.index)
            .ToList();
        if (covering.Count == 0)
        {
            why.Add($"no cohort lists all {Workspaces(workspaces)}, so the scope is global");
            return Scope.Global;
        }
        var best = covering.FirstOrDefault(x => 2 * workspaces.Count >= x.members);
        if (best.cohort is null)
        {
            var smallest = covering[0];
            why.Add($"the smallest cohort listing all {Workspaces(workspaces)} is {smallest.cohort.Id}, but the affected are only {workspaces.Count} of its {smallest.members} members (less than half), so the scope is global");
            return Scope.Global;
        }
        why.Add($"{workspaces.Count} affected workspaces ({string.Join(", ", workspaces)}) are {workspaces.Count} of the {best.members} members of cohort {best.cohort.Id}");
        return new Scope(ScopeKind.Cohort, best.cohort.Id);
    }

    /// <summary>An explicit cohort's members: its distinct workspaces and users.</summary>
    private static int Members(CohortDefinition cohort) =>
        cohort.Workspaces.Distinct(StringComparer.Ordinal).Count() + cohort.Users.Distinct(StringComparer.Ordinal).Count();

    private static string Workspaces(List<string> ids) =>
        ids.Count == 1 ? $"workspace {ids[0]}" : $"the {ids.Count} affected workspaces ({string.Join(", ", ids)})";

    private static string Are(List<string> ids) => ids.Count == 1 ? "is" : "are";
}
