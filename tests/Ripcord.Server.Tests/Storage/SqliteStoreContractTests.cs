using Microsoft.Data.Sqlite;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.Storage;

/// <summary>The storage contract on the embedded SQLite backend, one temp directory per test.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly string _directory = TestPaths.NewDataDirectory("store");

    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, Databases.ConfigFile), Pooling = false }.ToString();

    protected override Task<Databases> CreateDatabasesAsync() => Task.FromResult(Databases.Sqlite(_directory));

    protected override string DisableAppendOnlyTriggersSql => "DROP TRIGGER audit_no_update";

    protected override async Task ExecuteRawAsync(string sql)
    {
        await using var c = new SqliteConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    protected override Task DestroyAsync()
    {
        ((SqliteDatabase)Databases.Config).ClearPool();
        ((SqliteDatabase)Databases.Telemetry).ClearPool();
        TestPaths.TryDelete(_directory);
        return Task.CompletedTask;
    }
}
