using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Revisions;

/// <summary>
/// One stored revision. Every revision but a program's first carries the delta from the one
/// before (<see cref="DeltaJson"/>); some also carry the whole state (<see cref="StateJson"/>, a
/// checkpoint) so that any revision is rebuilt from the nearest checkpoint at or before it.
/// Revisions written before deltas existed are all checkpoints.
/// </summary>
public sealed record RevisionRow(string Program, long Revision, DateTimeOffset CreatedAt, string? Principal, string Actor,
    string Summary, string? Command, string? DeltaJson, string? StateJson, string? Digest)
{
    public bool IsCheckpoint => StateJson is not null;
}

/// <summary>A domain event as stored beside its revision.</summary>
public sealed record StoredEvent(string Program, long Revision, int Seq, string Type, string BodyJson);

/// <summary>The head moved since the writer read it: the write is refused and nothing is stored.</summary>
public sealed class RevisionConflictException(string program, long expected, long actual)
    : Exception($"program '{program}' is at revision {actual}, not {expected}")
{
    public string Program { get; } = program;
    public long Expected { get; } = expected;
    public long Actual { get; } = actual;
}

/// <summary>Numbered, immutable program revisions and the events each one's command emitted.</summary>
public interface IRevisionStore
{
    /// <summary>The program's head revision number as this session sees it (0 when it has none).</summary>
    Task<long> HeadAsync(WriteSession session, string program, CancellationToken ct = default);

    /// <summary>Stores a revision; <see cref="RevisionConflictException"/> when that number is taken.</summary>
    Task AppendAsync(WriteSession session, RevisionRow row, CancellationToken ct = default);

    Task AppendEventsAsync(WriteSession session, IReadOnlyList<StoredEvent> events, CancellationToken ct = default);

    /// <summary>Every program's head revision.</summary>
    Task<IReadOnlyDictionary<string, long>> HeadsAsync(CancellationToken ct = default);

    /// <summary>Newest first, without bodies (delta and state are null).</summary>
    Task<IReadOnlyList<RevisionRow>> ListAsync(string program, long? before, int limit, CancellationToken ct = default);

    /// <summary>One revision with its bodies, or null.</summary>
    Task<RevisionRow?> GetAsync(string program, long revision, CancellationToken ct = default);

    /// <summary>The latest checkpoint at or before <paramref name="revision"/>.</summary>
    Task<RevisionRow?> CheckpointAsync(string program, long revision, CancellationToken ct = default, WriteSession? session = null);

    /// <summary>Revisions after <paramref name="after"/> up to <paramref name="upTo"/>, oldest first, with bodies.</summary>
    Task<IReadOnlyList<RevisionRow>> ChainAsync(string program, long after, long upTo, CancellationToken ct = default, WriteSession? session = null);

    Task<IReadOnlyList<StoredEvent>> EventsAsync(string program, long revision, CancellationToken ct = default);
}

public sealed class RevisionStore(Databases databases) : IRevisionStore
{
    private SqlDatabase Db => databases.Config;

    private const string Meta = "program, revision, created_at, principal, actor, summary, command";
    private const string Full = Meta + ", delta, state, digest";

    private RevisionRow Map(DbDataReader r) => new(
        r.GetString(0), r.GetInt64(1), Db.ReadTime(r, 2), r.NullableString(3), r.GetString(4), r.GetString(5), r.NullableString(6),
        r.FieldCount > 7 ? r.NullableString(7) : null, r.FieldCount > 8 ? r.NullableString(8) : null, r.FieldCount > 9 ? r.NullableString(9) : null);

    public async Task<long> HeadAsync(WriteSession session, string program, CancellationToken ct = default) =>
        Convert.ToInt64(await session.ScalarAsync("SELECT COALESCE(MAX(revision), 0) FROM revisions WHERE program = @p", ct, ("@p", program)),
            CultureInfo.InvariantCulture);

