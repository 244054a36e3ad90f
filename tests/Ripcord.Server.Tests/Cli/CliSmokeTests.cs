using Ripcord.Server.Tests.Infrastructure;
using static Ripcord.Testing.Groups;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// The operator verbs of the real <c>ripcord</c> executable (as a process) against a test server:
/// success exits 0 and does what it says; a refusal exits non-zero with one line on stderr.
/// </summary>
public sealed class CliSmokeTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.BaseAddress.ToString().TrimEnd('/'), "--token", token]);

    /// <summary>Errors start with the program and verb ("ripcord set:" today; "ripcord override set:" would read better).</summary>
    private static string VerbPrefix(string verb) => $"^ripcord (\\w+ )?{verb}: ";

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task OverrideSet_ThenEvaluateJson_ThenAuditVerify_AllSucceed()
    {
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "w-cli" } });
        await _server.SetStageAsync(1);

        var set = await Ripcord(RipcordTestServer.AdminToken, "override", "set", "--flag", "F3", "--scope", "workspace:w-cli", "--value", "on", "--reason", "cli smoke");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Matches(@"^Override ovr_\w+: F3 = on at workspace:w-cli; revision 4\.$", Lines(set.StdOut).Single());
        var stored = (await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray().Single();
        Assert.Equal("workspace:w-cli", stored.GetProperty("scope").GetString());
        Assert.Equal("cli smoke", stored.GetProperty("reason").GetString());

        var evaluate = await Ripcord(RipcordTestServer.AdminToken, "evaluate", "--json", "--workspace", "w-cli", "--user", "u-1", "--tier", "1");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        var result = Evaluated.From(ApiAssert.Parse(evaluate.StdOut));
        Assert.Equal(4, result.Revision);
        Assert.Equal(new FlagValue(true, "override", "workspace:w-cli", "override@workspace:w-cli"), result[F3]);
        Assert.Equal(new FlagValue(true, "stage", "cohort:pilot", "stage:1@cohort:pilot"), result[F1]);

        var verify = await Ripcord(RipcordTestServer.AdminToken, "audit", "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Matches(@"^Audit chain intact: \d+ entries verified\.$", Lines(verify.StdOut).Single());
        Assert.Equal("", verify.StdErr.Trim());

        var verifyJson = await Ripcord(RipcordTestServer.AdminToken, "audit", "verify", "--json");
        Assert.True(verifyJson.ExitCode == 0, verifyJson.ToString());
        Assert.True(ApiAssert.Parse(verifyJson.StdOut).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task ClientsList_ShowsAnInstanceThatReportedTheHead()
    {
        var head = await _server.HeadAsync();
        var sdk = await _server.MintTokenAsync("sdk");
        using (var posted = await _server.SendAsync(HttpMethod.Post, "/api/v1/telemetry", sdk.Secret, new
        {
            program = "groups",
            instance = "i-cli",
            events = new object[] { new { type = "revision-heartbeat", at = _server.Clock.GetUtcNow(), revision = head, state = "live" } },
        }))
        {
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        }

        var list = await Ripcord(RipcordTestServer.AdminToken, "clients", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        var lines = Lines(list.StdOut);
        Assert.Equal($"groups: revision {head}; 0 connected, 1 at the head", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("i-cli ", StringComparison.Ordinal) && l.Contains($" {head} ", StringComparison.Ordinal));

        var json = await Ripcord(RipcordTestServer.AdminToken, "clients", "list", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var client = ApiAssert.Parse(json.StdOut).GetProperty("clients").EnumerateArray().Single();
        Assert.Equal("i-cli", client.GetProperty("instance").GetString());
        Assert.Equal(head, client.GetProperty("appliedRevision").GetInt64());
    }

    [Theory]
    [InlineData("unknown feature flag", "--flag F9 --scope workspace:w-1 --value on --reason x", "F9")]
    [InlineData("bad scope", "--flag F3 --scope galaxy:1 --value on --reason x", "galaxy:1")]
    [InlineData("bad value", "--flag F3 --scope workspace:w-1 --value maybe --reason x", "maybe")]
    [InlineData("user scope without expiry", "--flag F3 --scope user:u-1 --value on --reason x", "expiresAt")]
    public async Task RefusedOverrideSet_ExitsNonZero_WithOneLineOnStderr_AndChangesNothing(string what, string args, string mentioned)
    {
        var head = await _server.HeadAsync();
        var result = await Ripcord(RipcordTestServer.AdminToken, ["override", "set", .. args.Split(' ')]);
        Assert.True(result.ExitCode != 0, $"{what}: {result}");
        var line = Assert.Single(Lines(result.StdErr));
        Assert.Matches(VerbPrefix("set"), line);
        Assert.Contains(mentioned, line, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut.Trim());
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Fact]
    public async Task OverrideSetWithAViewerToken_ExitsNonZero_WithTheRefusalOnOneLine()
    {
        var viewer = await _server.MintTokenAsync("viewer");
        var result = await Ripcord(viewer.Secret, "override", "set", "--flag", "F3", "--scope", "global", "--value", "on", "--reason", "x");
        Assert.True(result.ExitCode != 0, result.ToString());
        var line = Assert.Single(Lines(result.StdErr));
        Assert.Matches(VerbPrefix("set") + "403 ", line);
    }

    [Fact]
    public async Task UnknownCliOption_ExitsNonZero_AndSaysWhichOption()
    {
        var result = await Ripcord(RipcordTestServer.AdminToken, "override", "set", "--flag", "F3", "--scope", "global", "--value", "on", "--reason", "x", "--frobnicate");
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("--frobnicate", Assert.Single(Lines(result.StdErr)), StringComparison.Ordinal);
        Assert.Empty((await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray());
    }

    [Fact]
    public async Task AuditVerify_ThroughAnUnreachableServer_ExitsNonZero_WithOneLine()
    {
        var result = await RipcordCli.RunAsync("audit", "verify", "--server", "http://127.0.0.1:1", "--token", RipcordTestServer.AdminToken);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Matches(VerbPrefix("verify") + "cannot reach http://127.0.0.1:1/", Assert.Single(Lines(result.StdErr)));
    }
}
