namespace Ripcord.Server.Storage;

/// <summary>
/// The server's two databases: configuration (revisions, events, audit, tokens — every write
/// under one lock) and telemetry (raw SDK events — never that lock). On SQLite they are two files
/// in the data directory; on PostgreSQL one database reached through two pools.
/// </summary>
public sealed class Databases(SqlDatabase config, SqlDatabase telemetry, ILogger? log = null, long reservedSpaceBytes = 0) : IDisposable
{
    public SqlDatabase Config { get; } = config;
    public SqlDatabase Telemetry { get; } = telemetry;

    public const string ConfigFile = "ripcord.db";
    public const string TelemetryFile = "telemetry.db";

    /// <summary>The two SQLite files in <paramref name="dataDirectory"/>, with a start-up reserve of <paramref name="reservedSpaceBytes"/> (<see cref="ReservedSpace"/>).</summary>
    public static Databases Sqlite(string dataDirectory, ILoggerFactory? logs = null, IWriteObserver? observer = null, long reservedSpaceBytes = 0) => new(
        new SqliteDatabase(Path.Combine(dataDirectory, ConfigFile), "configuration", Migrations.Config, logs, observer),
        new SqliteDatabase(Path.Combine(dataDirectory, TelemetryFile), "telemetry", Migrations.Telemetry, logs),
        logs?.CreateLogger<Databases>(), reservedSpaceBytes);

    public static Databases Postgres(string connectionString, ILoggerFactory? logs = null, IWriteObserver? observer = null) => new(
        new PostgresDatabase(connectionString, "configuration", Migrations.Config, logs, observer),
        new PostgresDatabase(connectionString, "telemetry", Migrations.Telemetry, logs));

    /// <summary>Migrates both, and on SQLite moves telemetry that an earlier release kept in the configuration file.</summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        if (Config is SqliteDatabase sqlite && ReservedSpace.Prepare(Path.GetDirectoryName(Path.GetFullPath(sqlite.Path))!, reservedSpaceBytes) is > 0 and var released)
        {
            log?.LogWarning("The data volume is full: released {Bytes} bytes of reserved space ({File}) to start; writes answer 503 until there is room",
                released, ReservedSpace.FileName);
        }
        await Config.MigrateAsync(ct);
        await Telemetry.MigrateAsync(ct);
        if (Config is SqliteDatabase config && Telemetry is SqliteDatabase telemetry)
        {
            await LegacyTelemetry.MoveAsync(config, telemetry, ct);
        }
    }

    public void Dispose()
    {
        Config.Dispose();
        Telemetry.Dispose();
    }
}
