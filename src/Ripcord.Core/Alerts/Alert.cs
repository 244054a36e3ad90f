using System.Text.Json.Serialization;

namespace Ripcord.Core.Alerts;

/// <summary>Where one rule of one program stands: no breach, a breach not yet sustained, an alert firing, or the last alert resolved.</summary>
[JsonConverter(typeof(StrictEnumConverter<AlertPhase>))]
public enum AlertPhase
{
    [JsonStringEnumMemberName("ok")] Ok,
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("firing")] Firing,
    [JsonStringEnumMemberName("resolved")] Resolved,
}

/// <summary>
/// One alert: a breach of a rule that held for the rule's sustain duration. It fires once, may be
/// acknowledged while firing, and resolves after a clean window; a later breach is a new alert.
/// </summary>
public sealed record Alert
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    public required string Rule { get; init; }
    public required AlertMetric Metric { get; init; }
    public required AlertSeverity Severity { get; init; }
    /// <summary><see cref="AlertPhase.Firing"/> or <see cref="AlertPhase.Resolved"/>.</summary>
    public required AlertPhase Status { get; init; }
    public required double Threshold { get; init; }
    /// <summary>The value that made it fire.</summary>
    public required double Value { get; init; }
    /// <summary>The latest breaching value (the peak is not kept: the latest is what the on-call person sees).</summary>
    public required double LastValue { get; init; }
    public required DateTimeOffset BreachStartedAt { get; init; }
    public required DateTimeOffset FiredAt { get; init; }
    public required DateTimeOffset LastBreachAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public string? AcknowledgedBy { get; init; }
    public string? AcknowledgeReason { get; init; }
    /// <summary>The suggested incident a critical alert with a trigger opened.</summary>
    public string? IncidentId { get; init; }
    /// <summary>The recommender's level and scope for that incident (null level: the operator chooses).</summary>
    public string? RecommendedLevel { get; init; }
    public string? RecommendedScope { get; init; }
    /// <summary>The kill switch applied automatically, where the rule opts in (<c>autoActivate: true</c>).</summary>
    public string? ActivationId { get; init; }

    [JsonIgnore]
    public bool Acknowledged => AcknowledgedAt is not null;
}

/// <summary>
/// The evaluator's memory for one (program, rule): its phase, when the current breach started, the last
/// observation time, and the alert it keeps open (at most one: that is the dedupe).
/// </summary>
public sealed record AlertRuleState
{
    public required string Program { get; init; }
    public required string Rule { get; init; }
    public AlertPhase Phase { get; init; } = AlertPhase.Ok;
    public DateTimeOffset? BreachStartedAt { get; init; }
    public DateTimeOffset? LastObservedAt { get; init; }
    /// <summary>The firing alert while <see cref="Phase"/> is firing; the last resolved one after.</summary>
    public Alert? Alert { get; init; }

    public static AlertRuleState Initial(string program, string rule) => new() { Program = program, Rule = rule };
}

/// <summary>A rule's metric read at <see cref="At"/> over the window ending there; null when there was nothing to measure.</summary>
public sealed record AlertObservation(DateTimeOffset At, double? Value);

/// <summary>What one evaluation step did, for the caller to record and announce.</summary>
public enum AlertTransition
{
    None,
    BreachStarted,
    BreachCleared,
    Fired,
    Resolved,
}

public sealed record AlertStep(AlertRuleState State, AlertTransition Transition);
