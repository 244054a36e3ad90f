using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary><c>ripcord ramp start|status|pause|resume</c> as a real process against a real server: what each prints, <c>--json</c>, and a refusal's exit code.</summary>
public sealed class RampCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", token]);

    [Fact]
    [Invariant("RP-8", "bad input to the ramp endpoints is a 4xx problem and changes nothing")]
    public async Task Start_status_pause_resume_print_where_the_ramp_is()
    {
        var rm = await _server.CreateTokenAsync("release-manager", "rita");
        var none = await Ripcord(rm, "ramp", "status");
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.Contains("No ramp started, and stage 0 has none in its definition.", none.StdOut, StringComparison.Ordinal);
        var refused = await Ripcord(rm, "ramp", "start");
        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Contains("stage 0 of program 'groups' has no ramp", refused.StdErr + refused.StdOut, StringComparison.Ordinal);

        await _server.SetStageAsync(2);
        var planned = await Ripcord(rm, "ramp", "status");
        Assert.Contains("No ramp started. Stage 2 ramps limited-ga 1% → 5% → 10% (every 1h): ripcord ramp start", planned.StdOut, StringComparison.Ordinal);
        var started = await Ripcord(rm, "ramp", "start");
        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Contains("Ramp of stage 2: limited-ga at 1% (step 1 of 3: 1% → 5% → 10%), running", started.StdOut, StringComparison.Ordinal);
        Assert.Contains("next step at", started.StdOut, StringComparison.Ordinal);

        var paused = await Ripcord(rm, "ramp", "pause", "--reason", "support tickets rising");
        Assert.True(paused.ExitCode == 0, paused.ToString());
        Assert.Contains("paused: support tickets rising", paused.StdOut, StringComparison.Ordinal);
        var json = await Ripcord(rm, "ramp", "resume", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var ramp = ApiAssert.Parse(json.StdOut).GetProperty("ramp");
        Assert.Equal(("running", 1m), (ramp.GetProperty("status").GetString(), ramp.GetProperty("percentage").GetDecimal()));
    }
}
