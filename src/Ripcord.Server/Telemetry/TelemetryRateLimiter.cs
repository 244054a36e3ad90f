using System.Threading.RateLimiting;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// Per-key telemetry rate: a token bucket of events per SDK key (token id), refilled every second,
/// so one key — leaked, or a buggy fleet — cannot grow the telemetry store faster than
/// <see cref="TelemetryLimits.EventsPerSecondPerKey"/>. A batch costs one permit per event (at least one).
/// </summary>
public sealed class TelemetryRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public TelemetryRateLimiter(ServerOptions options)
    {
        var limits = options.Telemetry;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst,
            TokensPerPeriod = Math.Max(1, limits.EventsPerSecondPerKey),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Nothing left in the key's bucket: refuse before reading the body.</summary>
    public bool IsExhausted(string key) => _limiter.GetStatistics(key) is { CurrentAvailablePermits: <= 0 };

    /// <summary>Takes one permit per event; when refused, how long until the bucket holds enough again.</summary>
    public (bool Acquired, TimeSpan RetryAfter) TryAcquire(string key, int events)
    {
        using var lease = _limiter.AttemptAcquire(key, Math.Max(1, events));
        return lease.IsAcquired
            ? (true, TimeSpan.Zero)
            : (false, lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(1));
    }

    public void Dispose() => _limiter.Dispose();
}
