using System.Globalization;

namespace Ripcord.Server.Storage;

/// <summary>
/// Releases before versioned migrations kept raw telemetry in the configuration file. On SQLite
/// it now lives in a file of its own; the first start after upgrading copies it over (idempotent:
/// a copy interrupted by a crash is simply repeated) and then drops the old table.
/// </summary>
internal static class LegacyTelemetry
{
    public static async Task MoveAsync(SqliteDatabase config, SqliteDatabase telemetry, CancellationToken ct)
    {
        var exists = Convert.ToInt64(await config.ScalarAsync(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'telemetry_events'", ct), CultureInfo.InvariantCulture) > 0;
        if (!exists)
        {
            return;
        }
        await using (var c = await telemetry.OpenAsync(ct))
        {
            // ATTACH cannot run inside a transaction; the copy is one statement in a transaction of its own.
            await Sql.ExecAsync(c, null, "ATTACH DATABASE @path AS legacy", ct, ("@path", config.Path));
            try
            {
                await using var tx = await c.BeginTransactionAsync(ct);
                await Sql.ExecAsync(c, tx, """
                    INSERT OR IGNORE INTO telemetry_batches (received_at, program, instance, events, payload, legacy_id)
                    SELECT received_at, program, instance, 1, '[' || payload || ']', id FROM legacy.telemetry_events ORDER BY received_at, id
                    """, ct);
                await tx.CommitAsync(ct);
            }
            finally
            {
                await Sql.ExecAsync(c, null, "DETACH DATABASE legacy", CancellationToken.None);
            }
        }
        await using (var session = await config.BeginWriteAsync(ct))
        {
            await session.ExecAsync("DROP TABLE telemetry_events", ct);
            await session.CommitAsync(ct);
        }
    }
}
