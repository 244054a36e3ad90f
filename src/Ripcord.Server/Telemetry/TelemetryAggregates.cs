using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Telemetry;

/// <summary>Which stored buckets a query reads: a program, a resolution, [From, To) by bucket start, and optional dimension filters.</summary>
public sealed record AggregateQuery(
    string Program, AggregateResolution Resolution, DateTimeOffset From, DateTimeOffset To,
    string? Workspace = null, int? Tier = null, string? Cohort = null);

/// <summary>By what a query's rows are grouped besides the bucket.</summary>
public enum AggregateGrouping
{
    None,
    Tier,
    Workspace,
}

/// <summary>One bucket start (and group, when grouped) with its summed measures.</summary>
public sealed record AggregateRow(DateTimeOffset Start, string? Group, BucketMeasures Measures);

/// <summary>
/// The aggregate tables of the telemetry database (migrations telemetry/*/…_aggregates.sql):
/// <see cref="WriteAsync"/> adds buckets inside the caller's transaction (<see cref="TelemetryAggregation"/>'s,
/// a second of group commits at a time); reads sum the buckets of a range.
/// </summary>
public sealed class TelemetryAggregates(Databases databases, TelemetryAggregation aggregation)
{
    /// <summary>The measure columns, in <see cref="Measure"/> order.</summary>
    public static ImmutableArray<string> Columns { get; } = [.. Enum.GetValues<Measure>().Select(m => Snake(m.ToString()))];

    private const string Dimensions = "program, resolution, bucket, workspace, tier, cohort, revision";
    private const long NoFirstEvent = long.MaxValue;

    private static readonly string UpsertBuckets =
        $"INSERT INTO telemetry_buckets ({Dimensions}, {string.Join(", ", Columns)}, first_at) VALUES "
        + $"(@p, @r, @b, @w, @t, @c, @v, {string.Join(", ", Columns.Select((_, i) => $"@m{i}"))}, @f) "
        + $"ON CONFLICT ({Dimensions}) DO UPDATE SET "
        + string.Join(", ", Columns.Select(c => $"{c} = telemetry_buckets.{c} + excluded.{c}"))
        + ", first_at = CASE WHEN excluded.first_at < telemetry_buckets.first_at THEN excluded.first_at ELSE telemetry_buckets.first_at END";

    private static readonly string UpsertLatency =
        $"INSERT INTO telemetry_latency ({Dimensions}, slots) VALUES (@p, @r, @b, @w, @t, @c, @v, @s) "
        + $"ON CONFLICT ({Dimensions}) DO UPDATE SET slots = {MergeFunction}(telemetry_latency.slots, excluded.slots)";

    /// <summary>The SQL function that merges two stored histograms (PostgreSQL: created by its migration; SQLite: registered per connection).</summary>
    public const string MergeFunction = "ripcord_merge_latency";

    private SqlDatabase Db => databases.Telemetry;

