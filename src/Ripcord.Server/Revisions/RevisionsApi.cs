using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Revisions;

/// <summary>What changed from one revision to another, flag by flag and scope by scope, in words.</summary>
public sealed record RevisionDiff(string Program, long From, long To, IReadOnlyList<Core.Changes.StateChange> Changes);

/// <summary>A revision; <c>knownSafe</c> is its known-safe tag (evidence or reason) when it has one.</summary>
public sealed record RevisionView(long Revision, DateTimeOffset CreatedAt, string Actor, string? Principal, string Summary, string? Command,
    JsonElement? State, KnownSafeRevision? KnownSafe = null);

/// <summary>Body of POST …/revisions/{revision}/known-safe: why a release manager vouches for the revision.</summary>
public sealed record KnownSafeBody(string? Reason);

/// <summary>Immutable, numbered revisions of a program's configuration.</summary>
public static class RevisionsApi
{
    public static RouteGroupBuilder MapRevisions(this RouteGroupBuilder api)
    {
        var revisions = api.MapGroup("/programs/{program}/revisions").WithTags("Revisions");

        revisions.MapGet("", async Task<Results<Ok<List<RevisionView>>, ProblemHttpResult>> (
                string program, long? before, int? limit, ProgramRegistry registry, IRevisionStore store, KnownSafeStore knownSafe, CancellationToken ct) =>
            {
                registry.Current(program);
                if (limit is < 1 or > 500)
                {
                    return Problems.BadRequest("limit must be between 1 and 500", "limit");
                }
                var rows = await store.ListAsync(program, before, limit ?? 50, ct);
                var tags = (await knownSafe.KnownSafeAsync(program, ct)).ToDictionary(k => k.Revision);
                return TypedResults.Ok(rows.Select(r => new RevisionView(r.Revision, r.CreatedAt, r.Actor, r.Principal, r.Summary, r.Command, null,
                    tags.GetValueOrDefault(r.Revision))).ToList());
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
                string program, long? from, long? to, RevisionService service, CancellationToken ct) =>
            {
                if (from is null || to is null)
                {
                    return Problems.BadRequest("give both revisions: ?from=A&to=B", from is null ? "from" : "to");
                }
                return TypedResults.Ok(await service.DiffAsync(program, from.Value, to.Value, ct));
            })
            .Read("DiffRevisions", "What changed from revision 'from' to revision 'to', flag by flag and scope by scope, in words")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        // Literal segments: routing prefers them to /{revision}.
        revisions.MapGet("/known-safe", async (string program, ProgramRegistry registry, KnownSafeStore knownSafe, CancellationToken ct) =>
            {
                registry.Current(program);
                return TypedResults.Ok(await knownSafe.KnownSafeAsync(program, ct));
            })
            .Read("ListKnownSafeRevisions", "Known-safe revisions, newest first, with their evidence or reason")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        revisions.MapGet("/known-safe/latest", async Task<Results<Ok<KnownSafeRevision>, ProblemHttpResult>> (string program, ProgramRegistry registry,
                KnownSafeStore knownSafe, CancellationToken ct) =>
            {
                registry.Current(program);
                return await knownSafe.LatestAsync(program, ct) is { } latest
                    ? TypedResults.Ok(latest)
                    : Problems.NotFound($"program '{program}' has no known-safe revision yet");
            })
            .Read("LatestKnownSafeRevision", "The newest known-safe revision: what a rollback reverts to")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        revisions.MapPost("/{revision}/known-safe", TagKnownSafeAsync)
            .Write("TagKnownSafe", "Tag a revision known-safe by hand, with a reason")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.KnownSafeWrite));
        return api;
    }

    private static async Task<Results<Ok<KnownSafeRevision>, ProblemHttpResult>> TagKnownSafeAsync(string program, long revision, KnownSafeBody body, HttpContext http,
        RevisionService service) =>
        TypedResults.Ok(await service.TagKnownSafeAsync(program, revision, body.Reason, http.Actor(), http.RequestAborted));
}
