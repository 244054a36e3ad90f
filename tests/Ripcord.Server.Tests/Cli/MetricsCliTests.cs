using Ripcord.Cli;
using Ripcord.Server.Tests.Infrastructure;
using Ripcord.Server.Tests.Metrics;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// <c>ripcord metrics &lt;dashboard&gt;</c> as a real process against a real server: the same
/// figures as the API, as a table or <c>--json</c>; an unknown dashboard, a bad range and
/// conflicting options exit non-zero with one line on stderr.
/// </summary>
public sealed class MetricsCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync();
        await MetricsScenario.PostAsync(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<ProcessResult> Ripcord(params string[] args) =>
        await RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", await _server.TokenAsync("viewer")]);

    [Fact]
    public async Task Metrics_PrintsTheDashboard_AsJsonAndAsATable()
    {
        var json = await Ripcord("metrics", "fallback-rate", "--from", MetricsScenario.From, "--to", MetricsScenario.To, "--json");
        Assert.True(json.ExitCode == ExitCodes.Success, json.ToString());
        var view = ApiAssert.Parse(json.StdOut);
        Assert.Equal("fallback-rate", view.GetProperty("dashboard").GetString());
        Assert.Equal(0.4, view.GetProperty("totals").GetProperty("fallbackRate").GetDouble(), 10);

        var table = await Ripcord("metrics", "crash-free", "--from", MetricsScenario.From, "--to", MetricsScenario.To, "--step", "hour");
        Assert.True(table.ExitCode == ExitCodes.Success, table.ToString());
        Assert.Contains("CRASH-FREE", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("75%", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("1 events in this range came too late", table.StdOut + table.StdErr, StringComparison.Ordinal);

        var filtered = await Ripcord("metrics", "mode-adoption", "--from", MetricsScenario.From, "--to", MetricsScenario.To, "--tier", "1", "--json");
        Assert.True(filtered.ExitCode == ExitCodes.Success, filtered.ToString());
        Assert.Equal(3, ApiAssert.Parse(filtered.StdOut).GetProperty("totals").GetProperty("operations").GetInt64());

        var latency = await Ripcord("metrics", "send-latency", "--since", "30d", "--step", "day");
        Assert.True(latency.ExitCode == ExitCodes.Success, latency.ToString());
        Assert.Contains("P99 MS", latency.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ExitCodes.NotFound, "no dashboard 'nope'", "metrics", "nope")]
    [InlineData(ExitCodes.Refused, "must be before to", "metrics", "divergence", "--from", "2030-01-01T09:00:00Z", "--to", "2030-01-01T08:00:00Z")]
    [InlineData(ExitCodes.Usage, "use --since or --from/--to, not both", "metrics", "divergence", "--since", "1h", "--from", "2030-01-01T09:00:00Z")]
    [InlineData(ExitCodes.Usage, "--since takes a duration", "metrics", "divergence", "--since", "soon")]
    public async Task Metrics_RefusesBadInput_WithOneLineOnStderr(int exitCode, string message, params string[] args)
    {
        var result = await Ripcord(args);
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
    }
}