    /// <summary>
    /// Adds the buckets to the stored ones, in the caller's transaction: SQL work is one upsert per
    /// distinct bucket (and latency slot), whatever the number of events. Keys go in one order so
    /// two writers (several server nodes on PostgreSQL) take row locks in the same order.
    /// </summary>
    public static async Task WriteAsync(WriteSession session, TelemetryAggregate aggregate, CancellationToken ct)
    {
        if (aggregate.Buckets.IsEmpty)
        {
            return;
        }
        var args = new List<(string, object?)> { ("@p", ""), ("@r", 0L), ("@b", 0L), ("@w", ""), ("@t", 0L), ("@c", ""), ("@v", 0L) };
        args.AddRange(Columns.Select((_, i) => ($"@m{i}", (object?)0L)));
        args.Add(("@f", 0L));
        await using var buckets = Sql.Command(session.Connection, session.Transaction, UpsertBuckets, [.. args]);
        if (session.Connection is Microsoft.Data.Sqlite.SqliteConnection sqlite)
        {
            sqlite.CreateFunction<string?, string?, string>(MergeFunction, LatencyHistogram.MergeEncoded, isDeterministic: true);
        }
        await using var latency = Sql.Command(session.Connection, session.Transaction, UpsertLatency,
            ("@p", ""), ("@r", 0L), ("@b", 0L), ("@w", ""), ("@t", 0L), ("@c", ""), ("@v", 0L), ("@s", ""));
        var ordered = aggregate.Buckets.OrderBy(kv => kv.Key.Program, StringComparer.Ordinal).ThenBy(kv => kv.Key.Resolution)
            .ThenBy(kv => kv.Key.Start).ThenBy(kv => kv.Key.Workspace, StringComparer.Ordinal).ThenBy(kv => kv.Key.Tier)
            .ThenBy(kv => kv.Key.Cohort, StringComparer.Ordinal).ThenBy(kv => kv.Key.Revision);
        foreach (var (key, measures) in ordered)
        {
            Bind(buckets, key);
            for (var i = 0; i < Columns.Length; i++)
            {
                buckets.Parameters[7 + i].Value = measures.Values[i];
            }
            buckets.Parameters[7 + Columns.Length].Value = measures.FirstEventAt is { } first ? Micros(first) : NoFirstEvent;
            await buckets.ExecuteNonQueryAsync(ct);
            if (measures.Latency.Count > 0)
            {
                Bind(latency, key);
                latency.Parameters[7].Value = measures.Latency.Encode();
                await latency.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private static void Bind(DbCommand command, BucketKey key)
    {
        command.Parameters[0].Value = key.Program;
        command.Parameters[1].Value = (long)key.Resolution;
        command.Parameters[2].Value = key.Start.ToUnixTimeSeconds();
        command.Parameters[3].Value = key.Workspace;
        command.Parameters[4].Value = (long)(key.Tier ?? -1);
        command.Parameters[5].Value = key.Cohort;
        command.Parameters[6].Value = key.Revision ?? -1;
    }

    /// <summary>The summed measures per bucket start (and group) in the query's range; latency histograms only when asked for.</summary>
    public async Task<IReadOnlyList<AggregateRow>> ReadAsync(AggregateQuery q, AggregateGrouping grouping, bool withLatency, CancellationToken ct)
    {
        // Every event this node has acknowledged is in the buckets before they are read.
        await aggregation.FlushAsync(ct);
        var (where, args) = Where(q);
        var group = grouping switch
        {
            AggregateGrouping.Tier => "CAST(tier AS TEXT)",
            AggregateGrouping.Workspace => "workspace",
            _ => "''",
        };
        var sql = $"SELECT bucket, {group}, {string.Join(", ", Columns.Select(c => $"SUM({c})"))}, MIN(first_at) FROM telemetry_buckets "
            // PostgreSQL refuses a constant in GROUP BY: ungrouped reads group by the bucket alone.
            + $"WHERE {where} GROUP BY bucket{(grouping == AggregateGrouping.None ? "" : ", " + group)} ORDER BY bucket";
        var rows = await Db.QueryAsync(sql, r =>
        {
            var values = new long[Columns.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Convert.ToInt64(r.GetValue(2 + i), CultureInfo.InvariantCulture);
            }
            var first = Convert.ToInt64(r.GetValue(2 + values.Length), CultureInfo.InvariantCulture);
            var groupValue = r.GetString(1);
            return (Bucket: Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture),
                Group: grouping == AggregateGrouping.None || groupValue is "" or "-1" ? null : groupValue,
                Values: ImmutableArray.Create(values), First: first == NoFirstEvent ? (DateTimeOffset?)null : FromMicros(first));
        }, ct, args);
        var latency = new Dictionary<long, LatencyHistogram>();
        if (withLatency)
        {
            var stored = await Db.QueryAsync($"SELECT bucket, slots FROM telemetry_latency WHERE {where}",
                r => (Bucket: Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), Histogram: LatencyHistogram.Decode(r.GetString(1))), ct, args);
            foreach (var (bucket, histogram) in stored)
            {
                latency[bucket] = latency.TryGetValue(bucket, out var sum) ? sum.Merge(histogram) : histogram;
            }
        }
        return [.. rows.Select(r => new AggregateRow(DateTimeOffset.FromUnixTimeSeconds(r.Bucket), r.Group,
            new BucketMeasures(r.Values, r.First,
                grouping == AggregateGrouping.None && latency.TryGetValue(r.Bucket, out var l) ? l : LatencyHistogram.Empty)))];
    }

    private static (string Where, (string, object?)[] Args) Where(AggregateQuery q)
    {
        var where = new StringBuilder("program = @p AND resolution = @r AND bucket >= @from AND bucket < @to");
        var args = new List<(string, object?)>
        {
            ("@p", q.Program), ("@r", (long)q.Resolution), ("@from", q.From.ToUnixTimeSeconds()), ("@to", q.To.ToUnixTimeSeconds()),
        };
        if (q.Workspace is not null)
        {
            where.Append(" AND workspace = @w");
            args.Add(("@w", q.Workspace));
        }
        if (q.Tier is { } tier)
        {
            where.Append(" AND tier = @t");
            args.Add(("@t", (long)tier));
        }
        if (q.Cohort is not null)
        {
            where.Append(" AND cohort = @c");
            args.Add(("@c", q.Cohort));
        }
        return (where.ToString(), [.. args]);
    }

    /// <summary>Deletes buckets of a resolution that start before the cutoff (with their latency slots).</summary>
    public static async Task<long> PruneAsync(WriteSession session, AggregateResolution resolution, DateTimeOffset cutoff, CancellationToken ct)
    {
        var args = new (string, object?)[] { ("@r", (long)resolution), ("@c", cutoff.ToUnixTimeSeconds()) };
        await session.ExecAsync("DELETE FROM telemetry_latency WHERE resolution = @r AND bucket < @c", ct, args);
        return await session.ExecAsync("DELETE FROM telemetry_buckets WHERE resolution = @r AND bucket < @c", ct, args);
    }

    private static long Micros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static DateTimeOffset FromMicros(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + micros * 10, TimeSpan.Zero);

    private static string Snake(string pascal)
    {
        var text = new StringBuilder();
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('_');
            }
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
