using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Ripcord.Core.Definitions;
using Ripcord.Core.Incidents;
using Ripcord.Core.Telemetry;

namespace Ripcord.Core.Gates;

/// <summary>What a CI check verifies: the build's quality gates, or an interop lane against real relays.</summary>
[JsonConverter(typeof(StrictEnumConverter<CheckKind>))]
public enum CheckKind
{
    [JsonStringEnumMemberName("quality")] Quality,
    [JsonStringEnumMemberName("interop")] Interop,
}

[JsonConverter(typeof(StrictEnumConverter<CheckStatus>))]
public enum CheckStatus
{
    [JsonStringEnumMemberName("passed")] Passed,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("pending")] Pending,
}

/// <summary>
/// A check result posted by CI for a target stage and a target: <c>cohort:ID</c> or a scope as
/// written (<c>global</c>, <c>workspace:ID</c>). The latest post for a (kind, stage, target) is the one that counts.
/// </summary>
public sealed record GateCheck(string Id, CheckKind Kind, string Stage, string Target, CheckStatus Status, string Evidence, string? Commit,
    DateTimeOffset PostedAt, string PostedBy);

/// <summary>A security lead's sign-off that mission tier <see cref="Tier"/> may be enabled at stage <see cref="Stage"/>.</summary>
public sealed record SecuritySignoff(string Id, int Tier, string Stage, string Reason, DateTimeOffset SignedAt, string SignedBy);

/// <summary>An operator support-load figure (tickets per day) for one period (a UTC day), as posted.</summary>
public sealed record SupportLoadFigure(string Period, decimal TicketsPerDay, DateTimeOffset PostedAt, string PostedBy);

/// <summary>Something that holds the program at its stage whatever the criteria say: an active freeze, a rollback's stage lock.</summary>
public sealed record StageHold(string Kind, string Id, string Reason);

/// <summary>
/// Everything a stage gate reads, recorded beforehand: the definition (stages, thresholds, gate
/// policy), the current and target stage, when the current stage was entered, CI checks,
/// sign-offs, support load, incidents and reviews, holds, drills, telemetry over the exit window, and now.
/// </summary>
public sealed record GateFacts
{
    public required ProgramDefinition Definition { get; init; }
    public required string CurrentStage { get; init; }
    public required string TargetStage { get; init; }
    public required DateTimeOffset StageEnteredAt { get; init; }
    public required DateTimeOffset Now { get; init; }
    /// <summary>Telemetry totals over [<see cref="StageEnteredAt"/>, <see cref="Now"/>).</summary>
    public required WindowFigures Window { get; init; }
    /// <summary>In the order they were posted.</summary>
    public ImmutableArray<GateCheck> Checks { get; init; } = [];
    public ImmutableArray<SecuritySignoff> Signoffs { get; init; } = [];
    public ImmutableArray<SupportLoadFigure> SupportLoad { get; init; } = [];
    public ImmutableArray<Incident> Incidents { get; init; } = [];
    public ImmutableArray<PostActionReview> Reviews { get; init; } = [];
    public ImmutableArray<StageHold> Holds { get; init; } = [];
    /// <summary>Drills passed (none can be recorded yet: a later issue records them).</summary>
    public ImmutableArray<string> Drills { get; init; } = [];
}
