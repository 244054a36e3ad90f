using System.Text.Json;
using Ripcord.Core.Audit;
using Ripcord.Core.Telemetry;

namespace Ripcord.Core.Alerts;

/// <summary>
/// An alert rule's metric, read from what the server keeps: the telemetry window's totals or the audit
/// rows of the window. Pure; the alert service fetches the inputs.
/// </summary>
public static class AlertMeasures
{
    /// <summary>Where a refused request's target names an emergency action: kill switches, freezes, the stage, rollbacks.</summary>
    private static readonly string[] EmergencyMarkers = ["kill-switch", "/freezes", "/stage", "/rollback", "freeze:"];

    public static bool IsAuditMetric(AlertMetric metric) => metric is AlertMetric.AuditDenials or AlertMetric.EmergencyActionsOutsideRoles;

    /// <summary>The telemetry metrics: rates are null when there was nothing to divide by (no traffic is clean).</summary>
    public static double? FromTelemetry(AlertMetric metric, WindowFigures w) => metric switch
    {
        AlertMetric.SendFailureRate => w.ErrorRate,
        AlertMetric.FallbackRate => w.FallbackRate,
        AlertMetric.SecuritySignals => w.SecuritySignals,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "an audit metric"),
    };

    /// <summary>
    /// The audit metrics over the window's rows: refusals (outcome <c>denied</c>) that concern
    /// <paramref name="program"/> — their target names it, or names no program at all (tokens, webhooks) —
    /// each counted with the repeats the denial audit folded into it.
    /// </summary>
    public static double FromAudit(AlertMetric metric, string program, IEnumerable<AuditEntry> entries)
    {
        long count = 0;
        foreach (var e in entries)
        {
            if (!string.Equals(e.Outcome, "denied", StringComparison.Ordinal) || !Concerns(e.Target, program))
            {
                continue;
            }
            if (metric == AlertMetric.EmergencyActionsOutsideRoles && !EmergencyMarkers.Any(m => e.Target.Contains(m, StringComparison.Ordinal)))
            {
                continue;
            }
            count += 1 + Repeats(e.After);
        }
        return count;
    }

    private static bool Concerns(string target, string program) =>
        target.Contains($"/programs/{program}/", StringComparison.Ordinal) || target.Contains($":{program}/", StringComparison.Ordinal)
        || (!target.Contains("/programs/", StringComparison.Ordinal) && !target.Contains(':', StringComparison.Ordinal));

    private static long Repeats(string? after)
    {
        if (after is null || !after.Contains("repeatsSincePrevious", StringComparison.Ordinal))
        {
            return 0;
        }
        using var doc = JsonDocument.Parse(after);
        return doc.RootElement.TryGetProperty("repeatsSincePrevious", out var n) && n.TryGetInt64(out var r) ? r : 0;
    }
}
