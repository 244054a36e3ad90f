using System.Net;
using Ripcord.Server.Tests.Infrastructure;
using static Ripcord.Server.Tests.Infrastructure.Groups;

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
}
