using System.Diagnostics;
using System.Reflection;
using BenchmarkDotNet.Running;
using Ripcord.Bench;
using Ripcord.Core.Evaluation;

// `dotnet run -c Release -- verify` prints what the benchmarks evaluate (no timing harness);
// anything else goes to BenchmarkDotNet, e.g. `-- --filter '*' --job short`.
if (args.Length > 0 && string.Equals(args[0], "verify", StringComparison.Ordinal))
{
    Verify.Run();
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(EvaluationBenchmarks).Assembly).Run(args);
return 0;

internal static class Verify
{
    public static void Run()
    {
        var now = SyntheticProgram.Now;
        var sw = Stopwatch.StartNew();
        var large = LargeScenario.Create();
        Console.WriteLine($"synthetic program built, validated, compiled and searched in {sw.ElapsedMilliseconds} ms");
        var state = large.Synthetic.State;
        Console.WriteLine($"  flags {state.Definition.Flags.Length}, cohorts {state.Cohorts.Length} "
            + $"({string.Join(", ", state.Cohorts.GroupBy(c => c.Kind).Select(g => $"{g.Key} {g.Count()}"))}), stage {state.Stage}");
        Console.WriteLine($"  overrides {state.Overrides.Length}: "
            + string.Join(", ", state.Overrides.GroupBy(o => o.Scope.Kind).Select(g => $"{g.Key} {g.Count()}"))
            + $"; expired {state.Overrides.Count(o => o.IsExpired(now))}; kill switches active {state.KillSwitches.Length}");
        Console.WriteLine($"  constant-folded flags: {ConstantFlags(large.Program)}");
        var flag = large.Program.FlagAt(large.FlagIndex);
        var own = state.Overrides.Where(o => string.Equals(o.Flag, flag.Key, StringComparison.Ordinal)).ToList();
        var assignment = state.Definition.FindStage(state.Stage)!.Assignments.First(a => string.Equals(a.Flag, flag.Key, StringComparison.Ordinal));
        Console.WriteLine($"  benchmarked flag #{large.FlagIndex} {flag.Key}: prerequisites [{string.Join(", ", flag.Prerequisites)}], "
            + $"overrides {string.Join(", ", own.GroupBy(o => o.Scope.Kind).Select(g => $"{g.Key} {g.Count()}"))}, "
            + $"stage {state.Stage} → {assignment.Value} for [{string.Join(", ", assignment.Cohorts)}]");
        Console.WriteLine($"  hit  {large.Hit.WorkspaceId}: {GroupsScenario.Describe(Evaluator.Evaluate(large.Program, large.FlagIndex, large.Hit, now))}");
        Console.WriteLine($"  miss {large.Miss.WorkspaceId}: {GroupsScenario.Describe(Evaluator.Evaluate(large.Program, large.FlagIndex, large.Miss, now))}");

        var incident = large.With(SyntheticProgram.Build(new SyntheticOptions { EmergencyOverrides = 2 }));
        Console.WriteLine($"  with 2 emergency overrides: constant-folded flags {ConstantFlags(incident.Program)}; hit: "
            + GroupsScenario.Describe(Evaluator.Evaluate(incident.Program, incident.FlagIndex, incident.Hit, now)));

        var audience = large.Audience();
        using var fm = new FeatureManagementMirror(large.FlagKey, audience);
        var fmHit = FeatureManagementMirror.Context(large.Hit.WorkspaceId!, large.GroupsOf(large.Hit));
        var fmMiss = FeatureManagementMirror.Context(large.Miss.WorkspaceId!, large.GroupsOf(large.Miss));
        Console.WriteLine($"FeatureManagement audience: {audience}; the hit workspace is user #{audience.Users.IndexOf(large.Hit.WorkspaceId!) + 1} of the list");
        Console.WriteLine($"  hit  groups [{string.Join(", ", fmHit.Groups)}]: IsEnabledAsync {fm.IsEnabledAsync(fmHit).AsTask().Result}, filter {fm.FilterAsync(fmHit).Result}");
        Console.WriteLine($"  miss groups [{string.Join(", ", fmMiss.Groups)}]: IsEnabledAsync {fm.IsEnabledAsync(fmMiss).AsTask().Result}, filter {fm.FilterAsync(fmMiss).Result}");

        var groups = GroupsScenario.Create();
        Console.WriteLine($"groups at stage {groups.Program.State.Stage}: constant-folded flags {ConstantFlags(groups.Program)}");
        var all = Evaluator.EvaluateAll(groups.Program, groups.Context, now);
        for (var i = 0; i < all.Length; i++)
        {
            Console.WriteLine($"  {groups.Program.FlagAt(i).DisplayName,-28} {GroupsScenario.Describe(all[i])}");
        }

        // A quick allocation check outside BenchmarkDotNet (warm first so tiering is done).
        var results = new FlagResult[large.Program.FlagCount];
        // Timing belongs to BenchmarkDotNet; this only double-checks allocations.
        Console.WriteLine("allocated bytes per call, after warm-up:");
        Measure("  Evaluate, large, hit ", 1_000_000, () => Evaluator.Evaluate(large.Program, large.FlagIndex, large.Hit, now));
        Measure("  Evaluate, large, miss", 1_000_000, () => Evaluator.Evaluate(large.Program, large.FlagIndex, large.Miss, now));
        Measure("  Evaluate, groups     ", 1_000_000, () => Evaluator.Evaluate(groups.Program, groups.FlagIndex, groups.Context, now));
        Measure("  EvaluateAll, large   ", 10_000, () => Evaluator.EvaluateAll(large.Program, large.Hit, now, results));
        var conflicts = results.Where(r => r.Conflict).ToList();
        Console.WriteLine($"  EvaluateAll, large, hit context: {conflicts.Count} conflicting results "
            + $"({string.Join("; ", conflicts.Take(5).Select(GroupsScenario.Describe))})");
        Console.WriteLine($"  EvaluateAll, large, hit context, reasons: "
            + string.Join(", ", results.GroupBy(r => r.Reason).Select(g => $"{g.Key} {g.Count()}")));
    }

    private static void Measure(string label, int n, Action action)
    {
        for (var i = 0; i < n / 5; i++)
        {
            action();
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < n; i++)
        {
            action();
        }
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"{label}: {(double)bytes / n:0.##} B");
    }

    /// <summary>
    /// How many flags Core folded to a constant. Core keeps this internal, so read it by
    /// reflection here (diagnostics only, never on a measured path); "?" if the shape changed.
    /// </summary>
    private static string ConstantFlags(CompiledProgram program)
    {
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        if (typeof(CompiledProgram).GetProperty("Flags", Any)?.GetValue(program) is not Array flags)
        {
            return "?";
        }
        var count = 0;
        foreach (var f in flags)
        {
            if (f.GetType().GetProperty("Constant", Any)?.GetValue(f) is not null)
            {
                count++;
            }
        }
        return $"{count} of {flags.Length}";
    }
}
