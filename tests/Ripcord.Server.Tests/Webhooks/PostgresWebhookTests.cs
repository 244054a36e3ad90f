using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Tests.Infrastructure;
using Ripcord.Server.Webhooks;

namespace Ripcord.Server.Tests.Webhooks;

/// <summary>
/// Webhooks on PostgreSQL with two nodes on one database: every delivery is sent once although both
/// nodes' dispatchers look for due rows at the same moment (the lease), and each is recorded delivered.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresWebhookTests(PostgresCluster cluster)
{
    [Fact]
    public async Task TwoNodes_SendEachDeliveryOnce()
    {
        cluster.RequireRunning();
        var connectionString = await cluster.FreshSchemaAsync(nameof(PostgresWebhookTests));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var nodeA = await RipcordTestServer.StartAsync(connectionString);
        await using var nodeB = await RipcordTestServer.StartAsync(connectionString);
        for (var i = 0; i < 20; i++)
        {
            await nodeA.OkAsync(HttpMethod.Post, "/api/v1/webhooks", new { url = receiver.Url, events = new[] { "killswitch.*" } });
        }

        var actor = new Actor(new Principal("prn_pg", "pg test"), Role.Operator, "tok_pg");
        await nodeA.Services.GetRequiredService<ProgramWriter>().ExecuteAsync("groups",
            new ActivateKillSwitch("ks_pg", "KS3", "global", null, "two nodes", actor.Principal), actor, null, CancellationToken.None);
        // Node A was woken by its commit; node B and a second sender on A race it for the same rows.
        await Task.WhenAll(
            nodeB.Services.GetRequiredService<WebhookDispatcher>().SendDueAsync(CancellationToken.None),
            nodeA.Services.GetRequiredService<WebhookDispatcher>().SendDueAsync(CancellationToken.None),
            nodeB.Services.GetRequiredService<WebhookDispatcher>().SendDueAsync(CancellationToken.None));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<System.Text.Json.JsonElement> deliveries;
        do
        {
            await Task.Delay(50);
            deliveries = [.. (await nodeB.GetAsync("/api/v1/webhooks/deliveries")).EnumerateArray()];
            Assert.True(DateTime.UtcNow < deadline, string.Join(", ", deliveries.Select(d => d.GetRawText())));
        }
        while (deliveries.Count != 20 || deliveries.Any(d => d.GetProperty("status").GetString() != "delivered"));

        Assert.All(deliveries, d => Assert.Equal(1, d.GetProperty("attempts").GetInt32()));
        var received = receiver.Requests.Select(r => r.Delivery).ToList();
        Assert.Equal(20, received.Count);
        Assert.Equal(20, received.Distinct(StringComparer.Ordinal).Count());
    }
}
