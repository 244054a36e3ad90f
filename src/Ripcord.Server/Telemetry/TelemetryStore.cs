using System.Globalization;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Telemetry;

/// <summary>One SDK telemetry event as stored: raw, for later aggregation.</summary>
public sealed record TelemetryRecord(string Id, DateTimeOffset ReceivedAt, string Program, string Instance, string Type,
    DateTimeOffset At, string PayloadJson);

/// <summary>Raw SDK telemetry. A batch is stored whole or not at all.</summary>
public interface ITelemetryStore
{
    Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default);
    Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default);
    Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default);
}

/// <summary>
/// The telemetry database (its own SQLite file, or its own PostgreSQL pool): a burst of telemetry
/// takes this database's lock and connections, never those a configuration write needs.
/// </summary>
public sealed class TelemetryStore(Databases databases) : ITelemetryStore
{
    private SqlDatabase Db => databases.Telemetry;

    public async Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default)
    {
        await using var session = await Db.BeginWriteAsync(ct);
        // One prepared command, rebound per row: a group commit can hold thousands of events.
        await using var insert = Sql.Command(session.Connection, session.Transaction,
            "INSERT INTO telemetry_events (id, received_at, program, instance, type, at, payload) VALUES (@id, @r, @p, @i, @t, @a, @j)",
            ("@id", ""), ("@r", ""), ("@p", ""), ("@i", ""), ("@t", ""), ("@a", ""), ("@j", ""));
        foreach (var e in batch)
        {
            insert.Parameters[0].Value = e.Id;
            insert.Parameters[1].Value = Db.Time(e.ReceivedAt);
            insert.Parameters[2].Value = e.Program;
            insert.Parameters[3].Value = e.Instance;
            insert.Parameters[4].Value = e.Type;
            insert.Parameters[5].Value = Db.Time(e.At);
            insert.Parameters[6].Value = e.PayloadJson;
            await insert.ExecuteNonQueryAsync(ct);
        }
        await session.CommitAsync(ct);
    }

    public async Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default) =>
        Convert.ToInt64(await Db.ScalarAsync("SELECT COUNT(*) FROM telemetry_events WHERE program = @p AND (@t = '' OR type = @t)", ct,
            ("@p", program), ("@t", type ?? "")), CultureInfo.InvariantCulture);

    public async Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default) =>
        await Db.QueryAsync(
            "SELECT id, received_at, program, instance, type, at, payload FROM telemetry_events WHERE program = @p ORDER BY received_at DESC, id LIMIT @l",
            r => new TelemetryRecord(r.GetString(0), Db.ReadTime(r, 1), r.GetString(2), r.GetString(3), r.GetString(4), Db.ReadTime(r, 5), r.GetString(6)),
            ct, ("@p", program), ("@l", (long)limit));
}
