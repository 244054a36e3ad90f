using System.Data.Common;
using Npgsql;

namespace Ripcord.Server.Storage;

/// <summary>
/// PostgreSQL for multi-node deployments. Writers serialise on one advisory transaction lock,
/// so every node sees one revision sequence per program and one audit chain.
/// </summary>
public sealed class PostgresStore(string connectionString) : SqlStore
{
    // Any fixed 64-bit key: "ripcord" in ASCII.
    private const long WriteLockKey = 0x72697063_6F7264;

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _dataSource.OpenConnectionAsync(ct);

    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct)
    {
        var tx = await connection.BeginTransactionAsync(ct);
        await ExecAsync(connection, tx, $"SELECT pg_advisory_xact_lock({WriteLockKey})", ct);
        return tx;
    }

    public override async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await BeginWriteAsync(c, ct);
        foreach (var ddl in CommonSchema)
        {
            await ExecAsync(c, tx, ddl, ct);
        }
        await ExecAsync(c, tx, """
            CREATE OR REPLACE FUNCTION ripcord_append_only() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'the % table is append-only', TG_TABLE_NAME; END $$
            """, ct);
        foreach (var table in (string[])["audit", "revisions"])
        {
            await ExecAsync(c, tx, $"""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{table}_append_only' AND tgrelid = '{table}'::regclass) THEN
                    CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION ripcord_append_only();
                  END IF;
                END $$
                """, ct);
        }
        await tx.CommitAsync(ct);
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
