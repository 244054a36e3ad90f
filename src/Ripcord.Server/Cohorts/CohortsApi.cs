using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Cohorts;

/// <summary>Body of PUT …/cohorts/{id}: exactly one kind of membership (workspaces and/or users, rule, percentage, everyone).</summary>
public sealed record CohortBody(string[]? Workspaces, string[]? Users, string? Rule, decimal? Percentage, bool? Everyone,
    string? Description, string? Seed);

public sealed record CohortView(string Id, string Kind, string Description, IReadOnlyList<string> Workspaces,
    IReadOnlyList<string> Users, string? Rule, decimal? Percentage);

/// <summary>A cohort written. <c>unchanged</c>: it already was exactly this — nothing was written and <c>revision</c> is the current one.</summary>
public sealed record CohortWritten(CohortView Cohort, long Revision, bool Created, bool Unchanged = false);

public static class CohortsApi
{
    public const int MaxMembers = DefinitionValidator.MaxMembersPerCohort;

    public static RouteGroupBuilder MapCohorts(this RouteGroupBuilder api)
    {
        var cohorts = api.MapGroup("/programs/{program}/cohorts").WithTags("Cohorts");

        cohorts.MapGet("", (string program, ProgramRegistry registry) =>
                TypedResults.Ok(registry.Current(program).State.Cohorts.Select(View).ToList()))
            .Read("ListCohorts", "The program's live cohorts and their membership")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        cohorts.MapPut("/{id}", PutAsync)
            .Write("PutCohort", "Create or replace a cohort: an explicit list, a rule, a stable percentage, or everyone")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.CohortsWrite));
        return api;
    }

    private static async Task<Results<Ok<CohortWritten>, ProblemHttpResult>> PutAsync(
        string program, string id, CohortBody body, [FromHeader(Name = "If-Match")] string? ifMatchHeader, HttpContext context,
        ProgramWriter writer, ProgramRegistry registry)
    {
        registry.Current(program);
        var (ifMatch, badIfMatch) = RequestReading.IfMatch(ifMatchHeader);
        if (badIfMatch is not null)
        {
            return badIfMatch;
        }
        var given = (body.Workspaces is not null || body.Users is not null ? 1 : 0) + (body.Rule is not null ? 1 : 0)
            + (body.Percentage is not null ? 1 : 0) + (body.Everyone == true ? 1 : 0);
        if (given != 1)
        {
            return Problems.BadRequest("give exactly one of: workspaces and/or users (lists), rule (expression), percentage (0–100), everyone (true)");
        }
        if ((body.Workspaces?.Length ?? 0) + (body.Users?.Length ?? 0) > MaxMembers)
        {
            return Problems.BadRequest($"a cohort lists at most {MaxMembers} members; use a rule or percentage for larger sets");
        }
        var cohort = new CohortDefinition
        {
            Id = id,
            Description = body.Description ?? registry.Current(program).State.FindCohort(id)?.Description ?? "",
            Workspaces = body.Workspaces is null ? [] : [.. body.Workspaces.Distinct(StringComparer.Ordinal)],
            Users = body.Users is null ? [] : [.. body.Users.Distinct(StringComparer.Ordinal)],
            Rule = body.Rule,
            Percentage = body.Percentage,
            Everyone = body.Everyone == true,
            Seed = body.Seed,
        };
        var outcome = await writer.ExecuteAsync(program, new PutCohort(cohort), context.Actor(), ifMatch, context.RequestAborted);
        RequestReading.SetRevision(context.Response, outcome.Revision);
        var put = outcome.Change.Event<CohortPut>();
        return TypedResults.Ok(new CohortWritten(View(put.Cohort), outcome.Revision, put.Previous is null, outcome.Unchanged));
    }

    public static CohortView View(CohortDefinition c) => new(
        c.Id, c.Kind.ToString().ToLowerInvariant(), c.Description, c.Workspaces, c.Users, c.Rule, c.Percentage);
}
