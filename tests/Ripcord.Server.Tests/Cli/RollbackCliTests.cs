using Ripcord.Server.Tests.Infrastructure;
using Ripcord.Server.Tests.KillSwitches;

namespace Ripcord.Server.Tests.Cli;

/// <summary><c>ripcord rollback plan|start|status|lift-lock</c> and <c>ripcord incident document</c> as a real process against a real server.</summary>
public sealed class RollbackCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", token]);

    [Fact]
    public async Task Plan_start_status_and_document_print_what_the_rollback_does()
    {
        var viewer = await _server.CreateTokenAsync("viewer");
        var rm = await _server.CreateTokenAsync("release-manager", "rita");
        var noTarget = await Ripcord(viewer, "rollback", "plan");
        Assert.True(noTarget.ExitCode == 6, noTarget.ToString()); // 409: no known-safe revision yet, name one
        Assert.Contains("--to REVISION", noTarget.StdErr, StringComparison.Ordinal);

        await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/revisions/1/known-safe", new { reason = "as installed" });
        await _server.SetOverrideAsync("F3", "workspace:acme", true);
        var plan = await Ripcord(viewer, "rollback", "plan");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("Rollback plan for groups: revision 2 → revision 1 (the latest known-safe revision)", plan.StdOut, StringComparison.Ordinal);
        Assert.Contains("workspace:acme", plan.StdOut, StringComparison.Ordinal);
        Assert.Contains("removed", plan.StdOut, StringComparison.Ordinal);
        Assert.Contains("Orphaned overrides: none", plan.StdOut, StringComparison.Ordinal);

        var incident = await _server.DeclareAsync();
        var refused = await Ripcord(viewer, "rollback", "start", "--incident", incident, "--reason", "drill");
        Assert.True(refused.ExitCode == 4, refused.ToString());
        var started = await Ripcord(rm, "rollback", "start", "--incident", incident, "--reason", "acks failing");
        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Contains("completed", started.StdOut, StringComparison.Ordinal);
        Assert.Contains("written as revision 3", started.StdOut, StringComparison.Ordinal);
        var id = System.Text.RegularExpressions.Regex.Match(started.StdOut, "rbk_[0-9a-f]+").Value;

        var status = await Ripcord(viewer, "rollback", "status", id, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("completed", ApiAssert.Parse(status.StdOut).GetProperty("status").GetString());

        var document = await Ripcord(viewer, "incident", "document", incident);
        Assert.True(document.ExitCode == 0, document.ToString());
        Assert.Contains($"# Incident {incident}", document.StdOut, StringComparison.Ordinal);
        Assert.Contains("| reverted | rita |", document.StdOut, StringComparison.Ordinal);

        var lifted = await Ripcord(rm, "rollback", "lift-lock", "--reason", "fix verified");
        Assert.True(lifted.ExitCode == 0, lifted.ToString());
        Assert.Contains("lifted", lifted.StdOut, StringComparison.Ordinal);
    }
}
