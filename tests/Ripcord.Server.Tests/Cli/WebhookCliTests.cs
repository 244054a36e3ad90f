using Microsoft.Extensions.DependencyInjection;
using Ripcord.Cli;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// <c>ripcord webhook add|list|remove|deliveries</c> as a real process: the secret is printed by
/// <c>add</c> only, <c>--program</c> limits a subscription only when given, refusals exit with
/// their codes and one line on stderr, and deliveries show their status and last error.
/// </summary>
public sealed class WebhookCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", token]);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task AddListDeliveriesRemove_ShowTheSecretOnce_AndReportDeliveries()
    {
        const string admin = RipcordTestServer.AdminToken;
        // Nothing listens on port 1: deliveries to it fail and stay visible.
        var add = await Ripcord(admin, "webhook", "add", "--url", "http://127.0.0.1:1/hook", "--events", "incident.*,killswitch.*");
        Assert.True(add.ExitCode == 0, add.ToString());
        var lines = Lines(add.StdOut);
        Assert.Matches(@"^Webhook whk_\w+: incident\.\*,killswitch\.\* → http://127\.0\.0\.1:1/hook\. Signing secret, shown once:$", lines[0]);
        var secret = lines[1];
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);

        var scoped = await Ripcord(admin, "webhook", "add", "--url", "https://hooks.example.com/x", "--events", "incident.announced",
            "--audience", "user", "--program", "groups", "--json");
        Assert.True(scoped.ExitCode == 0, scoped.ToString());
        var created = ApiAssert.Parse(scoped.StdOut);
        Assert.Equal("groups", created.GetProperty("program").GetString());
        Assert.Equal("user", created.GetProperty("audience").GetString());
        var scopedSecret = created.GetProperty("secret").GetString()!;

        var list = await Ripcord(admin, "webhook", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = ApiAssert.Parse(list.StdOut).EnumerateArray().ToList();
        Assert.Equal(2, listed.Count);
        var unscoped = listed.Single(w => w.GetProperty("url").GetString() == "http://127.0.0.1:1/hook");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, unscoped.GetProperty("program").ValueKind); // no --program: every program
        var table = await Ripcord(admin, "webhook", "list");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("incident.announced", table.StdOut, StringComparison.Ordinal);
        foreach (var output in new[] { list.StdOut, table.StdOut, table.StdErr })
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            Assert.DoesNotContain(scopedSecret, output, StringComparison.Ordinal);
        }

        var actor = new Actor(new Principal("prn_cli", "cli test"), Role.Operator, "tok_cli");
        await _server.Services.GetRequiredService<ProgramWriter>().ExecuteAsync("groups",
            new ActivateKillSwitch("ks_cli", "KS1", "global", null, "cli test", actor.Principal), actor, null, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ProcessResult deliveries;
        do
        {
            deliveries = await Ripcord(admin, "webhook", "deliveries");
            Assert.True(deliveries.ExitCode == 0, deliveries.ToString());
            Assert.True(DateTime.UtcNow < deadline, deliveries.ToString());
        }
        // Until the first attempt has failed and the next is scheduled (before it, the row is pending with 0 attempts).
        while (!System.Text.RegularExpressions.Regex.IsMatch(deliveries.StdOut, @"pending\s+1\s+\d{4}-"));
        var row = Lines(deliveries.StdOut).Single(l => l.StartsWith("dlv_", StringComparison.Ordinal));
        Assert.Contains("killswitch.activated", row, StringComparison.Ordinal);
        Assert.Matches(@"pending\s+1\s+\d{4}-", row);

        var failedOnly = await Ripcord(admin, "webhook", "deliveries", "--failed", "--json");
        Assert.True(failedOnly.ExitCode == 0, failedOnly.ToString());
        Assert.Empty(ApiAssert.Parse(failedOnly.StdOut).EnumerateArray());

        var id = unscoped.GetProperty("id").GetString()!;
        var remove = await Ripcord(admin, "webhook", "remove", id);
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal($"Removed {id}.", Lines(remove.StdOut).Single());
        var again = await Ripcord(admin, "webhook", "remove", id);
        Assert.Equal(ExitCodes.NotFound, again.ExitCode);
        Assert.Contains(id, Assert.Single(Lines(again.StdErr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_ExitWithTheirCodes_AndOneLineOnStderr()
    {
        var badUrl = await Ripcord(RipcordTestServer.AdminToken, "webhook", "add", "--url", "ftp://example.com/x", "--events", "*");
        Assert.Equal(ExitCodes.Refused, badUrl.ExitCode);
        Assert.Contains("url", Assert.Single(Lines(badUrl.StdErr)), StringComparison.Ordinal);

        var operatorToken = await _server.CreateTokenAsync("operator");
        var forbidden = await Ripcord(operatorToken, "webhook", "list");
        Assert.Equal(ExitCodes.Forbidden, forbidden.ExitCode);
        Assert.Contains("403", Assert.Single(Lines(forbidden.StdErr)), StringComparison.Ordinal);

        var missing = await Ripcord(RipcordTestServer.AdminToken, "webhook", "add", "--url", "https://example.com/x");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Empty((await _server.GetAsync("/api/v1/webhooks")).EnumerateArray());
    }
}
