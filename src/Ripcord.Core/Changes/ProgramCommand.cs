using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;

namespace Ripcord.Core.Changes;

/// <summary>
/// A change to a program's configuration, as a typed record. <see cref="ProgramChanges.Apply"/>
/// applies it purely; the server's one writer stores the result as a revision with its events
/// and audit row. Ids and authors are part of the command, so applying it is deterministic.
/// </summary>
public abstract record ProgramCommand
{
    private protected ProgramCommand()
    {
    }

    /// <summary>A short, stable name for revision rows and logs (<c>set-override</c>).</summary>
    public abstract string Name { get; }
}

/// <summary>Creates a program from its definition, or replaces the definition of an existing one.</summary>
public sealed record ApplyDefinition(ProgramDefinition Definition) : ProgramCommand
{
    public override string Name => "apply-definition";
}

/// <summary>Creates or replaces a live cohort (its membership).</summary>
public sealed record PutCohort(CohortDefinition Cohort) : ProgramCommand
{
    public override string Name => "put-cohort";
}

/// <summary>Sets a flag at a scope; replaces an override of the same flag at the same scope.</summary>
public sealed record SetOverride(string Id, string Flag, string Scope, bool Value, string Reason, DateTimeOffset? ExpiresAt, Principal By)
    : ProgramCommand
{
    public override string Name => "set-override";
}

/// <summary>Removes an override; the reason, when given (the dashboard always asks for one), goes into the audit row.</summary>
public sealed record RemoveOverride(string Id, string? Reason = null) : ProgramCommand
{
    public override string Name => "remove-override";
}

public sealed record SetStage(string Stage) : ProgramCommand
{
    public override string Name => "set-stage";
}

/// <summary>Applies a kill-switch level at a scope (global, workspace or cohort).</summary>
public sealed record ActivateKillSwitch(string Id, string Level, string Scope, string? IncidentId, string Reason, Principal By)
    : ProgramCommand
{
    public override string Name => "activate-kill-switch";
}

public sealed record DeactivateKillSwitch(string Id, string Reason) : ProgramCommand
{
    public override string Name => "deactivate-kill-switch";
}

/// <summary>
/// Issues a tier-2 fallback override for one workspace and action until <see cref="ExpiresAt"/> (SPEC §4):
/// by a security lead, or — where the definition's tier policy allows it — asked for in-app by the
/// app's <see cref="InAppRole"/> through its SDK key.
/// </summary>
public sealed record IssueGrant(string Id, string WorkspaceId, string Action, string Reason, DateTimeOffset ExpiresAt, Principal By,
    string? InAppRole = null) : ProgramCommand
{
    public override string Name => "issue-grant";
}

/// <summary>Withdraws a tier-2 override grant before it expires.</summary>
public sealed record RevokeGrant(string Id, string Reason) : ProgramCommand
{
    public override string Name => "revoke-grant";
}

/// <summary>
/// Reverts cohorts, overrides and stage to an earlier revision's state (its definition too).
/// Active kill switches stay: a rollback never re-enables what a kill switch disabled. Override grants
/// stay too: they are emergency actions, withdrawn by revoking them, not by rolling configuration back.
/// Only with <see cref="KeepKillSwitches"/> false (an operator's explicit choice) do the target's kill switches
/// replace today's. Target overrides that would be orphaned (a flag or cohort the target does not know) are dropped.
/// </summary>
public sealed record RollbackTo(long Revision, ProgramState Target, string Reason, bool KeepKillSwitches = true) : ProgramCommand
{
    public override string Name => "rollback";
}
