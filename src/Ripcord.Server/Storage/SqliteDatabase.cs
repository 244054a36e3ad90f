using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Ripcord.Server.Storage;

/// <summary>
/// An embedded SQLite database file in WAL mode with <c>synchronous=FULL</c>: an acknowledged
/// write survives a kill -9 or power loss. Configuration and telemetry are separate files, so
/// each has its own write lock.
/// </summary>
public sealed class SqliteDatabase(string path, string name, string migrationSet, ILoggerFactory? logs = null, IWriteObserver? observer = null)
    : SqlDatabase
{
    private readonly string _connectionString = ConnectionString(path);

    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public string Path => path;

    public override SqlDialect Dialect => SqlDialect.Sqlite;

    public override string Name => name;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
        await cmd.ExecuteNonQueryAsync(ct);
        return c;
    }

    public override async Task<WriteSession> BeginWriteAsync(CancellationToken ct)
    {
        var c = (SqliteConnection)await OpenAsync(ct);
        try
        {
            // Not deferred: BEGIN IMMEDIATE, so the write lock is taken now, before anything is read.
            var tx = c.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            return new WriteSession(this, c, tx, observer);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public override async Task MigrateAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        await using (var c = await OpenAsync(ct))
        {
            await Sql.ExecAsync(c, null, "PRAGMA journal_mode = WAL", ct);
        }
        Migrations.Run(Migrations.Sqlite(_connectionString), migrationSet, Dialect, logs);
        // Moves what the migrations wrote from the write-ahead log into the database file now, while there is room:
        // left in the log, a later checkpoint on a full disk would have to grow the file, and fail half way.
        await using (var c = await OpenAsync(ct))
        {
            await Sql.ExecAsync(c, null, "PRAGMA wal_checkpoint(TRUNCATE)", ct);
        }
    }

    /// <summary>Releases pooled connections to this file (before deleting it, in tests).</summary>
    public void ClearPool()
    {
        using var c = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(c);
    }
}
