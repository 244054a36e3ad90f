using System.Globalization;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Rules;

namespace Ripcord.Bench;

/// <summary>
/// The flag and contexts benchmarked on the synthetic program, chosen by a deterministic search:
/// <list type="bullet">
/// <item>the flag: the feature with the most workspace overrides that also has prerequisites,
///   cohort overrides and a cohort-scoped stage assignment (so it cannot be constant-folded and
///   every layer has something to look at);</item>
/// <item>the hit context: a workspace with an "on" override for that flag that also sits in an
///   explicit cohort, tier 1, enterprise plan (so it matches many rule cohorts); the override
///   layer decides, then the prerequisites are evaluated;</item>
/// <item>the miss context: a workspace and user nobody has heard of, tier 0, free plan: every
///   layer is looked at and the flag falls through to its default.</item>
/// </list>
/// </summary>
public sealed class LargeScenario
{
    private LargeScenario(SyntheticProgram synthetic, int flagIndex, EvaluationContext hit, EvaluationContext miss)
    {
        Synthetic = synthetic;
        FlagIndex = flagIndex;
        Hit = hit;
        Miss = miss;
    }

    public SyntheticProgram Synthetic { get; }
    public CompiledProgram Program => Synthetic.Compiled;
    public int FlagIndex { get; }
    public string FlagKey => Program.FlagAt(FlagIndex).Key;
    public EvaluationContext Hit { get; }
    public EvaluationContext Miss { get; }

    public static EvaluationContext HitContext(string workspace) => new(workspace, "u-bench-hit", tier: 1,
        new Dictionary<string, AttributeValue>
        {
            ["plan"] = "enterprise",
            ["region"] = "eu",
            ["platform"] = "ios",
            ["appVersion"] = 7.0,
            ["beta"] = true,
            ["workspaceType"] = "standard",
        });

    public static EvaluationContext MissContext(int n) => new($"ws-outside-{n:D4}", $"u-outside-{n:D4}", tier: 0,
        new Dictionary<string, AttributeValue> { ["plan"] = "free", ["beta"] = true });

    public static LargeScenario Create(SyntheticOptions? options = null)
    {
        var synthetic = SyntheticProgram.Build(options);
        var state = synthetic.State;
        var program = synthetic.Compiled;
        var now = SyntheticProgram.Now;
        var stage = state.Definition.FindStage(state.Stage)!;
        var assigned = stage.Assignments
            .Where(a => !a.Cohorts.IsDefaultOrEmpty)
            .Select(a => a.Flag)
            .ToHashSet(StringComparer.Ordinal);
        var byFlag = state.Overrides.ToLookup(o => o.Flag, StringComparer.Ordinal);
        var listMembers = state.Cohorts.Where(c => c.Kind == CohortKind.Explicit)
            .SelectMany(c => c.Workspaces).ToHashSet(StringComparer.Ordinal);

        var candidates = state.Definition.Flags
            .Select((flag, index) => (flag, index))
            .Where(x => x.index > SyntheticProgram.EmergencyIndex && x.flag.Prerequisites.Length > 0 && !x.flag.Safe
                && assigned.Contains(x.flag.Key)
                && byFlag[x.flag.Key].Any(o => o.Scope.Kind == ScopeKind.Cohort))
            .OrderByDescending(x => byFlag[x.flag.Key].Count(o => o.Scope.Kind == ScopeKind.Workspace))
            .ThenBy(x => x.index);

        foreach (var (flag, index) in candidates)
        {
            var workspaces = byFlag[flag.Key]
                .Where(o => o.Scope.Kind == ScopeKind.Workspace && o.Value && !o.IsExpired(now))
                .Select(o => o.Scope.Id!)
                .OrderBy(w => listMembers.Contains(w) ? 0 : 1)
                .ThenBy(w => w, StringComparer.Ordinal);
            foreach (var workspace in workspaces)
            {
                var hit = HitContext(workspace);
                var r = Evaluator.Evaluate(program, index, hit, now);
                if (!r.Value || r.Reason != EvaluationReason.Override || r.Conflict
                    || !string.Equals(r.Scope, "workspace:" + workspace, StringComparison.Ordinal))
                {
                    continue;
                }
                for (var n = 0; n < 1000; n++)
                {
                    var miss = MissContext(n);
                    var m = Evaluator.Evaluate(program, index, miss, now);
                    if (!m.Value && m.Reason == EvaluationReason.Default)
                    {
                        return new LargeScenario(synthetic, index, hit, miss);
                    }
                }
            }
        }
        throw new InvalidOperationException("no flag/context in the synthetic program fits the benchmark scenario");
    }

