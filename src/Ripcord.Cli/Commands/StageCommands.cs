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

        return verbs.Group("stage", "The current rollout stage", ["ripcord stage get", "ripcord stage set 1"],
            verbs.Verb("get", "Show the current stage",
                ["ripcord stage get", "ripcord stage get --json"],
                async (context, ct) => Print(context, await context.Api.GetStageAsync(context.Program, ct))),
            verbs.Verb("set", "Move to a stage (release manager or admin)",
                ["ripcord stage set 1", "ripcord stage set freeze", "ripcord stage set 2 --if-match 17"],
                async (context, ct) => Print(context, await context.Api.SetStageAsync(context.Program, context.Get(stage), context.Get(ifMatch), ct)),
                stage, ifMatch));
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
