using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Revisions;

/// <summary>What changed from one revision to another, flag by flag and scope by scope, in words.</summary>
public sealed record RevisionDiff(string Program, long From, long To, IReadOnlyList<Core.Changes.StateChange> Changes);

public sealed record RevisionView(long Revision, DateTimeOffset CreatedAt, string Actor, string? Principal, string Summary, string? Command,
    JsonElement? State);

/// <summary>Immutable, numbered revisions of a program's configuration.</summary>
public static class RevisionsApi
{
    public static RouteGroupBuilder MapRevisions(this RouteGroupBuilder api)
    {
        var revisions = api.MapGroup("/programs/{program}/revisions").WithTags("Revisions");

        revisions.MapGet("", async Task<Results<Ok<List<RevisionView>>, ProblemHttpResult>> (
                string program, long? before, int? limit, ProgramRegistry registry, IRevisionStore store, CancellationToken ct) =>
            {
                registry.Current(program);
                if (limit is < 1 or > 500)
                {
                    return Problems.BadRequest("limit must be between 1 and 500", "limit");
                }
                var rows = await store.ListAsync(program, before, limit ?? 50, ct);
                return TypedResults.Ok(rows.Select(r => new RevisionView(r.Revision, r.CreatedAt, r.Actor, r.Principal, r.Summary, r.Command, null)).ToList());
            })
            .Read("ListRevisions", "Revisions newest first, without their states (page with before and limit)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        revisions.MapGet("/{revision}", async Task<Results<Ok<RevisionView>, ProblemHttpResult>> (
                string program, long revision, ProgramRegistry registry, IRevisionStore store, RevisionLog log, CancellationToken ct) =>
            {
                var head = registry.Current(program);
                var row = await store.GetAsync(program, revision, ct);
                if (row is null)
                {
                    return Problems.NotFound($"program '{program}' has no revision {revision}");
                }
                var state = await log.StateAtAsync(program, revision, ct, head.Revision == revision ? (head.State, head.Revision) : null)
                    ?? throw new InvalidDataException($"revision {revision} of '{program}' could not be rebuilt");
                var json = JsonSerializer.SerializeToElement(state, CoreJson.Options);
                return TypedResults.Ok(new RevisionView(row.Revision, row.CreatedAt, row.Actor, row.Principal, row.Summary, row.Command, json));
            })
            .Read("GetRevision", "One revision with the whole program state as it was")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        // A literal segment: routing prefers it to /{revision}.
        revisions.MapGet("/diff", async Task<Results<Ok<RevisionDiff>, ProblemHttpResult>> (
                string program, long? from, long? to, ProgramRegistry registry, IRevisionStore store, RevisionLog log, CancellationToken ct) =>
            {
                var head = registry.Current(program);
                if (from is null || to is null)
                {
                    return Problems.BadRequest("give both revisions: ?from=A&to=B", from is null ? "from" : "to");
                }
                var states = new Core.Evaluation.ProgramState[2];
                foreach (var (i, revision) in new[] { (0, from.Value), (1, to.Value) })
                {
                    if (revision < 1 || revision > head.Revision)
                    {
                        return Problems.NotFound($"program '{program}' has no revision {revision} (its revisions are 1 to {head.Revision})");
                    }
                    states[i] = await log.StateAtAsync(program, revision, ct, head.Revision == revision ? (head.State, head.Revision) : null)
                        ?? throw new InvalidDataException($"revision {revision} of '{program}' could not be rebuilt");
                }
                return TypedResults.Ok(new RevisionDiff(program, from.Value, to.Value, Core.Changes.StateDiff.Between(states[0], states[1])));
            })
            .Read("DiffRevisions", "What changed from revision 'from' to revision 'to', flag by flag and scope by scope, in words")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        return api;
    }
}
