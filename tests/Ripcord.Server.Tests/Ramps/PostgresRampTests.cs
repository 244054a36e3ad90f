using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Ramps;

/// <summary>The ramp scenarios on PostgreSQL: the ramps table (0008), its upserts and times behave as on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRampTests(PostgresCluster cluster)
{
    [Fact]
    [Invariant("RP-7", "every step of a ramp is a revision written by the system actor, and every automatic action (advance, hold, rollback, finish) has its audit row")]
    public async Task Steps_advance_hourly_on_Postgres()
    {
        cluster.RequireRunning();
        await using var server = await RipcordTestServer.StartAsync(await cluster.FreshSchemaAsync(nameof(PostgresRampTests)));
        await RampTests.HourlyStepsAsync(server);
    }

    [Fact]
    [Invariant("RP-5", "with rollbackOnBreach a breach moves the ramp back one step, once: it then stops until an operator resumes it")]
    public async Task A_breach_rolls_back_on_Postgres()
    {
        cluster.RequireRunning();
        await using var server = await RipcordTestServer.StartAsync(await cluster.FreshSchemaAsync(nameof(PostgresRampTests)));
        await RampTests.RollbackAsync(server);
    }
}
