using System.Data.Common;
using System.Globalization;

namespace Ripcord.Server.Storage;

public enum SqlDialect
{
    Sqlite,
    Postgres,
}

/// <summary>
/// One database: how to open a connection, how its SQL differs, and its write lock. Every write
/// runs in a <see cref="WriteSession"/> that holds the lock (SQLite: BEGIN IMMEDIATE; PostgreSQL:
/// an advisory transaction lock), so revision numbers and the audit chain stay serial across
/// processes and nodes. Feature stores join a session; they never open their own transaction.
/// </summary>
public abstract class SqlDatabase : IDisposable
{
    public abstract SqlDialect Dialect { get; }

    /// <summary>What this database holds, for logs and errors: "configuration" or "telemetry".</summary>
    public abstract string Name { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Takes the write lock and begins a transaction.</summary>
    public abstract Task<WriteSession> BeginWriteAsync(CancellationToken ct);

    /// <summary>Brings the schema up to date (versioned scripts, each applied once).</summary>
    public abstract Task MigrateAsync(CancellationToken ct);

    /// <summary>
    /// A time as stored: UTC, to the microsecond (PostgreSQL's timestamptz resolution), so what a
    /// writer keeps in memory is exactly what a reader gets back on either backend.
    /// </summary>
    public static DateTimeOffset Storable(DateTimeOffset at) =>
        new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);

    /// <summary>The parameter value of a time column: ISO-8601 text on SQLite, timestamptz on PostgreSQL.</summary>
    public object Time(DateTimeOffset at) => Dialect == SqlDialect.Sqlite
        ? Storable(at).UtcDateTime.ToString("O", CultureInfo.InvariantCulture)
        : Storable(at);

    public object? Time(DateTimeOffset? at) => at is { } t ? Time(t) : null;

    public DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => Dialect == SqlDialect.Sqlite
        ? DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
        : reader.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();

    public DateTimeOffset? ReadNullableTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);

    /// <summary>Runs one query on a connection of its own (reads need no lock).</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string, object?)[] args)
    {
        await using var c = await OpenAsync(ct);
        return await Sql.QueryAsync(c, null, sql, map, ct, args);
    }

    public async Task<object?> ScalarAsync(string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = Sql.Command(c, null, sql, args);
        return await cmd.ExecuteScalarAsync(ct);
    }

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return Convert.ToInt64(await ScalarAsync("SELECT 1", ct), CultureInfo.InvariantCulture) == 1;
        }
        catch (DbException)
        {
            return false;
        }
    }

    /// <summary>
    /// Rewrites the one row of <c>write_probe</c> and commits, outside the writers' lock and the write
    /// observer: a rollback would prove nothing, since SQLite in WAL mode only writes at commit, which
    /// is where a full disk (SQLITE_FULL) or a read-only file shows. Null when the write went through;
    /// otherwise why not, in words for /readyz.
    /// </summary>
    public async Task<string?> ProbeWriteAsync(DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            await using var c = await OpenAsync(ct);
            await using var tx = await c.BeginTransactionAsync(ct);
            await Sql.ExecAsync(c, tx, "INSERT INTO write_probe (id, at) VALUES (1, @a) ON CONFLICT (id) DO UPDATE SET at = excluded.at", ct,
                ("@a", now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
            await tx.CommitAsync(ct);
            return null;
        }
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException)
        {
            return StorageFailure.IsFull(ex) ? "it is full" : "it cannot be written";
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>The few ADO.NET helpers every store uses: parameterised commands, nothing clever.</summary>
public static class Sql
{
    public static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    public static async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<List<T>> QueryAsync<T>(DbConnection c, DbTransaction? tx, string sql, Func<DbDataReader, T> map,
        CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(map(reader));
        }
        return list;
    }

    public static string? NullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
