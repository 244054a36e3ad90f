using System.Text.Json.Serialization;

namespace Ripcord.Core.Alerts;

/// <summary>
/// What an alert rule measures, from a closed list (docs/telemetry.md, "Alerts"): each reads either the
/// telemetry aggregates or the audit log over the rule's window.
/// </summary>
[JsonConverter(typeof(StrictEnumConverter<AlertMetric>))]
public enum AlertMetric
{
    /// <summary>Send failures (failed or timed out) over sends; no value when nothing was sent.</summary>
    [JsonStringEnumMemberName("sendFailureRate")] SendFailureRate,
    /// <summary>Fallbacks (not <c>proceed</c>) over operations; no value when there were no operations.</summary>
    [JsonStringEnumMemberName("fallbackRate")] FallbackRate,
    /// <summary>Security-signal events: each counts as a confidentiality risk (the aggregates keep no kind or severity).</summary>
    [JsonStringEnumMemberName("securitySignals")] SecuritySignals,
    /// <summary>Requests refused by the role matrix (audit outcome <c>denied</c>), repeats folded into a row included.</summary>
    [JsonStringEnumMemberName("auditDenials")] AuditDenials,
    /// <summary>Refused attempts at an emergency action (kill switch, freeze, stage, rollback) by a role not allowed it.</summary>
    [JsonStringEnumMemberName("emergencyActionsOutsideRoles")] EmergencyActionsOutsideRoles,
}

[JsonConverter(typeof(StrictEnumConverter<AlertSeverity>))]
public enum AlertSeverity
{
    [JsonStringEnumMemberName("critical")] Critical,
    [JsonStringEnumMemberName("high")] High,
    [JsonStringEnumMemberName("medium")] Medium,
    [JsonStringEnumMemberName("low")] Low,
}

/// <summary>
/// One alert rule of a program definition's <c>alerts:</c> section: the metric read over a trailing
/// <see cref="Window"/>, breached when its value exceeds <see cref="Threshold"/>, firing once the breach
/// has held for <see cref="Sustain"/>. A critical rule naming a <see cref="Trigger"/> suggests an
/// incident; <see cref="AutoActivate"/> (off unless the definition says so) also applies the
/// recommended kill switch as the automation actor.
/// </summary>
public sealed record AlertRule
{
    public required string Id { get; init; }
    public required AlertMetric Metric { get; init; }
    /// <summary>The trailing window the metric is read over; whole minutes (telemetry is aggregated per minute).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Breached when the value is strictly above this (a rate as a fraction, a count as a number).</summary>
    public double Threshold { get; init; }
    /// <summary>How long the breach must hold before the alert fires; zero fires on the first breach.</summary>
    public TimeSpan Sustain { get; init; }
    public AlertSeverity Severity { get; init; } = AlertSeverity.High;
    /// <summary>A kill-switch trigger of the definition's <c>triggers:</c>: a critical alert suggests an incident with it.</summary>
    public string? Trigger { get; init; }
    public bool AutoActivate { get; init; }
    public string Description { get; init; } = "";

    /// <summary>A value breaches when it is known and above the threshold; no value (no traffic) is clean.</summary>
    public bool Breaches(double? value) => value is { } v && v > Threshold;
}
