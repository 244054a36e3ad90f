namespace Ripcord.Core.Telemetry;

/// <summary>
/// A program's telemetry totals over one time window, optionally for one cohort: what a stage's
/// exit criteria (SPEC §3) read. <see cref="Operations"/> counts <c>mode</c> events (one per
/// user operation), <see cref="Fallbacks"/> counts <c>fallback</c> events whose decision is not
/// <c>proceed</c>, <see cref="SendFailures"/> counts <c>send</c> events whose outcome is
/// <c>failed</c> or <c>timeout</c>.
/// </summary>
public sealed record WindowFigures(
    DateTimeOffset From,
    DateTimeOffset To,
    long Operations,
    long Fallbacks,
    long Sends,
    long SendFailures,
    long Sessions,
    long Crashes,
    long SecuritySignals,
    DateTimeOffset? FirstEventAt)
{
    public static WindowFigures Empty(DateTimeOffset from, DateTimeOffset to) => new(from, to, 0, 0, 0, 0, 0, 0, 0, null);

    /// <summary>Send failures over sends; null when nothing was sent.</summary>
    public double? ErrorRate => Sends == 0 ? null : (double)SendFailures / Sends;

    /// <summary>Fallbacks over operations; null when there were no operations.</summary>
    public double? FallbackRate => Operations == 0 ? null : (double)Fallbacks / Operations;
}
