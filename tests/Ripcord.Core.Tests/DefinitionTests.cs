using Ripcord.Core.Definitions;

namespace Ripcord.Core.Tests;

public sealed class DefinitionTests
{
    private static IReadOnlyList<DefinitionError> Errors(string yaml) => DefinitionReader.Read(yaml).Errors;

    private const string Minimal = """
        program: demo
        flags:
          - key: demo.a
            alias: A
            default: false
            safe: false
          - key: demo.b
            alias: B
            default: false
            safe: false
            prerequisites: [A]
        stages:
          - id: "0"
            flags: { A: true }
        """;

    [Fact]
    public void Groups_definition_reproduces_the_spec_flag_table()
    {
        var d = Groups.Definition.Value;
        var rows = d.Flags.Select(f => $"{f.Alias}|{f.Key}|{f.Default}|{f.Safe}|{string.Join(",", f.Prerequisites)}");
        Assert.Equal(
        [
            "F1|groups.routes.enabled|False|False|",
            "F2|groups.transport.baseline.enabled|False|False|groups.routes.enabled",
            "F3|groups.transport.securePilot.enabled|False|False|groups.routes.enabled",
            "F4|groups.policy.strictTierEnforcement|True|True|",
            "F5|groups.emergency.disableAll|False|True|",
            "|groups.create.enabled|True|False|groups.routes.enabled",
            "|groups.send.enabled|True|False|groups.routes.enabled",
            "|groups.state.readonly|False|True|",
        ], rows);
        Assert.Equal("groups.emergency.disableAll", d.EmergencyFlag);
    }

    [Fact]
    public void Groups_definition_reproduces_the_spec_stage_and_kill_switch_tables()
    {
        var d = Groups.Definition.Value;
        string Cell(string stage, string flag)
        {
            var a = d.FindStage(stage)!.Assignments.Single(x => x.Flag == d.FindFlag(flag)!.Key);
            return (a.Value ? "on" : "off") + (a.Cohorts.Length > 0 ? " for " + string.Join(",", a.Cohorts) : "");
        }
        Assert.Equal(["on for internal", "on", "on for internal-secure", "on", "off"], new[] { "F1", "F2", "F3", "F4", "F5" }.Select(f => Cell("0", f)));
        Assert.Equal(["on for pilot", "on", "on for pilot-secure", "on", "off"], new[] { "F1", "F2", "F3", "F4", "F5" }.Select(f => Cell("1", f)));
        Assert.Equal(["on for limited-ga", "on", "on for secure-ready", "on", "off"], new[] { "F1", "F2", "F3", "F4", "F5" }.Select(f => Cell("2", f)));
        Assert.Equal(["on for all", "on", "on for tier-eligible", "on", "off"], new[] { "F1", "F2", "F3", "F4", "F5" }.Select(f => Cell("3", f)));
        Assert.Equal(["off", "off", "off", "on", "on"], new[] { "F1", "F2", "F3", "F4", "F5" }.Select(f => Cell("freeze", f)));

        string Effects(string level) => string.Join(",", d.KillSwitchLevels.Single(l => l.Id == level).Effects.Select(e => $"{d.FindFlag(e.Flag)!.DisplayName}={e.Value}"));
        Assert.Equal("F3=False", Effects("KS1"));
        Assert.Equal("groups.create.enabled=False", Effects("KS2"));
        Assert.Equal("groups.send.enabled=False", Effects("KS3"));
        Assert.Equal("F1=False,groups.state.readonly=True", Effects("KS4"));
        Assert.Equal("F5=True", Effects("KS5"));

        Assert.Equal(10m, d.FindCohort("limited-ga")!.Percentage);
        Assert.Equal("tier >= 1", d.FindCohort("tier-eligible")!.Rule);
        Assert.True(d.FindCohort("all")!.Everyone);
        Assert.Equal(0.01m, d.Thresholds.MaxErrorRate);
        Assert.Equal((0m, 0.05m), (d.Thresholds.MinFallbackRate, d.Thresholds.MaxFallbackRate));
        Assert.Equal(24m, d.Thresholds.SoakHours);
        Assert.Equal(1000, d.Thresholds.MinOperations);
    }

