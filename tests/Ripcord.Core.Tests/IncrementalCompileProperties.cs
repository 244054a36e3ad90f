using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

public sealed class IncrementalCompileProperties
{
    private static readonly string?[] Workspaces = ["w1", "w2", "w3", "w4", "w5", "w-new", null];
    private static readonly string?[] Users = ["u0", "u1", "u2", null];

    /// <summary>Every flag's result for a spread of contexts and two instants (before and after most expiries).</summary>
    private static string Results(CompiledProgram program, DateTimeOffset now)
    {
        var lines = new List<string>();
        foreach (var w in Workspaces)
        {
            foreach (var u in Users)
            {
                foreach (var tier in new int?[] { 0, 2, null })
                {
                    var context = new EvaluationContext(w, u, tier);
                    foreach (var at in new[] { now, now.AddDays(30) })
                    {
                        var all = Evaluator.EvaluateAll(program, context, at);
                        lines.Add($"{w}/{u}/{tier}/{at:O}: " + string.Join(" ", all.Select(r => $"{r.Value}:{r.ReasonName}:{r.Scope}:{r.Source}:{r.Conflict}")));
                    }
                }
            }
        }
        for (var i = 0; i < program.FlagCount; i++)
        {
            lines.Add($"clock {i}: {program.NeedsClock(i)}");
        }
        return string.Join("\n", lines);
    }

    [Property(MaxTest = 150)]
    [Invariant("CP-1", "compiling a revision from the one before (editing only the overrides and kill switches that changed) evaluates exactly as compiling it from scratch")]
    public Property Incremental_compile_evaluates_as_a_full_compile() => Prop.ForAll(CommandHistory.Arbitrary, history =>
    {
        var revisions = history.Run(Groups.Now);
        var previous = CompiledProgram.Compile(revisions[0].State, 1);
        for (var n = 1; n < revisions.Count; n++)
        {
            var state = revisions[n].State;
            var incremental = CompiledProgram.Compile(state, n + 1, previous);
            if (Results(incremental, Groups.Now.AddHours(n)) != Results(CompiledProgram.Compile(state, n + 1), Groups.Now.AddHours(n)))
            {
                return false.Label($"revision {n + 1} ({revisions[n].Command.Name}) evaluates differently");
            }
            previous = incremental;
        }
        return true.ToProperty();
    });

    [Property(MaxTest = 30)]
    [Invariant("CP-1", "compiling a revision from the one before (editing only the overrides and kill switches that changed) evaluates exactly as compiling it from scratch")]
    public Property Long_override_histories_fold_their_overlay_and_still_agree() => Prop.ForAll(
        (from length in Gen.Choose(300, 500) from ops in Gen.Choose(0, 10_000).ArrayOf(length) select ops.ToList()).ToArbitrary(), ops =>
    {
        var by = new Principal("prn_p", "p");
        var state = ProgramChanges.Apply(null, new ApplyDefinition(BuiltInPrograms.Groups), Groups.Now).State;
        state = ProgramChanges.Apply(state, new PutCohort(new CohortDefinition { Id = "pilot", Workspaces = ["w1", "w3"] }), Groups.Now).State;
        var compiled = CompiledProgram.Compile(state, 1);
        var folded = 0;
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            var flags = state.Definition.Flags;
            ProgramCommand command = op % 5 == 0 && !state.Overrides.IsEmpty
                ? new RemoveOverride(state.Overrides[op / 5 % state.Overrides.Length].Id)
                : new SetOverride($"o{i}", flags[op % flags.Length].Key,
                    (op % 4) switch { 0 or 3 => $"workspace:w{op % 500}", 1 => $"user:u{op % 40}", _ => op % 7 == 0 ? "global" : "cohort:pilot" },
                    op % 2 == 0, "r", op % 4 == 1 || op % 11 == 0 ? Groups.Now.AddHours(1 + op % 60) : null, by);
            state = ProgramChanges.Apply(state, command, Groups.Now).State;
            var overlayBefore = compiled.WorkspaceIds.OverlayCount;
            compiled = CompiledProgram.Compile(state, i + 2, compiled);
            folded += overlayBefore > 0 && compiled.WorkspaceIds.OverlayCount == 0 ? 1 : 0;
        }
        var same = Results(compiled, Groups.Now) == Results(CompiledProgram.Compile(state, ops.Count + 1), Groups.Now);
        return (same && folded > 0).Label($"{ops.Count} ops, overlay folded {folded} times");
    });
}
