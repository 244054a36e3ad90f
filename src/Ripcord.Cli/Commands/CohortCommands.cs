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

        var addWorkspaces = new Option<string[]>("--workspaces") { Description = "Workspace ids (comma or space separated)", AllowMultipleArgumentsPerToken = true };
        var addUsers = new Option<string[]>("--users") { Description = "User ids", AllowMultipleArgumentsPerToken = true };
        var removeWorkspaces = new Option<string[]>("--workspaces") { Description = "Workspace ids (comma or space separated)", AllowMultipleArgumentsPerToken = true };
        var removeUsers = new Option<string[]>("--users") { Description = "User ids", AllowMultipleArgumentsPerToken = true };

        return verbs.Group("cohort", "Cohorts: named sets of workspaces or users",
            ["ripcord cohort list", "ripcord cohort set pilot --workspaces acme,globex", "ripcord cohort add pilot --workspaces initech"],
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
                }, id, workspaces, users, rule, percentage, everyone, description, ifMatch),
            verbs.Verb("add", "Add workspaces or users to a list cohort, keeping its other members (made if new)",
                ["ripcord cohort add pilot --workspaces initech", "ripcord cohort add internal --users dana,sam"],
                (context, ct) => ChangeMembersAsync(context, context.Get(id), Inputs.List(context.Get(addWorkspaces)), Inputs.List(context.Get(addUsers)), add: true, ct),
                id, addWorkspaces, addUsers),
            verbs.Verb("remove", "Remove workspaces or users from a list cohort, keeping its other members",
                ["ripcord cohort remove pilot --workspaces globex", "ripcord cohort remove internal --users sam"],
                (context, ct) => ChangeMembersAsync(context, context.Get(id), Inputs.List(context.Get(removeWorkspaces)), Inputs.List(context.Get(removeUsers)), add: false, ct),
                id, removeWorkspaces, removeUsers));
    }

    /// <summary>
    /// Read, change, write back with If-Match on the revision read: a write made in between is never lost —
    /// the change is re-read and re-applied (up to three times), or the command fails with 409.
    /// </summary>
    private static async Task<int> ChangeMembersAsync(VerbContext context, string cohort, string[]? workspaces, string[]? users, bool add, CancellationToken ct)
    {
        if ((workspaces?.Length ?? 0) + (users?.Length ?? 0) == 0)
        {
            throw new CliException($"name whom to {(add ? "add" : "remove")}: --workspaces and/or --users");
        }
        for (var attempt = 1; ; attempt++)
        {
            var revision = (await context.Api.GetProgramAsync(context.Program, ct)).Value.Revision;
            var current = (await context.Api.ListCohortsAsync(context.Program, ct)).Value.FirstOrDefault(c => c.Id == cohort);
            if (current is null && !add)
            {
                throw new CliException($"no cohort '{cohort}' in program '{context.Program}'", ExitCodes.NotFound);
            }
            if (current is not null && current.Kind != "explicit")
            {
                throw new CliException($"cohort '{cohort}' is a {current.Kind} cohort, not a list: use 'ripcord cohort set' to change it", ExitCodes.Refused);
            }
            IEnumerable<string> Apply(IReadOnlyList<string>? members, string[]? change) =>
                add ? (members ?? []).Concat(change ?? []).Distinct(StringComparer.Ordinal) : (members ?? []).Except(change ?? [], StringComparer.Ordinal);
            var body = new CohortBody([.. Apply(current?.Workspaces, workspaces)], [.. Apply(current?.Users, users)], null, null, null, null, null);
            try
            {
                var written = await context.Api.PutCohortAsync(context.Program, cohort, body, revision, ct);
                if (context.Json)
                {
                    context.Terminal.Json(written.Raw);
                    return ExitCodes.Success;
                }
                var c = written.Value.Cohort;
                context.Terminal.Line(written.Value.Unchanged
                    ? $"Cohort {cohort} already {(add ? "has" : "lacks")} them; nothing was written (revision {written.Value.Revision})."
                    : $"Cohort {cohort}: {c.Workspaces.Count} workspace(s), {c.Users.Count} user(s); revision {written.Value.Revision}.");
                return ExitCodes.Success;
            }
            catch (Api.RipcordApiException conflict) when (conflict.Status == 409 && attempt < 3)
            {
                // Someone wrote in between: read again and re-apply this change to what is there now.
            }
        }
    }

    private static string Membership(CohortView cohort) => cohort.Kind switch
    {
        "rule" => cohort.Rule ?? "",
        "percentage" => Words.Number(cohort.Percentage ?? 0) + "%",
        "everyone" => "everyone",
        _ => $"workspaces [{Words.List(cohort.Workspaces)}] users [{Words.List(cohort.Users)}]",
    };
}
