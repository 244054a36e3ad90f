using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Ramps;
using Ripcord.Server.Ramps;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord ramp</c>: the guarded ramp of the current stage (docs/stages-and-gates.md, "Guarded ramps").</summary>
public static class RampCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var reason = new Option<string>("--reason") { Description = "Why the ramp stops (in the audit log)", Required = true };

        return verbs.Group("ramp", "Guarded ramps: widen the current stage's percentage cohort step by step while the exit metrics hold",
            ["ripcord ramp start", "ripcord ramp status --json"],
            verbs.Verb("start", "Start the ramp of the current stage at its first step (release manager, admin)",
                ["ripcord ramp start", "ripcord ramp start --program groups --json"],
                async (context, ct) => Show(context, await context.Api.StartRampAsync(context.Program, ct))),
            verbs.Verb("status", "Where the ramp is: step, percentage, next step at, last figures, why it holds",
                ["ripcord ramp status", "ripcord ramp status --json"],
                async (context, ct) => Show(context, await context.Api.GetRampAsync(context.Program, ct))),
            verbs.Verb("pause", "Stop the ramp's automatic moves; the cohort stays at its step (release manager, admin)",
                ["ripcord ramp pause --reason \"support tickets rising\""],
                async (context, ct) => Show(context, await context.Api.PauseRampAsync(context.Program, context.Get(reason), ct)), reason),
            verbs.Verb("resume", "Let a paused, holding or rolled-back ramp move again; its step starts afresh (release manager, admin)",
                ["ripcord ramp resume"],
                async (context, ct) => Show(context, await context.Api.ResumeRampAsync(context.Program, ct))));
    }

    private static int Show(VerbContext context, Api.ApiResponse<RampStatusView> response)
    {
        if (context.Json)
        {
            context.Terminal.Json(response.Raw);
            return ExitCodes.Success;
        }
        var v = response.Value;
        var t = context.Terminal;
        if (v.Ramp is not { } r)
        {
            t.Line(v.Plan is { } p
                ? $"No ramp started. Stage {v.Stage} ramps {p.Cohort} {Steps(p)} (every {RampPlan.FormatEvery(p.EveryMinutes)}): ripcord ramp start"
                : $"No ramp started, and stage {v.Stage} has none in its definition.");
            return ExitCodes.Success;
        }
        t.Line($"Ramp of stage {r.Stage}: {r.Plan.Cohort} at {RampMachine.Percent(r.Percentage)} (step {r.Step + 1} of {r.Plan.Steps.Length}: {Steps(r.Plan)}), {RampService.Status(r.Status)}");
        if (!r.Stopped)
        {
            t.Line($"  next step at  {Words.Time(r.NextStepAt)} (every {RampPlan.FormatEvery(r.Plan.EveryMinutes)}, rollback on breach: {(r.Plan.RollbackOnBreach ? "yes" : "no")})");
        }
        t.Line($"  why           {r.Reason}");
        if (r.Figures is { } f)
        {
            t.Line($"  figures       {f.Operations} operations, {f.Fallbacks} fallbacks, {f.SendFailures} of {f.Sends} sends failed (since {Words.Time(f.From)})");
        }
        t.Line($"  started       {Words.Time(r.StartedAt)} by {r.StartedBy}");
        return ExitCodes.Success;
    }

    private static string Steps(RampPlan p) => string.Join(" → ", p.Steps.Select(RampMachine.Percent));
}
