using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;
using Ripcord.Core.Incidents;
using Ripcord.Core.Rollback;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using Ripcord.Server.Revisions;
using Ripcord.Server.Storage;
using Ripcord.Server.Streaming;

namespace Ripcord.Server.Rollback;

/// <summary>
/// Lets a test stop a run after a step, as a server killed there would: nothing more is written, and a new
/// server on the same data resumes it. The server registers none.
/// </summary>
public interface IRollbackFaults
{
    bool StopAfter(RollbackStep step);
}

/// <summary>
/// Rollback runs (seed §13): plans them (pure, <see cref="RollbackPlanner"/>), starts one as a workflow document,
/// and drives it step by step — <see cref="RollbackMachine"/> says which step is next; each step is written in one
/// transaction together with the run document, its incident timeline entry and its audit row, so a run killed
/// anywhere resumes at the first step not stored (on server start, <see cref="RollbackResumer"/>).
/// </summary>
public sealed partial class RollbackService(Databases databases, WorkflowDocs docs, IncidentService incidents, ReviewService reviews,
    FreezeService freezes, StageLocks locks, ProgramRegistry registry, ProgramWriter writer, RevisionLog log, KnownSafeStore knownSafe,
    ClientRegistry clients, IAuditLog audit, TimeProvider clock, ServerOptions options, ILogger<RollbackService> logger,
    IEnumerable<IRollbackFaults> faults, KillSwitches.VerificationTracker operations)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _runs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _starting = new(1, 1);
    private readonly IRollbackFaults? _faults = faults.FirstOrDefault();

    private DateTimeOffset Now => SqlDatabase.Storable(clock.GetUtcNow());

    /// <summary>What a rollback to <paramref name="to"/> (default: the latest known-safe revision) would do now.</summary>
    public async Task<RollbackPlan> PlanAsync(string program, long? to, bool keepKillSwitches, CancellationToken ct)
    {
        var current = registry.Current(program);
        var target = await TargetAsync(program, current, to, ct);
        var state = await StateAtAsync(program, target, current, ct);
        return RollbackPlanner.Plan(current.State, current.Revision, state, target, keepKillSwitches, Now);
    }

    public async Task<RollbackRun> StartAsync(string program, string incidentId, long? to, string reason, bool keepKillSwitches, Actor actor,
        CancellationToken ct)
    {
        RollbackRun run;
        await _starting.WaitAsync(ct);
        try
        {
            var current = registry.Current(program);
            if (string.IsNullOrWhiteSpace(incidentId))
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "incident", "a rollback is run for an incident: declare one first");
            }
            var target = await TargetAsync(program, current, to, ct);
            var now = Now;
            run = RollbackMachine.Start(IncidentService.NewId("rbk_"), program, incidentId, current.Revision, target, reason, keepKillSwitches,
                actor.Name, actor.Principal.Id, actor.Role.Name, now);
            if ((await docs.ListAsync<RollbackRun>(DocKinds.Rollback, ct, program, RollbackMachine.Name(RollbackStatus.Running))) is [var running, ..])
            {
                throw new ChangeRejectedException(ChangeError.Conflict, "program",
                    $"rollback {running.Id} of '{program}' is still running (at step {Step(running.NextStep)}): see ripcord rollback status {running.Id}");
            }
            await using var session = await databases.Config.BeginWriteAsync(ct);
            await incidents.UpdateAsync(session, program, incidentId, i => IncidentWorkflow.Mitigating(i, new TimelineEntry(now, TimelineKinds.RollbackStarted,
                $"rollback {run.Id} started: revert to revision {target} (from {current.Revision}); reason: {run.Reason}"
                + (keepKillSwitches ? "" : "; active kill switches are NOT kept (operator's choice)"), actor.Name, run.Id)), now, ct);
            await SaveAsync(session, run, now, ct);
            await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.RollbackStart,
                Target(run), null, JsonSerializer.Serialize(new { run.TargetRevision, run.FromRevision, run.Reason, run.KeepKillSwitches, incident = incidentId },
                    CoreJson.Options)), ct);
            await reviews.OpenAsync(session, program, AuditAction.RollbackStart, Target(run), $"rollback {run.Id} to revision {target}", incidentId,
                actor.Principal, now, ct);
            await session.CommitAsync(ct);
        }
        finally
        {
            _starting.Release();
        }
        return await DriveAsync(run.Id, ct);
    }

    public async Task<RollbackRun> GetAsync(string program, string id, CancellationToken ct)
    {
        registry.Current(program);
        var run = await docs.GetAsync<RollbackRun>(DocKinds.Rollback, id, ct);
        return run is not null && string.Equals(run.Program, program, StringComparison.Ordinal)
            ? run
            : throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no rollback '{id}' in program '{program}'");
    }

    public Task<List<RollbackRun>> ListAsync(string program, CancellationToken ct, string? incidentId = null)
    {
        registry.Current(program);
        return docs.ListAsync<RollbackRun>(DocKinds.Rollback, ct, program, incidentId: incidentId);
    }

    public Task<List<RollbackRun>> UnfinishedAsync(CancellationToken ct) =>
        docs.ListAsync<RollbackRun>(DocKinds.Rollback, ct, status: RollbackMachine.Name(RollbackStatus.Running));

    /// <summary>The program's active stage lock, if any.</summary>
    public Task<StageLock?> StageLockAsync(string program, CancellationToken ct)
    {
        registry.Current(program);
        return locks.ActiveAsync(program, ct);
    }

    /// <summary>Lifts the program's stage lock: break-glass, a release manager alone with a reason (the normal path is a forward fix's resume).</summary>
    public async Task<StageLock> LiftStageLockAsync(string program, string reason, Actor actor, CancellationToken ct)
    {
        registry.Current(program);
        var now = Now;
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var held = await locks.ActiveAsync(program, ct)
            ?? throw new ChangeRejectedException(ChangeError.NotFound, "stage-lock", $"program '{program}' has no stage lock");
        var lifted = await locks.LiftAsync(session, held, reason, actor, now, ct);
        await session.CommitAsync(ct);
        return lifted;
    }

    /// <summary>
    /// Takes the run's remaining steps, each stored before the next; a finished run is returned as it is (re-running
    /// it changes nothing). A step the program refuses fails the run there, saying so on the incident's timeline.
    /// </summary>
    public async Task<RollbackRun> DriveAsync(string id, CancellationToken ct)
    {
        var gate = _runs.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            while (true)
            {
                var run = await docs.GetAsync<RollbackRun>(DocKinds.Rollback, id, ct)
                    ?? throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no rollback '{id}'");
                if (run.NextStep is not { } step)
                {
                    return run;
                }
                try
                {
                    await TakeAsync(run, step, ct);
                }
                catch (ChangeRejectedException ex)
                {
                    await FailAsync(run, step, ex.Message, ct);
                    continue;
                }
                catch (UnknownProgramException ex)
                {
                    await FailAsync(run, step, ex.Message, ct);
                    continue;
                }
                if (_faults?.StopAfter(step) == true)
                {
                    LogStopped(id, RollbackMachine.Name(step));
                    return await docs.GetAsync<RollbackRun>(DocKinds.Rollback, id, ct) ?? run;
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private Task TakeAsync(RollbackRun run, RollbackStep step, CancellationToken ct) => step switch
    {
        RollbackStep.StageLock => LockAsync(run, ct),
        RollbackStep.Freeze => FreezeAsync(run, ct),
        RollbackStep.Revert => RevertAsync(run, ct),
        RollbackStep.Verify => VerifyAsync(run, ct),
        _ => DocumentAsync(run, ct),
    };

    private async Task LockAsync(RollbackRun run, CancellationToken ct)
    {
        var now = Now;
        var actor = ActorOf(run);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var held = await locks.ActiveAsync(run.Program, ct);
        string detail;
        StageLock stageLock;
        if (held is not null)
        {
            stageLock = held;
            detail = $"stage lock {held.Id} already held (rollback {held.RollbackId}): stage advance refused, guarded ramps hold";
        }
        else
        {
            stageLock = new StageLock
            {
                Id = IncidentService.NewId("lck_"), Program = run.Program, RollbackId = run.Id, IncidentId = run.IncidentId, Reason = run.Reason,
                LockedAt = now, LockedBy = run.StartedBy,
            };
            await docs.PutAsync(session, DocKinds.StageLock, stageLock.Id, run.Program, StageLocks.Active, run.IncidentId, stageLock, now, ct);
            await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.StageLock,
                $"stage-lock:{run.Program}/{stageLock.Id}", null, JsonSerializer.Serialize(stageLock, CoreJson.Options)), ct);
            detail = $"stage lock {stageLock.Id}: stage advance refused, guarded ramps hold";
        }
        await StepAsync(session, run, new RollbackStepRecord(RollbackStep.StageLock, now, detail, stageLock.Id), TimelineKinds.StageLocked,
            r => r with { StageLockId = stageLock.Id }, ct);
        await session.CommitAsync(ct);
    }

    private async Task FreezeAsync(RollbackRun run, CancellationToken ct)
    {
        var actor = ActorOf(run);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var freeze = await freezes.StartAsync(session, run.Program, "global", $"rollback {run.Id}: {run.Reason}", run.IncidentId, null, actor, ct);
        await StepAsync(session, run, new RollbackStepRecord(RollbackStep.Freeze, Now, $"deploy freeze {freeze.Id} of the whole program", freeze.Id),
            timelineKind: null, r => r with { FreezeId = freeze.Id }, ct);
        await session.CommitAsync(ct);
    }

    private async Task RevertAsync(RollbackRun run, CancellationToken ct)
    {
        var actor = ActorOf(run);
        var current = registry.Current(run.Program);
        var target = await StateAtAsync(run.Program, run.TargetRevision, current, ct);
        var instances = clients.For(run.Program).Where(c => c.Connected).Select(c => c.Instance).Order(StringComparer.Ordinal).ToList();
        var command = new RollbackTo(run.TargetRevision, target, $"rollback {run.Id}: {run.Reason}", run.KeepKillSwitches);
        var result = await writer.ExecuteAsync(run.Program, command, actor, null, ct, (session, written, wct) =>
            StepAsync(session, run, new RollbackStepRecord(RollbackStep.Revert, Now,
                $"reverted to the profile of revision {run.TargetRevision} as revision {written.Revision}", written.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                TimelineKinds.Reverted, r => r with { Revision = written.Revision, InstancesAtRevert = [.. instances] }, wct));
        if (result.Unchanged)
        {
            await using var own = await databases.Config.BeginWriteAsync(ct);
            await StepAsync(own, run, new RollbackStepRecord(RollbackStep.Revert, Now, $"already at the profile of revision {run.TargetRevision}: nothing written"),
                TimelineKinds.Reverted, r => r with { Revision = result.Revision, InstancesAtRevert = [.. instances] }, ct);
            await own.CommitAsync(ct);
        }
    }

    private async Task VerifyAsync(RollbackRun run, CancellationToken ct)
    {
        var current = registry.Current(run.Program);
        var target = await StateAtAsync(run.Program, run.TargetRevision, current, ct);
        var now = Now;
        var expected = RollbackPlanner.After(current.State, run.TargetRevision, target, run.KeepKillSwitches, now);
        var check = RollbackPlanner.Compare(current.State, expected, RollbackPlanner.Contexts(current.State, target), now);
        // While the SDKs apply the revision, an operation they report made under it although its flag is now off is a violation.
        var watch = operations.Watch(run.Program, run.Revision ?? 0);
        VerificationResult sdk;
        try
        {
            sdk = await WaitForInstancesAsync(run, watch, ct);
        }
        finally
        {
            operations.Unwatch(watch);
        }
        var passed = check.Equal && sdk.Status == VerificationStatus.Verified;
        var verification = new RollbackVerification(check.Equal, check.Contexts, check.Flags, check.Mismatches, sdk.Applied, sdk.Total,
            [.. sdk.Stragglers.Concat(sdk.Unreachable)], passed) { Violations = sdk.Violations };
        var words = $"rollback {run.Id} verification {(passed ? "passed" : "FAILED")}: evaluation {(check.Equal ? "equals" : "differs from")} the target's over "
            + $"{check.Contexts} contexts × {check.Flags} flags" + (check.Equal ? "" : $" ({check.Mismatches.Length} differences, e.g. {check.Mismatches[0].Flag} at {check.Mismatches[0].Context})")
            + $"; {string.Join("; ", sdk.Describe())}";
        now = Now;
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var entry = new TimelineEntry(now, passed ? TimelineKinds.Verified : TimelineKinds.VerificationFailed, words, run.StartedBy, run.Id);
        await incidents.UpdateAsync(session, run.Program, run.IncidentId, i => passed ? IncidentWorkflow.Verified(i, entry) : IncidentWorkflow.Record(i, entry),
            now, ct);
        await StepAsync(session, run, new RollbackStepRecord(RollbackStep.Verify, now, words), timelineKind: null, r => r with { Verification = verification }, ct);
        await session.CommitAsync(ct);
    }

    /// <summary>
    /// The SDK instances connected at the revert, until each has applied the revision or disconnected, or the wait is over
    /// (counted in real time: a run resumed under a test's fake clock still ends). Decided as the kill-switch verification decides.
    /// </summary>
    private async Task<VerificationResult> WaitForInstancesAsync(RollbackRun run, KillSwitches.VerificationTracker.OperationWatch watch, CancellationToken ct)
    {
        var revision = run.Revision ?? 0;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var reports = new Dictionary<string, InstanceReport>(StringComparer.Ordinal);
            foreach (var instance in run.InstancesAtRevert)
            {
                if (clients.TryGet(instance, out var view))
                {
                    reports[instance] = new InstanceReport(instance, view.AppliedRevision, view.Connected);
                }
            }
            var over = waited.Elapsed >= options.RollbackVerifyWait;
            var now = clock.GetUtcNow();
            var result = KillSwitchVerification.Evaluate(revision, run.InstancesAtRevert, reports, watch.Violations, over ? now : now.AddDays(1), now);
            if (result.Status != VerificationStatus.Pending)
            {
                return result;
            }
            await Task.Delay(Poll, ct);
        }
    }

    private async Task DocumentAsync(RollbackRun run, CancellationToken ct)
    {
        var now = Now;
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var incident = await incidents.LoadAsync(session, run.Program, run.IncidentId, ct);
        var detail = $"incident timeline documented ({incident.Timeline.Length + 1} entries): ripcord incident document {run.IncidentId}";
        await StepAsync(session, run, new RollbackStepRecord(RollbackStep.Document, now, detail), TimelineKinds.Documented, null, ct);
        await session.CommitAsync(ct);
    }

    private async Task FailAsync(RollbackRun run, RollbackStep step, string error, CancellationToken ct)
    {
        var now = Now;
        var actor = ActorOf(run);
        var failed = RollbackMachine.Fail(run, step, error, now);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await SaveAsync(session, failed, now, ct);
        await incidents.UpdateAsync(session, run.Program, run.IncidentId, i => IncidentWorkflow.Record(i, new TimelineEntry(now, TimelineKinds.RollbackFailed,
            $"rollback {run.Id} stopped at step {RollbackMachine.Name(step)}: {error}", run.StartedBy, run.Id)), now, ct);
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.RollbackStep, Target(run), null,
            JsonSerializer.Serialize(new { step = RollbackMachine.Name(step), status = "failed", error }, CoreJson.Options)), ct);
        await session.CommitAsync(ct);
        LogFailed(run.Id, RollbackMachine.Name(step), error);
    }

    /// <summary>Records a step on the run (and, with <paramref name="timelineKind"/>, on the incident's timeline) with its audit row.</summary>
    private async Task StepAsync(WriteSession session, RollbackRun run, RollbackStepRecord step, string? timelineKind, Func<RollbackRun, RollbackRun>? with,
        CancellationToken ct)
    {
        // Re-read inside the write: a step is stored once, whoever else drives the run.
        var stored = await docs.GetAsync<RollbackRun>(DocKinds.Rollback, run.Id, ct, session) ?? run;
        var next = RollbackMachine.Record(stored, step, with);
        await SaveAsync(session, next, step.At, ct);
        if (timelineKind is not null)
        {
            await incidents.UpdateAsync(session, run.Program, run.IncidentId, i => IncidentWorkflow.Record(i,
                new TimelineEntry(step.At, timelineKind, $"rollback {run.Id}: {step.Detail}", run.StartedBy, step.Ref ?? run.Id)), step.At, ct);
        }
        var actor = ActorOf(run);
        await audit.AppendAsync(session, new AuditDraft(step.At, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.RollbackStep, Target(run), null,
            JsonSerializer.Serialize(new { step = RollbackMachine.Name(step.Step), status = RollbackMachine.Name(next.Status), step.Detail }, CoreJson.Options)), ct);
    }

    private Task SaveAsync(WriteSession session, RollbackRun run, DateTimeOffset now, CancellationToken ct) =>
        docs.PutAsync(session, DocKinds.Rollback, run.Id, run.Program, RollbackMachine.Name(run.Status), run.IncidentId, run, now, ct);

    private async Task<long> TargetAsync(string program, CompiledProgram current, long? to, CancellationToken ct)
    {
        if (to is { } named)
        {
            return named >= 1 && named <= current.Revision
                ? named
                : throw new ChangeRejectedException(ChangeError.Invalid, "to", $"'{program}' has revisions 1–{current.Revision}, not {named}");
        }
        return (await knownSafe.LatestAsync(program, ct))?.Revision
            ?? throw new ChangeRejectedException(ChangeError.Conflict, "to",
                $"'{program}' has no known-safe revision yet: name the revision to roll back to (?to=REVISION, ripcord rollback plan --to REVISION)");
    }

    private async Task<ProgramState> StateAtAsync(string program, long revision, CompiledProgram current, CancellationToken ct) =>
        await log.StateAtAsync(program, revision, ct, current.Revision == revision ? (current.State, current.Revision) : null)
        ?? throw new ChangeRejectedException(ChangeError.NotFound, "to", $"revision {revision} of '{program}' cannot be read");

    private static Actor ActorOf(RollbackRun run) =>
        new(new Principal(run.StartedByPrincipal, run.StartedBy), Role.TryParse(run.StartedByRole, out var role) ? role : Role.System, "rollback:" + run.Id);

    private static string Target(RollbackRun run) => $"rollback:{run.Program}/{run.Id}";

    private static string Step(RollbackStep? step) => step is { } s ? RollbackMachine.Name(s) : "none";

    [LoggerMessage(EventId = 7201, Level = LogLevel.Warning, Message = "Rollback {Run} stopped after step {Step} (test fault): it resumes on the next start")]
    private partial void LogStopped(string run, string step);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "Rollback {Run} failed at step {Step}: {Error}")]
    private partial void LogFailed(string run, string step, string error);
}
