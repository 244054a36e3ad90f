using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Revisions;

public sealed record RevisionView(long Revision, DateTimeOffset CreatedAt, string Actor, string Summary, JsonElement? State);

/// <summary>Immutable, numbered revisions of a program's configuration.</summary>
public static class RevisionsApi
{
    public static RouteGroupBuilder MapRevisions(this RouteGroupBuilder api)
    {
        api.MapGet("/programs/{program}/revisions", async Task<Results<Ok<List<RevisionView>>, ProblemHttpResult>> (
                string program, long? before, int? limit, ProgramRegistry registry, IRevisionStore store, CancellationToken ct) =>
            {
                registry.Current(program);
                if (limit is < 1 or > 500)
                {
                    return Problems.BadRequest("limit must be between 1 and 500", "limit");
                }
                var rows = await store.ListAsync(program, before, limit ?? 50, ct);
                return TypedResults.Ok(rows.Select(r => new RevisionView(r.Revision, r.CreatedAt, r.Actor, r.Summary, null)).ToList());
            })
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        api.MapGet("/programs/{program}/revisions/{revision}", async Task<Results<Ok<RevisionView>, ProblemHttpResult>> (
                string program, long revision, ProgramRegistry registry, IRevisionStore store, CancellationToken ct) =>
            {
                registry.Current(program);
                var row = await store.GetAsync(program, revision, ct);
                if (row is null)
                {
                    return Problems.NotFound($"program '{program}' has no revision {revision}");
                }
                using var doc = JsonDocument.Parse(row.StateJson);
                return TypedResults.Ok(new RevisionView(row.Revision, row.CreatedAt, row.Actor, row.Summary, doc.RootElement.Clone()));
            })
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        return api;
    }
}
