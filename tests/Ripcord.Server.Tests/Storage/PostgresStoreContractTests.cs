using Npgsql;
using Ripcord.Server.Storage;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Storage;

/// <summary>The storage contract on a real PostgreSQL: this class's own database, a fresh schema per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreContractTests(PostgresCluster cluster) : StoreContractTests
{
    private string _connectionString = "";

    protected override async Task<Databases> CreateDatabasesAsync()
    {
        cluster.RequireRunning();
        _connectionString = await cluster.FreshSchemaAsync(nameof(PostgresStoreContractTests));
        return Databases.Postgres(_connectionString);
    }

    protected override string DisableAppendOnlyTriggersSql => "ALTER TABLE audit DISABLE TRIGGER USER";

    protected override async Task ExecuteRawAsync(string sql)
    {
        await using var c = new NpgsqlConnection(_connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    protected override Task DestroyAsync()
    {
        Databases.Dispose();
        return Task.CompletedTask;
    }
}
