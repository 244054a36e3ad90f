using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.RateLimiting;

namespace Ripcord.Server.Auth;

/// <summary>
/// Failed authentications, per client address: each one takes a permit from that address's token
/// bucket (ASP.NET Core's built-in limiter), and an address with none left is answered 429 until
/// the bucket refills. Only failures count, so a client with a valid token is never slowed by it.
/// Failures are logged sampled, at debug: one line for the first and then one per
/// <see cref="LogEvery"/>, carrying the count, so a flood of guesses cannot fill the disk.
/// </summary>
public sealed partial class FailedAuthentications : IDisposable
{
    public const int LogEvery = 10_000;

    public const string MeterName = "Ripcord.Server.Auth";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> FailureCounter = Meter.CreateCounter<long>("ripcord.auth.failures", description: "failed authentications");
    private static readonly Counter<long> ThrottledCounter = Meter.CreateCounter<long>("ripcord.auth.throttled", description: "requests answered 429 after too many failed authentications from one address");

    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly ILogger<FailedAuthentications> _logger;
    private long _failures;
    private long _throttled;

    public FailedAuthentications(ServerOptions options, ILogger<FailedAuthentications> logger)
    {
        _logger = logger;
        var perSecond = Math.Max(1, options.FailedAuthenticationsPerSecond);
        var burst = Math.Max(perSecond, options.FailedAuthenticationsBurst);
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Every failure since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Every failure answered 429 since start.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Counts a failure from <paramref name="address"/>; null when it may be answered 401, otherwise how long it must wait.</summary>
    public TimeSpan? Record(IPAddress? address)
    {
        var failures = Interlocked.Increment(ref _failures);
        FailureCounter.Add(1);
        using var lease = _limiter.AttemptAcquire(address?.ToString() ?? "unknown");
        TimeSpan? wait = null;
        if (!lease.IsAcquired)
        {
            wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1);
            Interlocked.Increment(ref _throttled);
            ThrottledCounter.Add(1);
        }
        if (failures == 1 || failures % LogEvery == 0)
        {
            LogFailures(failures, Throttled);
        }
        return wait;
    }

    public void Dispose() => _limiter.Dispose();

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "{Failures} failed authentications since start, {Throttled} of them answered 429 (sampled: one line per 10,000)")]
    private partial void LogFailures(long failures, long throttled);
}

/// <summary>Set on a request whose address has run out of failed authentications: it is answered 429, not 401.</summary>
public sealed record AuthenticationThrottled(TimeSpan RetryAfter);
