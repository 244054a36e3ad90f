using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Rollback;
using Ripcord.Server.Rollback;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord rollback</c>: what a rollback would do (always available), a tracked run for an incident, its status, the stage lock.</summary>
public static class RollbackCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var to = new Option<long?>("--to") { Description = "The revision to roll back to (default: the latest known-safe revision)" };
        var liftKillSwitches = new Option<bool>("--lift-kill-switches")
        {
            Description = "Also replace today's active kill switches with the target's (a rollback keeps them unless told: it never re-enables what a kill switch disabled)",
        };
        var incident = new Option<string>("--incident") { Description = "The incident the rollback is for", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (on the incident timeline and in the audit log)", Required = true };
        var id = new Argument<string>("id") { Description = "Rollback id (rbk_…)" };

        return verbs.Group("rollback", "Rollback: plan (always available), start a tracked run for an incident, follow it, lift its stage lock",
            ["ripcord rollback plan", "ripcord rollback start --incident inc_0123456789 --reason \"acks failing since revision 12\""],
            verbs.Verb("plan", "What a rollback would do now, before anything changes: target, differences per flag and context, overrides and kill switches, orphans",
                ["ripcord rollback plan", "ripcord rollback plan --to 3", "ripcord rollback plan --to 3 --json"],
                async (context, ct) =>
                {
                    var plan = await context.Api.PlanRollbackAsync(context.Program, context.Get(to), !context.Get(liftKillSwitches), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(plan.Raw);
                        return ExitCodes.Success;
                    }
                    Print(context.Terminal, plan.Value, context.Get(to) is null);
                    return ExitCodes.Success;
                }, to, liftKillSwitches),
            verbs.Verb("start", "Run a rollback for an incident: stage lock, freeze, revert as one revision, verify, document (release manager, security lead; opens a post-action review)",
                [
                    "ripcord rollback start --incident inc_0123456789 --reason \"acks failing since revision 12\"",
                    "ripcord rollback start --incident inc_0123456789 --to 3 --reason \"back to the pilot profile\" --json",
                ],
                async (context, ct) =>
                {
                    var run = await context.Api.StartRollbackAsync(context.Program,
                        new StartRollbackBody(context.Get(incident), context.Get(reason), context.Get(to), !context.Get(liftKillSwitches)), ct);
                    return Show(context, run.Value, run.Raw);
                }, incident, to, reason, liftKillSwitches),
            verbs.Verb("status", "A rollback run: each step with when, and the step it stopped at if it did (exit 1 unless completed and verified)",
                ["ripcord rollback status rbk_0123456789", "ripcord rollback status rbk_0123456789 --json"],
                async (context, ct) =>
                {
                    var run = await context.Api.GetRollbackAsync(context.Program, context.Get(id), ct);
                    return Show(context, run.Value, run.Raw);
                }, id),
            verbs.Verb("lift-lock", "Lift the program's stage lock: break-glass, a release manager alone (the normal path is ripcord fix resume)",
                ["ripcord rollback lift-lock --reason \"fix verified on pilot\""],
                async (context, ct) =>
                {
                    var lifted = await context.Api.LiftStageLockAsync(context.Program, context.Get(reason), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(lifted.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Stage lock {lifted.Value.Id} lifted: stage advance and guarded ramps may go on.");
                    return ExitCodes.Success;
                }, reason));
    }

    private static int Show(VerbContext context, RollbackRun run, string raw)
    {
        var ok = run.Status == RollbackStatus.Completed && run.Verification?.Passed == true;
        if (context.Json)
        {
            context.Terminal.Json(raw);
            return ok ? ExitCodes.Success : ExitCodes.CheckFailed;
        }
        var t = context.Terminal;
        t.Line($"Rollback {run.Id} of {run.Program} for incident {run.IncidentId}: {RollbackMachine.Name(run.Status)}");
        t.Line($"  target     revision {run.TargetRevision} (from {run.FromRevision})" + (run.Revision is { } r ? $", written as revision {r}" : ""));
        t.Line($"  started    {Words.Time(run.StartedAt)} by {run.StartedBy}: {run.Reason}");
        t.Table(new TableView("STEP", "AT", "DONE").AddRows(RollbackMachine.Order, step =>
        {
            var done = run.Steps.FirstOrDefault(s => s.Step == step);
            return [new Cell(RollbackMachine.Name(step), Tone.Strong), done is null ? "" : Words.Time(done.At),
                done?.Detail ?? (run.FailedStep == step ? "FAILED: " + run.Error : run.NextStep == step ? "next" : "")];
        }));
        if (run.Status == RollbackStatus.Running && run.NextStep is { } next)
        {
            t.Line($"Stopped before step {RollbackMachine.Name(next)}: the server resumes it when it starts again.");
        }
        if (run.Verification is { Passed: false } v)
        {
            t.Line($"Verification FAILED: {v.Mismatches.Length} evaluation differences; {v.InstancesPending.Length} SDK instances did not apply the revision.");
        }
        if (run.Status == RollbackStatus.Completed)
        {
            t.Line($"Document: ripcord incident document {run.IncidentId}");
        }
        return ok ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    private static void Print(Terminal t, RollbackPlan plan, bool knownSafe)
    {
        t.Line($"Rollback plan for {plan.Program}: revision {plan.CurrentRevision} → revision {plan.TargetRevision}"
            + (knownSafe ? " (the latest known-safe revision)" : "") + $"; stage {plan.CurrentStage} → {plan.TargetStage}");
        if (plan.ChangesNothing)
        {
            t.Line("Nothing would change: the program already has the target's profile.");
        }
        foreach (var change in plan.Changes)
        {
            t.Line("  " + (change.Warning ? "! " : "") + change.Words);
        }
        t.Line($"Effective differences over {plan.Contexts.Length} contexts: {plan.DifferenceCount}");
        if (!plan.Differences.IsEmpty)
        {
            t.Table(new TableView("FLAG", "CONTEXT", "NOW", "AFTER", "REASON NOW → AFTER").AddRows(plan.Differences, d =>
                [new Cell(d.Flag, Tone.Strong), d.Context, Words.OnOff(d.Now), Words.OnOff(d.After), $"{d.NowReason} → {d.AfterReason}"]));
        }
        if (!plan.Overrides.IsEmpty)
        {
            t.Table(new TableView("OVERRIDE", "FLAG", "SCOPE", "VALUE", "FATE").AddRows(plan.Overrides, o =>
                [o.Id, o.Flag, o.Scope, Words.OnOff(o.Value), new Cell(o.Fate, o.Fate == "removed" ? Tone.Warning : Tone.Normal)]));
        }
        foreach (var k in plan.KillSwitches)
        {
            t.Line($"Kill switch {k.Level} at {k.Scope} ({k.Id}): {k.Fate}");
        }
        t.Line(plan.Orphaned.IsEmpty ? "Orphaned overrides: none" : $"Orphaned overrides dropped: {string.Join(", ", plan.Orphaned.Select(o => $"{o.Id} ({o.Flag} at {o.Scope})"))}");
    }
}
