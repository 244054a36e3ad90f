using Ripcord.Cli;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// Issue 9, item 4: say what a change will do before doing it. `definition apply --dry-run` prints the
/// difference and changes nothing; an apply that empties a live cohort or drops overrides asks first (or
/// takes --yes) and says what it lost; `revisions diff` and `revisions show` say what changed in words; `override
/// set` says when more specific overrides shadow it and when it replaced one. The real executable, a real server.
/// </summary>
public sealed class SayWhatItWillDoTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", RipcordTestServer.AdminToken]);

    private static string BuiltInDefinition => Path.Combine(RipcordTestServer.RepositoryRoot(), "definitions", "groups.yaml");

    private static void Ok(ProcessResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    /// <summary>The file as shipped has an empty pilot list and no 'beta' cohort: applying it over live ones loses them.</summary>
    private async Task<long> LiveCohortsWithAnOverrideAsync()
    {
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });
        await _server.PutCohortAsync("beta", new { workspaces = new[] { "initech" } });
        return (await _server.SetOverrideAsync("F1", "cohort:beta", true)).GetProperty("revision").GetInt64();
    }

    [Fact]
    public async Task DryRun_PrintsTheDifference_AndChangesNothing()
    {
        var head = await LiveCohortsWithAnOverrideAsync();

        var dryRun = await Ripcord("definition", "apply", BuiltInDefinition, "--dry-run");

        Ok(dryRun);
        Assert.Contains("cohort pilot emptied (had 2 workspaces)", dryRun.StdOut, StringComparison.Ordinal);
        Assert.Contains("cohort beta removed (had 1 workspace)", dryRun.StdOut, StringComparison.Ordinal);
        Assert.Contains("override F1 at cohort:beta removed (was on)", dryRun.StdOut, StringComparison.Ordinal);
        Assert.Contains("Live cohorts it would empty: beta,pilot", dryRun.StdOut, StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());
        var json = ApiAssert.Parse((await Ripcord("definition", "apply", BuiltInDefinition, "--dry-run", "--json")).StdOut);
        Assert.True(json.GetProperty("dryRun").GetBoolean());
        Assert.Equal(head, json.GetProperty("revision").GetInt64());
        Assert.Single(json.GetProperty("droppedOverrides").EnumerateArray());
    }

    [Fact]
    public async Task AnApplyThatLosesLiveThings_NeedsConfirmation_AndSaysWhatItLost()
    {
        var head = await LiveCohortsWithAnOverrideAsync();

        // No terminal to ask at and no --yes: refused, nothing changed.
        var unconfirmed = await Ripcord("definition", "apply", BuiltInDefinition);
        Assert.Equal(ExitCodes.Usage, unconfirmed.ExitCode);
        Assert.Contains("pass --yes", unconfirmed.StdErr, StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());

        var confirmed = await Ripcord("definition", "apply", BuiltInDefinition, "--yes");
        Ok(confirmed);
        Assert.Equal(head + 1, await _server.HeadAsync());
        Assert.Contains("Live cohorts emptied: beta,pilot", confirmed.StdOut, StringComparison.Ordinal);
        Assert.Contains("Overrides that no longer fit the definition, dropped:", confirmed.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevisionsDiffAndShow_SayWhatChangedInWords()
    {
        var before = await _server.HeadAsync();
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme" } });
        await _server.SetOverrideAsync("F3", "workspace:acme", true);
        var after = await _server.SetStageAsync(1);

        var diff = await Ripcord("revisions", "diff", before.ToString(), after.ToString());
        Ok(diff);
        Assert.Contains("cohort pilot: 0 → 1 workspaces (+acme)", diff.StdOut, StringComparison.Ordinal);
        Assert.Contains("override F3 at workspace:acme: on (added)", diff.StdOut, StringComparison.Ordinal);
        Assert.Contains("stage 0 → 1", diff.StdOut, StringComparison.Ordinal);

        var show = await Ripcord("revisions", "show", after.ToString());
        Ok(show);
        Assert.Contains($"Revision {after} of groups", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("stage 0 → 1", show.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("\"state\"", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("\"state\"", (await Ripcord("revisions", "show", after.ToString(), "--json")).StdOut, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.NotFound, (await Ripcord("revisions", "diff", "1", "9999")).ExitCode);
    }

    [Fact]
    public async Task OverrideSet_SaysWhichMoreSpecificOverridesShadowIt_AndThatItReplacedOne()
    {
        await _server.SetOverrideAsync("F3", "workspace:acme", true);
        await _server.SetOverrideAsync("F3", "workspace:globex", true);
        await _server.SetOverrideAsync("F3", "global", true);

        var set = await Ripcord("override", "set", "--flag", "F3", "--scope", "global", "--value", "off", "--reason", "incident 12");

        Ok(set);
        Assert.Contains("It replaced ovr_", set.StdOut, StringComparison.Ordinal);
        Assert.Contains("global off: 2 workspace overrides (acme, globex) still turn F3 on where they apply", set.StdOut, StringComparison.Ordinal);
    }
}
