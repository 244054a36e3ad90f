using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Core.Incidents;
using Ripcord.Core.Rollback;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;
using Ripcord.Server.Stages;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Rollback;

/// <summary>A forward fix as the API shows it: the workstream and, now, whether the staged rollout may resume and what is missing.</summary>
public sealed record ForwardFixView(ForwardFix Fix, ResumeVerdict Readiness);

/// <summary>A temporary mitigation to record: an existing override (<c>Override</c>) or a new one (flag, scope, value, expiresAt).</summary>
public sealed record MitigationInput(string? Override, string? Flag, string? Scope, bool? Value, DateTimeOffset? ExpiresAt, string? Reason);

/// <summary>
/// Forward fixes (seed §14) at the edge: each step loads the workstream, runs the pure <see cref="ForwardFixMachine"/> step and
/// stores the result in one transaction with its incident timeline entry and audit row — through the program's one write path
/// (<see cref="ProgramWriter"/>) when it changes configuration (a mitigation made, the patch, a released mitigation).
/// </summary>
public sealed class ForwardFixService(Databases databases, WorkflowDocs docs, IncidentService incidents, FreezeService freezes, StageLocks locks,
    GateStore gates, ProgramRegistry registry, ProgramWriter writer, IAuditLog audit, TimeProvider clock)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    private DateTimeOffset Now => SqlDatabase.Storable(clock.GetUtcNow());

    public async Task<ForwardFixView> OpenAsync(string program, string incidentId, string reason, Actor actor, CancellationToken ct)
    {
        registry.Current(program);
        var now = Now;
        var fix = ForwardFixMachine.Open(IncidentService.NewId("fix_"), program, incidentId, reason, actor.Name, now);
        await _gate.WaitAsync(ct);
        try
        {
            await using var session = await databases.Config.BeginWriteAsync(ct);
            await incidents.LoadAsync(session, program, incidentId, ct);
            if ((await docs.ListAsync<ForwardFix>(DocKinds.ForwardFix, ct, program, ForwardFixMachine.Name(ForwardFixStatus.Open), incidentId)) is [var open, ..])
            {
                throw new ChangeRejectedException(ChangeError.Conflict, "incident", $"incident {incidentId} already has forward fix {open.Id} open");
            }
            await RecordAsync(session, fix, null, AuditAction.FixOpen, TimelineKinds.FixOpened, $"forward fix {fix.Id} opened: {fix.Reason}", actor, now,
                new { fix.Reason }, ct);
            await session.CommitAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
        return await ViewAsync(fix, ct);
    }

    public async Task<ForwardFixView> GetAsync(string program, string id, CancellationToken ct) => await ViewAsync(await LoadAsync(program, id, null, ct), ct);

    public async Task<List<ForwardFix>> ListAsync(string program, string? incidentId, CancellationToken ct)
    {
        registry.Current(program);
        return await docs.ListAsync<ForwardFix>(DocKinds.ForwardFix, ct, program, incidentId: incidentId);
    }

    /// <summary>Records a temporary mitigation: an existing override with an expiry, or a new one set through the write path.</summary>
    public async Task<ForwardFixView> MitigateAsync(string program, string id, MitigationInput input, Actor actor, CancellationToken ct)
    {
        var state = registry.Current(program).State;
        var fix = await LoadAsync(program, id, null, ct);
        var now = Now;
        if (input.Override is { } existing)
        {
            if (input.Flag is not null || input.Scope is not null || input.Value is not null || input.ExpiresAt is not null)
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "override", "give either override (an existing one) or flag, scope, value and expiresAt (a new one)");
            }
            var o = state.FindOverride(existing) ?? throw new ChangeRejectedException(ChangeError.NotFound, "override", $"no override '{existing}' in program '{program}'");
            if (o.ExpiresAt is not { } expires)
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "override",
                    $"override {o.Id} has no expiry: a temporary mitigation expires by itself (set one with an expiresAt)");
            }
            var mitigation = new FixMitigation(o.Id, o.Flag, o.Scope.ToString(), o.Value, expires, input.Reason?.Trim() is { Length: > 0 } r ? r : o.Reason, now, actor.Name);
            ForwardFixMachine.Mitigate(fix, mitigation, now); // refuses before anything is written
            await using var session = await databases.Config.BeginWriteAsync(ct);
            var stored = await LoadAsync(program, id, session, ct);
            await MitigatedAsync(session, stored, mitigation, actor, now, ct);
            await session.CommitAsync(ct);
            return await ViewAsync(ForwardFixMachine.Mitigate(stored, mitigation, now), ct);
        }
        if (input.Flag is null || input.Scope is null || input.Value is null || input.ExpiresAt is null || string.IsNullOrWhiteSpace(input.Reason))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "override",
                "a new temporary mitigation needs flag, scope, value, expiresAt and reason (or give override: an existing override's id)");
        }
        var overrideId = "ovr_" + Guid.NewGuid().ToString("N")[..12];
        var draft = new FixMitigation(overrideId, input.Flag, input.Scope, input.Value.Value, SqlDatabase.Storable(input.ExpiresAt.Value), input.Reason.Trim(), now, actor.Name);
        ForwardFixMachine.Mitigate(fix, draft, now);
        ForwardFix? after = null;
        var result = await writer.ExecuteAsync(program, new SetOverride(overrideId, input.Flag, input.Scope, input.Value.Value,
            $"forward fix {fix.Id}: {draft.Reason}", draft.ExpiresAt, actor.Principal), actor, null, ct, async (session, written, wct) =>
            {
                var set = written.Change.Event<OverrideSet>().Override;
                var stored = await LoadAsync(program, id, session, wct);
                after = await MitigatedAsync(session, stored, draft with { Flag = set.Flag, Scope = set.Scope.ToString() }, actor, now, wct);
            });
        if (result.Unchanged)
        {
            var same = result.Change.Event<OverrideSet>().Override;
            throw new ChangeRejectedException(ChangeError.Conflict, "override",
                $"override {same.Id} already sets {same.Flag} to {(same.Value ? "on" : "off")} at {same.Scope}: record it with override: {same.Id}");
        }
        return await ViewAsync(after!, ct);
    }

    /// <summary>Enables the patch flag for one cohort, through its own override at that cohort (nothing wider).</summary>
    public async Task<ForwardFixView> PatchAsync(string program, string id, string? flag, string? scope, Actor actor, CancellationToken ct)
    {
        var definition = registry.Current(program).State.Definition;
        var fix = await LoadAsync(program, id, null, ct);
        var cohort = ForwardFixMachine.PatchCohort(scope);
        if (definition.FindCohort(cohort) is null)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "cohort", $"program '{program}' has no cohort '{cohort}'");
        }
        if (string.IsNullOrWhiteSpace(flag) || definition.FindFlag(flag) is not { } patchFlag)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "flag", $"program '{program}' has no flag '{flag}'");
        }
        var now = Now;
        var overrideId = "ovr_" + Guid.NewGuid().ToString("N")[..12];
        ForwardFixMachine.EnablePatch(fix, overrideId, patchFlag.Key, scope!, actor.Name, now);
        ForwardFix? after = null;
        var result = await writer.ExecuteAsync(program, new SetOverride(overrideId, patchFlag.Key, "cohort:" + cohort, true,
            $"forward fix {fix.Id}: the patch, for cohort {cohort} only", null, actor.Principal), actor, null, ct, async (session, written, wct) =>
                after = await PatchedAsync(session, program, id, written.Change.Event<OverrideSet>().Override.Id, patchFlag.Key, cohort, actor, now, wct));
        if (result.Unchanged)
        {
            // The same override already enables the flag at that cohort: it is the patch.
            await using var own = await databases.Config.BeginWriteAsync(ct);
            after = await PatchedAsync(own, program, id, result.Change.Event<OverrideSet>().Override.Id, patchFlag.Key, cohort, actor, now, ct);
            await own.CommitAsync(ct);
        }
        return await ViewAsync(after!, ct);
    }

    /// <summary>A sign-off: a release manager's or a security lead's, decided by the signer's role; one person cannot give both.</summary>
    public async Task<ForwardFixView> SignOffAsync(string program, string id, string? note, Actor actor, CancellationToken ct)
    {
        FixSignoffRole role = actor.Role == Role.ReleaseManager ? FixSignoffRole.ReleaseManager
            : actor.Role == Role.SecurityLead ? FixSignoffRole.SecurityLead
            : throw new ForbiddenActionException($"a forward-fix sign-off is a release manager's or a security lead's; role '{actor.Role}' gives neither");
        if (note is { Length: > ForwardFixMachine.MaxReasonLength })
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "note", $"a sign-off note has at most {ForwardFixMachine.MaxReasonLength} characters");
        }
        var now = Now;
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var fix = await LoadAsync(program, id, session, ct);
        var signoff = new FixSignoff(role, actor.Principal.Id, actor.Name, now, string.IsNullOrWhiteSpace(note) ? null : note.Trim());
        var after = ForwardFixMachine.SignOff(fix, signoff);
        await RecordAsync(session, after, fix, AuditAction.FixSignoff, TimelineKinds.FixSignoff,
            $"forward fix {fix.Id}: {ForwardFixMachine.Name(role)} sign-off by {actor.Name}" + (signoff.Note is { } n ? $": {n}" : ""), actor, now, signoff, ct);
        await session.CommitAsync(ct);
        return await ViewAsync(after, ct);
    }

    /// <summary>
    /// The resume: refused (<see cref="ResumeRefusedException"/>, every missing criterion) unless the checks passed and both sign-offs are there.
    /// Removes the mitigations marked no longer needed (each through the write path), then — in one transaction — lifts the stage lock and the
    /// incident's freezes and marks the fix resumed. Removal first: a resume stopped between them is retried, and a removed mitigation is skipped.
    /// </summary>
    public async Task<ForwardFixView> ResumeAsync(string program, string id, IReadOnlyList<string> release, string reason, Actor actor, CancellationToken ct)
    {
        registry.Current(program);
        var fix = await LoadAsync(program, id, null, ct);
        var checks = await gates.ChecksAsync(program, ct);
        ForwardFixMachine.Resume(fix, checks, release, reason, [], actor.Name, Now); // refuses before anything changes
        foreach (var overrideId in release.Distinct(StringComparer.Ordinal))
        {
            if (registry.Current(program).State.FindOverride(overrideId) is null)
            {
                continue; // expired and swept, removed by hand, or by a resume that stopped before its last step
            }
            await writer.ExecuteAsync(program, new RemoveOverride(overrideId), actor, null, ct, (session, written, wct) =>
                incidents.UpdateAsync(session, program, fix.IncidentId, i => IncidentWorkflow.Record(i, new TimelineEntry(Now, TimelineKinds.MitigationReleased,
                    $"forward fix {fix.Id}: temporary mitigation {overrideId} removed (no longer needed, revision {written.Revision})", actor.Name, overrideId)),
                    Now, wct));
        }
        var now = Now;
        await using var tx = await databases.Config.BeginWriteAsync(ct);
        var stored = await LoadAsync(program, id, tx, ct);
        var lifted = new List<string>();
        var why = $"forward fix {fix.Id} resumed the rollout: {reason?.Trim()}";
        // Validate the whole resume before lifting anything (a refused one leaves every lock and freeze in place).
        ForwardFixMachine.Resume(stored, checks, release, reason!, [], actor.Name, now);
        if (await locks.ActiveAsync(program, ct, tx) is { } held)
        {
            lifted.Add((await locks.LiftAsync(tx, held, why, actor, now, ct)).Id);
        }
        foreach (var freeze in await docs.ListAsync<Freeze>(DocKinds.Freeze, ct, program, "active", stored.IncidentId))
        {
            if (freeze.IsActive(now))
            {
                lifted.Add((await freezes.LiftAsync(tx, freeze, why, actor, now, ct)).Id);
            }
        }
        var after = ForwardFixMachine.Resume(stored, checks, release, reason!, lifted, actor.Name, now);
        await RecordAsync(tx, after, stored, AuditAction.FixResume, TimelineKinds.FixResumed,
            $"forward fix {fix.Id}: staged rollout resumed ({(lifted.Count == 0 ? "no stage lock or freeze held" : "lifted " + string.Join(", ", lifted))}"
            + $"; released {(release.Count == 0 ? "no mitigation" : string.Join(", ", release.Distinct(StringComparer.Ordinal)))}): {after.ResumeReason}",
            actor, now, new { after.ResumeReason, lifted, released = release }, ct);
        await tx.CommitAsync(ct);
        return await ViewAsync(after, ct);
    }

    private async Task<ForwardFix> MitigatedAsync(WriteSession session, ForwardFix fix, FixMitigation mitigation, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        var after = ForwardFixMachine.Mitigate(fix, mitigation, now);
        await RecordAsync(session, after, fix, AuditAction.FixMitigate, TimelineKinds.FixMitigation,
            $"forward fix {fix.Id}: temporary mitigation {mitigation.OverrideId} ({mitigation.Flag} {(mitigation.Value ? "on" : "off")} at {mitigation.Scope}, "
            + $"expires {mitigation.ExpiresAt:u}): {mitigation.Reason}", actor, now, mitigation, ct);
        return after;
    }

    private async Task<ForwardFix> PatchedAsync(WriteSession session, string program, string id, string overrideId, string flag, string cohort, Actor actor,
        DateTimeOffset now, CancellationToken ct)
    {
        var fix = await LoadAsync(program, id, session, ct);
        var after = ForwardFixMachine.EnablePatch(fix, overrideId, flag, "cohort:" + cohort, actor.Name, now);
        await RecordAsync(session, after, fix, AuditAction.FixPatch, TimelineKinds.FixPatch,
            $"forward fix {fix.Id}: patch {flag} enabled for cohort {cohort} only ({overrideId}); re-run the quality and interop checks for cohort:{cohort}",
            actor, now, after.Patch!, ct);
        return after;
    }

    /// <summary>Stores the workstream with its audit row and its incident timeline entry, in the caller's write.</summary>
    private async Task RecordAsync(WriteSession session, ForwardFix after, ForwardFix? before, AuditAction action, string timelineKind, string words, Actor actor,
        DateTimeOffset now, object detail, CancellationToken ct)
    {
        await docs.PutAsync(session, DocKinds.ForwardFix, after.Id, after.Program, ForwardFixMachine.Name(after.Status), after.IncidentId, after, now, ct);
        await incidents.UpdateAsync(session, after.Program, after.IncidentId, i => IncidentWorkflow.Record(i, new TimelineEntry(now, timelineKind, words, actor.Name,
            after.Id)), now, ct);
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, action, $"fix:{after.Program}/{after.Id}",
            before is null ? null : JsonSerializer.Serialize(new { status = ForwardFixMachine.Name(before.Status) }, CoreJson.Options),
            JsonSerializer.Serialize(detail, CoreJson.Options)), ct);
    }

    private async Task<ForwardFix> LoadAsync(string program, string id, WriteSession? session, CancellationToken ct)
    {
        registry.Current(program);
        var fix = await docs.GetAsync<ForwardFix>(DocKinds.ForwardFix, id, ct, session);
        return fix is not null && string.Equals(fix.Program, program, StringComparison.Ordinal)
            ? fix
            : throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no forward fix '{id}' in program '{program}'");
    }

    private async Task<ForwardFixView> ViewAsync(ForwardFix fix, CancellationToken ct) =>
        new(fix, ForwardFixMachine.Evaluate(fix, await gates.ChecksAsync(fix.Program, ct), []));
}
