using System.Collections.Immutable;
using Ripcord.Core.Incidents;

namespace Ripcord.Server.KillSwitches;

/// <summary>
/// An activation as the workflow keeps it, beside the revision that applied it: who, why, for which
/// incident, which instances were connected then, and how its verification went.
/// </summary>
public sealed record KillSwitchRecord
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    public required string Level { get; init; }
    public required string Scope { get; init; }
    public required string IncidentId { get; init; }
    public IncidentClass IncidentClass { get; init; }
    public required string Reason { get; init; }
    /// <summary>The revision that applied it.</summary>
    public required long Revision { get; init; }
    public required DateTimeOffset ActivatedAt { get; init; }
    public required string ActivatedBy { get; init; }
    public required string ActivatedByPrincipal { get; init; }
    /// <summary>Set when an ops lead's request was approved into this activation.</summary>
    public string? RequestId { get; init; }
    public bool Active { get; init; } = true;
    public long? DeactivatedRevision { get; init; }
    public DateTimeOffset? DeactivatedAt { get; init; }
    public string? DeactivatedBy { get; init; }
    public string? DeactivationReason { get; init; }
    public required int VerifyWithinSeconds { get; init; }
    /// <summary>The SDK instances connected when it was applied: verification waits for each.</summary>
    public ImmutableArray<string> InstancesAtActivation { get; init; } = [];
    /// <summary>The operations the level disables and the telemetry event types that would show them still happening.</summary>
    public ImmutableArray<WatchedOperation> Operations { get; init; } = [];
    public VerificationResult? Verification { get; init; }
    public string? ReviewId { get; init; }

    public DateTimeOffset Deadline => ActivatedAt.AddSeconds(VerifyWithinSeconds);
}

/// <summary>An operation a level disables, and the telemetry event type that records it (null: no telemetry shows it).</summary>
public sealed record WatchedOperation(string Operation, string? EventType);
