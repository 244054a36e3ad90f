using System.Text.Json;
using System.Text.Json.Nodes;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Tests;

/// <summary>
/// Golden evaluation cases (tests/golden/evaluation/*.json): a state built on the groups
/// program, contexts, and the value, reason, scope and source each flag must get. The same
/// files are meant to run against the core, the SDK and the server.
/// </summary>
public sealed record GoldenFile(string Name, ProgramState State, DateTimeOffset Now, IReadOnlyList<GoldenCase> Cases)
{
    public override string ToString() => Name;

    public static IEnumerable<GoldenFile> All()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "golden", "evaluation");
        return Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).Select(Load);
    }

    public static GoldenFile Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var now = root["now"] is { } n ? DateTimeOffset.Parse(n.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : Groups.Now;
        var state = Groups.Initial;
        if (root["stage"] is { } stage)
        {
            state = ProgramChanges.SetStage(state, stage.GetValue<string>());
        }
        foreach (var (id, members) in root["cohorts"]?.AsObject() ?? [])
        {
            state = ProgramChanges.PutCohort(state, new CohortDefinition { Id = id, Workspaces = [.. members!.AsArray().Select(m => m!.GetValue<string>())] }).State;
        }
        var i = 0;
        foreach (var o in root["overrides"]?.AsArray() ?? [])
        {
            var expires = o!["expiresAt"] is { } e ? DateTimeOffset.Parse(e.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
            state = ProgramChanges.AddOverride(state, new OverrideRequest(o["flag"]!.GetValue<string>(), o["scope"]!.GetValue<string>(),
                o["value"]!.GetValue<bool>(), "golden", expires), $"o{i++}", "golden", now.AddHours(-1)).State;
        }
        foreach (var k in root["killSwitches"]?.AsArray() ?? [])
        {
            state = ProgramChanges.ActivateKillSwitch(state, new KillSwitchActivation
            {
                Id = $"k{i++}", Level = k!["level"]!.GetValue<string>(), Scope = Scope.Parse(k["scope"]!.GetValue<string>()),
                Reason = "golden", ActivatedAt = now, ActivatedBy = "golden",
            });
        }
        var cases = root["cases"]!.AsArray().Select(c => new GoldenCase(
            c!["name"]!.GetValue<string>(),
            Context(c["context"]!.AsObject()),
            c["now"] is { } at ? DateTimeOffset.Parse(at.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : now,
            c["expect"]!.AsObject().Select(kv => new GoldenExpectation(kv.Key,
                kv.Value!["value"]!.GetValue<bool>(), kv.Value["reason"]?.GetValue<string>(), kv.Value["scope"]?.GetValue<string>(),
                kv.Value["source"]?.GetValue<string>(), kv.Value["conflict"]?.GetValue<bool>())).ToList(),
            c["context"]!.ToJsonString())).ToList();
        return new GoldenFile(Path.GetFileNameWithoutExtension(path), state, now, cases);
    }

    private static EvaluationContext Context(JsonObject c)
    {
        var attributes = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var (k, v) in c["attributes"]?.AsObject() ?? [])
        {
            attributes[k] = v!.GetValueKind() switch
            {
                JsonValueKind.Number => v.GetValue<double>(),
                JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                _ => v.GetValue<string>(),
            };
        }
        return new EvaluationContext(c["workspaceId"]?.GetValue<string>(), c["userId"]?.GetValue<string>(), c["tier"]?.GetValue<int>(), attributes);
    }
}

public sealed record GoldenCase(string Name, EvaluationContext Context, DateTimeOffset Now, IReadOnlyList<GoldenExpectation> Expect, string ContextJson);

public sealed record GoldenExpectation(string Flag, bool Value, string? Reason, string? Scope, string? Source, bool? Conflict);
