using System.Net;
using System.Net.Sockets;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// Issue 9, item 9: the README's five-minute tour runs as written. Its shell block is read from the
/// README itself and run by bash, top to bottom, with <c>./ripcord</c> being the real CLI: it starts
/// its own server, and every step must succeed. Only where it listens is moved (RIPCORD_URLS and
/// RIPCORD_SERVER, which the tour does not set), so the test never needs port 7070.
/// </summary>
public sealed class ReadmeTourTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task TheReadmeTour_RunsAsWritten_AgainstTheServerItStarts()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RipcordTestServer.RepositoryRoot(), "README.md"));
        var tour = ShellBlockAfter(readme, "## Five-minute tour");
        Assert.Contains("./ripcord serve", tour, StringComparison.Ordinal);

        var directory = TestPaths.NewDataDirectory("readme-tour");
        try
        {
            // ./ripcord here is the CLI the tests built (the launcher that builds it is tested on its own).
            var launcher = Path.Combine(directory, "ripcord");
            await File.WriteAllTextAsync(launcher, $"#!/bin/sh\nexec '{RipcordCli.DotnetHost}' '{RipcordCli.DllPath}' \"$@\"\n");
            File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var url = $"http://127.0.0.1:{FreePort()}";
            // -e: the first failing step fails the test. The trap ends the server the tour started, by its PID.
            var script = "set -eu\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + tour;
            var environment = RipcordCli.ProcessEnvironment(new Dictionary<string, string?>
            {
                ["RIPCORD_URLS"] = url,
                ["RIPCORD_SERVER"] = url,
            });

            var result = await ProcessRunner.RunAsync("bash", ["-c", script], TimeSpan.FromMinutes(4), environment, directory);

            Assert.True(result.ExitCode == 0, $"the README tour failed:\n{result}");
            // What the tour says the reader will see.
            Assert.Contains("override@workspace:acme", result.StdOut, StringComparison.Ordinal);
            Assert.Contains("kill-switch:KS3@cohort:pilot", result.StdOut, StringComparison.Ordinal);
            Assert.Contains("verified", result.StdOut, StringComparison.OrdinalIgnoreCase);
            // The rollback drill: the run finished, and the forward fix resumed the rollout (lifting the lock and freeze).
            Assert.Contains("target     revision 1", result.StdOut, StringComparison.Ordinal);
            Assert.Contains("no-stage-lock", result.StdOut, StringComparison.Ordinal);
            Assert.Contains("Resumed ", result.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }

    /// <summary>The first ```sh block after <paramref name="heading"/>.</summary>
    private static string ShellBlockAfter(string markdown, string heading)
    {
        var text = markdown.ReplaceLineEndings("\n");
        var at = text.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(at >= 0, $"README has no '{heading}' section");
        var start = text.IndexOf("```sh\n", at, StringComparison.Ordinal) + "```sh\n".Length;
        var end = text.IndexOf("\n```", start, StringComparison.Ordinal);
        return text[start..end] + "\n";
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
