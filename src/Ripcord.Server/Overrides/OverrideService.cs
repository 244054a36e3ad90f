using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Overrides;

/// <summary>What to set: <c>flag</c> is a key or alias; <c>scope</c> reads <c>global</c>, <c>workspace:…</c>, <c>cohort:…</c> or <c>user:…</c>.</summary>
public sealed record OverrideChange(string Flag, string Scope, bool Value, string Reason, DateTimeOffset? ExpiresAt);

/// <summary>
/// Overrides' one write path, for the REST API and the dashboard alike: the per-scope permission (support may touch only
/// user scope), the write through <see cref="ProgramWriter"/>, the post-action review an emergency-flag change opens in the
/// same transaction (SPEC §9), and the notes an operator needs (what it replaced, which more specific overrides shadow it).
/// </summary>
public sealed class OverrideService(ProgramWriter writer, ProgramRegistry registry, ReviewService reviews)
{
    public DateTimeOffset Now => writer.Now;

    public IReadOnlyList<OverrideView> List(string program)
    {
        var state = registry.Current(program).State;
        return [.. state.Overrides.Select(o => OverridesApi.View(state, o, writer.Now))];
    }

    /// <summary>Why the actor may not set or remove an override at this scope, or null when it may.</summary>
    public static string? ScopeRefusal(Actor actor, string scopeText)
    {
        var isUserScope = Scope.TryParse(scopeText, out var scope, out _) && scope.Kind == ScopeKind.User;
        return isUserScope || RoleMatrix.Allows(Permission.OverridesWrite, actor.Role)
            ? null
            : $"Role '{actor.Role}' may only set user-scope (diagnostic) overrides; {scopeText} needs one of: "
              + string.Join(", ", RoleMatrix.RoleNames(Permission.OverridesWrite));
    }

    /// <summary>Sets an override (replacing one of the same flag and scope). Throws <see cref="ForbiddenActionException"/> for a scope the role may not touch.</summary>
    public async Task<OverrideWritten> SetAsync(string program, OverrideChange change, Actor actor, long? ifMatch, CancellationToken ct)
    {
        registry.Current(program);
        if (ScopeRefusal(actor, change.Scope) is { } refusal)
        {
            throw new ForbiddenActionException(refusal);
        }
        var id = "ovr_" + Guid.NewGuid().ToString("N")[..12];
        var outcome = await writer.ExecuteAsync(program,
            new SetOverride(id, change.Flag, change.Scope, change.Value, change.Reason, change.ExpiresAt, actor.Principal), actor, ifMatch, ct,
            EmergencyReview(actor));
        var state = outcome.Change.State;
        var set = outcome.Change.Event<OverrideSet>();
        var view = OverridesApi.View(state, set.Override, writer.Now);
        var shadows = OverrideShadows.Of(state, set.Override, writer.Now).Select(o => OverridesApi.View(state, o, writer.Now)).ToList();
        return outcome.Unchanged
            ? new OverrideWritten(view, outcome.Revision, null, shadows, Unchanged: true)
            : new OverrideWritten(view, outcome.Revision, set.Replaced?.Id, shadows);
    }

    /// <summary>Removes an override; the reason, when given, is audited. Unknown ids are <see cref="ChangeError.NotFound"/>.</summary>
    public async Task<OverrideDeleted> RemoveAsync(string program, string id, string? reason, Actor actor, long? ifMatch, CancellationToken ct)
    {
        var existing = registry.Current(program).State.FindOverride(id)
            ?? throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no override '{id}' in program '{program}'");
        if (ScopeRefusal(actor, existing.Scope.ToString()) is { } refusal)
        {
            throw new ForbiddenActionException(refusal);
        }
        var outcome = await writer.ExecuteAsync(program, new RemoveOverride(id, reason), actor, ifMatch, ct, EmergencyReview(actor));
        return new OverrideDeleted(id, outcome.Revision);
    }

    /// <summary>Whether a change to this flag opens a post-action review: the program's emergency flag does.</summary>
    public bool IsEmergencyFlag(string program, string flag)
    {
        var definition = registry.Current(program).State.Definition;
        var key = definition.FindFlag(flag)?.Key ?? flag;
        return string.Equals(key, definition.EmergencyFlag, StringComparison.Ordinal);
    }

    /// <summary>
    /// A change to the program's emergency flag (F5 in groups) is an emergency action (SPEC §9): it opens a
    /// post-action review in the same transaction. Other overrides open none.
    /// </summary>
    private WorkflowRows EmergencyReview(Actor actor) => async (session, result, ct) =>
    {
        var emergency = result.Change.State.Definition.EmergencyFlag;
        var changed = result.Change.Events.Select(e => e switch
        {
            OverrideSet s => (s.Override, Verb: "set"),
            OverrideRemoved r => (r.Override, Verb: "removed"),
            _ => default,
        }).FirstOrDefault(x => x.Override is not null);
        if (emergency is null || changed.Override is null || !string.Equals(changed.Override.Flag, emergency, StringComparison.Ordinal))
        {
            return;
        }
        var o = changed.Override;
        await reviews.OpenAsync(session, result.Program, result.Change.Audit.Action, $"override:{result.Program}/{o.Id}",
            $"emergency flag {o.Flag} {changed.Verb} {(o.Value ? "on" : "off")} at {o.Scope}", null, actor.Principal,
            SqlDatabase.Storable(writer.Now), ct);
    };
}
