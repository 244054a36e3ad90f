using System.Data.Common;
using Npgsql;

namespace Ripcord.Server.Storage;

/// <summary>
/// PostgreSQL for multi-node deployments. Configuration writers serialise on one advisory
/// transaction lock, so every node sees one revision sequence per program and one audit chain.
/// Telemetry shares the database but gets its own instance of this class — its own pool — and
/// never takes that lock.
/// </summary>
public sealed class PostgresDatabase : SqlDatabase
{
    // Any fixed 64-bit keys: "ripcord" and "ripcord-migrate" in spirit.
    private const long WriteLockKey = 0x72697063_6F7264;
    private const long MigrateLockKey = 0x72697063_6F7265;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _connectionString;
    private readonly string _name;
    private readonly string _migrationSet;
    private readonly ILoggerFactory? _logs;
    private readonly IWriteObserver? _observer;

    public PostgresDatabase(string connectionString, string name, string migrationSet, ILoggerFactory? logs = null, IWriteObserver? observer = null)
    {
        _connectionString = connectionString;
        _name = name;
        _migrationSet = migrationSet;
        _logs = logs;
        _observer = observer;
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "ripcord-" + name };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public override SqlDialect Dialect => SqlDialect.Postgres;

    public override string Name => _name;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    public override async Task<WriteSession> BeginWriteAsync(CancellationToken ct)
    {
        var c = await OpenAsync(ct);
        try
        {
            var tx = await c.BeginTransactionAsync(ct);
            if (_migrationSet == Migrations.Config)
            {
                await Sql.ExecAsync(c, tx, $"SELECT pg_advisory_xact_lock({WriteLockKey})", ct);
            }
            return new WriteSession(this, c, tx, _observer);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public override async Task MigrateAsync(CancellationToken ct)
    {
        // DbUp does not lock: nodes starting together take turns on a session advisory lock, and
        // the one that comes second finds every script already journaled.
        await using var c = await OpenAsync(ct);
        await Sql.ExecAsync(c, null, $"SELECT pg_advisory_lock({MigrateLockKey})", ct);
        try
        {
            var journal = _migrationSet == Migrations.Config ? "schemaversions" : _migrationSet + "_schemaversions";
            Migrations.Run(Migrations.Postgres(_connectionString, journal), _migrationSet, Dialect, _logs);
        }
        finally
        {
            await Sql.ExecAsync(c, null, $"SELECT pg_advisory_unlock({MigrateLockKey})", CancellationToken.None);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dataSource.Dispose();
        }
        base.Dispose(disposing);
    }
}
