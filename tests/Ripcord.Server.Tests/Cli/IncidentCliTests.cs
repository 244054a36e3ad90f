using Ripcord.Cli;
using Ripcord.Server.Tests.Infrastructure;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// The incident workflow as an operator runs it, through the real <c>ripcord</c> process: declare →
/// recommend → activate --wait → announce → review → lift → resolve → close; an ops lead's request
/// approved by a release manager; a verification that fails makes <c>--wait</c> exit 1.
/// </summary>
public sealed class IncidentCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync();
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", token]);

    private static string Id(ProcessResult result, string property = "id") => ApiAssert.Parse(result.StdOut).GetProperty(property).GetString()!;

    [Fact]
    public async Task Declare_Recommend_Activate_Announce_Review_Lift_Resolve_Close()
    {
        const string admin = RipcordTestServer.AdminToken;
        var declared = await Ripcord(admin, "incident", "declare", "--class", "P3", "--severity", "high", "--trigger", "publish-ack-failures",
            "--affected", "workspace:acme,workspace:globex", "--summary", "send acks failing", "--json");
        Assert.True(declared.ExitCode == 0, declared.ToString());
        var incident = Id(declared);

        var advice = await Ripcord(admin, "ks", "recommend", "--incident", incident);
        Assert.True(advice.ExitCode == 0, advice.ToString());
        Assert.Contains("Recommended: KS3 at cohort:pilot", advice.StdOut, StringComparison.Ordinal);

        var activated = await Ripcord(admin, "ks", "activate", "KS3", "--scope", "cohort:pilot", "--incident", incident, "--reason", "acks failing", "--wait");
        Assert.True(activated.ExitCode == ExitCodes.Success, activated.ToString());
        Assert.Contains("verification: verified (0/0)", activated.StdOut, StringComparison.Ordinal);
        var listed = await Ripcord(admin, "ks", "list", "--json");
        var activation = ApiAssert.Parse(listed.StdOut).EnumerateArray().Single().GetProperty("activation").GetProperty("id").GetString()!;

        var announced = await Ripcord(admin, "incident", "announce", incident, "--audience", "operator");
        Assert.True(announced.ExitCode == 0, announced.ToString());
        Assert.Contains("KS3", announced.StdOut, StringComparison.Ordinal);

        var reviews = await Ripcord(admin, "review", "list", "--json");
        var review = ApiAssert.Parse(reviews.StdOut).EnumerateArray().Single().GetProperty("id").GetString()!;
        var own = await Ripcord(admin, "review", "complete", review, "--findings", "mine");
        Assert.Equal(ExitCodes.Conflict, own.ExitCode);
        Assert.Contains("someone other than the actor", own.StdErr, StringComparison.Ordinal);
        var done = await Ripcord(await _server.CreateTokenAsync("security-lead", "sam"), "review", "complete", review, "--findings", "proportionate");
        Assert.True(done.ExitCode == 0, done.ToString());

        var lifted = await Ripcord(admin, "ks", "deactivate", activation, "--reason", "fixed");
        Assert.True(lifted.ExitCode == 0, lifted.ToString());
        Assert.Contains($"Lifted KS3 at cohort:pilot ({activation})", lifted.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, (await Ripcord(admin, "incident", "resolve", incident, "--summary", "relay fixed")).ExitCode);
        var closed = await Ripcord(admin, "incident", "close", incident);
        Assert.True(closed.ExitCode == 0, closed.ToString());

        var shown = await Ripcord(admin, "incident", "show", incident);
        foreach (var kind in new[] { "declared", "applied", "verified", "announced", "deactivated", "resolved", "closed" })
        {
            Assert.Contains(kind, shown.StdOut, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnOpsLeadRequests_AReleaseManagerApproves()
    {
        var incident = await _server.DeclareAsync();
        var requested = await Ripcord(await _server.CreateTokenAsync("ops-lead", "olu"), "ks", "activate", "KS2", "--scope", "global",
            "--incident", incident, "--reason", "creation storm", "--json");
        Assert.True(requested.ExitCode == 0, requested.ToString());
        var request = Id(requested, "request");
        var approved = await Ripcord(await _server.CreateTokenAsync("release-manager", "rita"), "ks", "approve", request);
        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.Contains("Approved: KS2 active at global", approved.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInput_ExitsWithItsCode_AndOneLine()
    {
        var incident = await _server.DeclareAsync();
        var level = await Ripcord(RipcordTestServer.AdminToken, "ks", "activate", "KS9", "--scope", "global", "--incident", incident, "--reason", "x");
        Assert.Equal(ExitCodes.Refused, level.ExitCode);
        Assert.Contains("unknown kill-switch level 'KS9'", level.StdErr, StringComparison.Ordinal);
        var trigger = await Ripcord(RipcordTestServer.AdminToken, "incident", "declare", "--class", "P3", "--severity", "high",
            "--trigger", "solar-flare", "--summary", "x");
        Assert.Equal(ExitCodes.Refused, trigger.ExitCode);
        var @class = await Ripcord(RipcordTestServer.AdminToken, "incident", "declare", "--class", "P9", "--severity", "high",
            "--trigger", "publish-ack-failures", "--summary", "x");
        Assert.Equal(ExitCodes.Usage, @class.ExitCode);
        var missing = await Ripcord(RipcordTestServer.AdminToken, "incident", "show", "inc_nope");
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
    }

    [Fact]
    public async Task AVerificationThatFails_MakesWaitExit1_NamingTheStraggler()
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        await using var stuck = await FakeInstance.ConnectAsync(_server, sdk, "stuck-app");
        var incident = await _server.DeclareAsync();
        var run = Ripcord(RipcordTestServer.AdminToken, "ks", "activate", "KS3", "--scope", "global", "--incident", incident, "--reason", "x",
            "--verify-within", "5", "--wait");
        while (!run.IsCompleted)
        {
            await Task.Delay(100);
            _server.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var result = await run;
        Assert.Equal(ExitCodes.CheckFailed, result.ExitCode);
        Assert.Contains("FAILED", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("stuck-app", result.StdOut, StringComparison.Ordinal);
    }
}
