using System.CommandLine;
using Ripcord.Cli;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// Issue 9, item 1: a secret is never echoed. With the token in RIPCORD_TOKEN (or on the line),
/// no help text, usage error or refusal of the real executable contains it.
/// </summary>
public sealed class CliSecretTests
{
    private const string Secret = "rc_usr_NeverPrintThis_7f3a9c2e51d84b06";

    private static readonly Dictionary<string, string?> TokenInEnvironment = new(StringComparer.Ordinal)
    {
        ["RIPCORD_TOKEN"] = Secret,
        // Nothing listens here: no help or usage error may need a server.
        ["RIPCORD_SERVER"] = "http://127.0.0.1:1",
    };

    /// <summary>Every command path of the CLI ("", "override", "override set", …), read from the command tree itself.</summary>
    public static TheoryData<string> CommandPaths()
    {
        var data = new TheoryData<string> { "" };
        void Walk(Command command, string path)
        {
            // Hidden groups are old spellings sharing the very same verbs, which are walked under their current names.
            foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            {
                var subPath = (path + " " + sub.Name).Trim();
                data.Add(subPath);
                Walk(sub, subPath);
            }
        }
        Walk(CliApp.Build(Terminal.Plain(TextWriter.Null, TextWriter.Null)), "");
        return data;
    }

    private static void AssertNoTrace(ProcessResult result)
    {
        var all = result.StdOut + result.StdErr;
        Assert.DoesNotContain(Secret, all, StringComparison.Ordinal);
        // Nor a recognisable part of it (a truncated or wrapped echo).
        Assert.DoesNotContain(Secret[7..25], all, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public async Task Help_NeverShowsTheToken_AndEndsWithExamples(string path)
    {
        var result = await RipcordCli.RunWithEnvironmentAsync(TokenInEnvironment, [.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        AssertNoTrace(result);
        Assert.Contains("--token", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("Examples:\n  ripcord", result.StdOut.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("override set --flag F3 --frobnicate")]
    [InlineData("override set")]
    [InlineData("evaluate --tier not-a-number")]
    [InlineData("stage")]
    [InlineData("overide list")]
    [InlineData("")]
    public async Task UsageErrors_NeverShowTheToken(string args)
    {
        var line = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var fromEnvironment = await RipcordCli.RunWithEnvironmentAsync(TokenInEnvironment, line);
        Assert.True(fromEnvironment.ExitCode != 0, fromEnvironment.ToString());
        AssertNoTrace(fromEnvironment);

        var onTheLine = await RipcordCli.RunWithEnvironmentAsync(new Dictionary<string, string?>(), [.. line, "--token", Secret]);
        Assert.True(onTheLine.ExitCode != 0, onTheLine.ToString());
        AssertNoTrace(onTheLine);
    }

    [Fact]
    public async Task ARefusedToken_IsNotEchoed()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var result = await RipcordCli.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["RIPCORD_TOKEN"] = Secret, ["RIPCORD_SERVER"] = server.BaseAddress.ToString() },
            "programs", "list");

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("401", result.StdErr, StringComparison.Ordinal);
        AssertNoTrace(result);
    }

    [Fact]
    public async Task ATokenWithALineBreak_IsRefusedWithoutEchoingIt()
    {
        var result = await RipcordCli.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["RIPCORD_TOKEN"] = Secret + "\n", ["RIPCORD_SERVER"] = "http://127.0.0.1:1" },
            "programs", "list");

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("RIPCORD_TOKEN", Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        AssertNoTrace(result);
    }
}
