using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary><c>ripcord grant create/list/revoke</c> (the real executable) against a test server, as a security lead.</summary>
public sealed class GrantCliTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(string token, params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.BaseAddress.ToString().TrimEnd('/'), "--token", token]);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task A_security_lead_creates_lists_and_revokes_a_grant()
    {
        var token = await _server.TokenAsync("security-lead");
        var head = await _server.HeadAsync();
        var create = await Ripcord(token, "grant", "create", "--workspace", "acme", "--action", "send", "--ttl", "30m", "--reason", "relay down");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Matches($@"^Grant (grt_\w+): 'send' in workspace acme may fall back until .+; revision {head + 1}; review rvw_\w+ opened\.$",
            Lines(create.StdOut).Single());
        var grant = (await _server.GetAsync("/api/v1/programs/groups/override-grants")).EnumerateArray().Single().GetProperty("grant");
        Assert.Equal(_server.Clock.GetUtcNow().AddMinutes(30), grant.GetProperty("expiresAt").GetDateTimeOffset());
        var id = grant.GetProperty("id").GetString()!;

        var list = await Ripcord(token, "grant", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(id, ApiAssert.Parse(list.StdOut)[0].GetProperty("grant").GetProperty("id").GetString());

        var revoke = await Ripcord(token, "grant", "revoke", id, "--reason", "relay restored");
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal($"Revoked {id}; revision {head + 2}.", Lines(revoke.StdOut).Single());
        Assert.Empty((await _server.GetAsync("/api/v1/programs/groups/override-grants")).EnumerateArray());
    }

    [Fact]
    public async Task An_operator_is_refused_and_a_bad_ttl_never_reaches_the_server()
    {
        var head = await _server.HeadAsync();
        var refused = await Ripcord(await _server.TokenAsync("operator"), "grant", "create", "--workspace", "acme", "--action", "send", "--reason", "r");
        Assert.Equal(4, refused.ExitCode); // forbidden (docs/cli.md)
        Assert.Single(Lines(refused.StdErr));
        var badTtl = await Ripcord(RipcordTestServer.AdminToken, "grant", "create", "--workspace", "acme", "--action", "send", "--ttl", "soon", "--reason", "r");
        Assert.NotEqual(0, badTtl.ExitCode);
        Assert.Contains("--ttl", badTtl.StdErr, StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());
    }
}
