using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Gates;

/// <summary>The stage 0 → 1 scenario on PostgreSQL: the gate tables, their posting order and times behave as on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGateTests(PostgresCluster cluster)
{
    [Fact]
    [Invariant("SG-6", "a refused advance names every failing criterion and writes nothing; an allowed one writes one revision and tags the evaluated revision known-safe")]
    public async Task FromStage0To1_OnPostgres()
    {
        cluster.RequireRunning();
        await using var server = await RipcordTestServer.StartAsync(await cluster.FreshSchemaAsync(nameof(PostgresGateTests)));
        await StageAdvanceTests.ZeroToOneAsync(server);
    }
}
