using System.Net;
using Ripcord.Server.Tests.Infrastructure;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.KillSwitches;

/// <summary>
/// The incident and kill-switch workflow on PostgreSQL, two nodes on one database: what one node
/// declares, activates and verifies, the other reads and carries on (a review completed there, the
/// switch lifted there); racing activations from both nodes land on consecutive revisions.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresKillSwitchTests(PostgresCluster cluster)
{
    [Fact]
    public async Task TwoNodes_ShareIncidents_ActivationsAndReviews()
    {
        cluster.RequireRunning();
        var connectionString = await cluster.FreshSchemaAsync(nameof(PostgresKillSwitchTests));
        await using var nodeA = await RipcordTestServer.StartAsync(connectionString);
        await using var nodeB = await RipcordTestServer.StartAsync(connectionString);
        var sdk = await nodeA.CreateTokenAsync("sdk");
        await using var app = await FakeInstance.ConnectAsync(nodeA, sdk, "app-pg");

        var incident = await nodeA.DeclareAsync();
        var (status, created) = await nodeA.ActivateAsync("KS3", "global", incident);
        Assert.Equal(HttpStatusCode.Created, status);
        var id = created.GetProperty("id").GetString()!;
        await app.ReportAsync(created.GetProperty("revision").GetInt64());
        Assert.Equal("verified", await nodeA.UntilDecidedAsync("KS3", id));

        var seenByB = (await nodeB.GetAsync($"{IncidentsPath}/{incident}")).GetProperty("incident");
        Assert.Equal("mitigated", seenByB.GetProperty("status").GetString());
        var review = (await nodeB.GetAsync("/api/v1/reviews?open=true")).EnumerateArray().Single().GetProperty("id").GetString()!;
        await nodeB.OkAsync(HttpMethod.Post, $"/api/v1/reviews/{review}/complete", new { findings = "proportionate" },
            token: await nodeB.CreateTokenAsync("security-lead", "sam"));
        await nodeB.OkAsync(HttpMethod.Delete, $"/api/v1/programs/groups/kill-switches/KS3/activations/{id}", new { reason = "fixed" });
        Assert.Empty((await nodeA.GetAsync("/api/v1/programs/groups/kill-switches")).EnumerateArray());

        var head = await nodeB.HeadAsync(); // B wrote last; A catches up on its next write
        var raced = await Task.WhenAll(nodeA.ActivateAsync("KS1", "global", incident), nodeB.ActivateAsync("KS2", "global", incident));
        Assert.All(raced, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Equal([head + 1, head + 2], raced.Select(r => r.Body.GetProperty("revision").GetInt64()).Order());
    }
}
