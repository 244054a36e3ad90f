using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ripcord.Cli;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// Issue 9, item 3: each kind of failure has its own exit code, documented in docs/cli.md, with
/// one line on stderr — or with --json, the problem details there — and nothing on stdout. The real
/// executable against a real server (and, for 5xx, a stand-in that fails on purpose).
/// </summary>
public sealed class CliExitCodeTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string? token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.BaseAddress.ToString(), .. token is null ? Array.Empty<string>() : ["--token", token]]);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Asserts the exit code, nothing on stdout, and returns the one line on stderr.</summary>
    private static string Failed(ProcessResult result, int exitCode)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}: {result}");
        Assert.Equal("", result.StdOut.Trim());
        return Assert.Single(Lines(result.StdErr));
    }

    /// <summary>With --json: stderr is one problem-details object.</summary>
    private static JsonElement FailedJson(ProcessResult result, int exitCode) => ApiAssert.Parse(Failed(result, exitCode));

    [Fact]
    public async Task Ready_Exits0ForAReadyServer_And8WhenNothingAnswersWithinTheWait()
    {
        var ready = await RipcordCli.RunAsync("ready", "--server", _server.Url);
        Assert.True(ready.ExitCode == ExitCodes.Success, ready.ToString());
        Assert.Contains("is ready", ready.StdOut, StringComparison.Ordinal);

        var nobody = await RipcordCli.RunAsync("ready", "--server", "http://127.0.0.1:1", "--wait", "1");
        Assert.Equal(ExitCodes.Unreachable, nobody.ExitCode);
    }

    [Fact]
    public async Task UsageErrors_Exit2_AndSendNothing()
    {
        var head = await _server.HeadAsync();

        var unknown = Failed(await Ripcord(RipcordTestServer.AdminToken, "stage", "set", "1", "--frobnicate"), ExitCodes.Usage);
        Assert.Matches("^ripcord stage set: .*'--frobnicate'.* See 'ripcord stage set --help'\\.$", unknown);

        Failed(await Ripcord(RipcordTestServer.AdminToken, "override", "set", "--flag", "F3", "--scope", "global", "--value", "maybe", "--reason", "x"), ExitCodes.Usage);
        Failed(await Ripcord(RipcordTestServer.AdminToken, "definition", "apply", "/no/such/file.yaml"), ExitCodes.Usage);
        Assert.Contains("/no/such/dir", Failed(await Ripcord(RipcordTestServer.AdminToken, "definition", "export", "-o", "/no/such/dir/groups.yaml"), ExitCodes.Usage),
            StringComparison.Ordinal);
        var typo = await Ripcord(RipcordTestServer.AdminToken, "overide", "list");
        Assert.Equal(ExitCodes.Usage, typo.ExitCode);
        Assert.Contains("Did you mean 'override'?", typo.StdErr, StringComparison.Ordinal);

        var json = FailedJson(await Ripcord(RipcordTestServer.AdminToken, "stage", "set", "--json"), ExitCodes.Usage);
        Assert.Equal("Usage error", json.GetProperty("title").GetString());
        Assert.NotEmpty(json.GetProperty("errors").EnumerateArray());

        Assert.Equal(head, await _server.HeadAsync());
    }

    [Fact]
    public async Task NoTokenOrAnUnknownOne_Exits3_AndSaysWhich()
    {
        var none = Failed(await Ripcord(null, "programs", "list"), ExitCodes.NotAuthenticated);
        Assert.Matches("^ripcord programs list: 401 .*No token was sent.*--token or RIPCORD_TOKEN", none);

        var unknown = Failed(await Ripcord("rc_usr_not_a_token_this_server_knows", "programs", "list"), ExitCodes.NotAuthenticated);
        Assert.Contains("The token sent is not valid: it is unknown or was revoked", unknown, StringComparison.Ordinal);
        Assert.DoesNotContain("No token was sent", unknown, StringComparison.Ordinal);

        Assert.Equal(401, FailedJson(await Ripcord(null, "programs", "list", "--json"), ExitCodes.NotAuthenticated).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task AWrongRole_Exits4()
    {
        var viewer = await _server.MintTokenAsync("viewer");
        Assert.Matches("^ripcord stage set: 403 ", Failed(await Ripcord(viewer.Secret, "stage", "set", "1"), ExitCodes.Forbidden));
    }

    [Fact]
    public async Task SomethingMissing_Exits5()
    {
        Assert.Contains("999", Failed(await Ripcord(RipcordTestServer.AdminToken, "revisions", "show", "999"), ExitCodes.NotFound), StringComparison.Ordinal);
        Failed(await Ripcord(RipcordTestServer.AdminToken, "flags", "list", "--program", "no-such-program"), ExitCodes.NotFound);
        Failed(await Ripcord(RipcordTestServer.AdminToken, "override", "delete", "ovr_000000000000"), ExitCodes.NotFound);
    }

    [Fact]
    public async Task AStaleIfMatch_Exits6_NamingTheCurrentRevision_AndChangesNothing()
    {
        var seen = await _server.HeadAsync();
        var head = await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme" } });

        var line = Failed(await Ripcord(RipcordTestServer.AdminToken, "stage", "set", "1", "--reason", "test: break-glass", "--if-match", seen.ToString()), ExitCodes.Conflict);
        Assert.Matches($"^ripcord stage set: 409 .*current revision: {head}; .*--if-match {head}\\)$", line);

        var problem = FailedJson(await Ripcord(RipcordTestServer.AdminToken, "stage", "set", "1", "--reason", "test: break-glass", "--if-match", seen.ToString(), "--json"), ExitCodes.Conflict);
        Assert.Equal((409, head), (problem.GetProperty("status").GetInt32(), problem.GetProperty("currentRevision").GetInt64()));

        Assert.Equal(head, await _server.HeadAsync());
        var retried = await Ripcord(RipcordTestServer.AdminToken, "stage", "set", "1", "--reason", "test: break-glass", "--if-match", head.ToString());
        Assert.True(retried.ExitCode == ExitCodes.Success, retried.ToString());
    }

    [Fact]
    public async Task ARefusedChange_Exits7()
    {
        var scope = Failed(await Ripcord(RipcordTestServer.AdminToken, "override", "set", "--flag", "F3", "--scope", "galaxy:1", "--value", "on", "--reason", "x"), ExitCodes.Refused);
        Assert.Matches("^ripcord override set: 400 .*galaxy:1", scope);

        var problem = FailedJson(await Ripcord(RipcordTestServer.AdminToken, "audit", "list", "--after", "0", "--limit", "5000", "--json"), ExitCodes.Refused);
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _), problem.ToString());

        var file = Path.Combine(_server.DataDirectory, "broken.yaml");
        await File.WriteAllTextAsync(file, "program: groups\nflags:\n  - key: Not A Key\n");
        var broken = await Ripcord(RipcordTestServer.AdminToken, "definition", "apply", file);
        Assert.True(broken.ExitCode == ExitCodes.Refused, broken.ToString());
        Assert.StartsWith("ripcord definition apply: broken.yaml is not a valid definition; nothing was sent", broken.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoServer_Exits8()
    {
        var result = await RipcordCli.RunAsync("programs", "list", "--server", "http://127.0.0.1:1", "--token", RipcordTestServer.AdminToken);
        Assert.Matches("^ripcord programs list: cannot reach http://127.0.0.1:1/", Failed(result, ExitCodes.Unreachable));

        var json = await RipcordCli.RunAsync("programs", "list", "--json", "--server", "http://127.0.0.1:1", "--token", RipcordTestServer.AdminToken);
        Assert.Equal("Server unreachable", FailedJson(json, ExitCodes.Unreachable).GetProperty("title").GetString());
    }

    [Theory]
    [InlineData(500, "application/problem+json", """{"title":"Internal error","status":500,"detail":"the server failed"}""", "^ripcord programs list: 500 Internal error: the server failed$")]
    [InlineData(502, "text/html", "<html><body>Bad gateway</body></html>", "^ripcord programs list: 502 Bad Gateway$")]
    [InlineData(200, "text/html", "<html><body>Sign in to the proxy</body></html>", "^ripcord programs list: 200 Unreadable response: ")]
    public async Task AServerError_OrAnAnswerThatIsNotTheApi_Exits9(int status, string contentType, string body, string expected)
    {
        await using var failing = await StandInServer.StartAsync(status, contentType, body);
        var result = await RipcordCli.RunAsync("programs", "list", "--server", failing.Address.ToString(), "--token", RipcordTestServer.AdminToken);
        Assert.Matches(expected, Failed(result, ExitCodes.ServerError));

        var json = await RipcordCli.RunAsync("programs", "list", "--json", "--server", failing.Address.ToString(), "--token", RipcordTestServer.AdminToken);
        var problem = FailedJson(json, ExitCodes.ServerError);
        if (contentType == "application/problem+json")
        {
            Assert.Equal(body, json.StdErr.Trim());
        }
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public void EveryExitCode_IsInDocsCliMd_AndEveryDocumentedCodeExists()
    {
        var constants = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int)).Select(f => (int)f.GetRawConstantValue()!).Order().ToList();
        var documented = Regex.Matches(File.ReadAllText(DocsCliMd()), @"^\| (\d+) \|", RegexOptions.Multiline)
            .Select(m => int.Parse(m.Groups[1].Value)).Order().ToList();
        Assert.Equal(constants, documented);
    }

    private static string DocsCliMd()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "cli.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("docs/cli.md was not found above " + AppContext.BaseDirectory);
    }
}