    [Fact]
    public void Export_then_read_gives_back_the_same_definition()
    {
        var d = Groups.Definition.Value;
        var again = DefinitionReader.Read(DefinitionWriter.Write(d));
        Assert.True(again.IsValid, string.Join("; ", again.Errors));
        Assert.Equal(DefinitionWriter.Write(d), DefinitionWriter.Write(again.Definition!));
        Assert.Equal(d.Flags, again.Definition!.Flags, (a, b) => a.Key == b.Key && a.Alias == b.Alias && a.Default == b.Default && a.Safe == b.Safe && a.Prerequisites.SequenceEqual(b.Prerequisites));
    }

    [Fact]
    public void Aliases_resolve_to_keys()
    {
        var d = DefinitionReader.Read(Minimal).Definition!;
        Assert.Equal(["demo.a"], d.Flags[1].Prerequisites.ToArray());
        Assert.Equal("demo.a", d.Stages[0].Assignments[0].Flag);
    }

    [Fact]
    public void Bad_yaml_is_reported_with_its_line()
    {
        var errors = Errors("program: demo\nflags:\n  - key: [unclosed\n");
        var e = Assert.Single(errors);
        Assert.Contains("invalid YAML", e.Message, StringComparison.Ordinal);
        Assert.True(e.Line >= 3, e.ToString());
    }

    [Fact]
    public void Every_error_is_listed_with_its_line()
    {
        var yaml = """
            program: demo
            flags:
              - key: demo.a
                alias: A
                default: false
                safe: false
                prerequisites: [B]
              - key: demo.b
                alias: B
                default: false
                safe: false
                prerequisites: [A]
              - key: demo.a
                default: maybe
                safe: false
            stages:
              - id: "0"
                flags:
                  A: true
                  NOPE: true
                  B: { value: true, cohorts: [ghosts] }
            killSwitches:
              - id: KS1
                effects: { A: true }
            """;
        var errors = Errors(yaml);
        string At(int line) => string.Join(" | ", errors.Where(e => e.Line == line).Select(e => e.Message));
        Assert.Contains("prerequisite cycle", string.Join(" ", errors.Select(e => e.Message)), StringComparison.Ordinal);
        Assert.Contains("duplicate flag key", At(13), StringComparison.Ordinal);
        Assert.Contains("must be true or false", At(14), StringComparison.Ordinal);
        Assert.Contains("unknown flag 'NOPE'", At(20), StringComparison.Ordinal);
        Assert.Contains("unknown cohort 'ghosts'", At(21), StringComparison.Ordinal);
        Assert.Contains("safe value is false", At(24), StringComparison.Ordinal);
        Assert.True(errors.Count >= 6, string.Join("\n", errors));
    }

    [Fact]
    public void Duplicate_mapping_keys_are_refused_with_their_line()
    {
        var errors = Errors(Minimal.Replace("program: demo", "program: demo\nprogram: other", StringComparison.Ordinal));
        var e = Assert.Single(errors);
        Assert.Equal(2, e.Line);
        Assert.Contains("duplicate key 'program'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rule: tier >=", "rule")]
    [InlineData("percentage: 140", "percentage")]
    [InlineData("percentage: 12.345", "percentage")]
    [InlineData("rule: tier >= 1\n    percentage: 5", "one kind of membership")]
    public void Invalid_cohorts_are_refused(string membership, string expected)
    {
        var yaml = Minimal + "\ncohorts:\n  - id: c\n    " + membership + "\n";
        var errors = Errors(yaml);
        Assert.Contains(errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Emergency_flag_must_have_safe_true()
    {
        var errors = Errors(Minimal.Replace("program: demo", "program: demo\nemergencyFlag: A", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("must have safe: true", StringComparison.Ordinal) && e.Line == 2);
    }

    [Fact]
    public void Non_boolean_flag_types_are_refused_for_now()
    {
        var errors = Errors(Minimal.Replace("alias: A", "alias: A\n    type: string", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("flags are boolean", StringComparison.Ordinal));
    }

    [Fact]
    public void Hostile_nesting_is_refused_not_a_stack_overflow()
    {
        var deep = "program: demo\nflags: " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        var e = Assert.Single(Errors(deep));
        Assert.Contains("nesting deeper than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_the_scanner_cannot_read_is_an_error_with_a_line_not_an_exception()
    {
        var e = Assert.Single(Errors("program: [a, b\nflags: []\n"));
        Assert.Contains("invalid YAML", e.Message, StringComparison.Ordinal);
        Assert.InRange(e.Line, 1, 2);
    }
}