    public async Task AppendAsync(WriteSession session, RevisionRow row, CancellationToken ct = default)
    {
        try
        {
            await session.ExecAsync($"INSERT INTO revisions ({Full}) VALUES (@p, @r, @t, @principal, @a, @s, @c, @d, @j, @g)", ct,
                ("@p", row.Program), ("@r", row.Revision), ("@t", Db.Time(row.CreatedAt)), ("@principal", row.Principal), ("@a", row.Actor),
                ("@s", row.Summary), ("@c", row.Command), ("@d", row.DeltaJson), ("@j", row.StateJson), ("@g", row.Digest));
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            // PostgreSQL has aborted the session's transaction by now: read the head outside it.
            var head = Convert.ToInt64(await Db.ScalarAsync("SELECT COALESCE(MAX(revision), 0) FROM revisions WHERE program = @p", ct,
                ("@p", row.Program)), CultureInfo.InvariantCulture);
            throw new RevisionConflictException(row.Program, row.Revision - 1, head);
        }
    }

    private static bool IsUniqueViolation(DbException ex) => ex switch
    {
        SqliteException s => s.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    public async Task AppendEventsAsync(WriteSession session, IReadOnlyList<StoredEvent> events, CancellationToken ct = default)
    {
        foreach (var e in events)
        {
            await session.ExecAsync("INSERT INTO events (program, revision, seq, type, body) VALUES (@p, @r, @s, @t, @b)", ct,
                ("@p", e.Program), ("@r", e.Revision), ("@s", e.Seq), ("@t", e.Type), ("@b", e.BodyJson));
        }
    }

    public async Task<IReadOnlyDictionary<string, long>> HeadsAsync(CancellationToken ct = default)
    {
        var rows = await Db.QueryAsync("SELECT program, MAX(revision) FROM revisions GROUP BY program", r => (r.GetString(0), r.GetInt64(1)), ct);
        return rows.ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<RevisionRow>> ListAsync(string program, long? before, int limit, CancellationToken ct = default) =>
        await Db.QueryAsync($"SELECT {Meta} FROM revisions WHERE program = @p AND revision < @b ORDER BY revision DESC LIMIT @l",
            Map, ct, ("@p", program), ("@b", before ?? long.MaxValue), ("@l", (long)limit));

    public async Task<RevisionRow?> GetAsync(string program, long revision, CancellationToken ct = default) =>
        (await Db.QueryAsync($"SELECT {Full} FROM revisions WHERE program = @p AND revision = @r", Map, ct, ("@p", program), ("@r", revision)))
        .FirstOrDefault();

    public async Task<RevisionRow?> CheckpointAsync(string program, long revision, CancellationToken ct = default, WriteSession? session = null) =>
        (await QueryAsync(session,
            $"SELECT {Full} FROM revisions WHERE program = @p AND revision <= @r AND state IS NOT NULL ORDER BY revision DESC LIMIT 1",
            ct, ("@p", program), ("@r", revision))).FirstOrDefault();

    public async Task<IReadOnlyList<RevisionRow>> ChainAsync(string program, long after, long upTo, CancellationToken ct = default, WriteSession? session = null) =>
        await QueryAsync(session, $"SELECT {Full} FROM revisions WHERE program = @p AND revision > @a AND revision <= @u ORDER BY revision",
            ct, ("@p", program), ("@a", after), ("@u", upTo));

    public async Task<IReadOnlyList<StoredEvent>> EventsAsync(string program, long revision, CancellationToken ct = default) =>
        await Db.QueryAsync("SELECT program, revision, seq, type, body FROM events WHERE program = @p AND revision = @r ORDER BY seq",
            r => new StoredEvent(r.GetString(0), r.GetInt64(1), r.GetInt32(2), r.GetString(3), r.GetString(4)), ct, ("@p", program), ("@r", revision));

    private Task<List<RevisionRow>> QueryAsync(WriteSession? session, string sql, CancellationToken ct, params (string, object?)[] args) =>
        session is null ? Db.QueryAsync(sql, Map, ct, args) : session.QueryAsync(sql, Map, ct, args);
}
