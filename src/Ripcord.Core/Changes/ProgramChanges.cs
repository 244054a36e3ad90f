using System.Collections.Immutable;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;

namespace Ripcord.Core.Changes;

/// <summary>A change that cannot be made, with the field at fault. The server maps it to a 4xx.</summary>
public sealed class ChangeRejectedException(ChangeError kind, string field, string message) : Exception(message)
{
    public ChangeError Kind { get; } = kind;
    public string Field { get; } = field;
}

public enum ChangeError
{
    Invalid,
    NotFound,
    /// <summary>The change is valid but the current state does not allow it (a closed incident, a completed review): 409.</summary>
    Conflict,
}

/// <summary>A request to set a flag at a scope.</summary>
public sealed record OverrideRequest(string Flag, string Scope, bool Value, string Reason, DateTimeOffset? ExpiresAt);

/// <summary>What applying a new definition did to the live state.</summary>
public sealed record DefinitionApplyReport(
    ImmutableArray<string> DroppedOverrides,
    ImmutableArray<string> DroppedKillSwitches,
    string? StageReset);

/// <summary>
/// The pure write side: each method validates one change against a state and returns the
/// next state. No IO, no clock of its own: the caller passes <c>now</c> and new ids.
/// <see cref="Apply"/> (in ProgramChanges.Commands.cs) runs a typed command through them.
/// </summary>
public static partial class ProgramChanges
{
    /// <summary>How far away a user-scope (diagnostic) override may expire.</summary>
    public static readonly TimeSpan MaxDiagnosticLifetime = TimeSpan.FromHours(72);

    public const int MaxReasonLength = 1000;

    /// <summary>How far away a tier-2 override grant may expire: an emergency measure, not a setting.</summary>
    public static readonly TimeSpan MaxGrantLifetime = TimeSpan.FromHours(4);

    public const int MaxWorkspaceIdLength = 256;
    public const int MaxActionLength = 64;

