using System.Text.Json;
using System.Text.Json.Nodes;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;

namespace Ripcord.Testing;

/// <summary>
/// Golden evaluation cases (tests/golden/evaluation/*.json): changes made to the groups program,
/// contexts, and the value, reason, scope and source each flag must get. The same files run
/// against the core engine, the server's /evaluate and OFREP, and the SDK: the changes are
/// <see cref="Commands"/>, applied purely for the core and through the server's writer for the rest.
/// </summary>
public sealed record GoldenFile(string Name, IReadOnlyList<ProgramCommand> Commands, DateTimeOffset Now, IReadOnlyList<GoldenCase> Cases)
{
    /// <summary>The default "now" of a golden file without one.</summary>
    public static readonly DateTimeOffset DefaultNow = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly Principal Golden = new("prn_golden", "golden");

    /// <summary>When the changes are made: an hour before the file's now, so every expiry lies ahead of it.</summary>
    public DateTimeOffset ChangedAt => Now.AddHours(-1);

    /// <summary>The groups program after the file's changes.</summary>
    public ProgramState State
    {
        get
        {
            var state = ProgramState.Initial(BuiltInPrograms.Groups);
            foreach (var command in Commands)
            {
                state = ProgramChanges.Apply(state, command, ChangedAt).State;
            }
            return state;
        }
    }

    public override string ToString() => Name;

    public static IEnumerable<GoldenFile> All()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "golden", "evaluation");
        return Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).Select(Load);
    }

    public static GoldenFile Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var now = root["now"] is { } n ? DateTimeOffset.Parse(n.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : DefaultNow;
        var commands = new List<ProgramCommand>();
        if (root["stage"] is { } stage)
        {
            commands.Add(new SetStage(stage.GetValue<string>()));
        }
        foreach (var (id, members) in root["cohorts"]?.AsObject() ?? [])
        {
            commands.Add(new PutCohort(new CohortDefinition { Id = id, Workspaces = [.. members!.AsArray().Select(m => m!.GetValue<string>())] }));
        }
        var i = 0;
        foreach (var o in root["overrides"]?.AsArray() ?? [])
        {
            var expires = o!["expiresAt"] is { } e ? DateTimeOffset.Parse(e.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
            commands.Add(new SetOverride($"o{i++}", o["flag"]!.GetValue<string>(), o["scope"]!.GetValue<string>(), o["value"]!.GetValue<bool>(),
                "golden", expires, Golden));
        }
        foreach (var k in root["killSwitches"]?.AsArray() ?? [])
        {
            commands.Add(new ActivateKillSwitch($"k{i++}", k!["level"]!.GetValue<string>(), k["scope"]!.GetValue<string>(), null, "golden", Golden));
        }
        var cases = root["cases"]!.AsArray().Select(c => new GoldenCase(
            c!["name"]!.GetValue<string>(),
            Context(c["context"]!.AsObject()),
            c["now"] is { } at ? DateTimeOffset.Parse(at.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : now,
            c["expect"]!.AsObject().Select(kv => new GoldenExpectation(kv.Key,
                kv.Value!["value"]!.GetValue<bool>(), kv.Value["reason"]?.GetValue<string>(), kv.Value["scope"]?.GetValue<string>(),
                kv.Value["source"]?.GetValue<string>(), kv.Value["conflict"]?.GetValue<bool>())).ToList(),
            c["context"]!.ToJsonString())).ToList();
        return new GoldenFile(Path.GetFileNameWithoutExtension(path), commands, now, cases);
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
