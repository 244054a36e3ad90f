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
        var from = new Argument<long>("from") { Description = "The earlier revision" };
        var to = new Argument<long>("to") { Description = "The later revision" };

        return verbs.Group("revisions", "Immutable, numbered configuration revisions",
            ["ripcord revisions list", "ripcord revisions show 12", "ripcord revisions diff 10 12"],
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
            verbs.Verb("show", "Show one revision: who made it, when, why, and what it changed from the one before (the whole state as JSON with --json)",
                ["ripcord revisions show 12", "ripcord revisions show 12 --json | jq '.state.overrides'"],
                async (context, ct) =>
                {
                    var shown = await context.Api.GetRevisionAsync(context.Program, context.Get(revision), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(shown.Raw);
                        return ExitCodes.Success;
                    }
                    var r = shown.Value;
                    context.Terminal.Line($"Revision {r.Revision} of {context.Program}, {Words.Time(r.CreatedAt)} by {r.Actor}{(r.Command is { } c ? $" ({c})" : "")}:");
                    context.Terminal.Line($"  {r.Summary}");
                    if (r.Revision > 1)
                    {
                        var diff = await context.Api.DiffRevisionsAsync(context.Program, r.Revision - 1, r.Revision, ct);
                        context.Terminal.Line($"Changes from revision {r.Revision - 1}:");
                        ChangeList.Write(context.Terminal, diff.Value.Changes, "  none in the configuration.");
                    }
                    return ExitCodes.Success;
                }, revision),
            verbs.Verb("diff", "What changed between two revisions, flag by flag and scope by scope, in words",
                ["ripcord revisions diff 10 12", "ripcord revisions diff 12 10   (the other way round: what going back would change)", "ripcord revisions diff 1 40 --json"],
                async (context, ct) =>
                {
                    var diff = await context.Api.DiffRevisionsAsync(context.Program, context.Get(from), context.Get(to), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(diff.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"From revision {diff.Value.From} to {diff.Value.To} of {context.Program}:");
                    ChangeList.Write(context.Terminal, diff.Value.Changes, "  no changes in the configuration.");
                    return ExitCodes.Success;
                }, from, to));
    }
}
