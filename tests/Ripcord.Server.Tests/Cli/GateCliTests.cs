using Ripcord.Cli;
using Ripcord.Core.Gates;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// <c>ripcord check|signoff|support-load|stage advance|revision known-safe</c> as a real process: a refused
/// advance prints the checklist (✓/✗, figure, threshold, evidence) and exits 7, dry run or not, and changes nothing.
/// </summary>
public sealed class GateCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", token]);

    [Fact]
    [Invariant("SG-6", "a refused advance names every failing criterion and writes nothing; an allowed one writes one revision and tags the evaluated revision known-safe")]
    public async Task StageAdvanceDryRun_PrintsTheChecklist_AndExits7WhenRefused()
    {
        const string admin = RipcordTestServer.AdminToken;
        var rm = await _server.CreateTokenAsync("release-manager", "rita");
        var posted = await Ripcord(admin, "check", "post", "--kind", "quality", "--stage", "1", "--cohort", "pilot", "--status", "passed",
            "--evidence", "https://ci.example/run/42", "--commit", "3f2a1b2c");
        Assert.True(posted.ExitCode == 0, posted.ToString());
        Assert.Matches(@"^Recorded quality check chk_\w+: stage 1, cohort:pilot, passed \(https://ci\.example/run/42\)\.", posted.StdOut);
        var signed = await Ripcord(admin, "signoff", "add", "--tier", "1", "--stage", "1", "--reason", "threat model reviewed");
        Assert.True(signed.ExitCode == 0, signed.ToString());
        var load = await Ripcord(admin, "support-load", "set", "--tickets-per-day", "4");
        Assert.True(load.ExitCode == 0, load.ToString());
        var head = await _server.HeadAsync();

        var dry = await Ripcord(rm, "stage", "advance", "--to", "1", "--dry-run");
        Assert.True(dry.ExitCode == ExitCodes.Refused, dry.ToString());
        Assert.Contains("Stage 0 → 1 of groups (dry run):", dry.StdOut, StringComparison.Ordinal);
        Assert.Contains("✓", dry.StdOut, StringComparison.Ordinal);
        Assert.Contains("✗", dry.StdOut, StringComparison.Ordinal);
        Assert.Contains("no drill recorded", dry.StdOut, StringComparison.Ordinal);
        Assert.Contains("https://ci.example/run/42", dry.StdOut, StringComparison.Ordinal);
        Assert.Contains("Refused: interop-lanes, security-signoff, drills, soak-time, sample-size did not pass.", dry.StdOut, StringComparison.Ordinal);

        var json = await Ripcord(rm, "stage", "advance", "--to", "1", "--dry-run", "--json");
        Assert.Equal(ExitCodes.Refused, json.ExitCode);
        var view = ApiAssert.Parse(json.StdOut);
        Assert.Equal("1", view.GetProperty("target").GetString());
        Assert.False(view.GetProperty("allowed").GetBoolean());
        Assert.Equal(CriterionNames.All.ToArray(), view.GetProperty("criteria").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray());

        var real = await Ripcord(rm, "stage", "advance", "--to", "1");
        Assert.True(real.ExitCode == ExitCodes.Refused, real.ToString());
        Assert.Contains("Refused: interop-lanes, security-signoff, drills, soak-time, sample-size did not pass.", real.StdOut, StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());

        var tagged = await Ripcord(rm, "revision", "known-safe", "1", "--reason", "dogfood soaked a week");
        Assert.True(tagged.ExitCode == 0, tagged.ToString());
        var listed = await Ripcord(admin, "revision", "list");
        Assert.Contains("✓ manual: dogfood soaked a week", listed.StdOut, StringComparison.Ordinal);
    }
}
