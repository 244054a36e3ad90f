using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Ripcord.Server.Storage;

/// <summary>
/// The embedded default: one SQLite file in the data directory, WAL journal with
/// synchronous=FULL so a write acknowledged to a client survives a kill -9 or power loss.
/// </summary>
public sealed class SqliteStore(string dataDirectory) : SqlStore
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDirectory, "ripcord.db"),
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public string DatabasePath => Path.Combine(dataDirectory, "ripcord.db");

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
        await cmd.ExecuteNonQueryAsync(ct);
        return c;
    }

    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        // Not deferred: BEGIN IMMEDIATE, so the write lock is taken now, before the head is read.
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false));

    // One writer at a time is SQLite's rule anyway; taking the lock up front avoids BUSY on upgrade.
    protected override Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken ct) => BeginWriteAsync(connection, ct);

    public override async Task InitializeAsync(CancellationToken ct = default)
    {
        Directory.CreateDirectory(dataDirectory);
        await using var c = await OpenAsync(ct);
        await ExecAsync(c, null, "PRAGMA journal_mode = WAL", ct);
        foreach (var ddl in CommonSchema)
        {
            await ExecAsync(c, null, ddl, ct);
        }
        foreach (var table in (string[])["audit", "revisions"])
        {
            await ExecAsync(c, null, $"""
                CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only'); END
                """, ct);
            await ExecAsync(c, null, $"""
                CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only'); END
                """, ct);
        }
    }
}
