using Ripcord.Cli;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// Issue 9, item 7: output an operator reads in an incident, and the small verbs around it — `audit list`
/// newest first with reasons, `cohort add/remove`, flag names that forgive case and suggest near misses,
/// `version`, and shell completion. The real executable against a real server.
/// </summary>
public sealed class ReadableOutputTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", RipcordTestServer.AdminToken]);

    private static void Ok(ProcessResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task AuditList_ShowsTheNewestFirst_WithReasonAndTarget_AndTailAndSinceBoundIt()
    {
        await _server.SetOverrideAsync("F3", "workspace:acme", true, reason: "first reason");
        await _server.SetOverrideAsync("F3", "workspace:globex", true, reason: "second reason");

        var list = await Ripcord("audit", "list", "--tail", "2");

        Ok(list);
        var rows = Lines(list.StdOut).Skip(1).ToList(); // after the header
        Assert.Equal(2, rows.Count);
        Assert.Contains("second reason", rows[0], StringComparison.Ordinal);
        Assert.Contains("first reason", rows[1], StringComparison.Ordinal);
        Assert.Contains("override:groups/", rows[0], StringComparison.Ordinal);
        var none = await Ripcord("audit", "list", "--since", "2099-01-01T00:00:00Z", "--json");
        Ok(none);
        Assert.Empty(ApiAssert.Parse(none.StdOut).GetProperty("entries").EnumerateArray());
        Assert.Equal(ExitCodes.Usage, (await Ripcord("audit", "list", "--since", "yesterday")).ExitCode);
    }

    [Fact]
    public async Task CohortAddAndRemove_ChangeOnlyTheNamedMembers()
    {
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });

        Ok(await Ripcord("cohort", "add", "pilot", "--workspaces", "initech"));
        Ok(await Ripcord("cohort", "remove", "pilot", "--workspaces", "globex"));

        var pilot = (await _server.GetAsync("/api/v1/programs/groups/cohorts")).EnumerateArray().Single(c => c.GetProperty("id").GetString() == "pilot");
        Assert.Equal(["acme", "initech"], pilot.GetProperty("workspaces").EnumerateArray().Select(w => w.GetString()));
        Assert.Equal(ExitCodes.Refused, (await Ripcord("cohort", "add", "limited-ga", "--workspaces", "acme")).ExitCode); // a percentage cohort
        var again = await Ripcord("cohort", "add", "pilot", "--workspaces", "acme");
        Ok(again);
        Assert.Contains("nothing was written", again.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlagNames_IgnoreCase_AndANearMissSuggestsTheFlag()
    {
        Ok(await Ripcord("override", "set", "--flag", "f3", "--scope", "workspace:acme", "--value", "on", "--reason", "lower case"));

        var typo = await Ripcord("override", "set", "--flag", "F33", "--scope", "workspace:acme", "--value", "on", "--reason", "typo");
        Assert.Equal(ExitCodes.Refused, typo.ExitCode);
        Assert.Contains("did you mean F3?", typo.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_AndBashCompletion_Work()
    {
        var version = await RipcordCli.RunAsync("version");
        Ok(version);
        Assert.Matches(@"^ripcord \d+\.\d+\.\d+", version.StdOut);

        var script = await RipcordCli.RunAsync("completion", "bash");
        Ok(script);
        var directory = TestPaths.NewDataDirectory("completion");
        try
        {
            var launcher = Path.Combine(directory, "ripcord");
            await File.WriteAllTextAsync(launcher, $"#!/bin/sh\nexec '{RipcordCli.DotnetHost}' '{RipcordCli.DllPath}' \"$@\"\n");
            await File.WriteAllTextAsync(Path.Combine(directory, "completion.sh"), script.StdOut);
            // bash completes "ripcord override set --fl" the way a terminal would.
            var completed = await ProcessRunner.RunAsync("bash", ["-c", """
                chmod +x ./ripcord; source ./completion.sh
                COMP_WORDS=(./ripcord override set --fl); COMP_CWORD=3; COMP_LINE="./ripcord override set --fl"; COMP_POINT=${#COMP_LINE}
                _ripcord_completions; printf '%s\n' "${COMPREPLY[@]}"
                """], TimeSpan.FromMinutes(1), RipcordCli.ProcessEnvironment(), directory);
            Ok(completed);
            Assert.Equal(["--flag"], Lines(completed.StdOut));
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }
}
