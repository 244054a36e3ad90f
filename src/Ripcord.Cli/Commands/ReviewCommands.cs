using System.CommandLine;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord review</c>: post-action reviews of emergency actions, completed by someone other than the actor.</summary>
public static class ReviewCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var all = new Option<bool>("--all") { Description = "Completed reviews too" };
        var id = new Argument<string>("id") { Description = "Review id (rvw_…)" };
        var findings = new Option<string>("--findings") { Description = "What the review found", Required = true };

        return verbs.Group("review", "Post-action reviews of emergency actions",
            ["ripcord review list", "ripcord review complete rvw_0123456789 --findings \"activation was proportionate\""],
            verbs.Verb("list", "Open reviews (--all: completed ones too)",
                ["ripcord review list", "ripcord review list --all --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListReviewsAsync(context.Get(all) ? null : true, context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("REVIEW", "STATE", "ACTION", "OF", "ACTOR", "OPENED", "INCIDENT").AddRows(list.Value, r =>
                    [
                        new Cell(r.Id, Tone.Strong), r.Open ? new Cell("open", Tone.Warning) : new Cell("completed by " + r.CompletedBy, Tone.Dim),
                        r.Action, r.Summary, r.Actor, Words.Time(r.OpenedAt), r.IncidentId ?? "",
                    ]));
                    return ExitCodes.Success;
                }, all),
            verbs.Verb("show", "One review",
                ["ripcord review show rvw_0123456789"],
                async (context, ct) =>
                {
                    var r = await context.Api.GetReviewAsync(context.Get(id), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(r.Raw);
                        return ExitCodes.Success;
                    }
                    var v = r.Value;
                    context.Terminal.Line($"{v.Id} · {v.Action} · {v.Summary} · by {v.Actor} at {Words.Time(v.OpenedAt)}");
                    context.Terminal.Line(v.Open ? "  open: someone other than the actor completes it" : $"  completed by {v.CompletedBy} at {Words.Time(v.CompletedAt)}: {v.Findings}");
                    return ExitCodes.Success;
                }, id),
            verbs.Verb("complete", "Complete a review with findings (not your own action)",
                ["ripcord review complete rvw_0123456789 --findings \"KS3 at cohort:pilot was the minimal level; verified in 2 s\""],
                async (context, ct) =>
                {
                    var done = await context.Api.CompleteReviewAsync(context.Get(id), context.Get(findings), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(done.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Review {done.Value.Id} completed by {done.Value.CompletedBy}.");
                    return ExitCodes.Success;
                }, id, findings));
    }
}
