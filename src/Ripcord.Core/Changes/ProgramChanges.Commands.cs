using System.Collections.Immutable;
using Ripcord.Core.Audit;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Changes;

public static partial class ProgramChanges
{
    /// <summary>
    /// Applies one command to a program's state (null when the program does not exist yet, which
    /// only <see cref="ApplyDefinition"/> accepts). Pure and deterministic: the same state, command
    /// and time give the same result. Throws <see cref="ChangeRejectedException"/> when the change
    /// cannot be made; nothing else is affected.
    /// </summary>
    public static ProgramChange Apply(ProgramState? state, ProgramCommand command, DateTimeOffset now)
    {
        if (command is ApplyDefinition apply)
        {
            return Definition(state, apply.Definition);
        }
        if (state is null)
        {
            throw new ChangeRejectedException(ChangeError.NotFound, "program", "the program does not exist: apply its definition first");
        }
        return command switch
        {
            PutCohort c => Cohort(state, c),
            SetOverride c => Override(state, c, now),
            RemoveOverride c => Remove(state, c),
            SetStage c => Stage(state, c),
            ActivateKillSwitch c => Activate(state, c, now),
            DeactivateKillSwitch c => Deactivate(state, c),
            RollbackTo c => Rollback(state, c),
            IssueGrant c => Grant(state, c, now),
            RevokeGrant c => Revoke(state, c),
            _ => throw new ChangeRejectedException(ChangeError.Invalid, "command", $"unknown command '{command.Name}'"),
        };
    }

    private static ProgramChange One(ProgramState next, DomainEvent e, AuditSummary audit) => new(next, [e], audit);

    private static ProgramChange Definition(ProgramState? state, ProgramDefinition definition)
    {
        var (next, report) = ApplyDefinition(state, definition);
        var program = definition.Key;
        var before = state is null ? null : new { flags = state.Definition.Flags.Length, cohorts = state.Cohorts.Length, stage = state.Stage };
        var after = new
        {
            flags = definition.Flags.Length, cohorts = definition.Cohorts.Length, stage = next.Stage,
            report.DroppedOverrides, report.DroppedKillSwitches,
        };
        return One(next,
            new DefinitionApplied(program, state is null, report.DroppedOverrides, report.DroppedKillSwitches, report.StageReset),
            new AuditSummary(AuditAction.DefinitionApply, "program:" + program, before, after,
                state is null ? $"created program '{program}'" : $"applied a new definition of '{program}'"));
    }

    private static ProgramChange Cohort(ProgramState state, PutCohort command)
    {
        var (next, previous) = PutCohort(state, command.Cohort);
        var written = next.FindCohort(command.Cohort.Id)!;
        return One(next, new CohortPut(written, previous),
            new AuditSummary(AuditAction.CohortPut, $"cohort:{state.Program}/{written.Id}", previous, written,
                $"{(previous is null ? "created" : "replaced")} cohort '{written.Id}'"));
    }

    private static ProgramChange Override(ProgramState state, SetOverride c, DateTimeOffset now)
    {
        var (next, created, replaced) = AddOverride(state, new OverrideRequest(c.Flag, c.Scope, c.Value, c.Reason, c.ExpiresAt), c.Id, c.By.Name, now);
        return One(next, new OverrideSet(created, replaced),
            new AuditSummary(AuditAction.OverrideCreate, $"override:{state.Program}/{created.Id}", replaced, created,
                $"set {created.Flag} = {(created.Value ? "on" : "off")} at {created.Scope}"));
    }

