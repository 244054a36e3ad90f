using System.Globalization;
using System.Text;
using System.Text.Json;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// Adds stored telemetry batches to the aggregate buckets, a second's worth at a time rather than
/// one group commit at a time: a second of ingest at full speed is hundreds of group commits over
/// the same few thousand buckets, and upserting every bucket on every commit was what held ingest
/// back. Exactly once, across crashes and nodes: ingest stores each batch with a row in
/// <c>telemetry_unaggregated</c>, and the transaction that adds a batch to the buckets deletes that
/// row — a batch is counted by whoever deletes its row, and only if it did.
/// <para>What this node stored is aggregated from memory (the validator's facts, kept after the
/// commit); batches left over by a crash or by another node that stopped are read back from the
/// store — all of them on start, afterwards those older than <see cref="RecoverAfter"/>.
/// Reads through <see cref="TelemetryAggregates"/> flush first, so a node's figures include every
/// event it has acknowledged; another node's show within about a second.</para>
/// </summary>
public sealed partial class TelemetryAggregation(Databases databases, ServerOptions options, TimeProvider clock,
    ILogger<TelemetryAggregation> log) : BackgroundService
{
    /// <summary>How often what this node stored is added to the buckets.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>An unaggregated batch this old is read back and counted by any node (its own node stopped, or failed to add it).</summary>
    public static readonly TimeSpan RecoverAfter = TimeSpan.FromMinutes(2);

    private const int RecoverPage = 200;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AggregationOptions _aggregation = options.Telemetry.Aggregation;
    private List<long> _ids = [];
    private TelemetryAggregate _pending = TelemetryAggregate.Empty;

    private SqlDatabase Db => databases.Telemetry;

    /// <summary>Batches this node stored and has not yet added to the buckets.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _ids.Count;
            }
        }
    }

    /// <summary>Inserts the unaggregated marks of batches being stored, in the storing transaction.</summary>
    public async Task MarkAsync(WriteSession session, IReadOnlyList<long> batchIds, CancellationToken ct)
    {
        await using var mark = Sql.Command(session.Connection, session.Transaction,
            "INSERT INTO telemetry_unaggregated (batch_id) VALUES (@b)", ("@b", 0L));
        foreach (var id in batchIds)
        {
            mark.Parameters[0].Value = id;
            await mark.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Keeps the aggregate of batches just committed, to be added to the buckets by the next flush.</summary>
    public void Committed(IReadOnlyList<long> batchIds, TelemetryAggregate aggregate)
    {
        lock (_gate)
        {
            _ids.AddRange(batchIds);
            _pending = _pending.Buckets.IsEmpty ? aggregate : _pending.Merge(aggregate);
        }
    }

    /// <summary>For tests: forgets what this node stored and has not added yet — what a crash loses; the batches stay marked.</summary>
    internal void Abandon()
    {
        lock (_gate)
        {
            (_ids, _pending) = ([], TelemetryAggregate.Empty);
        }
    }

    /// <summary>
    /// Adds everything this node has stored so far to the buckets (after the start-up recovery). When the
    /// transaction fails, or another node counted some of these batches first, nothing of it is kept: the
    /// batches stay marked, and the recovery reads them back.
    /// </summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _recovered.Task.WaitAsync(ct);
        await _flushing.WaitAsync(ct);
        try
        {
            List<long> ids;
            TelemetryAggregate aggregate;
            lock (_gate)
            {
                (ids, aggregate) = (_ids, _pending);
                (_ids, _pending) = ([], TelemetryAggregate.Empty);
            }
            if (ids.Count == 0)
            {
                return;
            }
            try
            {
                if (!await ClaimAndAddAsync(ids, aggregate, ct))
                {
                    LogClaimedElsewhere(ids.Count);
                }
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                LogFlushFailed(ids.Count, ex.GetType().Name);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Reads back and counts the marked batches received at or before <paramref name="storedBy"/>; returns how many it counted.</summary>
    public async Task<long> RecoverAsync(DateTimeOffset storedBy, CancellationToken ct)
    {
        long counted = 0;
        long after = 0;
        while (true)
        {
            var page = await Db.QueryAsync(
                "SELECT b.id, b.received_at, b.program, b.payload FROM telemetry_unaggregated u JOIN telemetry_batches b ON b.id = u.batch_id "
                + "WHERE b.id > @after AND b.received_at <= @by ORDER BY b.id LIMIT @n",
                r => (Id: r.GetInt64(0), ReceivedAt: Db.ReadTime(r, 1), Program: r.GetString(2), Payload: r.GetString(3)),
                ct, ("@after", after), ("@by", Db.Time(storedBy)), ("@n", (long)RecoverPage));
            if (page.Count == 0)
            {
                return counted;
            }
            var aggregator = new TelemetryAggregator(_aggregation);
            foreach (var batch in page)
            {
                using var events = JsonDocument.Parse(batch.Payload);
                foreach (var e in events.RootElement.EnumerateArray())
                {
                    var raw = e.GetRawText();
                    aggregator.Add(new TelemetryObservation(batch.Program, e.GetProperty("type").GetString()!,
                        e.GetProperty("at").GetDateTimeOffset(), batch.ReceivedAt, TelemetryFacts.FromPayload(raw)));
                }
            }
            var ids = page.Select(b => b.Id).ToList();
            if (await ClaimAndAddAsync(ids, aggregator.Build(), ct))
            {
                counted += ids.Count;
            }
            after = ids[^1];
        }
    }

    /// <summary>In one transaction: deletes the batches' marks and, only if every one was still there, adds the aggregate.</summary>
    private async Task<bool> ClaimAndAddAsync(List<long> ids, TelemetryAggregate aggregate, CancellationToken ct)
    {
        await using var session = await Db.BeginWriteAsync(ct);
        var claimed = Db.Dialect == SqlDialect.Sqlite
            ? await session.ExecAsync("DELETE FROM telemetry_unaggregated WHERE batch_id IN (SELECT value FROM json_each(@ids))", ct,
                ("@ids", Json(ids)))
            : await session.ExecAsync("DELETE FROM telemetry_unaggregated WHERE batch_id = ANY(@ids)", ct, ("@ids", ids.ToArray()));
        if (claimed != ids.Count)
        {
            // Someone else counted some of them (or they were pruned): count none here; what is still marked is recovered.
            return false;
        }
        await TelemetryAggregates.WriteAsync(session, aggregate, ct);
        await session.CommitAsync(ct);
        return true;
    }

    private static string Json(List<long> ids)
    {
        var text = new StringBuilder(ids.Count * 8).Append('[');
        for (var i = 0; i < ids.Count; i++)
        {
            text.Append(i == 0 ? "" : ",").Append(ids[i].ToString(CultureInfo.InvariantCulture));
        }
        return text.Append(']').ToString();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = clock.GetUtcNow();
        try
        {
            // What an earlier run of this node (or a node that is gone) stored and never counted.
            await RetryAsync(() => RecoverAsync(started, stoppingToken), stoppingToken);
        }
        finally
        {
            _recovered.TrySetResult();
        }
        var lastRecovery = started;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(FlushInterval, clock, stoppingToken);
                await FlushAsync(stoppingToken);
                var now = clock.GetUtcNow();
                if (now - lastRecovery >= RecoverAfter)
                {
                    lastRecovery = now;
                    await RecoverAsync(now - RecoverAfter, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException or JsonException)
            {
                LogFlushFailed(Pending, ex.GetType().Name);
            }
        }
    }

    private async Task RetryAsync(Func<Task<long>> recover, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await recover();
                return;
            }
            catch (Exception ex) when (attempt < 3 && ex is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                LogFlushFailed(0, ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, ct);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException or JsonException)
            {
                // Reads still answer; what is left marked is counted by the periodic recovery.
                LogFlushFailed(0, ex.GetType().Name);
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What this node acknowledged is counted now rather than by the next start's recovery.
        if (_recovered.Task.IsCompleted)
        {
            try
            {
                await FlushAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adding {Batches} telemetry batches to the aggregates failed ({Error}); they stay marked and are counted by the recovery")]
    private partial void LogFlushFailed(int batches, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Batches} telemetry batches were counted by another node first; what is left of them is counted by the recovery")]
    private partial void LogClaimedElsewhere(int batches);
}
