using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.FeatureManagement.FeatureFilters;
using Ripcord.Core.Evaluation;

namespace Ripcord.Bench;

/// <summary>
/// Ripcord evaluation on the groups program and the large synthetic program, next to
/// Microsoft.FeatureManagement's targeting filter on the same audience. One table, grouped by
/// category; in each category the Ripcord large-program call is the baseline (Ratio = 1.00).
/// Median and Min are shown because the 2-core machine is shared: a neighbour's burst of work
/// inflates a few iterations' mean, less so their median, and not the minimum.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[MedianColumn]
[MinColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class EvaluationBenchmarks
{
    public const string Hit = "A: 1 flag, hit";
    public const string Miss = "B: 1 flag, miss";
    public const string All = "C: all flags";
    public const string PerRequest = "D: context per request";

    private static readonly DateTimeOffset Now = SyntheticProgram.Now;

    private GroupsScenario _groups = null!;
    private LargeScenario _large = null!;
    private LargeScenario _incident = null!;
    private FeatureManagementMirror _fm = null!;
    private TargetingContext _fmHit = null!;
    private TargetingContext _fmMiss = null!;
    private FlagResult[] _groupsResults = null!;
    private FlagResult[] _largeResults = null!;
    private Dictionary<string, AttributeValue> _attributes = null!;
    private List<string> _fmGroups = null!;

    [GlobalSetup]
    public void Setup()
    {
        _groups = GroupsScenario.Create();
        _large = LargeScenario.Create();
        _incident = _large.With(SyntheticProgram.Build(new SyntheticOptions { EmergencyOverrides = 2 }));
        _fm = new FeatureManagementMirror(_large.FlagKey, _large.Audience());
        _fmHit = FeatureManagementMirror.Context(_large.Hit.WorkspaceId!, _large.GroupsOf(_large.Hit));
        _fmMiss = FeatureManagementMirror.Context(_large.Miss.WorkspaceId!, _large.GroupsOf(_large.Miss));
        _attributes = new Dictionary<string, AttributeValue>(_large.Hit.Attributes, StringComparer.Ordinal);
        _fmGroups = [.. _fmHit.Groups];
        _groupsResults = new FlagResult[_groups.Program.FlagCount];
        _largeResults = new FlagResult[_large.Program.FlagCount];

        // The comparison only means something if both sides agree on the hit.
        Check(Evaluator.Evaluate(_incident.Program, _incident.FlagIndex, _incident.Hit, Now).Reason == EvaluationReason.Override,
            "the emergency-overrides variant no longer hits the workspace override");
        Check(_fm.IsEnabledAsync(_fmHit).AsTask().GetAwaiter().GetResult(), "FeatureManager does not enable the hit context");
        Check(_fm.FilterAsync(_fmHit).GetAwaiter().GetResult(), "the targeting filter does not enable the hit context");
    }

    [GlobalCleanup]
    public void Cleanup() => _fm.Dispose();

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    // ---- A: one flag, a context that hits a workspace override (and cohort memberships) ----

    [Benchmark(Baseline = true), BenchmarkCategory(Hit)]
    public FlagResult Ripcord_Large() => Evaluator.Evaluate(_large.Program, _large.FlagIndex, _large.Hit, Now);

    [Benchmark, BenchmarkCategory(Hit)]
    public FlagResult Ripcord_Large_ByKey() => Evaluator.Evaluate(_large.Program, _large.FlagKey, _large.Hit, Now);

    [Benchmark, BenchmarkCategory(Hit)]
    public FlagResult Ripcord_Large_EmergencyLive() => Evaluator.Evaluate(_incident.Program, _incident.FlagIndex, _incident.Hit, Now);

    [Benchmark, BenchmarkCategory(Hit)]
    public FlagResult Ripcord_Groups() => Evaluator.Evaluate(_groups.Program, _groups.FlagIndex, _groups.Context, Now);

    [Benchmark, BenchmarkCategory(Hit)]
    public ValueTask<bool> FM_IsEnabledAsync() => _fm.IsEnabledAsync(_fmHit);

    [Benchmark, BenchmarkCategory(Hit)]
    public Task<bool> FM_TargetingFilter() => _fm.FilterAsync(_fmHit);

    // ---- B: one flag, a context nobody targets: every layer is looked at ----

    [Benchmark(Baseline = true), BenchmarkCategory(Miss)]
    public FlagResult Ripcord_Large_Miss() => Evaluator.Evaluate(_large.Program, _large.FlagIndex, _large.Miss, Now);

    [Benchmark, BenchmarkCategory(Miss)]
    public ValueTask<bool> FM_IsEnabledAsync_Miss() => _fm.IsEnabledAsync(_fmMiss);

    [Benchmark, BenchmarkCategory(Miss)]
    public Task<bool> FM_TargetingFilter_Miss() => _fm.FilterAsync(_fmMiss);

    // ---- C: every flag of the program for one context, into a preallocated array ----

    [Benchmark(Baseline = true), BenchmarkCategory(All)]
    public FlagResult Ripcord_Large_All()
    {
        Evaluator.EvaluateAll(_large.Program, _large.Hit, Now, _largeResults);
        return _largeResults[_large.FlagIndex];
    }

    [Benchmark, BenchmarkCategory(All)]
    public FlagResult Ripcord_Large_EmergencyLive_All()
    {
        Evaluator.EvaluateAll(_incident.Program, _incident.Hit, Now, _largeResults);
        return _largeResults[_incident.FlagIndex];
    }

    [Benchmark, BenchmarkCategory(All)]
    public FlagResult Ripcord_Groups_All()
    {
        Evaluator.EvaluateAll(_groups.Program, _groups.Context, Now, _groupsResults);
        return _groupsResults[_groups.FlagIndex];
    }

    // ---- D: what a caller pays to build the context for each request (6 attributes / 17 groups) ----

    [Benchmark(Baseline = true), BenchmarkCategory(PerRequest)]
    public EvaluationContext Ripcord_NewContext() => new(_large.Hit.WorkspaceId, _large.Hit.UserId, _large.Hit.Tier, _attributes);

    [Benchmark, BenchmarkCategory(PerRequest)]
    public EvaluationContext Ripcord_NewContext_NoAttributes() => new(_large.Hit.WorkspaceId, _large.Hit.UserId, _large.Hit.Tier);

    // The groups list is reused: an application computes it its own way, outside this figure.
    [Benchmark, BenchmarkCategory(PerRequest)]
    public TargetingContext FM_NewTargetingContext() => new() { UserId = _fmHit.UserId, Groups = _fmGroups };
}
