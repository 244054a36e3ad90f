using System.Globalization;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// One SDK telemetry event as stored, raw. <see cref="Facts"/> is what the validator read of it for
/// aggregation (null for a record read back: it is then parsed from the payload).
/// </summary>
public sealed record TelemetryRecord(string Id, DateTimeOffset ReceivedAt, string Program, string Instance, string Type,
    DateTimeOffset At, string PayloadJson, TelemetryFacts? Facts = null);

/// <summary>Raw SDK telemetry. A batch is stored whole or not at all.</summary>
public interface ITelemetryStore
{
    Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default);
    Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default);
    Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default);
}

/// <summary>
/// The telemetry database (its own SQLite file, or its own PostgreSQL pool): a burst of telemetry
/// takes this database's lock and connections, never those a configuration write needs. A batch's
/// aggregates (docs/telemetry.md) are added in the same transaction as its raw events, so what was
/// acknowledged is counted once, across restarts too.
/// </summary>
public sealed class TelemetryStore(Databases databases, ServerOptions? options = null) : ITelemetryStore
{
    private readonly AggregationOptions _aggregation = (options ?? new ServerOptions()).Telemetry.Aggregation;

    private SqlDatabase Db => databases.Telemetry;

    public async Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default)
    {
        await using var session = await Db.BeginWriteAsync(ct);
        // One prepared command, rebound per row: a group commit can hold thousands of events.
        await using var insert = Sql.Command(session.Connection, session.Transaction,
            "INSERT INTO telemetry_events (id, received_at, program, instance, type, at, payload) VALUES (@id, @r, @p, @i, @t, @a, @j)",
            ("@id", ""), ("@r", ""), ("@p", ""), ("@i", ""), ("@t", ""), ("@a", ""), ("@j", ""));
        // Aggregated in memory first: the SQL below is one upsert per distinct bucket, not per event.
        var aggregator = new TelemetryAggregator(_aggregation);
        foreach (var e in batch)
        {
            aggregator.Add(new TelemetryObservation(e.Program, e.Type, e.At, e.ReceivedAt, e.Facts ?? TelemetryFacts.FromPayload(e.PayloadJson)));
            insert.Parameters[0].Value = e.Id;
            insert.Parameters[1].Value = Db.Time(e.ReceivedAt);
            insert.Parameters[2].Value = e.Program;
            insert.Parameters[3].Value = e.Instance;
            insert.Parameters[4].Value = e.Type;
            insert.Parameters[5].Value = Db.Time(e.At);
            insert.Parameters[6].Value = e.PayloadJson;
            await insert.ExecuteNonQueryAsync(ct);
        }
        await TelemetryAggregates.WriteAsync(session, aggregator.Build(), ct);
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
