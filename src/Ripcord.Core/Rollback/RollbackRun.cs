using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Ripcord.Core.Changes;

namespace Ripcord.Core.Rollback;

/// <summary>The steps of a rollback run (seed §13), in the one order they are taken.</summary>
[JsonConverter(typeof(StrictEnumConverter<RollbackStep>))]
public enum RollbackStep
{
    /// <summary>Stop cohort expansion: a stage lock that refuses stage advance and holds guarded ramps.</summary>
    [JsonStringEnumMemberName("stage-lock")] StageLock,
    /// <summary>Freeze related deployments (a freeze linked to the incident).</summary>
    [JsonStringEnumMemberName("freeze")] Freeze,
    /// <summary>Revert flags to the target profile as one new revision.</summary>
    [JsonStringEnumMemberName("revert")] Revert,
    /// <summary>Effective evaluation equals the target's over the plan's contexts; connected SDKs applied the revision.</summary>
    [JsonStringEnumMemberName("verify")] Verify,
    /// <summary>The incident timeline rendered as a document.</summary>
    [JsonStringEnumMemberName("document")] Document,
}

[JsonConverter(typeof(StrictEnumConverter<RollbackStatus>))]
public enum RollbackStatus
{
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>A step taken: when, what it did in words, and what it made (a lock, a freeze, a revision).</summary>
public sealed record RollbackStepRecord(RollbackStep Step, DateTimeOffset At, string Detail, string? Ref = null);

/// <summary>What verification found: the evaluation check and the SDK instances that applied the revision.</summary>
public sealed record RollbackVerification(bool EvaluationEqual, int Contexts, int Flags, ImmutableArray<FlagDifference> Mismatches,
    int InstancesApplied, int InstancesTotal, ImmutableArray<string> InstancesPending, bool Passed)
{
    /// <summary>Operations reported made under the reverted revision although their flag is off for their context (<see cref="StoppedOperations"/>).</summary>
    public ImmutableArray<Incidents.Violation> Violations { get; init; } = [];
}

/// <summary>
/// One durable rollback run: who started it for which incident, to which revision, and each step taken.
/// Immutable; <see cref="RollbackMachine"/> says which step comes next and records it.
/// </summary>
public sealed record RollbackRun
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    public required string IncidentId { get; init; }
    public required long TargetRevision { get; init; }
    /// <summary>The head when the run started (what the plan compared against).</summary>
    public required long FromRevision { get; init; }
    public required string Reason { get; init; }
    public bool KeepKillSwitches { get; init; } = true;
    public required DateTimeOffset StartedAt { get; init; }
    public required string StartedBy { get; init; }
    public required string StartedByPrincipal { get; init; }
    public required string StartedByRole { get; init; }
    public RollbackStatus Status { get; init; } = RollbackStatus.Running;
    public ImmutableArray<RollbackStepRecord> Steps { get; init; } = [];
    public string? StageLockId { get; init; }
    public string? FreezeId { get; init; }
    /// <summary>The revision the revert wrote.</summary>
    public long? Revision { get; init; }
    /// <summary>SDK instances connected when the revert was written: verification waits for these.</summary>
    public ImmutableArray<string> InstancesAtRevert { get; init; } = [];
    public RollbackVerification? Verification { get; init; }
    public RollbackStep? FailedStep { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The step to take next; null once the run has finished.</summary>
    [JsonIgnore]
    public RollbackStep? NextStep => RollbackMachine.Next(this);
}

/// <summary>
/// The rollback state machine, pure: the steps in order, each exactly once; a run resumes at the first step
/// not recorded; a finished run takes no step. A step recorded out of order is a <see cref="ChangeError.Conflict"/>.
/// </summary>
public static class RollbackMachine
{
    public static readonly ImmutableArray<RollbackStep> Order =
        [RollbackStep.StageLock, RollbackStep.Freeze, RollbackStep.Revert, RollbackStep.Verify, RollbackStep.Document];

    public const int MaxReasonLength = 1000;

    public static RollbackRun Start(string id, string program, string incidentId, long fromRevision, long targetRevision, string reason,
        bool keepKillSwitches, string by, string byPrincipal, string byRole, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"a rollback needs a reason (at most {MaxReasonLength} characters)");
        }
        if (targetRevision < 1 || targetRevision > fromRevision)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "to", $"revision {targetRevision} is not a revision of '{program}' (1–{fromRevision})");
        }
        return new RollbackRun
        {
            Id = id, Program = program, IncidentId = incidentId, FromRevision = fromRevision, TargetRevision = targetRevision, Reason = reason.Trim(),
            KeepKillSwitches = keepKillSwitches, StartedAt = now, StartedBy = by, StartedByPrincipal = byPrincipal, StartedByRole = byRole,
        };
    }

    public static RollbackStep? Next(RollbackRun run) =>
        run.Status != RollbackStatus.Running ? null : run.Steps.Length < Order.Length ? Order[run.Steps.Length] : null;

    /// <summary>Records <paramref name="step"/> as taken; the run completes with its last step.</summary>
    public static RollbackRun Record(RollbackRun run, RollbackStepRecord step, Func<RollbackRun, RollbackRun>? with = null)
    {
        if (Next(run) != step.Step)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "step",
                Next(run) is { } expected ? $"rollback {run.Id} is at step {Name(expected)}, not {Name(step.Step)}" : $"rollback {run.Id} has finished");
        }
        var after = run with { Steps = run.Steps.Add(step) };
        after = with?.Invoke(after) ?? after;
        return after.Steps.Length == Order.Length ? after with { Status = RollbackStatus.Completed, FinishedAt = step.At } : after;
    }

    /// <summary>A step could not be taken (the program refused it): the run stops there, saying so.</summary>
    public static RollbackRun Fail(RollbackRun run, RollbackStep step, string error, DateTimeOffset now)
    {
        if (Next(run) != step)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "step", $"rollback {run.Id} is not at step {Name(step)}");
        }
        return run with { Status = RollbackStatus.Failed, FailedStep = step, Error = error, FinishedAt = now };
    }

    public static string Name(RollbackStep step) => step switch
    {
        RollbackStep.StageLock => "stage-lock",
        RollbackStep.Freeze => "freeze",
        RollbackStep.Revert => "revert",
        RollbackStep.Verify => "verify",
        _ => "document",
    };

    public static string Name(RollbackStatus status) => status.ToString().ToLowerInvariant();
}