    private static ProgramChange Remove(ProgramState state, RemoveOverride c)
    {
        if (c.Reason is { } given && (string.IsNullOrWhiteSpace(given) || given.Length > MaxReasonLength))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"a reason for removing an override, when given, must not be blank (at most {MaxReasonLength} characters)");
        }
        var (next, removed) = RemoveOverride(state, c.Id);
        var reason = c.Reason?.Trim();
        return One(next, new OverrideRemoved(removed),
            new AuditSummary(AuditAction.OverrideDelete, $"override:{state.Program}/{removed.Id}", removed, reason is null ? null : new { reason },
                $"removed override of {removed.Flag} at {removed.Scope}" + (reason is null ? "" : $": {reason}")));
    }

    private static ProgramChange Stage(ProgramState state, SetStage c)
    {
        var next = SetStage(state, c.Stage);
        return One(next, new StageChanged(state.Stage, next.Stage),
            new AuditSummary(AuditAction.StageSet, $"stage:{state.Program}", new { stage = state.Stage }, new { stage = next.Stage },
                $"stage {state.Stage} → {next.Stage}"));
    }

    private static ProgramChange Activate(ProgramState state, ActivateKillSwitch c, DateTimeOffset now)
    {
        if (!Scope.TryParse(c.Scope, out var scope, out var scopeError))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", scopeError!);
        }
        if (string.IsNullOrWhiteSpace(c.Reason) || c.Reason.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"a kill switch needs a reason (at most {MaxReasonLength} characters)");
        }
        var activation = new KillSwitchActivation
        {
            Id = c.Id,
            Level = c.Level,
            Scope = scope,
            IncidentId = c.IncidentId,
            Reason = c.Reason.Trim(),
            ActivatedAt = now,
            ActivatedBy = c.By.Name,
        };
        var next = ActivateKillSwitch(state, activation);
        return One(next, new KillSwitchActivated(activation),
            new AuditSummary(AuditAction.KillSwitchActivate, $"kill-switch:{state.Program}/{activation.Id}", null, activation,
                $"activated {activation.Level} at {activation.Scope}"));
    }

    private static ProgramChange Deactivate(ProgramState state, DeactivateKillSwitch c)
    {
        if (string.IsNullOrWhiteSpace(c.Reason) || c.Reason.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"lifting a kill switch needs a reason (at most {MaxReasonLength} characters)");
        }
        var (next, removed) = DeactivateKillSwitch(state, c.Id);
        return One(next, new KillSwitchDeactivated(removed, c.Reason.Trim()),
            new AuditSummary(AuditAction.KillSwitchDeactivate, $"kill-switch:{state.Program}/{removed.Id}", removed, null,
                $"deactivated {removed.Level} at {removed.Scope}"));
    }

    private static ProgramChange Rollback(ProgramState state, RollbackTo c)
    {
        if (!string.Equals(c.Target.Program, state.Program, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "revision", $"revision {c.Revision} is of program '{c.Target.Program}', not '{state.Program}'");
        }
        // The target's whole profile; today's kill switches stay, but for those the target cannot
        // express (a level it does not define, a cohort it does not have), as a definition apply prunes.
        var target = c.Target;
        var killSwitches = c.KeepKillSwitches
            ? state.KillSwitches.Where(k => target.Definition.KillSwitchLevels.Any(l => string.Equals(l.Id, k.Level, StringComparison.Ordinal))
                && (k.Scope.Kind != ScopeKind.Cohort || target.FindCohort(k.Scope.Id!) is not null)).ToImmutableArray()
            : target.KillSwitches;
        var orphaned = OrphanedOverrides(target);
        var overrides = orphaned.IsEmpty ? target.Overrides : target.Overrides.RemoveRange(orphaned);
        var next = state with
        {
            Definition = target.Definition, Cohorts = target.Cohorts, Overrides = overrides, Stage = target.Stage, KillSwitches = killSwitches,
        };
        var kept = next.KillSwitches.Select(k => k.Id).ToImmutableArray();
        return One(next, new RolledBack(c.Revision, c.Reason, kept),
            new AuditSummary(AuditAction.Rollback, "program:" + state.Program, new { stage = state.Stage, overrides = state.Overrides.Length },
                new { toRevision = c.Revision, stage = next.Stage, overrides = next.Overrides.Length, keptKillSwitches = kept },
                $"rolled back to revision {c.Revision}"));
    }

    /// <summary>Overrides of <paramref name="state"/> that point at a flag or cohort it does not define: a rollback never restores them.</summary>
    public static ImmutableArray<FlagOverride> OrphanedOverrides(ProgramState state) =>
        [.. state.Overrides.Where(o => state.Definition.FindFlag(o.Flag) is null || (o.Scope.Kind == ScopeKind.Cohort && state.FindCohort(o.Scope.Id!) is null))];

    private static ProgramChange Grant(ProgramState state, IssueGrant c, DateTimeOffset now)
    {
        var (next, grant, pruned) = IssueGrant(state, c, now);
        return One(next, new GrantIssued(grant, pruned),
            new AuditSummary(AuditAction.Tier2OverrideGrant, $"override-grant:{state.Program}/{grant.Id}", null, grant,
                $"granted a tier-2 override of '{grant.Action}' in workspace {grant.WorkspaceId} until {grant.ExpiresAt:O}"
                + (grant.InAppRole is null ? "" : $" (asked in-app by role {grant.InAppRole})")));
    }

    private static ProgramChange Revoke(ProgramState state, RevokeGrant c)
    {
        if (string.IsNullOrWhiteSpace(c.Reason) || c.Reason.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"revoking a grant needs a reason (at most {MaxReasonLength} characters)");
        }
        var existing = state.FindGrant(c.Id)
            ?? throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no override grant '{c.Id}' in program '{state.Program}'");
        var next = state with { Grants = state.Grants.Remove(existing) };
        return One(next, new GrantRevoked(existing, c.Reason.Trim()),
            new AuditSummary(AuditAction.Tier2OverrideRevoke, $"override-grant:{state.Program}/{existing.Id}", existing, null,
                $"revoked the tier-2 override of '{existing.Action}' in workspace {existing.WorkspaceId}"));
    }
}