    /// <summary>The same flag and contexts on another build of the program (e.g. with emergency overrides).</summary>
    public LargeScenario With(SyntheticProgram other)
    {
        if (!other.Compiled.TryGetFlagIndex(FlagKey, out var index))
        {
            throw new InvalidOperationException($"{FlagKey} is missing from the other program");
        }
        return new LargeScenario(other, index, Hit, Miss);
    }

    /// <summary>
    /// The benchmarked flag's audience in Microsoft.FeatureManagement's targeting model:
    /// <list type="bullet">
    /// <item>Users: workspaces with an "on" override, live user "on" overrides, and every member
    ///   (workspace or user) of the explicit cohorts the current stage turns the flag on for;</item>
    /// <item>Exclusion.Users: workspaces and live users with an "off" override;</item>
    /// <item>Groups (100% rollout): rule and explicit cohorts the stage turns it on for, and
    ///   cohorts with an "on" override; Exclusion.Groups: cohorts with an "off" override;</item>
    /// <item>DefaultRolloutPercentage: 100 if the stage names the everyone cohort, else the
    ///   largest percentage cohort it names (percentage cohorts have no exact equivalent: the
    ///   targeting filter buckets user ids, not members of a group).</item>
    /// </list>
    /// </summary>
    public TargetingAudience Audience()
    {
        var state = Synthetic.State;
        var now = SyntheticProgram.Now;
        var audience = new TargetingAudience();
        var overrides = state.Overrides.Where(o => string.Equals(o.Flag, FlagKey, StringComparison.Ordinal) && !o.IsExpired(now)).ToList();
        foreach (var o in overrides)
        {
            switch (o.Scope.Kind)
            {
                case ScopeKind.Workspace or ScopeKind.User:
                    (o.Value ? audience.Users : audience.ExcludedUsers).Add(o.Scope.Id!);
                    break;
                case ScopeKind.Cohort:
                    if (o.Value)
                    {
                        audience.Groups.Add((o.Scope.Id!, 100));
                    }
                    else
                    {
                        audience.ExcludedGroups.Add(o.Scope.Id!);
                    }
                    break;
                default:
                    audience.DefaultRolloutPercentage = o.Value ? 100 : 0;
                    break;
            }
        }
        var assignment = state.Definition.FindStage(state.Stage)!.Assignments
            .First(a => string.Equals(a.Flag, FlagKey, StringComparison.Ordinal));
        foreach (var id in assignment.Cohorts)
        {
            var cohort = state.FindCohort(id)!;
            switch (cohort.Kind)
            {
                case CohortKind.Everyone:
                    audience.DefaultRolloutPercentage = 100;
                    break;
                case CohortKind.Percentage:
                    audience.DefaultRolloutPercentage = Math.Max(audience.DefaultRolloutPercentage, (double)cohort.Percentage!.Value);
                    break;
                case CohortKind.Rule:
                    audience.Groups.Add((cohort.Id, 100));
                    break;
                default:
                    audience.Users.AddRange(cohort.Workspaces.Concat(cohort.Users).Where(u => !audience.Users.Contains(u)));
                    audience.Groups.Add((cohort.Id, 100));
                    break;
            }
        }
        return audience;
    }

    /// <summary>
    /// The groups an application would hand Microsoft.FeatureManagement for this context: the
    /// ids of the rule and explicit cohorts it belongs to (computed here, outside the timing —
    /// the targeting filter only compares names).
    /// </summary>
    public IReadOnlyList<string> GroupsOf(EvaluationContext context)
    {
        var groups = new List<string>();
        foreach (var cohort in Synthetic.State.Cohorts)
        {
            var member = cohort.Kind switch
            {
                CohortKind.Rule => CohortRule.Parse(cohort.Rule!).Matches(context),
                CohortKind.Explicit => (context.WorkspaceId is { } w && cohort.Workspaces.Contains(w))
                    || (context.UserId is { } u && cohort.Users.Contains(u)),
                _ => false,
            };
            if (member)
            {
                groups.Add(cohort.Id);
            }
        }
        return groups;
    }
}

/// <summary>A targeting audience in Microsoft.FeatureManagement's terms, kept library-neutral.</summary>
public sealed class TargetingAudience
{
    public List<string> Users { get; } = [];
    public List<(string Name, double RolloutPercentage)> Groups { get; } = [];
    public double DefaultRolloutPercentage { get; set; }
    public List<string> ExcludedUsers { get; } = [];
    public List<string> ExcludedGroups { get; } = [];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Users.Count} users, {Groups.Count} groups, default rollout {DefaultRolloutPercentage}%, excluded {ExcludedUsers.Count} users / {ExcludedGroups.Count} groups");
}
