using System.Text.Json;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;

namespace Ripcord.Core.Tests;

/// <summary>The <c>alerts:</c> section: the groups defaults, reading, validation with lines, JSON and export.</summary>
public sealed class AlertDefinitionTests
{
    private const string Minimal = """
        program: demo
        flags:
          - key: demo.a
            alias: A
            default: false
            safe: false
        stages:
          - id: "0"
            flags: { A: true }
        killSwitches:
          - id: K1
            effects: { A: false }
        triggers:
          publish-ack-failures: K1
          operator-escalation: ask

        """;

    private static IReadOnlyList<DefinitionError> Errors(string sections) => DefinitionReader.Read(Minimal + sections).Errors;

    [Fact]
    public void Groups_has_the_four_seed_defaults()
    {
        var rules = Groups.Definition.Value.Alerts;
        Assert.Equal(
            [
                "confidentiality-risk securitySignals >0 5m/0s critical confidentiality-incident",
                "admin-denials auditDenials >20 10m/0s critical -",
                "emergency-outside-roles emergencyActionsOutsideRoles >0 10m/0s critical -",
                "send-failures sendFailureRate >0.05 5m/10m high publish-ack-failures",
                "fallback-spikes fallbackRate >0.05 5m/15m high -",
            ],
            rules.Select(r => $"{r.Id} {DefinitionReader.EnumName(r.Metric)} >{r.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)} "
                + $"{DefinitionReader.DurationText(r.Window)}/{DefinitionReader.DurationText(r.Sustain)} {DefinitionReader.EnumName(r.Severity)} {r.Trigger ?? "-"}"));
        Assert.All(rules, r => Assert.False(r.AutoActivate));
    }

    [Fact]
    public void A_definition_without_alerts_serialises_without_the_field()
    {
        var d = DefinitionReader.Read(Minimal).Definition!;
        Assert.DoesNotContain("\"alerts\"", JsonSerializer.Serialize(d, CoreJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public void Alerts_survive_a_json_round_trip_and_an_export_with_the_same_digest()
    {
        var state = ProgramState.Initial(Groups.Definition.Value);
        var json = JsonSerializer.Serialize(state, CoreJson.Options);
        var back = JsonSerializer.Deserialize<ProgramState>(json, CoreJson.Options)!;
        Assert.Equal([.. state.Definition.Alerts], back.Definition.Alerts.ToList());
        Assert.Equal(StateSync.Digest(state), StateSync.Digest(back));

        var again = DefinitionReader.Read(DefinitionWriter.Write(Groups.Definition.Value));
        Assert.True(again.IsValid, string.Join("; ", again.Errors));
        Assert.Equal([.. Groups.Definition.Value.Alerts], again.Definition!.Alerts.ToList());
    }

    [Theory]
    [InlineData("alerts:\n  - { id: x, metric: cpu, severity: high }\n", "alerts[0].metric", "unknown metric 'cpu'")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: urgent }\n", "alerts[0].severity", "unknown severity 'urgent'")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: high, window: 5 }\n", "alerts[0].window", "must be a duration")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: high, window: 90s }\n", "alerts[0].window", "whole minutes")]
    [InlineData("alerts:\n  - { id: x, metric: sendFailureRate, severity: high, threshold: 5 }\n", "alerts[0].threshold", "fraction")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: high, threshold: -1 }\n", "alerts[0].threshold", "must not be negative")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: critical, trigger: meteor-strike }\n", "alerts[0].trigger", "not one of the definition's triggers")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: high, trigger: publish-ack-failures, autoActivate: true }\n", "alerts[0].autoActivate", "only a critical rule")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: critical, autoActivate: true }\n", "alerts[0].autoActivate", "needs a trigger")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: critical, trigger: operator-escalation, autoActivate: true }\n", "alerts[0].autoActivate", "'ask'")]
    [InlineData("alerts:\n  - { id: x, metric: auditDenials, severity: high, colour: red }\n", "alerts[0].colour", "unknown field 'colour'")]
    [InlineData("alerts:\n  - { metric: auditDenials, severity: high }\n", "alerts[0].id", "required")]
    public void Bad_alert_rules_are_refused_with_their_path(string sections, string path, string message)
    {
        var errors = Errors(sections);
        Assert.All(errors, e => Assert.Equal((17, path), (e.Line, e.Path)));
        Assert.Contains(errors, e => e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicate_rule_ids_are_refused()
    {
        var error = Assert.Single(Errors("alerts:\n  - { id: x, metric: auditDenials, severity: high }\n  - { id: x, metric: securitySignals, severity: low }\n"));
        Assert.Equal(("alerts[1].id", "duplicate alert rule 'x'"), (error.Path, error.Message));
    }
}
