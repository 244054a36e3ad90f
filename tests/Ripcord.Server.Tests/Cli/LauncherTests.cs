namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// The <c>./ripcord</c> launcher (issue 9): it builds once, does not build again because a definition
/// file an operator edits changed, and two invocations at once build at most once.
/// </summary>
public sealed class LauncherTests
{
    private static readonly string Root = RipcordTestServer.RepositoryRoot();

    private static Task<ProcessResult> Launch(params string[] args) =>
        ProcessRunner.RunAsync(Path.Combine(Root, "ripcord"), args, TimeSpan.FromMinutes(5));

    private static int Builds(ProcessResult r) => r.StdErr.Split('\n').Count(l => l.Contains("ripcord: building", StringComparison.Ordinal));

    [Fact]
    public async Task EditingADefinitionFile_DoesNotRebuild_AndConcurrentRunsBuildOnce()
    {
        var first = await Launch("--version");
        Assert.True(first.ExitCode == 0, first.ToString());

        var edited = Path.Combine(Root, "definitions", $"launcher-test-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(edited, "program: launcher-test\n");
        try
        {
            File.SetLastWriteTimeUtc(edited, DateTime.UtcNow.AddMinutes(1));
            var again = await Launch("--version");
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Equal(0, Builds(again));
        }
        finally
        {
            File.Delete(edited);
        }

        // A CLI source changed (its time, not its text): three invocations at once build exactly once.
        File.SetLastWriteTimeUtc(Path.Combine(Root, "src", "Ripcord.Cli", "CliApp.cs"), DateTime.UtcNow);
        await Task.Delay(1100); // past the timestamp granularity of the stamp file
        var runs = await Task.WhenAll(Launch("--version"), Launch("--version"), Launch("--version"));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.True(runs.Sum(Builds) == 1, string.Join("\n", runs.Select(r => r.StdErr)));
        Assert.True(File.Exists(Path.Combine(Root, ".ripcord", "current", "ripcord.dll")));
    }
}
