using System.Globalization;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Gates;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using Ripcord.Server.Revisions;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;

namespace Ripcord.Server.Stages;

/// <summary>The checklist of one stage move, and what an advance did: the revision it wrote and the one it tagged known-safe.</summary>
public sealed record AdvanceOutcome(GateVerdict Verdict, long EvaluatedAt, long? Revision, long? KnownSafe);

/// <summary>
/// Stage gates (SPEC §3): records CI checks, security sign-offs and support load (each with its
/// audit row, in one transaction), gathers the recorded facts of a program, evaluates
/// <see cref="StageGate"/> over them, and advances through the one write path when every criterion passed.
/// </summary>
public sealed class GateService(Databases databases, GateStore store, KnownSafeStore knownSafe, IRevisionStore revisions, ProgramRegistry registry,
    ProgramWriter writer, IncidentService incidents, ReviewService reviews, FreezeService freezes, Rollback.StageLocks locks, ITelemetryFigures telemetry,
    IAuditLog audit, TimeProvider clock)
{
    public const int MaxTextLength = 1000;

    public async Task<GateCheck> PostCheckAsync(string program, GateCheck check, Actor actor, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var stored = check with { Id = IncidentService.NewId("chk_"), PostedAt = now, PostedBy = actor.Name };
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await store.AddCheckAsync(session, program, stored, ct);
        await AuditAsync(session, actor, AuditAction.GateCheckPost, $"check:{program}/{stored.Id}", stored, now, ct);
        await session.CommitAsync(ct);
        return stored;
    }

    public async Task<SecuritySignoff> AddSignoffAsync(string program, int tier, string stage, string reason, Actor actor, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var signoff = new SecuritySignoff(IncidentService.NewId("sgn_"), tier, stage, reason, now, actor.Name);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await store.AddSignoffAsync(session, program, signoff, ct);
        await AuditAsync(session, actor, AuditAction.SecuritySignoff, $"signoff:{program}/tier-{tier}/stage-{stage}", signoff, now, ct);
        await session.CommitAsync(ct);
        return signoff;
    }

    public async Task<SupportLoadFigure> SetSupportLoadAsync(string program, string? period, decimal ticketsPerDay, Actor actor, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var figure = new SupportLoadFigure(period ?? now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ticketsPerDay, now, actor.Name);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await store.SetSupportLoadAsync(session, program, figure, ct);
        await AuditAsync(session, actor, AuditAction.SupportLoadSet, $"support-load:{program}/{figure.Period}", figure, now, ct);
        await session.CommitAsync(ct);
        return figure;
    }

    public Task<List<GateCheck>> ChecksAsync(string program, CancellationToken ct) => store.ChecksAsync(program, ct);

    public Task<List<SecuritySignoff>> SignoffsAsync(string program, CancellationToken ct) => store.SignoffsAsync(program, ct);

    public Task<List<SupportLoadFigure>> SupportLoadAsync(string program, CancellationToken ct) => store.SupportLoadAsync(program, ct);

    /// <summary>
    /// The checklist for moving to <paramref name="target"/> now; with <paramref name="dryRun"/> false and every criterion
    /// passed, the move itself (one revision), tagging the evaluated revision known-safe in the same transaction.
    /// </summary>
    public async Task<AdvanceOutcome> AdvanceAsync(string program, string target, bool dryRun, Actor actor, CancellationToken ct)
    {
        var compiled = registry.Current(program);
        var definition = compiled.State.Definition;
        if (definition.FindStage(target) is null)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "to",
                $"program '{program}' has no stage '{target}' (its stages: {string.Join(", ", definition.Stages.Select(s => s.Id))})");
        }
        if (string.Equals(target, FreezeProfile, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "to", "the freeze profile is not advanced to: PUT …/stage {\"stage\": \"freeze\"} (ripcord stage set freeze)");
        }
        if (string.Equals(target, compiled.State.Stage, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "to", $"program '{program}' already is at stage {target}");
        }
        var verdict = StageGate.Evaluate(await FactsAsync(program, compiled, target, ct));
        if (dryRun || !verdict.Allowed)
        {
            return new AdvanceOutcome(verdict, compiled.Revision, null, null);
        }
        var evaluated = compiled.Revision;
        var evidence = JsonSerializer.Serialize(verdict.Criteria.Where(c => c.Kind == CriterionKind.Exit), CoreJson.Options);
        long? tagged = null;
        // If-Match the evaluated revision: the known-safe tag names the revision the criteria were read at.
        var result = await writer.ExecuteAsync(program, new SetStage(target), actor, evaluated, ct, async (session, written, wct) =>
        {
            var now = SqlDatabase.Storable(clock.GetUtcNow());
            var tag = new KnownSafeRevision(evaluated, KnownSafeRevision.Auto, verdict.From,
                $"exit criteria of stage {verdict.From} passed on the advance to {target} (revision {written.Revision})", evidence, now, actor.Name);
            if (await knownSafe.TagKnownSafeAsync(session, program, tag, wct))
            {
                tagged = evaluated;
                await AuditAsync(session, actor, AuditAction.KnownSafeTag, $"revision:{program}/{evaluated}", tag, now, wct);
            }
        });
        return new AdvanceOutcome(verdict, evaluated, result.Revision, tagged ?? evaluated);
    }

    public const string FreezeProfile = "freeze";

    private async Task<GateFacts> FactsAsync(string program, CompiledProgram compiled, string target, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var entered = await StageEnteredAtAsync(program, ct);
        var holds = (await freezes.ListAsync(program, all: false, ct)).Select(f => new StageHold("freeze", f.Id, f.Reason)).ToList();
        if (await locks.ActiveAsync(program, ct) is { } stageLock)
        {
            holds.Insert(0, new StageHold("stage-lock", stageLock.Id, $"rollback {stageLock.RollbackId}: {stageLock.Reason}"));
        }
        return new GateFacts
        {
            Definition = compiled.State.Definition,
            CurrentStage = compiled.State.Stage,
            TargetStage = target,
            StageEnteredAt = entered,
            Now = now,
            Window = await telemetry.WindowAsync(program, null, Core.Telemetry.Aggregation.BucketKey.Floor(entered, Core.Telemetry.Aggregation.AggregateResolution.Minute), now, ct),
            Checks = [.. await store.ChecksAsync(program, ct)],
            Signoffs = [.. await store.SignoffsAsync(program, ct)],
            SupportLoad = [.. await store.SupportLoadAsync(program, ct)],
            Incidents = [.. await incidents.ListAsync(program, null, ct)],
            Reviews = [.. await reviews.ListAsync(null, program, null, ct)],
            Holds = [.. holds],
        };
    }

    /// <summary>When the current stage was entered: the newest set-stage revision, else the program's first revision.</summary>
    public async Task<DateTimeOffset> StageEnteredAtAsync(string program, CancellationToken ct)
    {
        long? before = null;
        DateTimeOffset? oldest = null;
        while (true)
        {
            var page = await revisions.ListAsync(program, before, 500, ct);
            if (page.Count == 0)
            {
                return oldest ?? clock.GetUtcNow();
            }
            if (page.FirstOrDefault(r => string.Equals(r.Command, SetStageName, StringComparison.Ordinal)) is { } entered)
            {
                return entered.CreatedAt;
            }
            oldest = page[^1].CreatedAt;
            before = page[^1].Revision;
        }
    }

    private static readonly string SetStageName = new SetStage("0").Name;

    private async Task AuditAsync(WriteSession session, Actor actor, AuditAction action, string target, object after, DateTimeOffset now, CancellationToken ct) =>
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, action, target, null,
            JsonSerializer.Serialize(after, CoreJson.Options)), ct);
}
