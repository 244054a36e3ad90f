namespace Ripcord.Core.Audit;

/// <summary>
/// What an audit row records, from a closed list: the audit log is read by people and alert
/// rules, so its action names are a contract, not strings made up where a handler needs one.
/// </summary>
public readonly record struct AuditAction
{
    private AuditAction(string name) => Name = name;

    public string Name { get; }

    public static readonly AuditAction DefinitionApply = new("definition.apply");
    public static readonly AuditAction CohortPut = new("cohort.put");
    public static readonly AuditAction OverrideCreate = new("override.create");
    public static readonly AuditAction OverrideDelete = new("override.delete");
    public static readonly AuditAction StageSet = new("stage.set");
    public static readonly AuditAction KillSwitchActivate = new("killswitch.activate");
    public static readonly AuditAction KillSwitchDeactivate = new("killswitch.deactivate");
    public static readonly AuditAction Rollback = new("rollback");
    public static readonly AuditAction TokenCreate = new("token.create");
    public static readonly AuditAction TokenRevoke = new("token.revoke");
    public static readonly AuditAction Tier2OverrideGrant = new("tier2-override.grant");
    public static readonly AuditAction Tier2OverrideRevoke = new("tier2-override.revoke");
    public static readonly AuditAction KillSwitchRequest = new("killswitch.request");
    public static readonly AuditAction KillSwitchApprove = new("killswitch.approve");
    public static readonly AuditAction KillSwitchVerify = new("killswitch.verify");
    public static readonly AuditAction IncidentDeclare = new("incident.declare");
    public static readonly AuditAction IncidentUpdate = new("incident.update");
    public static readonly AuditAction IncidentAnnounce = new("incident.announce");
    public static readonly AuditAction ReviewComplete = new("review.complete");
    public static readonly AuditAction FreezeStart = new("freeze.start");
    public static readonly AuditAction FreezeLift = new("freeze.lift");
    public static readonly AuditAction WebhookCreate = new("webhook.create");
    public static readonly AuditAction WebhookDelete = new("webhook.delete");
    public static readonly AuditAction GateCheckPost = new("gate.check");
    public static readonly AuditAction SecuritySignoff = new("gate.signoff");
    public static readonly AuditAction SupportLoadSet = new("gate.support-load");
    public static readonly AuditAction KnownSafeTag = new("revision.known-safe");
    /// <summary>An admin moved a stage past its gates with a recorded reason (an emergency action: it opens a post-action review).</summary>
    public static readonly AuditAction StageBreakGlass = new("stage.break-glass");
    /// <summary>An alert fired, resolved, or was acknowledged (docs/telemetry.md, "Alerts"); firing and resolving are the automation actor's.</summary>
    public static readonly AuditAction AlertFire = new("alert.fire");
    public static readonly AuditAction AlertResolve = new("alert.resolve");
    public static readonly AuditAction AlertAcknowledge = new("alert.ack");
    /// <summary>A guarded ramp started, paused or resumed by an operator, and what it did by itself (the system actor): each step, hold, rollback and finish.</summary>
    public static readonly AuditAction RampStart = new("ramp.start");
    public static readonly AuditAction RampPause = new("ramp.pause");
    public static readonly AuditAction RampResume = new("ramp.resume");
    public static readonly AuditAction RampAdvance = new("ramp.advance");
    public static readonly AuditAction RampHold = new("ramp.hold");
    public static readonly AuditAction RampRollback = new("ramp.rollback");
    public static readonly AuditAction RampFinish = new("ramp.finish");
    /// <summary>A rollback run started (an emergency action: it opens a post-action review), and each of its steps.</summary>
    public static readonly AuditAction RollbackStart = new("rollback.start");
    public static readonly AuditAction RollbackStep = new("rollback.step");
    /// <summary>A rollback's stage lock put in place, and lifted by a release manager.</summary>
    public static readonly AuditAction StageLock = new("stage.lock");
    public static readonly AuditAction StageLockLift = new("stage.lock-lift");
    /// <summary>A forward fix (seed §14): opened, a temporary mitigation recorded, the patch enabled for a cohort, a sign-off, the resume.</summary>
    public static readonly AuditAction FixOpen = new("fix.open");
    public static readonly AuditAction FixMitigate = new("fix.mitigate");
    public static readonly AuditAction FixPatch = new("fix.patch");
    public static readonly AuditAction FixSignoff = new("fix.signoff");
    public static readonly AuditAction FixResume = new("fix.resume");
    /// <summary>A request refused by the role matrix (outcome <c>denied</c>).</summary>
    public static readonly AuditAction Denied = new("denied");

    public static IReadOnlyList<AuditAction> All { get; } =
    [
        DefinitionApply, CohortPut, OverrideCreate, OverrideDelete, StageSet, KillSwitchActivate, KillSwitchDeactivate,
        Rollback, TokenCreate, TokenRevoke, Tier2OverrideGrant, Tier2OverrideRevoke, KillSwitchRequest, KillSwitchApprove, KillSwitchVerify,
        IncidentDeclare, IncidentUpdate, IncidentAnnounce, ReviewComplete, FreezeStart, FreezeLift, WebhookCreate, WebhookDelete,
        GateCheckPost, SecuritySignoff, SupportLoadSet, KnownSafeTag, StageBreakGlass, Denied, AlertFire, AlertResolve, AlertAcknowledge,
        RampStart, RampPause, RampResume, RampAdvance, RampHold, RampRollback, RampFinish, RollbackStart, RollbackStep, StageLock, StageLockLift,
        FixOpen, FixMitigate, FixPatch, FixSignoff, FixResume,
    ];

    public override string ToString() => Name ?? "";
}
