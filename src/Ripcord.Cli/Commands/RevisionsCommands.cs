using System.CommandLine;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord revisions</c>: the immutable, numbered history of a program's configuration.</summary>
public static class RevisionsCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var revision = new Argument<long>("revision") { Description = "Revision number" };
        var limit = new Option<int>("--limit") { Description = "How many (newest first)", DefaultValueFactory = _ => 20 };

        return verbs.Group("revisions", "Immutable, numbered configuration revisions",
            ["ripcord revisions list", "ripcord revisions show 12"],
            verbs.Verb("list", "List revisions, newest first",
                ["ripcord revisions list", "ripcord revisions list --limit 100 --json"],
                async (context, ct) =>
                {
                    var revisions = await context.Api.ListRevisionsAsync(context.Program, context.Get(limit), ct: ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(revisions.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("REVISION", "AT", "ACTOR", "SUMMARY")
                        .AddRows(revisions.Value, r => [new Cell(Words.Number(r.Revision), Tone.Strong), Words.Time(r.CreatedAt), r.Actor, r.Summary]));
                    return ExitCodes.Success;
                }, limit),
            verbs.Verb("show", "Show one revision with its full state (as JSON)",
                ["ripcord revisions show 12", "ripcord revisions show 12 | jq '.state.overrides'"],
                async (context, ct) =>
                {
                    context.Terminal.Json((await context.Api.GetRevisionAsync(context.Program, context.Get(revision), ct)).Raw);
                    return ExitCodes.Success;
                }, revision));
    }
}
