using System.Text.RegularExpressions;
using Ripcord.Server.Tests.Infrastructure;
using Ripcord.Server.Tests.KillSwitches;

namespace Ripcord.Server.Tests.Cli;

/// <summary><c>ripcord fix open|mitigate|patch|signoff|status|resume</c> as a real process against a real server, after a rollback.</summary>
public sealed class ForwardFixCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", token]);

    [Fact]
    public async Task A_forward_fix_from_open_to_resume_with_a_refusal_exiting_7()
    {
        var viewer = await _server.CreateTokenAsync("viewer");
        var rm = await _server.CreateTokenAsync("release-manager", "rita");
        var sl = await _server.CreateTokenAsync("security-lead", "sam");
        var incident = await _server.DeclareAsync();
        var rollback = await Ripcord(rm, "rollback", "start", "--incident", incident, "--to", "1", "--reason", "acks failing");
        Assert.True(rollback.ExitCode == 0, rollback.ToString());

        var opened = await Ripcord(rm, "fix", "open", "--incident", incident, "--reason", "patch the ack retry");
        Assert.True(opened.ExitCode == 0, opened.ToString());
        var id = Regex.Match(opened.StdOut, "fix_[0-9a-f]+").Value;
        Assert.Contains("Not ready: patch", opened.StdOut, StringComparison.Ordinal);

        var mitigated = await Ripcord(rm, "fix", "mitigate", id, "--flag", "F3", "--scope", "workspace:acme", "--value", "off",
            "--expires", _server.Clock.GetUtcNow().AddHours(24).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            "--reason", "keep acme off the broken path");
        Assert.True(mitigated.ExitCode == 0, mitigated.ToString());
        var mitigation = Regex.Match(mitigated.StdOut, "ovr_[0-9a-f]+").Value;
        Assert.Contains("in place", mitigated.StdOut, StringComparison.Ordinal);

        var wide = await Ripcord(rm, "fix", "patch", id, "--flag", "F3", "--cohort", "nope");
        Assert.True(wide.ExitCode == 7, wide.ToString());
        var patched = await Ripcord(rm, "fix", "patch", id, "--flag", "F3", "--cohort", "pilot");
        Assert.True(patched.ExitCode == 0, patched.ToString());
        Assert.Contains(" on for cohort pilot", patched.StdOut, StringComparison.Ordinal);

        var refused = await Ripcord(rm, "fix", "resume", id, "--reason", "too early");
        Assert.True(refused.ExitCode == 7, refused.ToString());
        Assert.Contains("Missing: check:quality, check:interop, signoff:release-manager, signoff:security-lead, signoff:two-people", refused.StdOut,
            StringComparison.Ordinal);
        var notReady = await Ripcord(viewer, "fix", "status", id);
        Assert.True(notReady.ExitCode == 1, notReady.ToString());

        foreach (var kind in new[] { "quality", "interop" })
        {
            await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/checks",
                new { kind, stage = 1, cohort = "pilot", status = "passed", evidence = "https://ci.example/run/7" });
        }
        Assert.True((await Ripcord(rm, "fix", "signoff", id, "--note", "rollout reviewed")).ExitCode == 0);
        var signed = await Ripcord(sl, "fix", "signoff", id);
        Assert.True(signed.ExitCode == 0, signed.ToString());
        Assert.Contains("Ready: ripcord fix resume", signed.StdOut, StringComparison.Ordinal);

        var resumed = await Ripcord(sl, "fix", "resume", id, "--release-mitigation", mitigation, "--reason", "patch verified on pilot");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("Resumed", resumed.StdOut, StringComparison.Ordinal);
        Assert.Contains("released", resumed.StdOut, StringComparison.Ordinal);

        var status = await Ripcord(viewer, "fix", "status", id, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("resumed", ApiAssert.Parse(status.StdOut).GetProperty("fix").GetProperty("status").GetString());
        Assert.False((await _server.GetAsync("/api/v1/programs/groups/stage-lock")).GetProperty("locked").GetBoolean());
    }
}
