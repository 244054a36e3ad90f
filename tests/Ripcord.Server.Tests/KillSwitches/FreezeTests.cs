using System.Net;
using System.Text.Json;
using Ripcord.Cli;
using Ripcord.Server.Tests.Infrastructure;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.KillSwitches;

/// <summary>
/// Deployment freezes: an ops lead puts a scoped one in place (an emergency action, reviewed), deploy
/// pipelines ask whether they may proceed — by API and with <c>ripcord freeze check</c>'s exit code —
/// and it ends when lifted or when its time is up.
/// </summary>
public sealed class FreezeTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync();
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });
    }

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private async Task<JsonElement> CheckAsync(string? scope = null, string? token = null) =>
        await _server.GetAsync("/api/v1/freezes/active?program=groups" + (scope is null ? "" : "&scope=" + scope), token ?? RipcordTestServer.AdminToken);

    [Fact]
    [Invariant("FZ-1", "an active freeze blocks the deploys it covers — its scope, workspaces inside a frozen cohort, and whole-program deploys — and none other")]
    public async Task AnOpsLeadsScopedFreeze_BlocksWhatItCovers_UntilLifted()
    {
        var opsLead = await _server.CreateTokenAsync("ops-lead", "olu");
        var incident = await _server.DeclareAsync();
        Assert.True((await CheckAsync()).GetProperty("deploysMayProceed").GetBoolean());

        var freeze = await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/freezes",
            new { scope = "cohort:pilot", reason = "acks failing", incident }, token: opsLead);
        var id = freeze.GetProperty("id").GetString()!;

        var sdk = await _server.CreateTokenAsync("sdk", "pipeline");
        Assert.False((await CheckAsync(token: sdk)).GetProperty("deploysMayProceed").GetBoolean());        // a whole-program deploy
        Assert.False((await CheckAsync("cohort:pilot")).GetProperty("deploysMayProceed").GetBoolean());
        Assert.False((await CheckAsync("workspace:acme")).GetProperty("deploysMayProceed").GetBoolean());  // inside the frozen cohort
        var elsewhere = await CheckAsync("workspace:initech");
        Assert.True(elsewhere.GetProperty("deploysMayProceed").GetBoolean());
        Assert.Empty(elsewhere.GetProperty("freezes").EnumerateArray());

        var review = Assert.Single((await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray());
        Assert.Equal("freeze.start", review.GetProperty("action").GetString());
        Assert.Equal("olu", review.GetProperty("actor").GetString());
        var timeline = (await _server.GetAsync($"{IncidentsPath}/{incident}")).GetProperty("incident").GetProperty("timeline");
        Assert.Contains(timeline.EnumerateArray(), e => e.GetProperty("kind").GetString() == "freeze");

        using (var refused = await _server.SendAsync(HttpMethod.Delete, $"/api/v1/programs/groups/freezes/{id}?reason=done", opsLead))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        await _server.OkAsync(HttpMethod.Delete, $"/api/v1/programs/groups/freezes/{id}?reason=fixed", token: await _server.TokenAsync("release-manager"));
        Assert.True((await CheckAsync("workspace:acme")).GetProperty("deploysMayProceed").GetBoolean());
        using var again = await _server.SendAsync(HttpMethod.Delete, $"/api/v1/programs/groups/freezes/{id}?reason=twice");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task AFreezeWithADuration_EndsByItself()
    {
        await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/freezes", new { scope = "global", reason = "P1", forMinutes = 30 });
        Assert.False((await CheckAsync("workspace:initech")).GetProperty("deploysMayProceed").GetBoolean());
        _server.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.True((await CheckAsync("workspace:initech")).GetProperty("deploysMayProceed").GetBoolean());
        Assert.Empty((await _server.GetAsync("/api/v1/programs/groups/freezes")).EnumerateArray());
        Assert.Single((await _server.GetAsync("/api/v1/programs/groups/freezes?all=true")).EnumerateArray());
    }

    [Theory]
    [InlineData("user:dana")]
    [InlineData("cohort:nobody")]
    [InlineData("galaxy")]
    public async Task ABadScope_Is400_AndFreezesNothing(string scope)
    {
        using var response = await _server.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/freezes", json: new { scope, reason = "x" });
        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True((await CheckAsync()).GetProperty("deploysMayProceed").GetBoolean());
    }

    [Fact]
    public async Task FreezeCheck_ExitCode_TellsAPipelineWhetherToDeploy()
    {
        Task<ProcessResult> Ripcord(params string[] args) => RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", RipcordTestServer.AdminToken]);
        Assert.Equal(ExitCodes.Success, (await Ripcord("freeze", "check", "--scope", "workspace:acme")).ExitCode);
        var started = await Ripcord("freeze", "start", "--scope", "cohort:pilot", "--reason", "acks failing", "--for", "4h");
        Assert.True(started.ExitCode == 0, started.ToString());
        var frozen = await Ripcord("freeze", "check", "--scope", "workspace:acme");
        Assert.Equal(ExitCodes.CheckFailed, frozen.ExitCode);
        Assert.Contains("Deploys are frozen: frozen: cohort:pilot", frozen.StdOut, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, (await Ripcord("freeze", "check", "--scope", "workspace:initech")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await Ripcord("freeze", "start", "--scope", "global", "--reason", "x", "--for", "soon")).ExitCode);
    }
}
