using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Evaluation;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord evaluate</c>: every flag for one context, with the layer and scope that decided it.</summary>
public static class EvaluateCommand
{
    public static Command Create(VerbFactory verbs)
    {
        var workspace = new Option<string?>("--workspace", "-w") { Description = "Workspace id" };
        var user = new Option<string?>("--user", "-u") { Description = "User id" };
        var tier = new Option<int?>("--tier") { Description = "Mission tier 0, 1 or 2" };
        var attrs = new Option<string[]>("--attr") { Description = "Attribute name=value (repeatable); numbers and true/false are typed", AllowMultipleArgumentsPerToken = true };

        return verbs.Verb("evaluate", "Evaluate every flag for a context and show which layer decided each",
            [
                "ripcord evaluate --workspace acme --user bob --tier 1",
                "ripcord evaluate --workspace initech --tier 0 --attr appVersion=5.2 --attr platform=ios",
                "ripcord evaluate --workspace acme --json",
            ],
            async (context, ct) =>
            {
                var body = new ContextBody(context.Get(workspace), context.Get(user), context.Get(tier), Inputs.Attributes(context.Get(attrs) ?? []));
                var evaluated = await context.Api.EvaluateAsync(context.Program, body, ct);
                if (context.Json)
                {
                    context.Terminal.Json(evaluated.Raw);
                    return ExitCodes.Success;
                }
                var result = evaluated.Value;
                context.Terminal.Line($"{result.Program} revision {result.Revision}, stage {result.Stage}");
                context.Terminal.Table(new TableView("FLAG", "VALUE", "REASON", "SCOPE")
                    .AddRows(result.Flags, kv =>
                    [
                        kv.Value.Alias is { } alias ? $"{alias} {kv.Key}" : kv.Key, Cell.OnOff(kv.Value.Value),
                        new Cell(kv.Value.Source, kv.Value.Conflict == true ? Tone.Warning : Tone.Normal), kv.Value.Scope,
                    ]));
                return ExitCodes.Success;
            }, workspace, user, tier, attrs);
    }
}
