using System.Globalization;
using System.Text;
using System.Text.Json;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// One SDK telemetry event as stored, raw. <see cref="Facts"/> is what the validator read of it for
/// aggregation (null for a record read back: it is then parsed from the payload).
/// </summary>
public sealed record TelemetryRecord(DateTimeOffset ReceivedAt, string Program, string Instance, string Type,
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
/// takes this database's lock and connections, never those a configuration write needs. Events are
/// kept as they were accepted, one row per batch (its validated events as a JSON array): a row per
/// event made SQLite's inserts the ceiling of ingest. Each batch is stored marked unaggregated, and
/// its aggregate (docs/telemetry.md) is handed to <see cref="TelemetryAggregation"/> once committed,
/// which adds a second's worth of batches to the buckets at a time: what was acknowledged is counted
/// exactly once, across restarts too.
/// </summary>
public sealed class TelemetryStore(Databases databases, TelemetryAggregation aggregation, ServerOptions? options = null) : ITelemetryStore
{
    private readonly AggregationOptions _aggregation = (options ?? new ServerOptions()).Telemetry.Aggregation;

    private SqlDatabase Db => databases.Telemetry;

    public async Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default)
    {
        await using var session = await Db.BeginWriteAsync(ct);
        // One prepared command, rebound per row: a group commit can hold hundreds of batches.
        await using var insert = Sql.Command(session.Connection, session.Transaction,
            "INSERT INTO telemetry_batches (received_at, program, instance, events, payload) VALUES (@r, @p, @i, @n, @j) RETURNING id",
            ("@r", ""), ("@p", ""), ("@i", ""), ("@n", 0), ("@j", ""));
        var payload = new StringBuilder();
        // Aggregated here, on the writer, and added to the buckets later (TelemetryAggregation) with other commits'.
        var aggregator = new TelemetryAggregator(_aggregation);
        var ids = new List<long>();
        for (var start = 0; start < batch.Count;)
        {
            // The events of one posted batch arrive together: same instance, program and arrival time.
            var first = batch[start];
            var end = start + 1;
            while (end < batch.Count && batch[end].Instance == first.Instance && batch[end].Program == first.Program
                && batch[end].ReceivedAt == first.ReceivedAt)
            {
                end++;
            }
            payload.Clear().Append('[');
            for (var i = start; i < end; i++)
            {
                var e = batch[i];
                aggregator.Add(new TelemetryObservation(e.Program, e.Type, e.At, e.ReceivedAt, e.Facts ?? TelemetryFacts.FromPayload(e.PayloadJson)));
                payload.Append(i > start ? "," : "").Append(e.PayloadJson);
            }
            payload.Append(']');
            insert.Parameters[0].Value = Db.Time(first.ReceivedAt);
            insert.Parameters[1].Value = first.Program;
            insert.Parameters[2].Value = first.Instance;
            insert.Parameters[3].Value = end - start;
            insert.Parameters[4].Value = payload.ToString();
            ids.Add(Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture));
            start = end;
        }
        await aggregation.MarkAsync(session, ids, ct);
        var aggregate = aggregator.Build();
        session.OnCommitted(() => aggregation.Committed(ids, aggregate));
        await session.CommitAsync(ct);
    }

    public async Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default)
    {
        if (type is null)
        {
            return Convert.ToInt64(await Db.ScalarAsync("SELECT COALESCE(SUM(events), 0) FROM telemetry_batches WHERE program = @p", ct,
                ("@p", program)), CultureInfo.InvariantCulture);
        }
        var events = Db.Dialect == SqlDialect.Sqlite
            ? "SELECT COUNT(*) FROM telemetry_batches b, json_each(b.payload) e WHERE b.program = @p AND json_extract(e.value, '$.type') = @t"
            : "SELECT COUNT(*) FROM telemetry_batches b, jsonb_array_elements(b.payload::jsonb) e WHERE b.program = @p AND e->>'type' = @t";
        return Convert.ToInt64(await Db.ScalarAsync(events, ct, ("@p", program), ("@t", type)), CultureInfo.InvariantCulture);
    }

    /// <summary>The newest <paramref name="limit"/> events of a program, newest batch first, each batch's events in the order sent.</summary>
    public async Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default)
    {
        var batches = await Db.QueryAsync(
            "SELECT received_at, instance, payload FROM telemetry_batches WHERE program = @p ORDER BY id DESC LIMIT @l",
            r => (ReceivedAt: Db.ReadTime(r, 0), Instance: r.GetString(1), Payload: r.GetString(2)),
            ct, ("@p", program), ("@l", (long)limit));
        var records = new List<TelemetryRecord>();
        foreach (var b in batches)
        {
            using var events = JsonDocument.Parse(b.Payload);
            foreach (var e in events.RootElement.EnumerateArray())
            {
                if (records.Count == limit)
                {
                    return records;
                }
                records.Add(new TelemetryRecord(b.ReceivedAt, program, b.Instance,
                    e.GetProperty("type").GetString()!, e.GetProperty("at").GetDateTimeOffset(), e.GetRawText()));
            }
        }
        return records;
    }
}
