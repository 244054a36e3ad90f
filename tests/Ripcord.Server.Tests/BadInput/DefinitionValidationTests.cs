using System.Net;
using System.Text.Json;

namespace Ripcord.Server.Tests.BadInput;

/// <summary>
/// Definitions that cannot be applied get 422 with every error listed, each with the line it is
/// on — and nothing changes. Invalid YAML is a 422 too, never a 500.
/// </summary>
public sealed class DefinitionValidationTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A small valid program; each test breaks it in one or more marked places.</summary>
    private static readonly string[] Base =
    [
        "program: sandbox",
        "emergencyFlag: F5",
        "flags:",
        "  - key: sandbox.routes.enabled",
        "    alias: F1",
        "    default: false",
        "    safe: false",
        "  - key: sandbox.transport.enabled",
        "    alias: F2",
        "    default: false",
        "    safe: false",
        "    prerequisites: [F1]",
        "  - key: sandbox.emergency",
        "    alias: F5",
        "    default: false",
        "    safe: true",
        "stages:",
        "  - id: \"0\"",
        "    flags:",
        "      F1: true",
        "      F2: true",
        "killSwitches:",
        "  - id: KS1",
        "    effects: { F2: false }",
    ];

    private sealed record Break(string After, string? Insert, string? Replace, string PathContains, string MessageContains);

    private static readonly Dictionary<string, Break> Breaks = new(StringComparer.Ordinal)
    {
        ["unknown flag in a stage profile"] = new("      F2: true", "      F9: true", null, "stages[0].flags.F9", "unknown flag 'F9'"),
        ["kill-switch effect that is not the safe value"] = new("    effects: { F2: false }", null, "    effects: { F2: true }", "killSwitches[0].effects.F2", "safe value"),
        ["duplicate key"] = new("    default: false", "    default: true", null, "flags[0].default", "duplicate key"),
        ["unknown field"] = new("    safe: true", "    colour: red", null, "flags[2].colour", "unknown field"),
        // F1 → F2 → F1: reported at the flag that closes the cycle.
        ["template with an unknown placeholder"] = new("emergencyFlag: F5", "templates: { operator: { en: \"{{ incident.nope }} is open\" } }", null,
            "templates.operator.en", "unknown variable 'incident.nope'"),
        ["trigger mapped to an unknown level"] = new("emergencyFlag: F5", "triggers: { publish-ack-failures: KS9 }", null,
            "triggers.publish-ack-failures", "KS9"),
        ["prerequisite cycle"] = new("    safe: false", "    prerequisites: [F2]", null, "prerequisites", "prerequisite cycle"),
    };

    public static TheoryData<string> BreakNames() => [.. Breaks.Keys];

    /// <summary>Applies the breaks and returns the YAML and, per break, the 1-based line it touched.</summary>
    private static (string Yaml, Dictionary<string, int> Lines) Broken(params string[] names)
    {
        var lines = Base.ToList();
        var touched = new Dictionary<string, string>(StringComparer.Ordinal); // name → unique marker text
        foreach (var name in names)
        {
            var b = Breaks[name];
            var at = lines.IndexOf(b.After);
            Assert.True(at >= 0, $"no line '{b.After}' to break");
            var marker = $"  # <{name}>";
            if (b.Replace is not null)
            {
                lines[at] = b.Replace + marker;
            }
            else
            {
                lines.Insert(at + 1, b.Insert + marker);
            }
            touched[name] = marker;
        }
        return (string.Join('\n', lines) + "\n", touched.ToDictionary(kv => kv.Key, kv => lines.FindIndex(l => l.EndsWith(kv.Value, StringComparison.Ordinal)) + 1));
    }

    private async Task<JsonElement> Refused(string yaml, string path = "/api/v1/definitions")
    {
        var head = await _server.HeadAsync();
        using var response = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, path, RipcordTestServer.AdminToken, RipcordTestServer.Yaml(yaml)));
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(head, await _server.HeadAsync());
        using var missing = await _server.SendAsync(HttpMethod.Get, "/api/v1/programs/sandbox");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        return problem;
    }

    private static List<(int Line, string Path, string Message)> Errors(JsonElement problem) =>
        [.. problem.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("path").GetString()!, e.GetProperty("message").GetString()!))];

    [Fact]
    public async Task TheUnbrokenBaseDefinition_IsAccepted()
    {
        var (yaml, _) = Broken();
        using var response = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/definitions", RipcordTestServer.AdminToken, RipcordTestServer.Yaml(yaml)));
        var body = await ApiAssert.SuccessJsonAsync(response);
        Assert.Equal("sandbox", body.GetProperty("program").GetString());
        Assert.Equal(1, body.GetProperty("revision").GetInt64());
    }

    [Theory]
    [MemberData(nameof(BreakNames))]
    public async Task InvalidDefinition_Is422_WithTheErrorOnItsLine(string name)
    {
        var (yaml, lines) = Broken(name);
        var errors = Errors(await Refused(yaml));
        var b = Breaks[name];
        var error = Assert.Single(errors);
        Assert.Contains(b.MessageContains, error.Message, StringComparison.Ordinal);
        Assert.Contains(b.PathContains, error.Path, StringComparison.Ordinal);
        if (name == "prerequisite cycle")
        {
            // Either end of the cycle is a fair place to point at: F1's new line or F2's prerequisites line.
            Assert.Contains(error.Line, new[] { lines[name], Array.IndexOf(Base, "    prerequisites: [F1]") + 2 });
        }
        else
        {
            Assert.Equal(lines[name], error.Line);
        }
    }

    [Fact]
    public async Task DefinitionWithEveryKindOfError_ListsEveryErrorWithItsLine()
    {
        var names = Breaks.Keys.ToArray();
        var (yaml, lines) = Broken(names);
        var problem = await Refused(yaml);
        var errors = Errors(problem);
        Assert.Equal(names.Length, errors.Count);
        Assert.All(errors, e => Assert.InRange(e.Line, 1, yaml.Split('\n').Length));
        foreach (var name in names.Where(n => n != "prerequisite cycle"))
        {
            Assert.Contains(errors, e => e.Line == lines[name] && e.Message.Contains(Breaks[name].MessageContains, StringComparison.Ordinal));
        }
        Assert.Contains(errors, e => e.Message.Contains("prerequisite cycle", StringComparison.Ordinal));
        Assert.Contains($"{names.Length} error(s)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, int> BadYaml() => new()
    {
        { "program: sandbox\nflags:\n  - key: a\n   default: false\n", 4 },
        { "program: \"sandbox\nflags: []\n", 0 },
        // YamlDotNet reports a tab at the start of the enclosing mapping (line 1), not on line 3.
        { "program: sandbox\nflags:\n\t- key: a\n", 0 },
        { "program: sandbox\nflags: [a, b\n", 0 },
        { "program: [a, b\nflags: []\n", 0 },
        { "program: [a\nb: [c]]\n", 0 },
        { "program: &p sandbox\ndescription: *p\n", 2 },
        { "program: sandbox\n---\nprogram: other\n", 0 },
        { "just a string\n", 1 },
        { "- program: sandbox\n", 1 },
        { "", 1 },
    };

    [Theory]
    [MemberData(nameof(BadYaml))]
    public async Task InvalidYaml_Is422_WithALineNumber_NeverA500(string yaml, int expectedLine)
    {
        var errors = Errors(await Refused(yaml));
        var error = Assert.Single(errors);
        if (expectedLine > 0)
        {
            Assert.Equal(expectedLine, error.Line);
        }
        else
        {
            Assert.InRange(error.Line, 1, Math.Max(1, yaml.Split('\n').Length));
        }
    }

    [Fact]
    public async Task DefinitionSentToAnotherProgramsPath_Is422_AndChangesNothing()
    {
        var (yaml, _) = Broken();
        var problem = await Refused(yaml, "/api/v1/programs/groups/definition");
        Assert.Contains("sandbox", Errors(problem).Single().Message, StringComparison.Ordinal);
    }
}
