using Ripcord.Cli;
using Ripcord.Server.Tests.Alerts;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// <c>ripcord alert list|ack</c> (and the <c>alerts</c> spelling) as a real process against a real server
/// with a firing alert: the same alerts as the API, as a table or <c>--json</c>; acknowledging as an
/// operator; an unknown alert exits non-zero with one line on stderr.
/// </summary>
public sealed class AlertCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;
    private string _alert = "";

    public async Task InitializeAsync()
    {
        _server = await AlertHarness.StartAsync();
        await _server.PostSecuritySignalAsync();
        _server.Clock.Advance(TimeSpan.FromSeconds(1));
        await _server.PassAsync();
        _alert = Assert.Single(await _server.AlertsAsync()).GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<ProcessResult> Ripcord(string role, params string[] args) =>
        await RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", await _server.TokenAsync(role)]);

    [Fact]
    public async Task Alerts_are_listed_as_a_table_and_as_json_and_acknowledged_by_an_operator()
    {
        var table = await Ripcord("viewer", "alert", "list");
        Assert.True(table.ExitCode == ExitCodes.Success, table.ToString());
        Assert.Contains(_alert, table.StdOut, StringComparison.Ordinal);
        Assert.Contains("confidentiality-risk", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("suggests KS1", table.StdOut, StringComparison.Ordinal);

        var json = await Ripcord("viewer", "alerts", "list", "--program", "groups", "--json");
        Assert.True(json.ExitCode == ExitCodes.Success, json.ToString());
        Assert.Equal(_alert, Assert.Single(ApiAssert.Parse(json.StdOut).EnumerateArray()).GetProperty("id").GetString());

        var acked = await Ripcord("operator", "alerts", "ack", _alert, "--reason", "on it");
        Assert.True(acked.ExitCode == ExitCodes.Success, acked.ToString());
        Assert.Contains($"Alert {_alert} (confidentiality-risk) acknowledged", acked.StdOut, StringComparison.Ordinal);
        Assert.Equal("on it", Assert.Single(await _server.AlertsAsync()).GetProperty("acknowledgeReason").GetString());
    }

    [Fact]
    public async Task Acknowledging_an_unknown_alert_exits_not_found_with_one_line()
    {
        var result = await Ripcord("operator", "alert", "ack", "al_nope", "--reason", "x");
        Assert.True(result.ExitCode == ExitCodes.NotFound, result.ToString());
        Assert.Contains("no alert 'al_nope'", result.StdErr, StringComparison.Ordinal);
    }
}
