using System.Diagnostics;

namespace Ripcord.Server.Storage;

/// <summary>
/// /readyz's write probe (<see cref="SqlDatabase.ProbeWriteAsync"/>), which takes the configuration
/// database's write lock for a moment. The endpoint is anonymous, so probes run one at a time and a
/// success is reused for a second: a flood of /readyz costs at most one tiny commit at a time and
/// cannot queue in front of a kill-switch write. A failure is never reused, so readiness returns
/// as soon as storage does. (Real elapsed time, not the injected clock: this throttles real I/O.)
/// </summary>
public sealed class ReadinessProbe(Databases databases, TimeProvider clock) : IDisposable
{
    private static readonly TimeSpan ReuseReadyFor = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _one = new(1, 1);
    private long _readyAt = long.MinValue / 2;

    /// <summary>Null when the configuration store takes a write; otherwise why not.</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        if (RecentlyReady())
        {
            return null;
        }
        await _one.WaitAsync(ct);
        try
        {
            if (RecentlyReady())
            {
                return null; // probed by the caller ahead of this one
            }
            var why = await databases.Config.ProbeWriteAsync(clock.GetUtcNow(), ct);
            if (why is null)
            {
                Interlocked.Exchange(ref _readyAt, Stopwatch.GetTimestamp());
            }
            return why;
        }
        finally
        {
            _one.Release();
        }
    }

    private bool RecentlyReady() => Stopwatch.GetElapsedTime(Interlocked.Read(ref _readyAt)) < ReuseReadyFor;

    public void Dispose() => _one.Dispose();
}
