using System.Data.Common;
using System.Globalization;
using Ripcord.Core.Audit;

namespace Ripcord.Server.Storage;

/// <summary>
/// The SQL both backends share. Every write runs in one transaction that first takes the
/// backend's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock),
/// so revision numbers and the audit chain stay serial across processes and nodes.
/// Audit and revision rows are append-only, enforced by triggers in the database itself.
/// </summary>
public abstract class SqlStore : IRevisionStore, IAuditLog, ITokenStore, ITelemetryStore, IStorageHealth, IDisposable
{
    /// <summary>Releases the connection pool; the DI container calls it when the server stops.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Begins a transaction holding the store-wide write lock.</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct);

    public abstract Task InitializeAsync(CancellationToken ct = default);

    protected static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    protected static DateTimeOffset ParseIso(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    protected static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
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

    protected static async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    protected static async Task<List<T>> QueryAsync<T>(DbConnection c, DbTransaction? tx, string sql, Func<DbDataReader, T> map,
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

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var c = await OpenAsync(ct);
            await using var cmd = Command(c, null, "SELECT 1");
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) == 1;
        }
        catch (DbException)
        {
            return false;
        }
    }

    // ---- revisions -------------------------------------------------------------------------

    private const string RevisionColumns = "program, revision, created_at, actor, summary";

    private static StoredRevision MapRevision(DbDataReader r) => new(
        r.GetString(0), r.GetInt64(1), ParseIso(r.GetString(2)), r.GetString(3), r.GetString(4),
        r.FieldCount > 5 ? r.GetString(5) : "");

    public async Task<StoredRevision?> GetLatestAsync(string program, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await QueryAsync(c, null,
            $"SELECT {RevisionColumns}, state FROM revisions WHERE program = @p ORDER BY revision DESC LIMIT 1",
            MapRevision, ct, ("@p", program));
        return rows.FirstOrDefault();
    }

    public async Task<StoredRevision?> GetAsync(string program, long revision, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await QueryAsync(c, null,
            $"SELECT {RevisionColumns}, state FROM revisions WHERE program = @p AND revision = @r",
            MapRevision, ct, ("@p", program), ("@r", revision));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<StoredRevision>> ListAsync(string program, long? before, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await QueryAsync(c, null,
            $"SELECT {RevisionColumns} FROM revisions WHERE program = @p AND revision < @b ORDER BY revision DESC LIMIT @l",
            MapRevision, ct, ("@p", program), ("@b", before ?? long.MaxValue), ("@l", (long)limit));
    }

    public async Task<IReadOnlyDictionary<string, long>> HeadsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await QueryAsync(c, null, "SELECT program, MAX(revision) FROM revisions GROUP BY program",
            r => (r.GetString(0), r.GetInt64(1)), ct);
        return rows.ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
    }

    public async Task<StoredRevision> AppendAsync(RevisionDraft draft, AuditDraft audit, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await BeginWriteAsync(c, ct);
        await using (var cmd = Command(c, tx, "SELECT COALESCE(MAX(revision), 0) FROM revisions WHERE program = @p", ("@p", draft.Program)))
        {
            var head = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            if (head != draft.ExpectedRevision)
            {
                throw new RevisionConflictException(draft.Program, draft.ExpectedRevision, head);
            }
        }
        var stored = new StoredRevision(draft.Program, draft.ExpectedRevision + 1, draft.CreatedAt, draft.Actor, draft.Summary, draft.StateJson);
        await ExecAsync(c, tx,
            "INSERT INTO revisions (program, revision, created_at, actor, summary, state) VALUES (@p, @r, @t, @a, @s, @j)", ct,
            ("@p", stored.Program), ("@r", stored.Revision), ("@t", Iso(stored.CreatedAt)), ("@a", stored.Actor),
            ("@s", stored.Summary), ("@j", stored.StateJson));
        await AppendAuditAsync(c, tx, audit, ct);
        await tx.CommitAsync(ct);
        return stored;
    }

    // ---- audit -----------------------------------------------------------------------------

    private const string AuditColumns = "seq, at, actor, role, action, target, before_json, after_json, outcome, prev_hash, hash";

    private static AuditEntry MapAudit(DbDataReader r) => new()
    {
        Seq = r.GetInt64(0),
        At = ParseIso(r.GetString(1)),
        Actor = r.GetString(2),
        Role = r.GetString(3),
        Action = r.GetString(4),
        Target = r.GetString(5),
        Before = r.IsDBNull(6) ? null : r.GetString(6),
        After = r.IsDBNull(7) ? null : r.GetString(7),
        Outcome = r.GetString(8),
        PrevHash = r.GetString(9),
        Hash = r.GetString(10),
    };

    public async Task<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await BeginWriteAsync(c, ct);
        var entry = await AppendAuditAsync(c, tx, draft, ct);
        await tx.CommitAsync(ct);
        return entry;
    }

    protected static async Task<AuditEntry> AppendAuditAsync(DbConnection c, DbTransaction tx, AuditDraft d, CancellationToken ct)
    {
        var last = await QueryAsync(c, tx, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            r => (Seq: r.GetInt64(0), Hash: r.GetString(1)), ct);
        var seq = last.Count == 0 ? 1 : last[0].Seq + 1;
        var prev = last.Count == 0 ? AuditChain.Genesis : last[0].Hash;
        // Stored at millisecond precision so the hash recomputed from the row matches.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(d.At.ToUnixTimeMilliseconds());
        var hash = AuditChain.ComputeHash(prev, seq, at, d.Actor, d.Role, d.Action, d.Target, d.Before, d.After, d.Outcome);
        await ExecAsync(c, tx,
            $"INSERT INTO audit ({AuditColumns}) VALUES (@seq, @at, @actor, @role, @action, @target, @before, @after, @outcome, @prev, @hash)", ct,
            ("@seq", seq), ("@at", Iso(at)), ("@actor", d.Actor), ("@role", d.Role), ("@action", d.Action), ("@target", d.Target),
            ("@before", d.Before), ("@after", d.After), ("@outcome", d.Outcome), ("@prev", prev), ("@hash", hash));
        return new AuditEntry
        {
            Seq = seq, At = at, Actor = d.Actor, Role = d.Role, Action = d.Action, Target = d.Target,
            Before = d.Before, After = d.After, Outcome = d.Outcome, PrevHash = prev, Hash = hash,
        };
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSeq, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await QueryAsync(c, null, $"SELECT {AuditColumns} FROM audit WHERE seq > @s ORDER BY seq LIMIT @l",
            MapAudit, ct, ("@s", afterSeq), ("@l", (long)limit));
    }

    // ---- tokens ----------------------------------------------------------------------------

    private const string TokenColumns = "id, name, role, hash, created_at, created_by, revoked_at";

    private static TokenRecord MapToken(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseIso(r.GetString(4)), r.GetString(5),
        r.IsDBNull(6) ? null : ParseIso(r.GetString(6)));

    public async Task CreateAsync(TokenRecord token, AuditDraft audit, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await BeginWriteAsync(c, ct);
        await ExecAsync(c, tx, $"INSERT INTO tokens ({TokenColumns}) VALUES (@id, @name, @role, @hash, @at, @by, NULL)", ct,
            ("@id", token.Id), ("@name", token.Name), ("@role", token.Role), ("@hash", token.Hash),
            ("@at", Iso(token.CreatedAt)), ("@by", token.CreatedBy));
        await AppendAuditAsync(c, tx, audit, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<TokenRecord?> FindByHashAsync(string hash, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await QueryAsync(c, null, $"SELECT {TokenColumns} FROM tokens WHERE hash = @h", MapToken, ct, ("@h", hash));
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await QueryAsync(c, null, $"SELECT {TokenColumns} FROM tokens ORDER BY created_at, id", MapToken, ct);
    }

    public async Task<long> RevokedCountAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NOT NULL");
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    public async Task<TokenRecord?> RevokeAsync(string id, DateTimeOffset at, AuditDraft audit, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await BeginWriteAsync(c, ct);
        var n = await ExecAsync(c, tx, "UPDATE tokens SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", ct,
            ("@at", Iso(at)), ("@id", id));
        if (n == 0)
        {
            return null;
        }
        await AppendAuditAsync(c, tx, audit, ct);
        var rows = await QueryAsync(c, tx, $"SELECT {TokenColumns} FROM tokens WHERE id = @id", MapToken, ct, ("@id", id));
        await tx.CommitAsync(ct);
        return rows[0];
    }

    // ---- telemetry -------------------------------------------------------------------------

    /// <summary>Begins a plain transaction (no store-wide lock): telemetry never contends with configuration writes.</summary>
    protected virtual async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(ct);

    public async Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await BeginAsync(c, ct);
        foreach (var e in batch)
        {
            await ExecAsync(c, tx,
                "INSERT INTO telemetry_events (id, received_at, program, instance, type, at, payload) VALUES (@id, @r, @p, @i, @t, @a, @j)", ct,
                ("@id", e.Id), ("@r", Iso(e.ReceivedAt)), ("@p", e.Program), ("@i", e.Instance), ("@t", e.Type), ("@a", Iso(e.At)), ("@j", e.PayloadJson));
        }
        await tx.CommitAsync(ct);
    }

    public async Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = Command(c, null,
            "SELECT COUNT(*) FROM telemetry_events WHERE program = @p AND (@t = '' OR type = @t)", ("@p", program), ("@t", type ?? ""));
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    public async Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        return await QueryAsync(c, null,
            "SELECT id, received_at, program, instance, type, at, payload FROM telemetry_events WHERE program = @p ORDER BY received_at DESC, id LIMIT @l",
            r => new TelemetryRecord(r.GetString(0), ParseIso(r.GetString(1)), r.GetString(2), r.GetString(3), r.GetString(4), ParseIso(r.GetString(5)), r.GetString(6)),
            ct, ("@p", program), ("@l", (long)limit));
    }

    /// <summary>The schema both backends share; each adds its own append-only triggers.</summary>
    protected static readonly string[] CommonSchema =
    [
        """
        CREATE TABLE IF NOT EXISTS revisions (
            program TEXT NOT NULL, revision BIGINT NOT NULL, created_at TEXT NOT NULL, actor TEXT NOT NULL,
            summary TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (program, revision))
        """,
        """
        CREATE TABLE IF NOT EXISTS audit (
            seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL,
            target TEXT NOT NULL, before_json TEXT NULL, after_json TEXT NULL, outcome TEXT NOT NULL,
            prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS tokens (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS telemetry_events (
            id TEXT PRIMARY KEY, received_at TEXT NOT NULL, program TEXT NOT NULL, instance TEXT NOT NULL,
            type TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS telemetry_events_program ON telemetry_events (program, type)",
    ];
}
