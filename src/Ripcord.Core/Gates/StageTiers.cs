using System.Collections.Immutable;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Rules;

namespace Ripcord.Core.Gates;

/// <summary>
/// Which mission tiers a stage enables, and which cohorts it targets — read from the definition.
/// A stage enables tier T when it turns the secure flag (<c>fallback.secure</c>, F3 in <c>groups</c>)
/// on for someone of tier T: on for everyone, or for an explicit, percentage or everyone cohort,
/// enables every tier (any workspace can be of any tier); on for a rule cohort enables the tiers T
/// whose tier-only context (<c>{ tier: T }</c>) the rule matches — <c>tier >= 1</c> enables 1 and
/// 2. A rule that matches no tier-only context depends on something else, so it enables every tier
/// (a sign-off too many, never one too few). A definition without a fallback section enables none.
/// </summary>
public static class StageTiers
{
    public static ImmutableArray<int> Enabled(ProgramDefinition definition, string stageId)
    {
        var stage = definition.FindStage(stageId);
        var secure = definition.Fallback?.Secure;
        var all = definition.Tiers.Select(t => t.Id).Order().ToImmutableArray();
        if (stage is null || secure is null)
        {
            return [];
        }
        var tiers = new SortedSet<int>();
        foreach (var a in stage.Assignments.Where(a => a.Value && string.Equals(a.Flag, secure, StringComparison.Ordinal)))
        {
            if (a.Cohorts.IsEmpty)
            {
                tiers.UnionWith(all);
            }
            foreach (var id in a.Cohorts)
            {
                tiers.UnionWith(TiersOf(definition.FindCohort(id), all));
            }
        }
        return [.. tiers];
    }

    private static IEnumerable<int> TiersOf(CohortDefinition? cohort, ImmutableArray<int> all)
    {
        if (cohort?.Rule is not { } text || CohortRule.TryParse(text, out _) is not { } rule)
        {
            return all;
        }
        var matched = all.Where(t => rule.Matches(new EvaluationContext(tier: t))).ToList();
        return matched.Count == 0 ? all : matched;
    }

    /// <summary>
    /// The cohorts a stage turns any flag on for (interop lanes must be green for each); a stage that
    /// names no cohort targets <c>global</c>.
    /// </summary>
    public static ImmutableArray<string> Targets(ProgramDefinition definition, string stageId)
    {
        var stage = definition.FindStage(stageId);
        var cohorts = stage?.Assignments.Where(a => a.Value).SelectMany(a => a.Cohorts).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).Select(c => "cohort:" + c).ToImmutableArray() ?? [];
        return cohorts.IsEmpty ? ["global"] : cohorts;
    }
}
