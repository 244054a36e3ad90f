using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Ramps;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;

namespace Ripcord.Server.Ramps;

/// <summary>A program's ramp as the API shows it: the current stage, that stage's plan (if it has one), and the ramp as it is (if one was started).</summary>
public sealed record RampStatusView(string Program, string Stage, RampPlan? Plan, RampState? Ramp);

/// <summary>
/// Guarded ramps (docs/stages-and-gates.md): starts, pauses and resumes a program's ramp for an operator,
/// and on every tick of the injected clock feeds each moving ramp its facts (the program's exit figures
/// since the step started, thresholds, stage, active freezes) through <see cref="RampMachine"/>. A step that
/// moves the cohort's percentage is a revision through <see cref="ProgramWriter"/> as the system actor, with
/// the ramp's row and its audit row in the same transaction; a hold or a finish is an audit row and the ramp's row.
/// </summary>
public sealed partial class RampService(Databases databases, RampStore store, ProgramRegistry registry, ProgramWriter writer, FreezeService freezes, Rollback.StageLocks locks,
    ITelemetryFigures telemetry, IAuditLog audit, TimeProvider clock, ILogger<RampService> log) : BackgroundService
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(30);
    public const int MaxReasonLength = 1000;

    // One ramp change at a time, across the API and the ticks: each reads the ramp, decides, and writes it back.
    private readonly SemaphoreSlim _lock = new(1, 1);

    public async Task<RampStatusView> StatusAsync(string program, CancellationToken ct)
    {
        var state = registry.Current(program).State;
        return new RampStatusView(program, state.Stage, state.Definition.FindStage(state.Stage)?.Ramp, await store.GetAsync(program, ct));
    }

    /// <summary>Starts the ramp of the program's current stage at its first step (one revision when that moves the cohort).</summary>
    public async Task<RampStatusView> StartAsync(string program, string? reason, Actor actor, CancellationToken ct)
    {
        CheckReason(reason, required: false);
        await _lock.WaitAsync(ct);
        try
        {
            var state = registry.Current(program).State;
            var plan = state.Definition.FindStage(state.Stage)?.Ramp
                ?? throw new ChangeRejectedException(ChangeError.Conflict, "stage", $"stage {state.Stage} of program '{program}' has no ramp in its definition");
            var existing = await store.GetAsync(program, ct);
            if (existing is { Status: RampStatus.Running or RampStatus.Holding or RampStatus.Paused } && existing.Stage == state.Stage)
            {
                throw new ChangeRejectedException(ChangeError.Conflict, "stage",
                    $"the ramp of stage {state.Stage} is already {Status(existing.Status)} at {RampMachine.Percent(existing.Percentage)}: pause or resume it");
            }
            if (await HoldsAsync(program, ct) is [var hold, ..])
            {
                throw new ChangeRejectedException(ChangeError.Conflict, "stage", $"a ramp cannot start while {hold}");
            }
            var started = Noted(RampMachine.Start(state.Stage, plan, Now, actor.Name), reason);
            await WriteAsync(program, existing, started, started.Percentage, actor, AuditAction.RampStart, ct);
            return await StatusAsync(program, ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task<RampStatusView> PauseAsync(string program, string reason, Actor actor, CancellationToken ct)
    {
        CheckReason(reason, required: true);
        return ChangeAsync(program, actor, AuditAction.RampPause, r => r.Status is RampStatus.Running or RampStatus.Holding
            ? RampMachine.Pause(r, reason) : throw NotMovable(r, "paused"), ct);
    }

    public Task<RampStatusView> ResumeAsync(string program, string? reason, Actor actor, CancellationToken ct)
    {
        CheckReason(reason, required: false);
        return ChangeAsync(program, actor, AuditAction.RampResume, r => r.Status is RampStatus.Paused or RampStatus.Holding or RampStatus.RolledBack
            ? Noted(RampMachine.Resume(r, Now), reason) : throw NotMovable(r, "resumed"), ct);
    }

    /// <summary>
    /// A pause says why (required); a start or resume may (1 to <see cref="MaxReasonLength"/> characters when given): the API's and
    /// the dashboard's one check.
    /// </summary>
    private static void CheckReason(string? reason, bool required)
    {
        if (reason is null && !required)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", required
                ? $"reason is required (at most {MaxReasonLength} characters): why the ramp stops"
                : $"reason, when given, is 1 to {MaxReasonLength} characters");
        }
    }

    private static RampState Noted(RampState r, string? reason) => reason is null ? r : r with { Reason = $"{r.Reason}: {reason}" };

    private static ChangeRejectedException NotMovable(RampState r, string verb) =>
        new(ChangeError.Conflict, "ramp", $"the ramp of stage {r.Stage} is {Status(r.Status)}: it cannot be {verb}");

    private async Task<RampStatusView> ChangeAsync(string program, Actor actor, AuditAction action, Func<RampState, RampState> change, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            registry.Current(program);
            var ramp = await store.GetAsync(program, ct)
                ?? throw new ChangeRejectedException(ChangeError.NotFound, "ramp", $"program '{program}' has no ramp: start one with POST …/ramps");
            await WriteAsync(program, ramp, change(ramp), null, actor, action, ct);
            return await StatusAsync(program, ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>One pass over every ramp that may move by itself; what each did (tests call this with the fake clock where it stands).</summary>
    public async Task<List<RampDecision>> RunOnceAsync(CancellationToken ct)
    {
        var decisions = new List<RampDecision>();
        foreach (var program in await store.ActiveProgramsAsync(ct))
        {
            try
            {
                if (await TickAsync(program, ct) is { } decision)
                {
                    decisions.Add(decision);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTickFailed(program, ex.GetType().Name, ex.Message);
            }
        }
        return decisions;
    }

    private async Task<RampDecision?> TickAsync(string program, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (await store.GetAsync(program, ct) is not { Stopped: false } ramp)
            {
                return null;
            }
            var state = registry.Current(program).State;
            var now = Now;
            // Since the step started, its first minute included (the figures are per minute).
            var window = await telemetry.WindowAsync(program, null, Core.Telemetry.Aggregation.BucketKey.Floor(ramp.StepStartedAt, Core.Telemetry.Aggregation.AggregateResolution.Minute), now, ct);
            var decision = RampMachine.Tick(ramp, new RampFacts(now, window, state.Definition.Thresholds, state.Stage, [.. await HoldsAsync(program, ct)]));
            var (action, percentage) = decision.Action?.Kind switch
            {
                RampActionKind.Advance => (AuditAction.RampAdvance, decision.Next.Percentage),
                RampActionKind.RollBack => (AuditAction.RampRollback, decision.Next.Percentage),
                RampActionKind.Hold => (AuditAction.RampHold, (decimal?)null),
                RampActionKind.Finish => (AuditAction.RampFinish, null),
                _ => ((AuditAction?)null, (decimal?)null),
            };
            await WriteAsync(program, ramp, decision.Next, percentage, Actor.System, action, ct);
            if (decision.Action is { } a)
            {
                LogAction(program, a.Kind.ToString(), a.From, a.To, a.Reason);
            }
            return decision;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<List<string>> HoldsAsync(string program, CancellationToken ct)
    {
        List<string> holds = [.. (await freezes.ListAsync(program, all: false, ct)).Select(f => $"freeze {f.Id} at {f.Scope}: {f.Reason}")];
        if (await locks.ActiveAsync(program, ct) is { } stageLock)
        {
            holds.Insert(0, $"stage lock {stageLock.Id} of rollback {stageLock.RollbackId}: {stageLock.Reason}");
        }
        return holds;
    }

    private DateTimeOffset Now => SqlDatabase.Storable(clock.GetUtcNow());

    /// <summary>
    /// Stores <paramref name="next"/> with its audit row (when <paramref name="action"/> is given); when <paramref name="percentage"/>
    /// moves the cohort, both go into the transaction of the revision that moves it.
    /// </summary>
    private async Task WriteAsync(string program, RampState? before, RampState next, decimal? percentage, Actor actor, AuditAction? action,
        CancellationToken ct)
    {
        async Task Rows(WriteSession session, CancellationToken wct)
        {
            var now = Now;
            await store.PutAsync(session, program, next, now, wct);
            if (action is { } a)
            {
                await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, a, $"ramp:{program}/{next.Stage}",
                    before is null ? null : JsonSerializer.Serialize(before, CoreJson.Options), JsonSerializer.Serialize(next, CoreJson.Options)), wct);
            }
        }

        if (percentage is { } pct && registry.Current(program).State.FindCohort(next.Plan.Cohort) is { } cohort)
        {
            var result = await writer.ExecuteAsync(program, new PutCohort(cohort with { Percentage = pct }), actor, null, ct,
                (session, _, wct) => Rows(session, wct));
            if (!result.Unchanged)
            {
                return;
            }
        }
        await using var own = await databases.Config.BeginWriteAsync(ct);
        await Rows(own, ct);
        await own.CommitAsync(ct);
    }

    public static string Status(RampStatus status) => JsonSerializer.Serialize(status, CoreJson.Options).Trim('"');

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(TickInterval, clock, stoppingToken);
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The ramps could not be listed (storage down): the next tick tries again; nothing moved.
                    LogTickFailed("*", ex.GetType().Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Ramp of {Program}: {Action} {From}% → {To}% ({Reason})")]
    private partial void LogAction(string program, string action, decimal from, decimal to, string reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "Ramp of {Program} could not be evaluated ({ErrorType}: {Error}); retrying on the next tick")]
    private partial void LogTickFailed(string program, string errorType, string error);
}
