using System.Net;
using System.Text.Json;

namespace Ripcord.Server.Tests.Telemetry;

/// <summary>
/// Issue 8, item 4: kill-switch verification counts what instances say they applied, so a key
/// cannot claim a revision the program never reached, speak for an instance another key
/// registered, or invent instances without end; and the clients list comes a page at a time.
/// </summary>
public sealed class HeartbeatTrustTests : IAsyncLifetime
{
    private const int InstanceCap = 3;
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(
        customize: o => o with { Telemetry = o.Telemetry with { MaxInstancesPerKey = InstanceCap } });

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private Task<JsonElement> ClientsAsync(string query = "") => _server.GetAsync("/api/v1/programs/groups/clients" + query);

    [Theory]
    [InlineData("1e300", "bad-value")]
    [InlineData("2.5", "bad-value")]
    [InlineData("head+1", "revision-ahead")]
    [InlineData("9223372036854775807", "revision-ahead")]
    [Invariant("HB-1", "an instance's applied revision comes only from the key that registered it and never exceeds the head")]
    public async Task AHeartbeat_ClaimsOnlyAWholeRevisionTheProgramHasReached(string claimed, string code)
    {
        var key = await _server.TokenAsync("sdk");
        var head = await _server.HeadAsync();
        var revision = claimed == "head+1" ? (head + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : claimed;
        var body = $$"""{"program":"groups","instance":"web-1","events":[{"type":"revision-heartbeat","at":"2030-01-01T09:00:00Z","revision":{{revision}},"state":"live"}]}""";

        var problem = await _server.PostTelemetryAsync(key, body).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(code, problem.GetProperty("code").GetString());
        var clients = await ClientsAsync();
        Assert.Equal(0, clients.GetProperty("total").GetInt32());
        Assert.Equal(0, clients.GetProperty("atHead").GetInt32());
        await _server.PostTelemetryAsync(key, TelemetryClient.Heartbeat(_server, "web-1", head)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(1, (await ClientsAsync()).GetProperty("atHead").GetInt32());
    }

    [Fact]
    [Invariant("HB-1", "an instance's applied revision comes only from the key that registered it and never exceeds the head")]
    public async Task AnInstance_IsBoundToTheKeyThatRegisteredIt()
    {
        var owner = await _server.MintTokenAsync("sdk", "fleet a");
        var other = await _server.MintTokenAsync("sdk", "fleet b");
        await _server.PostTelemetryAsync(owner.Secret, TelemetryClient.Heartbeat(_server, "web-1", 0)).ExpectAsync(HttpStatusCode.Accepted);
        var head = await _server.HeadAsync();

        var claimed = await _server.PostTelemetryAsync(other.Secret, TelemetryClient.Heartbeat(_server, "web-1", head)).ExpectAsync(HttpStatusCode.Forbidden);
        var spoken = await _server.PostTelemetryAsync(other.Secret, TelemetryClient.Sends(_server, "web-1", 3)).ExpectAsync(HttpStatusCode.Forbidden);

        Assert.Equal("instance-bound", claimed.GetProperty("code").GetString());
        Assert.Equal("instance-bound", spoken.GetProperty("code").GetString());
        Assert.Equal(2, await _server.RejectedAsync("instance-bound"));
        Assert.Equal(1, await _server.StoredAsync()); // only the owner's heartbeat
        var web1 = Assert.Single((await ClientsAsync()).GetProperty("clients").EnumerateArray());
        Assert.Equal(owner.Id, web1.GetProperty("tokenId").GetString());
        Assert.Equal(0, web1.GetProperty("appliedRevision").GetInt64());
        await _server.PostTelemetryAsync(owner.Secret, TelemetryClient.Heartbeat(_server, "web-1", head)).ExpectAsync(HttpStatusCode.Accepted);
    }

    [Fact]
    [Invariant("HB-1", "an instance's applied revision comes only from the key that registered it and never exceeds the head")]
    public async Task AStream_CannotSpeakForAnInstanceAnotherKeyRegistered_NorClaimARevisionAboveTheHead()
    {
        var owner = await _server.MintTokenAsync("sdk", "fleet a");
        var other = await _server.MintTokenAsync("sdk", "fleet b");
        var head = await _server.HeadAsync();
        await _server.PostTelemetryAsync(owner.Secret, TelemetryClient.Heartbeat(_server, "web-1", 0)).ExpectAsync(HttpStatusCode.Accepted);

        using var spoof = RipcordTestServer.Request(HttpMethod.Get, "/api/v1/programs/groups/stream", other.Secret);
        spoof.Headers.Add("X-Ripcord-Instance", "web-1");
        spoof.Headers.Add("Last-Event-ID", head.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var refused = await _server.Http.SendAsync(spoof, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0, (await ClientsAsync()).GetProperty("atHead").GetInt32());

        // A Last-Event-ID beyond the head claims nothing: the stream starts with a snapshot, the instance at no revision.
        using var ahead = RipcordTestServer.Request(HttpMethod.Get, "/api/v1/programs/groups/stream", other.Secret);
        ahead.Headers.Add("X-Ripcord-Instance", "web-2");
        ahead.Headers.Add("Last-Event-ID", "1000000");
        using var stream = await _server.Http.SendAsync(ahead, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await reader.ReadLineAsync(timeout.Token) is { } line && !line.StartsWith("event: ", StringComparison.Ordinal))
        {
        }
        var web2 = (await ClientsAsync()).GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("instance").GetString() == "web-2");
        Assert.Equal(JsonValueKind.Null, web2.GetProperty("appliedRevision").ValueKind);
    }

    [Fact]
    public async Task AKey_RegistersAtMostItsCapOfInstances()
    {
        var key = await _server.TokenAsync("sdk");
        var another = (await _server.MintTokenAsync("sdk", "another fleet")).Secret;
        for (var i = 0; i < InstanceCap; i++)
        {
            await _server.PostTelemetryAsync(key, TelemetryClient.Heartbeat(_server, $"web-{i}", 0)).ExpectAsync(HttpStatusCode.Accepted);
        }

        var problem = await _server.PostTelemetryAsync(key, TelemetryClient.Heartbeat(_server, "web-extra", 0)).ExpectAsync(HttpStatusCode.Conflict);

        Assert.Equal("too-many-instances", problem.GetProperty("code").GetString());
        Assert.Equal(1, await _server.RejectedAsync("too-many-instances"));
        await _server.PostTelemetryAsync(key, TelemetryClient.Heartbeat(_server, "web-0", 0)).ExpectAsync(HttpStatusCode.Accepted);
        await _server.PostTelemetryAsync(another, TelemetryClient.Heartbeat(_server, "web-extra", 0)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(InstanceCap + 1, (await ClientsAsync()).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Clients_ComeAPageAtATime_WithCountsOverEveryInstance()
    {
        var head = await _server.HeadAsync();
        var seen = new List<string>();
        for (var k = 0; k < 3; k++)
        {
            var key = (await _server.MintTokenAsync("sdk", $"fleet {k}")).Secret;
            for (var i = 0; i < InstanceCap; i++)
            {
                await _server.PostTelemetryAsync(key, TelemetryClient.Heartbeat(_server, $"web-{k}{i}", i == 0 ? 0 : head)).ExpectAsync(HttpStatusCode.Accepted);
            }
        }

        string? after = null;
        var pages = 0;
        do
        {
            var page = await ClientsAsync("?limit=4" + (after is null ? "" : "&after=" + after));
            Assert.Equal(9, page.GetProperty("total").GetInt32());
            Assert.Equal(6, page.GetProperty("atHead").GetInt32());
            var clients = page.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("instance").GetString()!).ToList();
            Assert.InRange(clients.Count, 1, 4);
            seen.AddRange(clients);
            after = page.GetProperty("next").GetString();
            pages++;
        }
        while (after is not null);

        Assert.Equal(3, pages);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Equal(9, seen.Distinct().Count());
        foreach (var bad in new[] { "?limit=0", "?limit=5001", "?limit=many" })
        {
            using var response = await _server.SendAsync(HttpMethod.Get, "/api/v1/programs/groups/clients" + bad);
            await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        }
    }
}
