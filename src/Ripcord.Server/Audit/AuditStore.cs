using Ripcord.Core.Audit;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Audit;

/// <summary>An audit event to append; the store assigns its sequence number and chain hashes.</summary>
public sealed record AuditDraft(DateTimeOffset At, string? Principal, string Actor, string Role, AuditAction Action, string Target,
    string? Before, string? After, string Outcome = "ok");

/// <summary>The append-only, hash-chained audit log.</summary>
public interface IAuditLog
{
    /// <summary>Appends in a transaction of its own: an audit row that stands alone (a refusal, a grant).</summary>
    Task<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken ct = default);

    /// <summary>Appends inside a write that stores more (a revision, a token): committed with it, or not at all.</summary>
    Task<AuditEntry> AppendAsync(WriteSession session, AuditDraft draft, CancellationToken ct = default);

    /// <summary>Entries with Seq &gt; <paramref name="afterSeq"/>, oldest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSeq, int limit, CancellationToken ct = default);

    /// <summary>The newest <paramref name="limit"/> entries (at or after <paramref name="since"/>), newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadLatestAsync(int limit, DateTimeOffset? since, CancellationToken ct = default);

    /// <summary>The newest <paramref name="limit"/> entries that match <paramref name="filter"/> with Seq &lt; <paramref name="beforeSeq"/> (when given), newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditFilter filter, long? beforeSeq, int limit, CancellationToken ct = default);
}

/// <summary>
/// What to look for in the audit log: an actor's name and an action's name exactly (e.g. <c>rollback.start</c>), and a target
/// by its beginning (<c>revision:groups/</c>, <c>freeze:groups</c>); each left empty matches everything.
/// </summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? Target = null);

/// <summary>
/// The audit table of the configuration database. Rows are chained under the write lock (the
/// session holds it), and the database itself refuses UPDATE and DELETE (triggers).
/// </summary>
public sealed class AuditStore(Databases databases) : IAuditLog
{
    private SqlDatabase Db => databases.Config;

    private const string Columns = "seq, at, actor, role, action, target, before_json, after_json, outcome, prev_hash, hash, principal";

    private AuditEntry Map(System.Data.Common.DbDataReader r) => new()
    {
        Seq = r.GetInt64(0),
        At = Db.ReadTime(r, 1),
        Actor = r.GetString(2),
        Role = r.GetString(3),
        Action = r.GetString(4),
        Target = r.GetString(5),
        Before = r.NullableString(6),
        After = r.NullableString(7),
        Outcome = r.GetString(8),
        PrevHash = r.GetString(9),
        Hash = r.GetString(10),
        Principal = r.NullableString(11),
    };

    public async Task<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken ct = default)
    {
        await using var session = await Db.BeginWriteAsync(ct);
        var entry = await AppendAsync(session, draft, ct);
        await session.CommitAsync(ct);
        return entry;
    }

    public async Task<AuditEntry> AppendAsync(WriteSession session, AuditDraft d, CancellationToken ct = default)
    {
        var last = await session.QueryAsync("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            r => (Seq: r.GetInt64(0), Hash: r.GetString(1)), ct);
        var seq = last.Count == 0 ? 1 : last[0].Seq + 1;
        var prev = last.Count == 0 ? AuditChain.Genesis : last[0].Hash;
        // Kept to the millisecond, so the hash recomputed from the stored row matches.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(d.At.ToUnixTimeMilliseconds());
        var action = d.Action.Name;
        var hash = AuditChain.ComputeHash(prev, seq, at, d.Actor, d.Role, action, d.Target, d.Before, d.After, d.Outcome, d.Principal);
        await session.ExecAsync(
            $"INSERT INTO audit ({Columns}) VALUES (@seq, @at, @actor, @role, @action, @target, @before, @after, @outcome, @prev, @hash, @principal)", ct,
            ("@seq", seq), ("@at", Db.Time(at)), ("@actor", d.Actor), ("@role", d.Role), ("@action", action), ("@target", d.Target),
            ("@before", d.Before), ("@after", d.After), ("@outcome", d.Outcome), ("@prev", prev), ("@hash", hash), ("@principal", d.Principal));
        return new AuditEntry
        {
            Seq = seq, At = at, Actor = d.Actor, Role = d.Role, Action = action, Target = d.Target,
            Before = d.Before, After = d.After, Outcome = d.Outcome, PrevHash = prev, Hash = hash, Principal = d.Principal,
        };
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSeq, int limit, CancellationToken ct = default) =>
        await Db.QueryAsync($"SELECT {Columns} FROM audit WHERE seq > @s ORDER BY seq LIMIT @l", Map, ct, ("@s", afterSeq), ("@l", (long)limit));

    public async Task<IReadOnlyList<AuditEntry>> ReadLatestAsync(int limit, DateTimeOffset? since, CancellationToken ct = default) =>
        since is { } from
            ? await Db.QueryAsync($"SELECT {Columns} FROM audit WHERE at >= @since ORDER BY seq DESC LIMIT @l", Map, ct, ("@since", Db.Time(from)), ("@l", (long)limit))
            : await Db.QueryAsync($"SELECT {Columns} FROM audit ORDER BY seq DESC LIMIT @l", Map, ct, ("@l", (long)limit));

    public async Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditFilter filter, long? beforeSeq, int limit, CancellationToken ct = default)
    {
        var where = new List<string>();
        var args = new List<(string, object?)> { ("@l", (long)limit) };
        if (beforeSeq is { } before)
        {
            where.Add("seq < @before");
            args.Add(("@before", before));
        }
        if (!string.IsNullOrEmpty(filter.Actor))
        {
            where.Add("actor = @actor");
            args.Add(("@actor", filter.Actor));
        }
        if (!string.IsNullOrEmpty(filter.Action))
        {
            where.Add("action = @action");
            args.Add(("@action", filter.Action));
        }
        if (!string.IsNullOrEmpty(filter.Target))
        {
            // A prefix, with LIKE's own characters escaped: the same answer on SQLite and PostgreSQL.
            where.Add("target LIKE @target ESCAPE '\\'");
            args.Add(("@target", filter.Target.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                .Replace("_", "\\_", StringComparison.Ordinal) + "%"));
        }
        var clause = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where) + " ";
        return await Db.QueryAsync($"SELECT {Columns} FROM audit {clause}ORDER BY seq DESC LIMIT @l", Map, ct, [.. args]);
    }
}
