using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Cohorts;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord cohort</c>: named sets of workspaces or users that stages and overrides target.</summary>
public static class CohortCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var id = new Argument<string>("id") { Description = "Cohort id, e.g. pilot" };
        var workspaces = new Option<string[]>("--workspaces") { Description = "Explicit workspace ids (comma or space separated)", AllowMultipleArgumentsPerToken = true };
        var users = new Option<string[]>("--users") { Description = "Explicit user ids", AllowMultipleArgumentsPerToken = true };
        var rule = new Option<string?>("--rule") { Description = "Rule on context attributes, e.g. 'workspaceType == \"pilot\" && tier >= 1'" };
        var percentage = new Option<decimal?>("--percentage") { Description = "Stable percentage bucket of workspace ids (0–100); raising it keeps everyone already in" };
        var everyone = new Option<bool>("--everyone") { Description = "Everyone" };
        var description = new Option<string?>("--description") { Description = "What the cohort is for" };
        var ifMatch = new Option<long?>("--if-match") { Description = "Only apply if the program is still at this revision" };

        return verbs.Group("cohort", "Cohorts: named sets of workspaces or users",
            ["ripcord cohort list", "ripcord cohort set pilot --workspaces acme,globex"],
            verbs.Verb("list", "List cohorts",
                ["ripcord cohort list", "ripcord cohort list --json"],
                async (context, ct) =>
                {
                    var cohorts = await context.Api.ListCohortsAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(cohorts.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("COHORT", "KIND", "MEMBERSHIP")
                        .AddRows(cohorts.Value, c => [new Cell(c.Id, Tone.Strong), c.Kind, Membership(c)]));
                    return ExitCodes.Success;
                }),
            verbs.Verb("set", "Create or replace a cohort's membership (give exactly one kind)",
                [
                    "ripcord cohort set pilot --workspaces acme,globex",
                    "ripcord cohort set limited-ga --percentage 20",
                    "ripcord cohort set secure-ready --rule 'tier >= 1' --description \"tiers 1 and 2\"",
                ],
                async (context, ct) =>
                {
                    var cohort = context.Get(id);
                    var body = new CohortBody(Inputs.List(context.Get(workspaces)), Inputs.List(context.Get(users)), context.Get(rule),
                        context.Get(percentage), context.Get(everyone) ? true : null, context.Get(description), Seed: null);
                    var written = await context.Api.PutCohortAsync(context.Program, cohort, body, context.Get(ifMatch), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(written.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line(written.Value.Unchanged
                        ? $"Cohort {cohort} already is exactly this; nothing was written (revision {written.Value.Revision})."
                        : $"{(written.Value.Created ? "Created" : "Replaced")} cohort {cohort} ({written.Value.Cohort.Kind}); revision {written.Value.Revision}.");
                    return ExitCodes.Success;
                }, id, workspaces, users, rule, percentage, everyone, description, ifMatch));
    }

    private static string Membership(CohortView cohort) => cohort.Kind switch
    {
        "rule" => cohort.Rule ?? "",
        "percentage" => Words.Number(cohort.Percentage ?? 0) + "%",
        "everyone" => "everyone",
        _ => $"workspaces [{Words.List(cohort.Workspaces)}] users [{Words.List(cohort.Users)}]",
    };
}
