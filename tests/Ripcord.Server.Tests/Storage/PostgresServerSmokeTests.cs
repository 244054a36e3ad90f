using System.Net;
using Ripcord.Server.Tests.Infrastructure;
using static Ripcord.Testing.Groups;

namespace Ripcord.Server.Tests.Storage;

/// <summary>The whole server on PostgreSQL (ServerOptions.PostgresConnectionString), end to end over HTTP.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerSmokeTests(PostgresCluster cluster)
{
    [Fact]
    public async Task ServerOnPostgres_StoresAnOverride_EvaluatesIt_AndANewNodeSeesIt()
    {
        cluster.RequireRunning();
        var connectionString = await cluster.FreshSchemaAsync(nameof(PostgresServerSmokeTests));
        long head;
        await using (var server = await RipcordTestServer.StartAsync(connectionString))
        {
            using (var ready = await server.SendAsync(HttpMethod.Get, "/readyz", token: null))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }
            await server.PutCohortAsync("pilot", new { workspaces = new[] { "w-pg" } });
            await server.SetStageAsync(1);
            var created = await server.SetOverrideAsync("F3", "workspace:w-pg", true);
            head = created.GetProperty("revision").GetInt64();
            Assert.Equal(4, head);

            var e = await server.EvaluateAsync("w-pg", "u-1", 1);
            Assert.Equal(head, e.Revision);
            Assert.Equal(new FlagValue(true, "override", "workspace:w-pg", "override@workspace:w-pg"), e[F3]);
            Assert.True(e[F1].Value);
            Assert.True((await server.GetAsync("/api/v1/audit/verify")).GetProperty("ok").GetBoolean());
        }

        // A second node (or a restart) on the same database: nothing reinstalled, everything there.
        await using (var node2 = await RipcordTestServer.StartAsync(connectionString))
        {
            Assert.Equal(head, await node2.HeadAsync());
            var e = await node2.EvaluateAsync("w-pg", "u-2", 2);
            Assert.Equal(new FlagValue(true, "override", "workspace:w-pg", "override@workspace:w-pg"), e[F3]);
            var verify = await node2.GetAsync("/api/v1/audit/verify");
            Assert.True(verify.GetProperty("ok").GetBoolean());
            Assert.True(verify.GetProperty("checked").GetInt64() >= 5);
        }
    }

    [Fact]
    public async Task TwoNodesAtOnce_SeeEachOthersWrites_AndARevocationWithinSeconds()
    {
        cluster.RequireRunning();
        var connectionString = await cluster.FreshSchemaAsync(nameof(TwoNodesAtOnce_SeeEachOthersWrites_AndARevocationWithinSeconds));
        await using var nodeA = await RipcordTestServer.StartAsync(connectionString);
        await using var nodeB = await RipcordTestServer.StartAsync(connectionString);

        var created = await nodeA.SetOverrideAsync("F1", "workspace:w-two", true);
        var revision = created.GetProperty("revision").GetInt64();
        await Eventually(async () => (await nodeB.EvaluateAsync("w-two")).Revision == revision, "node B to load node A's revision");
        Assert.Equal(new FlagValue(true, "override", "workspace:w-two", "override@workspace:w-two"), (await nodeB.EvaluateAsync("w-two"))[F1]);

        // Node B authenticates the token once (and caches the lookup; its test clock never moves,
        // so only the revocation sync can drop it), then node A revokes it.
        var viewer = await nodeA.MintTokenAsync("viewer");
        using (var before = await nodeB.SendAsync(HttpMethod.Get, "/api/v1/programs", viewer.Secret))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        using (var revoke = await nodeA.SendAsync(HttpMethod.Delete, "/api/v1/tokens/" + viewer.Id))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }
        using (var onA = await nodeA.SendAsync(HttpMethod.Get, "/api/v1/programs", viewer.Secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, onA.StatusCode);
        }
        await Eventually(async () =>
        {
            using var onB = await nodeB.SendAsync(HttpMethod.Get, "/api/v1/programs", viewer.Secret);
            return onB.StatusCode == HttpStatusCode.Unauthorized;
        }, "node B to refuse the revoked token");
    }

    /// <summary>Polls for up to 5 s: the nodes sync from storage every second.</summary>
    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
