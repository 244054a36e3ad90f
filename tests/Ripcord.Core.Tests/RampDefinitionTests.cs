using Ripcord.Core.Definitions;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>A stage's <c>ramp:</c> as definition data: read, validated with line-numbered errors, written back.</summary>
public sealed class RampDefinitionTests
{
    private static string Demo(string ramp) => $$"""
        program: demo
        flags:
          - key: demo.a
            alias: A
            default: false
            safe: false
        cohorts:
          - id: bucket
            percentage: 10
          - id: listed
            workspaces: [w-1]
        stages:
          - id: "0"
            flags: { A: { value: true, cohorts: [bucket] } }
            ramp: {{ramp}}
        """;

    [Fact]
    public void Groups_stage_2_ramps_limited_ga_from_1_to_10_percent_hourly()
    {
        var ramp = Groups.Definition.Value.FindStage("2")!.Ramp!;
        Assert.Equal("limited-ga", ramp.Cohort);
        Assert.Equal([1m, 5m, 10m], ramp.Steps.ToArray());
        Assert.Equal(TimeSpan.FromHours(1), ramp.Every);
        Assert.False(ramp.RollbackOnBreach);
        Assert.All(Groups.Definition.Value.Stages.Where(s => s.Id != "2"), s => Assert.Null(s.Ramp));
    }

    [Theory]
    [InlineData("30m", 30)]
    [InlineData("1h", 60)]
    [InlineData("2d", 2880)]
    [InlineData("1m", 1)]
    public void A_ramp_reads_its_cohort_steps_every_and_rollback(string every, int minutes)
    {
        var result = DefinitionReader.Read(Demo($"{{ cohort: bucket, steps: [0.5, 5, 10], every: {every}, rollbackOnBreach: true }}"));
        Assert.Empty(result.Errors);
        var ramp = result.Definition!.Stages[0].Ramp!;
        Assert.Equal([0.5m, 5m, 10m], ramp.Steps.ToArray());
        Assert.Equal(minutes, ramp.EveryMinutes);
        Assert.True(ramp.RollbackOnBreach);
    }

    [Theory]
    [InlineData("{ cohort: bucket, steps: [5, 5, 10], every: 1h }", "stages[0].ramp.steps[1]", "strictly increasing")]
    [InlineData("{ cohort: bucket, steps: [10, 5], every: 1h }", "stages[0].ramp.steps[1]", "strictly increasing")]
    [InlineData("{ cohort: bucket, steps: [1, 101], every: 1h }", "stages[0].ramp.steps[1]", "from 0 to 100")]
    [InlineData("{ cohort: bucket, steps: [-1, 5], every: 1h }", "stages[0].ramp.steps[0]", "from 0 to 100")]
    [InlineData("{ cohort: bucket, steps: [], every: 1h }", "stages[0].ramp.steps", "1 to 100 steps")]
    [InlineData("{ cohort: bucket, steps: [1, x], every: 1h }", "stages[0].ramp.steps[1]", "must be a percentage")]
    [InlineData("{ cohort: listed, steps: [1, 5], every: 1h }", "stages[0].ramp.cohort", "not a percentage cohort")]
    [InlineData("{ cohort: nope, steps: [1, 5], every: 1h }", "stages[0].ramp.cohort", "unknown cohort 'nope'")]
    [InlineData("{ cohort: bucket, steps: [1, 5], every: 30s }", "stages[0].ramp.every", "not a duration")]
    [InlineData("{ cohort: bucket, steps: [1, 5], every: 0m }", "stages[0].ramp.every", "at least 1 minute")]
    [InlineData("{ cohort: bucket, steps: [1, 5], every: 1h, speed: 2 }", "stages[0].ramp.speed", "unknown field")]
    [InlineData("{ steps: [1, 5], every: 1h }", "stages[0].ramp.cohort", "required")]
    [InlineData("[1, 5]", "stages[0].ramp", "must be a mapping")]
    [Invariant("RP-0", "a ramp plan is validated when the definition is applied: a percentage cohort, strictly increasing steps within 0–100, at least a minute per step")]
    public void A_bad_ramp_is_refused_with_its_path_and_line(string ramp, string path, string message)
    {
        var errors = DefinitionReader.Read(Demo(ramp)).Errors;
        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(15, error.Line);
    }

    [Fact]
    public void A_ramp_survives_writing_and_reading_back()
    {
        var d = DefinitionReader.Read(Demo("{ cohort: bucket, steps: [1, 2.5, 10], every: 90m, rollbackOnBreach: true }")).Definition!;
        var again = DefinitionReader.Read(DefinitionWriter.Write(d));
        Assert.Empty(again.Errors);
        var (before, after) = (d.Stages[0].Ramp!, again.Definition!.Stages[0].Ramp!);
        Assert.Equal(before.Steps.ToArray(), after.Steps.ToArray());
        Assert.Equal(before with { Steps = after.Steps }, after);
    }
}
