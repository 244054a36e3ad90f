using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;

namespace Ripcord.Core.Tests;

/// <summary>The triggers, operations and templates sections: reading, validation with lines, JSON and export.</summary>
public sealed class ResponseDefinitionTests
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

        """;

    private static IReadOnlyList<DefinitionError> Errors(string sections) => DefinitionReader.Read(Minimal + sections).Errors;

    [Fact]
    public void Groups_maps_every_trigger_and_names_operations_by_key()
    {
        var d = Groups.Definition.Value;
        Assert.Equal(
            ["confidentiality-incident=KS1", "crash-or-memory-regression=KS5", "operator-escalation=ask", "projection-corruption=KS4", "publish-ack-failures=KS3"],
            d.Triggers.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Equal(
            ["create=groups.create.enabled|", "routes=groups.routes.enabled|", "secure-transport=groups.transport.securePilot.enabled|", "send=groups.send.enabled|send"],
            d.Operations.Select(kv => $"{kv.Key}={kv.Value.Flag}|{kv.Value.Telemetry}"));
        foreach (var audience in new[] { "internal", "operator", "user", "post-incident" })
        {
            Assert.Equal(["en", "fr"], d.Templates[audience].Keys);
        }
    }

    [Fact]
    public void A_definition_without_the_sections_serialises_exactly_as_before_them()
    {
        // Digests of the built-in groups definition and its initial state taken before the sections existed:
        // stored revisions must still verify. (Tier 2's inAppOverride, the alert rules and stage 2's ramp came later still: left out the same way.)
        var d = BuiltInPrograms.Groups with
        {
            Tiers = [.. BuiltInPrograms.Groups.Tiers.Select(t => t with { InAppOverride = null })],
            Stages = [.. BuiltInPrograms.Groups.Stages.Select(s => s with { Ramp = null })],
            Triggers = ImmutableSortedDictionary<string, string>.Empty,
            Operations = ImmutableSortedDictionary<string, OperationDefinition>.Empty,
            Templates = ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty,
            Alerts = [],
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(d, CoreJson.Options);
        Assert.Equal("72c78fa8c2555e8a9b61a1588fd785cae1a61ce861463ca29230e3c5fd6278b7", Convert.ToHexStringLower(SHA256.HashData(json)));
        Assert.Equal("c93540bddc7a4cbb2b0eb1428fd60ded8431875b1af3bc8ac511457e7ee315b1", StateSync.Digest(ProgramState.Initial(d)));
        var text = System.Text.Encoding.UTF8.GetString(json);
        Assert.DoesNotContain("\"triggers\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"operations\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"templates\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"inAppOverride\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"ramp\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sections_survive_a_json_round_trip_with_the_same_digest()
    {
        var state = ProgramState.Initial(Groups.Definition.Value);
        var json = JsonSerializer.Serialize(state, CoreJson.Options);
        Assert.Contains("\"triggers\":{\"confidentiality-incident\":\"KS1\"", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<ProgramState>(json, CoreJson.Options)!;
        Assert.Equal(state.Definition.Triggers, back.Definition.Triggers);
        Assert.Equal(state.Definition.Operations, back.Definition.Operations);
        Assert.Equal(state.Definition.Templates["user"]["fr"], back.Definition.Templates["user"]["fr"]);
        Assert.Equal(json, JsonSerializer.Serialize(back, CoreJson.Options));
        Assert.Equal(StateSync.Digest(state), StateSync.Digest(back));
    }

    [Fact]
    public void Export_keeps_the_sections()
    {
        var d = Groups.Definition.Value;
        var again = DefinitionReader.Read(DefinitionWriter.Write(d));
        Assert.True(again.IsValid, string.Join("; ", again.Errors));
        Assert.Equal(d.Triggers, again.Definition!.Triggers);
        Assert.Equal(d.Operations, again.Definition.Operations);
        Assert.Equal(d.Templates.SelectMany(a => a.Value.Select(l => (a.Key, l.Key, l.Value))),
            again.Definition.Templates.SelectMany(a => a.Value.Select(l => (a.Key, l.Key, l.Value))));
    }

    [Fact]
    public void Operations_resolve_aliases_to_keys()
    {
        var result = DefinitionReader.Read(Minimal + "operations:\n  run: { flag: A }\n");
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("demo.a", result.Definition!.Operations["run"].Flag);
        Assert.Null(result.Definition.Operations["run"].Telemetry);
    }

    [Theory]
    [InlineData("triggers:\n  publish-ack-failures: K9\n", 14, "triggers.publish-ack-failures", "unknown kill-switch level 'K9'")]
    [InlineData("triggers:\n  meteor-strike: K1\n", 14, "triggers.meteor-strike", "unknown trigger 'meteor-strike'")]
    [InlineData("triggers:\n  operator-escalation: [K1]\n", 14, "triggers.operator-escalation", "must be a kill-switch level id or 'ask'")]
    [InlineData("operations:\n  run: { flag: Z }\n", 14, "operations.run.flag", "unknown flag 'Z'")]
    [InlineData("operations:\n  run: { flag: A, telemetry: sends }\n", 14, "operations.run.telemetry", "unknown telemetry event type 'sends'")]
    [InlineData("operations:\n  run: { telemetry: send }\n", 14, "operations.run.flag", "required")]
    [InlineData("templates:\n  user:\n    en: \"fine {{ program }}\"\n    fr: \"{{ incident.nope }}\"\n", 16, "templates.user.fr", "template user/fr, line 1: unknown variable 'incident.nope'")]
    [InlineData("templates:\n  user:\n    en: |\n      ok\n      {{ nope }}\n", 15, "templates.user.en", "template user/en, line 2: unknown variable 'nope'")]
    [InlineData("templates:\n  operator:\n    en: |\n      a\n      b {{ program | }}\n", 15, "templates.operator.en", "template operator/en, line 2: Liquid syntax error")]
    [InlineData("templates:\n  press:\n    en: hi\n", 14, "templates.press", "unknown audience 'press'")]
    [InlineData("templates:\n  user:\n    en_GB!: hi\n", 15, "templates.user.en_GB!", "is not a locale tag")]
    public void Section_errors_name_their_path_and_line(string sections, int line, string path, string message)
    {
        var error = Assert.Single(Errors(sections));
        Assert.Equal((line, path), (error.Line, error.Path));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_may_use_their_own_names_loops_and_list_members()
    {
        const string sections = """
            templates:
              internal:
                en: |
                  {% assign who = incident.affected | join: ", " %}{{ who }} {{ incident.affected.size }}
                  {% for a in incident.affected %}{{ forloop.index }}. {{ a }}{% endfor %}
                  {% capture c %}{{ killSwitch.level }}{% endcapture %}{{ c }} {% if verification == empty %}-{% endif %}
            """;
        Assert.Empty(Errors(sections));
    }
}
