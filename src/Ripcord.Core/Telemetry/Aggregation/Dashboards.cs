using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace Ripcord.Core.Telemetry.Aggregation;

/// <summary>The five dashboards of the seed (§15), as named in the API and the CLI.</summary>
public enum Dashboard
{
    /// <summary><c>mode-adoption</c>: operations on secure vs baseline transport, by tier.</summary>
    ModeAdoption,
    /// <summary><c>fallback-rate</c>: fallbacks (decisions other than proceed) over operations, by workspace.</summary>
    FallbackRate,
    /// <summary><c>send-latency</c>: ack latency p50/p95/p99 and the failure rate of sends.</summary>
    SendLatency,
    /// <summary><c>divergence</c>: projection divergence events and their summed count.</summary>
    Divergence,
    /// <summary><c>crash-free</c>: crash-free sessions, 1 − crashes/sessions.</summary>
    CrashFree,
}

/// <summary>
/// A dashboard's figures for one step (or the whole range). Only the figures of the dashboard
/// asked for are set; a rate or share is left out when its denominator is 0.
/// </summary>
public sealed record DashboardFigures
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Operations { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Secure { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Baseline { get; init; }
    /// <summary>Secure over secure + baseline.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? SecureShare { get; init; }
    /// <summary>Fallback events whose decision is not <c>proceed</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Fallbacks { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? FallbackAuto { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? FallbackPrompt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Blocked { get; init; }
    /// <summary>Fallbacks over operations.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? FallbackRate { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Sends { get; init; }
    /// <summary>Sends whose outcome is <c>failed</c> or <c>timeout</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Failures { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? FailureRate { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? P50Ms { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? P95Ms { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? P99Ms { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Divergences { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? DivergenceCount { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Sessions { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Crashes { get; init; }
    /// <summary>1 − crashes/sessions (never below 0).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? CrashFree { get; init; }
}

/// <summary>What each dashboard reads of summed bucket measures: a pure function, the same for a step and for the totals.</summary>
public static class Dashboards
{
    private static readonly FrozenDictionary<string, Dashboard> ByName = Enum.GetValues<Dashboard>().ToFrozenDictionary(Name, StringComparer.Ordinal);

    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<Dashboard>().Select(Name)];

    public static string Name(Dashboard dashboard) => dashboard switch
    {
        Dashboard.ModeAdoption => "mode-adoption",
        Dashboard.FallbackRate => "fallback-rate",
        Dashboard.SendLatency => "send-latency",
        Dashboard.Divergence => "divergence",
        _ => "crash-free",
    };

    public static bool TryParse(string? name, [NotNullWhen(true)] out Dashboard? dashboard)
    {
        dashboard = name is not null && ByName.TryGetValue(name, out var d) ? d : null;
        return dashboard is not null;
    }

    private static double? Ratio(long part, long whole) => whole == 0 ? null : (double)part / whole;

    public static DashboardFigures Figures(Dashboard dashboard, BucketMeasures m) => dashboard switch
    {
        Dashboard.ModeAdoption => new()
        {
            Operations = m[Measure.Modes], Secure = m[Measure.ModesSecure], Baseline = m[Measure.ModesBaseline],
            SecureShare = Ratio(m[Measure.ModesSecure], m[Measure.ModesSecure] + m[Measure.ModesBaseline]),
        },
        Dashboard.FallbackRate => new()
        {
            Operations = m[Measure.Modes], Fallbacks = m[Measure.Fallbacks] - m[Measure.FallbacksProceed],
            FallbackAuto = m[Measure.FallbacksAuto], FallbackPrompt = m[Measure.FallbacksPrompt], Blocked = m[Measure.FallbacksBlocked],
            FallbackRate = Ratio(m[Measure.Fallbacks] - m[Measure.FallbacksProceed], m[Measure.Modes]),
        },
        Dashboard.SendLatency => new()
        {
            Sends = m[Measure.Sends], Failures = m[Measure.SendsFailed] + m[Measure.SendsTimeout],
            FailureRate = Ratio(m[Measure.SendsFailed] + m[Measure.SendsTimeout], m[Measure.Sends]),
            P50Ms = m.Latency.Quantile(0.50), P95Ms = m.Latency.Quantile(0.95), P99Ms = m.Latency.Quantile(0.99),
        },
        Dashboard.Divergence => new() { Divergences = m[Measure.Divergences], DivergenceCount = m[Measure.DivergenceCount] },
        _ => new()
        {
            Sessions = m[Measure.Sessions], Crashes = m[Measure.Crashes],
            CrashFree = m[Measure.Sessions] == 0 ? null : Math.Max(0, 1 - (double)m[Measure.Crashes] / m[Measure.Sessions]),
        },
    };
}
