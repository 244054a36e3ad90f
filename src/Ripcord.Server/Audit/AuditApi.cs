using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

namespace Ripcord.Server.Audit;

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? Next);

/// <summary>Reads and verifies the append-only, hash-chained audit log.</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit").RequireAuthorization(RoleMatrix.PolicyName(Permission.AuditRead));

        audit.MapGet("", async Task<Results<Ok<AuditPage>, ProblemHttpResult>> (
                long? after, int? limit, int? tail, DateTimeOffset? since, string? actor, string? action, string? target, long? before,
                IAuditLog log, CancellationToken ct) =>
            {
                if (limit is < 1 or > 1000)
                {
                    return Problems.BadRequest("limit must be between 1 and 1000", "limit");
                }
                if (actor is not null || action is not null || target is not null || before is not null)
                {
                    // A search, newest first (what the dashboard's audit page shows): page on with before = the answer's next.
                    if (after is not null || tail is not null || since is not null)
                    {
                        return Problems.BadRequest("actor, action, target and before search newest first: not with after, tail or since", "after");
                    }
                    if (new[] { actor, action, target }.Any(v => v is { Length: > 512 }))
                    {
                        return Problems.BadRequest("actor, action and target are at most 512 characters", "target");
                    }
                    var size = limit ?? 100;
                    var found = await log.SearchAsync(new AuditFilter(actor, action, target), before, size, ct);
                    return TypedResults.Ok(new AuditPage(found, found.Count == size ? found[^1].Seq : null));
                }
                if (tail is not null || since is not null)
                {
                    // The newest entries, newest first: what an operator looks at in an incident.
                    if (tail is < 1 or > 1000)
                    {
                        return Problems.BadRequest("tail must be between 1 and 1000", "tail");
                    }
                    if (after is not null)
                    {
                        return Problems.BadRequest("give either after (oldest first, to page through) or tail/since (newest first), not both", "after");
                    }
                    return TypedResults.Ok(new AuditPage(await log.ReadLatestAsync(tail ?? limit ?? 100, since, ct), null));
                }
                var take = limit ?? 100;
                var entries = await log.ReadAsync(after ?? 0, take, ct);
                return TypedResults.Ok(new AuditPage(entries, entries.Count == take ? entries[^1].Seq : null));
            })
            .Read("ReadAudit", "Audit entries after a sequence number, oldest first (page with after and limit); or with tail (and/or since) the newest, newest first; or a search by actor, action and target prefix, newest first (page with before = next)");

        audit.MapGet("/verify", async (IAuditLog log, CancellationToken ct) => TypedResults.Ok(await VerifyAsync(log, ct)))
            .Read("VerifyAudit", "Check every link of the audit hash chain");
        return api;
    }

    public static async Task<AuditVerification> VerifyAsync(IAuditLog audit, CancellationToken ct)
    {
        var result = new AuditVerification(true, 0, null, null, AuditChain.Genesis);
        long after = 0;
        while (true)
        {
            var page = await audit.ReadAsync(after, 1000, ct);
            if (page.Count == 0)
            {
                return result;
            }
            result = AuditChain.Verify(page, result.LastHash, result.Checked);
            if (!result.Ok)
            {
                return result;
            }
            after = page[^1].Seq;
        }
    }
}
