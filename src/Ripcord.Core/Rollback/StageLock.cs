using Ripcord.Core.Changes;

namespace Ripcord.Core.Rollback;

/// <summary>
/// A rollback's stage lock (seed §13 "stop cohort expansion"): while active, stage advance is refused and guarded
/// ramps hold. One per program at a time; lifted by a forward fix's resume (<see cref="ForwardFixMachine"/>), or by a
/// release manager alone with a reason (break-glass).
/// </summary>
public sealed record StageLock
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    public required string RollbackId { get; init; }
    public required string IncidentId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset LockedAt { get; init; }
    public required string LockedBy { get; init; }
    public DateTimeOffset? LiftedAt { get; init; }
    public string? LiftedBy { get; init; }
    public string? LiftReason { get; init; }

    public bool IsActive => LiftedAt is null;

    public StageLock Lift(string reason, string by, DateTimeOffset now)
    {
        if (!IsActive)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "stage-lock", $"the stage lock of '{Program}' was already lifted");
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > RollbackMachine.MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", "lifting a stage lock needs a reason");
        }
        return this with { LiftedAt = now, LiftedBy = by, LiftReason = reason.Trim() };
    }
}
