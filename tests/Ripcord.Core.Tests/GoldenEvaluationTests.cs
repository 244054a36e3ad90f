using Ripcord.Core.Evaluation;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

public sealed class GoldenEvaluationTests
{
    public static TheoryData<string> Files() => [.. GoldenFile.All().Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Files))]
    public void Core_engine_gives_the_golden_result(string file)
    {
        var golden = GoldenFile.All().Single(f => f.Name == file);
        var program = CompiledProgram.Compile(golden.State, 7);
        Assert.NotEmpty(golden.Cases);
        foreach (var c in golden.Cases)
        {
            var all = Evaluator.EvaluateAll(program, c.Context, c.Now);
            foreach (var e in c.Expect)
            {
                Assert.True(program.TryGetFlagIndex(e.Flag, out var index), $"{file}: unknown flag {e.Flag}");
                var single = Evaluator.Evaluate(program, index, c.Context, c.Now);
                Assert.Equal(single, all[index]);
                var where = $"{file} / {c.Name} / {e.Flag}: got {single}";
                Assert.True(e.Value == single.Value, where);
                Assert.True(e.Reason is null || e.Reason == single.ReasonName, where);
                Assert.True(e.Scope is null || e.Scope == single.Scope, where);
                Assert.True(e.Source is null || e.Source == single.Source, where);
                Assert.True(e.Conflict is null || e.Conflict == single.Conflict, where);
            }
        }
    }
}