    public static (ProgramState State, FlagOverride Created, FlagOverride? Replaced) AddOverride(
        ProgramState state, OverrideRequest request, string id, string actor, DateTimeOffset now)
    {
        var flag = state.Definition.FindFlagLoosely(request.Flag ?? "")
            ?? throw new ChangeRejectedException(ChangeError.Invalid, "flag", state.Definition.UnknownFlag(request.Flag ?? ""));
        if (!Scope.TryParse(request.Scope, out var scope, out var scopeError))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", scopeError!);
        }
        if (scope.Kind == ScopeKind.Cohort && state.FindCohort(scope.Id!) is null)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", $"unknown cohort '{scope.Id}'");
        }
        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", "every override needs a reason");
        }
        if (request.Reason.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"reason is longer than {MaxReasonLength} characters");
        }
        if (request.ExpiresAt is { } expires && expires <= now)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "expiresAt", "expiresAt is in the past");
        }
        if (scope.Kind == ScopeKind.User)
        {
            if (request.ExpiresAt is not { } userExpiry)
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "expiresAt", "a user-scope override is diagnostic and must carry expiresAt (at most 72 h away)");
            }
            if (userExpiry - now > MaxDiagnosticLifetime)
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "expiresAt", "a user-scope override may expire at most 72 h from now");
            }
        }

        var index = OverrideIndex.For(state.Overrides);
        if (index.ById.ContainsKey(id))
        {
            // An id names one override for good: deltas and audit rows refer to it by id.
            throw new ChangeRejectedException(ChangeError.Invalid, "id", $"override id '{id}' is already in use");
        }
        var created = new FlagOverride
        {
            Id = id,
            Flag = flag.Key,
            Scope = scope,
            Value = request.Value,
            Reason = request.Reason.Trim(),
            CreatedAt = now,
            CreatedBy = actor,
            ExpiresAt = request.ExpiresAt,
        };
        // One override per (flag, scope): setting it again replaces the previous one.
        var replaced = index.ByTarget.GetValueOrDefault((flag.Key, scope));
        if (replaced is not null && replaced.Value == request.Value && replaced.Reason == request.Reason.Trim() && replaced.ExpiresAt == request.ExpiresAt)
        {
            // The same override again: nothing to change (the very same state comes back, so no revision is written).
            return (state, replaced, replaced);
        }
        var overrides = replaced is null
            ? state.Overrides.Add(created)
            : state.Overrides.RemoveAt(state.Overrides.IndexOf(replaced, ReferenceEqualityComparer.Instance)).Add(created);
        index.CarryTo(overrides, replaced, created);
        return (state with { Overrides = overrides }, created, replaced);
    }

    public static (ProgramState State, FlagOverride Removed) RemoveOverride(ProgramState state, string id)
    {
        var index = OverrideIndex.For(state.Overrides);
        var existing = index.ById.GetValueOrDefault(id)
            ?? throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no override '{id}' in program '{state.Program}'");
        var overrides = state.Overrides.RemoveAt(state.Overrides.IndexOf(existing, ReferenceEqualityComparer.Instance));
        index.CarryTo(overrides, existing, null);
        return (state with { Overrides = overrides }, existing);
    }

    public static ProgramState SetStage(ProgramState state, string stage)
    {
        if (state.Definition.FindStage(stage) is null)
        {
            var known = string.Join(", ", state.Definition.Stages.Select(s => s.Id));
            throw new ChangeRejectedException(ChangeError.Invalid, "stage", $"unknown stage '{stage}' (this program has: {known})");
        }
        // Already there: the very same state comes back, so no revision is written.
        return state.Stage == stage ? state : state with { Stage = stage };
    }

    public static (ProgramState State, CohortDefinition? Previous) PutCohort(ProgramState state, CohortDefinition cohort)
    {
        var errors = DefinitionValidator.ValidateCohort(cohort, "cohort").ToList();
        if (errors.Count > 0)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, errors[0].Path, string.Join("; ", errors.Select(e => e.Message)));
        }
        var previous = state.FindCohort(cohort.Id);
        if (previous is not null && cohort.Seed is null)
        {
            // Keep the bucketing seed so widening a percentage keeps everyone already in.
            cohort = cohort with { Seed = previous.Seed };
        }
        if (previous is null && state.Cohorts.Length >= DefinitionValidator.MaxCohorts)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "id", $"a program has at most {DefinitionValidator.MaxCohorts} cohorts");
        }
        if (previous is not null && SameJson(previous, cohort))
        {
            // Unchanged: the very same state comes back, so no revision is written.
            return (state, previous);
        }
        var cohorts = previous is null ? state.Cohorts.Add(cohort) : state.Cohorts.Replace(previous, cohort);
        return (state with { Cohorts = cohorts }, previous);
    }

    public static ProgramState ActivateKillSwitch(ProgramState state, KillSwitchActivation activation)
    {
        if (!state.Definition.KillSwitchLevels.Any(l => string.Equals(l.Id, activation.Level, StringComparison.Ordinal)))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "level", $"unknown kill-switch level '{activation.Level}'");
        }
        if (activation.Scope.Kind == ScopeKind.User)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", "kill switches apply globally, to a workspace or to a cohort");
        }
        if (activation.Scope.Kind == ScopeKind.Cohort && state.FindCohort(activation.Scope.Id!) is null)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", $"unknown cohort '{activation.Scope.Id}'");
        }
        if (state.KillSwitches.Any(k => string.Equals(k.Id, activation.Id, StringComparison.Ordinal)))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "id", $"kill switch '{activation.Id}' is already active");
        }
        return state with { KillSwitches = state.KillSwitches.Add(activation) };
    }

    public static (ProgramState State, KillSwitchActivation Removed) DeactivateKillSwitch(ProgramState state, string id)
    {
        var existing = state.KillSwitches.FirstOrDefault(k => string.Equals(k.Id, id, StringComparison.Ordinal))
            ?? throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no active kill switch '{id}' in program '{state.Program}'");
        return (state with { KillSwitches = state.KillSwitches.Remove(existing) }, existing);
    }

    /// <summary>
    /// Adds a tier-2 override grant. Grants that have expired by <paramref name="now"/> are dropped in the
    /// same revision (they no longer apply; the audit log keeps them), so the state holds only live ones.
    /// </summary>
    public static (ProgramState State, OverrideGrant Grant, ImmutableArray<string> Pruned) IssueGrant(ProgramState state, IssueGrant c, DateTimeOffset now)
    {
        if (c.WorkspaceId is null || !Identifier.IsValid(c.WorkspaceId.Trim(), MaxWorkspaceIdLength))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "workspaceId", $"workspaceId is required ({Identifier.Rule}): a grant covers one workspace");
        }
        if (c.Action is null || !Identifier.IsValid(c.Action.Trim(), MaxActionLength))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "action", $"action is required (e.g. send, at most {MaxActionLength} characters): a grant covers one action");
        }
        if (string.IsNullOrWhiteSpace(c.Reason) || c.Reason.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"reason is required (at most {MaxReasonLength} characters): say why a tier-2 action may fall back");
        }
        if (c.ExpiresAt <= now)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "expiresAt", "a grant must expire in the future");
        }
        if (c.ExpiresAt - now > MaxGrantLifetime)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "expiresAt", $"a grant may last at most {MaxGrantLifetime.TotalMinutes:0} minutes");
        }
        if (state.FindGrant(c.Id) is not null)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "id", $"override grant id '{c.Id}' is already in use");
        }
        var grant = new OverrideGrant(c.Id, state.Program, c.WorkspaceId.Trim(), c.Action.Trim(), c.ExpiresAt, c.By.Name)
        {
            Reason = c.Reason.Trim(),
            IssuedAt = now,
            InAppRole = c.InAppRole,
        };
        var pruned = state.Grants.Where(g => g.IsExpired(now)).Select(g => g.Id).ToImmutableArray();
        var kept = pruned.IsEmpty ? state.Grants : state.Grants.RemoveAll(g => g.IsExpired(now));
        return (state with { Grants = kept.Add(grant) }, grant, pruned);
    }

    /// <summary>
    /// Replaces the definition. Cohorts become the file's; overrides and kill switches that
    /// name a flag, cohort or level the new definition lacks are dropped (and reported);
    /// the stage is kept when it still exists, else reset to the first.
    /// </summary>
    private static bool SameJson<T>(T a, T b) =>
        System.Text.Json.JsonSerializer.Serialize(a, CoreJson.Options) == System.Text.Json.JsonSerializer.Serialize(b, CoreJson.Options);

    /// <summary>True when a command changed nothing: it returned the very state it was given (the writer then writes no revision).</summary>
    public static bool IsNoOp(ProgramState? before, ProgramChange change) => before is not null && ReferenceEquals(before, change.State);

    public static (ProgramState State, DefinitionApplyReport Report) ApplyDefinition(ProgramState? current, ProgramDefinition definition)
    {
        if (current is null)
        {
            return (ProgramState.Initial(definition), new DefinitionApplyReport([], [], null));
        }
        var cohortIds = definition.Cohorts.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        bool ScopeExists(Scope s) => s.Kind != ScopeKind.Cohort || cohortIds.Contains(s.Id!);

        var keptOverrides = current.Overrides.Where(o => definition.FindFlag(o.Flag) is not null && ScopeExists(o.Scope)).ToImmutableArray();
        var dropped = current.Overrides.Except(keptOverrides).Select(o => o.Id).ToImmutableArray();
        var keptKs = current.KillSwitches.Where(k => ScopeExists(k.Scope)
            && definition.KillSwitchLevels.Any(l => string.Equals(l.Id, k.Level, StringComparison.Ordinal))).ToImmutableArray();
        var droppedKs = current.KillSwitches.Except(keptKs).Select(k => k.Id).ToImmutableArray();
        var stageKept = definition.FindStage(current.Stage) is not null;
        var state = new ProgramState
        {
            Definition = definition,
            Cohorts = definition.Cohorts,
            Overrides = keptOverrides,
            KillSwitches = keptKs,
            // Grants name a workspace and an action, nothing a definition defines: they stay.
            Grants = current.Grants,
            Stage = stageKept ? current.Stage : definition.Stages[0].Id,
        };
        return (state, new DefinitionApplyReport(dropped, droppedKs, stageKept ? null : state.Stage));
    }
}
