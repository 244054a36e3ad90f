using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Ripcord.Core.Incidents;

/// <summary>Incident classes (SPEC §5): what kind of harm is happening.</summary>
[JsonConverter(typeof(StrictEnumConverter<IncidentClass>))]
public enum IncidentClass
{
    /// <summary>Confidentiality compromise.</summary>
    [JsonStringEnumMemberName("P1")] P1,
    /// <summary>Unauthorised membership or admin action.</summary>
    [JsonStringEnumMemberName("P2")] P2,
    /// <summary>Sustained delivery failure.</summary>
    [JsonStringEnumMemberName("P3")] P3,
    /// <summary>Incorrect downgrade.</summary>
    [JsonStringEnumMemberName("P4")] P4,
}

[JsonConverter(typeof(StrictEnumConverter<IncidentSeverity>))]
public enum IncidentSeverity
{
    [JsonStringEnumMemberName("critical")] Critical,
    [JsonStringEnumMemberName("high")] High,
    [JsonStringEnumMemberName("medium")] Medium,
    [JsonStringEnumMemberName("low")] Low,
}

/// <summary>declared → mitigating → mitigated → resolved → closed. Steps may be skipped forward, never taken back.</summary>
[JsonConverter(typeof(StrictEnumConverter<IncidentStatus>))]
public enum IncidentStatus
{
    [JsonStringEnumMemberName("declared")] Declared,
    [JsonStringEnumMemberName("mitigating")] Mitigating,
    [JsonStringEnumMemberName("mitigated")] Mitigated,
    [JsonStringEnumMemberName("resolved")] Resolved,
    [JsonStringEnumMemberName("closed")] Closed,
}

/// <summary>The kinds of timeline entries, in the words the timeline shows.</summary>
public static class TimelineKinds
{
    public const string Declared = "declared";
    public const string Note = "note";
    public const string ActionAdded = "action-added";
    public const string ActionResolved = "action-resolved";
    public const string ActivationRequested = "activation-requested";
    public const string ActivationApproved = "activation-approved";
    public const string Applied = "applied";
    public const string Verified = "verified";
    public const string VerificationFailed = "verification-failed";
    public const string Deactivated = "deactivated";
    public const string Announced = "announced";
    public const string ReviewOpened = "review-opened";
    public const string Freeze = "freeze";
    public const string FreezeLifted = "freeze-lifted";
    public const string Resolved = "resolved";
    public const string Closed = "closed";
    public const string RollbackStarted = "rollback-started";
    public const string StageLocked = "stage-locked";
    public const string StageLockLifted = "stage-lock-lifted";
    public const string Reverted = "reverted";
    public const string Documented = "documented";
    public const string RollbackFailed = "rollback-failed";
    public const string FixOpened = "fix-opened";
    public const string FixMitigation = "fix-mitigation";
    public const string FixPatch = "fix-patch";
    public const string FixSignoff = "fix-signoff";
    public const string FixResumed = "fix-resumed";
    public const string MitigationReleased = "mitigation-released";
}

/// <summary>One timestamped, typed line of an incident's timeline; <see cref="Ref"/> names what it is about (an activation, an action item).</summary>
public sealed record TimelineEntry(DateTimeOffset At, string Kind, string Text, string By, string? Ref = null);

/// <summary>Something someone must do because of the incident.</summary>
public sealed record ActionItem
{
    public required string Id { get; init; }
    public required string Text { get; init; }
    public string? Owner { get; init; }
    public bool Open { get; init; } = true;
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public string? ResolvedBy { get; init; }
}

/// <summary>
/// A declared incident of one program: what triggered it, who is affected, where it stands, and
/// everything done about it as a timeline. Immutable; <see cref="IncidentWorkflow"/> makes the next one.
/// </summary>
public sealed record Incident
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    public required IncidentClass Class { get; init; }
    public required IncidentSeverity Severity { get; init; }
    public required string Trigger { get; init; }
    /// <summary>Affected scopes as written (<c>workspace:w1</c>, <c>cohort:pilot</c>); empty when unknown.</summary>
    public ImmutableArray<string> Affected { get; init; } = [];
    /// <summary>The operation that fails (e.g. <c>send</c>), when known: the recommender picks the smallest level that disables it.</summary>
    public string? FailingOperation { get; init; }
    public required string Summary { get; init; }
    public IncidentStatus Status { get; init; } = IncidentStatus.Declared;
    public required DateTimeOffset DeclaredAt { get; init; }
    public required string DeclaredBy { get; init; }
    /// <summary>
    /// The alert that opened this incident as a suggestion (declared by the automation actor for the on-call
    /// person to confirm, docs/telemetry.md "Alerts"); null when a person declared it. Omitted from JSON when null.
    /// </summary>
    public string? SuggestedByAlert { get; init; }
    /// <summary>The first action taken after declaring: the response-start clock stops here.</summary>
    public DateTimeOffset? ResponseStartedAt { get; init; }
    /// <summary>When a kill switch linked to the incident was first verified (time-to-mitigate ends here).</summary>
    public DateTimeOffset? MitigatedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public ImmutableArray<TimelineEntry> Timeline { get; init; } = [];
    public ImmutableArray<ActionItem> Actions { get; init; } = [];

    /// <summary>Declared → verified, once verified.</summary>
    [JsonIgnore]
    public TimeSpan? TimeToMitigate => MitigatedAt - DeclaredAt;
}
