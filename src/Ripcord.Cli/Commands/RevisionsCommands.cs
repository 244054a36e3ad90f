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
        var reason = new Option<string>("--reason") { Description = "Why the revision is known to be safe", Required = true };

        return verbs.Group("revision", "Immutable, numbered configuration revisions",
            ["ripcord revision list", "ripcord revision show 12", "ripcord revision diff 10 12", "ripcord revision known-safe 12 --reason \"soaked a week at stage 1\""],
            verbs.Verb("list", "List revisions, newest first",
                ["ripcord revision list", "ripcord revision list --limit 100 --json"],
                async (context, ct) =>
                {
                    var revisions = await context.Api.ListRevisionsAsync(context.Program, context.Get(limit), ct: ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(revisions.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("REVISION", "AT", "ACTOR", "SUMMARY", "KNOWN-SAFE")
                        .AddRows(revisions.Value, r => [new Cell(Words.Number(r.Revision), Tone.Strong), Words.Time(r.CreatedAt), r.Actor, r.Summary,
                            r.KnownSafe is { } k ? new Cell($"✓ {k.Kind}: {k.Reason}", Tone.Good) : ""]));
                    return ExitCodes.Success;
                }, limit),
            verbs.Verb("show", "Show one revision: who made it, when, why, and what it changed from the one before (the whole state as JSON with --json)",
                ["ripcord revision show 12", "ripcord revision show 12 --json | jq '.state.overrides'"],
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
                ["ripcord revision diff 10 12", "ripcord revision diff 12 10   (the other way round: what going back would change)", "ripcord revision diff 1 40 --json"],
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
                }, from, to),
            verbs.Verb("known-safe", "Tag a revision known-safe by hand (release manager, admin); advances tag one automatically when the exit criteria pass",
                ["ripcord revision known-safe 12 --reason \"soaked a week at stage 1\""],
                async (context, ct) =>
                {
                    var tagged = await context.Api.TagKnownSafeAsync(context.Program, context.Get(revision), context.Get(reason), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(tagged.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Revision {tagged.Value.Revision} of {context.Program} (stage {tagged.Value.Stage}) is known-safe: {tagged.Value.Reason}");
                    return ExitCodes.Success;
                }, revision, reason));
    }
}
