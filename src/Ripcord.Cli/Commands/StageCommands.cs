using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Stages;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord stage</c>: the rollout stage a program is at.</summary>
public static class StageCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var stage = new Argument<string>("stage") { Description = "0, 1, 2, 3 or freeze" };
        var ifMatch = new Option<long?>("--if-match") { Description = "Only apply if the program is still at this revision" };
        var reason = new Option<string?>("--reason") { Description = "An admin's break-glass reason for a stage other than freeze (audited, opens a post-action review)" };
        var to = new Option<string>("--to") { Description = "The target stage (0–3)", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only evaluate the criteria; change nothing" };

        return verbs.Group("stage", "The current rollout stage", ["ripcord stage get", "ripcord stage advance --to 1 --dry-run", "ripcord stage set freeze"],
            verbs.Verb("get", "Show the current stage",
                ["ripcord stage get", "ripcord stage get --json"],
                async (context, ct) => Print(context, await context.Api.GetStageAsync(context.Program, ct))),
            verbs.Verb("advance", "Evaluate the gates of moving to a stage and advance when every criterion passes (release manager, admin); exit 7 when refused",
                ["ripcord stage advance --to 1 --dry-run", "ripcord stage advance --to 1", "ripcord stage advance --to 2 --dry-run --json"],
                (context, ct) => StageAdvance.RunAsync(context, context.Get(to), context.Get(dryRun), ct),
                to, dryRun),
            verbs.Verb("set", "Enter the freeze profile (release manager, admin); any other stage is an admin's break-glass move with --reason",
                ["ripcord stage set freeze", "ripcord stage set 1 --reason \"INC-7: pilot must return now\"   (admin break-glass)", "ripcord stage set freeze --if-match 17"],
                async (context, ct) => Print(context, await context.Api.SetStageAsync(context.Program, context.Get(stage), context.Get(ifMatch), context.Get(reason), ct)),
                stage, ifMatch, reason));
    }

    private static int Print(VerbContext context, Api.ApiResponse<StageView> response)
    {
        if (context.Json)
        {
            context.Terminal.Json(response.Raw);
            return ExitCodes.Success;
        }
        var view = response.Value;
        if (view.Unchanged)
        {
            context.Terminal.Line($"{view.Program} already is at stage {view.Stage} ({view.Name}); nothing was written (revision {view.Revision}).");
            return ExitCodes.Success;
        }
        context.Terminal.Line($"{view.Program} is at stage {view.Stage} ({view.Name}), revision {view.Revision}. Stages: {Words.List(view.Stages)}.");
        return ExitCodes.Success;
    }
}
