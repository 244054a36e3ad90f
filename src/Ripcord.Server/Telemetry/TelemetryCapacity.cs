using System.Globalization;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Telemetry;

/// <summary>Why telemetry is not being stored right now: a code for the counters, words for the SDK.</summary>
public sealed record TelemetryRefusal(string Code, string Detail);

/// <summary>
/// Keeps the telemetry store from growing without end and from taking the disk the configuration
/// needs: deletes events older than <see cref="TelemetryLimits.Retention"/>, trims the oldest when
/// the store holds more than <see cref="TelemetryLimits.MaxStoredEvents"/>, and refuses telemetry
/// while the store is at its cap or the data volume has less than
/// <see cref="TelemetryLimits.ReservedFreeBytes"/> free — that room is the control plane's.
/// </summary>
public sealed partial class TelemetryCapacity(Databases databases, ServerOptions options, TimeProvider clock, ILogger<TelemetryCapacity> log)
    : BackgroundService
{
    private static readonly TimeSpan FreeSpaceCheckEvery = TimeSpan.FromSeconds(1);

    // Ingest at full speed writes tens of MB a second: within this much of the reserve, the free space is looked up
    // on every batch (one statvfs call), so a volume cannot fill between two once-a-second looks.
    private const long CloseToTheReserve = 256L * 1024 * 1024;

    private readonly TelemetryLimits _limits = options.Telemetry;
    private long _stored = -1;
    private long _freeBytes = long.MaxValue;
    private long _freeCheckedAt = -(long)FreeSpaceCheckEvery.TotalMilliseconds;

    private SqlDatabase Db => databases.Telemetry;

    /// <summary>Why telemetry cannot be stored now, or null when it can.</summary>
    public TelemetryRefusal? Refusal()
    {
        if (Interlocked.Read(ref _stored) >= _limits.MaxStoredEvents)
        {
            return new("store-full", $"the telemetry store holds its limit of {_limits.MaxStoredEvents} events; older events are being deleted");
        }
        if (FreeBytes() < _limits.ReservedFreeBytes)
        {
            return new("disk-reserve", "the data volume is nearly full; its remaining space is kept for configuration writes");
        }
        return null;
    }

    /// <summary>Events just stored.</summary>
    public void Added(int events) => Interlocked.Add(ref _stored, events);

    /// <summary>
    /// Free bytes on the SQLite data volume: looked up at most once a second while there is plenty, on every
    /// call when it is close to the reserve; unlimited on PostgreSQL (its disk is not ours to see).
    /// </summary>
    private long FreeBytes()
    {
        if (Db is not SqliteDatabase sqlite)
        {
            return long.MaxValue;
        }
        var now = Environment.TickCount64;
        var close = Interlocked.Read(ref _freeBytes) < _limits.ReservedFreeBytes + CloseToTheReserve;
        if (close || now - Interlocked.Read(ref _freeCheckedAt) >= FreeSpaceCheckEvery.TotalMilliseconds)
        {
            try
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(sqlite.Path))!;
                Interlocked.Exchange(ref _freeBytes, new DriveInfo(directory).AvailableFreeSpace);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Interlocked.Exchange(ref _freeBytes, long.MaxValue); // cannot tell: do not refuse on a guess
            }
            Interlocked.Exchange(ref _freeCheckedAt, now);
        }
        return Interlocked.Read(ref _freeBytes);
    }

    /// <summary>One retention pass: what is older than the retention goes, then the oldest beyond 90% of the cap; aggregate buckets past their resolution's retention go too.</summary>
    public async Task<long> PruneAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var cutoff = _limits.Retention < now - DateTimeOffset.MinValue ? now - _limits.Retention : DateTimeOffset.MinValue;
        long deleted;
        await using (var session = await Db.BeginWriteAsync(ct))
        {
            deleted = Convert.ToInt64(await session.ScalarAsync("SELECT COALESCE(SUM(events), 0) FROM telemetry_batches WHERE received_at < @c", ct,
                ("@c", Db.Time(cutoff))), CultureInfo.InvariantCulture);
            await session.ExecAsync("DELETE FROM telemetry_batches WHERE received_at < @c", ct, ("@c", Db.Time(cutoff)));
            var count = Convert.ToInt64(await session.ScalarAsync("SELECT COALESCE(SUM(events), 0) FROM telemetry_batches", ct), CultureInfo.InvariantCulture);
            // Down to 90%, not to the cap: ingest resumes with room, rather than flapping at the limit.
            var excess = count - _limits.MaxStoredEvents * 9 / 10;
            if (count >= _limits.MaxStoredEvents && excess > 0)
            {
                // The oldest whole batches that hold at least the excess.
                var oldest = await Sql.QueryAsync(session.Connection, session.Transaction,
                    "SELECT id, events FROM telemetry_batches ORDER BY id LIMIT @n", r => (Id: r.GetInt64(0), Events: r.GetInt64(1)), ct, ("@n", excess));
                long cut = 0, trimmed = 0;
                foreach (var (id, events) in oldest)
                {
                    (cut, trimmed) = (id, trimmed + events);
                    if (trimmed >= excess)
                    {
                        break;
                    }
                }
                await session.ExecAsync("DELETE FROM telemetry_batches WHERE id <= @cut", ct, ("@cut", cut));
                deleted += trimmed;
                count -= trimmed;
            }
            // A batch pruned before it was aggregated (only when aggregation has failed for days, or the cap cut it) is not counted.
            await session.ExecAsync("DELETE FROM telemetry_unaggregated WHERE batch_id NOT IN (SELECT id FROM telemetry_batches)", ct);
            // Aggregates keep their own retention per resolution (they are not counted against the event cap).
            foreach (var (resolution, retention) in new[]
            {
                (AggregateResolution.Minute, _limits.MinuteRetention), (AggregateResolution.Hour, _limits.HourRetention),
                (AggregateResolution.Day, _limits.DayRetention),
            })
            {
                await TelemetryAggregates.PruneAsync(session, resolution, retention < now - DateTimeOffset.UnixEpoch ? now - retention : DateTimeOffset.UnixEpoch, ct);
            }
            await session.CommitAsync(ct);
            Interlocked.Exchange(ref _stored, count);
        }
        if (deleted > 0)
        {
            LogPruned(deleted);
        }
        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PruneAsync(stoppingToken);
                await Task.Delay(_limits.PruneInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                LogPruneFailed(ex);
                await Task.Delay(_limits.PruneInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "telemetry retention deleted {Events} events")]
    private partial void LogPruned(long events);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "telemetry retention failed; retrying at the next interval")]
    private partial void LogPruneFailed(Exception ex);
}
