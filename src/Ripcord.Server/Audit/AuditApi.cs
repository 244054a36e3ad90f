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
        api.MapGet("/audit", async Task<Results<Ok<AuditPage>, ProblemHttpResult>> (long? after, int? limit, IAuditLog audit, CancellationToken ct) =>
            {
                if (limit is < 1 or > 1000)
                {
                    return Problems.BadRequest("limit must be between 1 and 1000", "limit");
                }
                var take = limit ?? 100;
                var entries = await audit.ReadAsync(after ?? 0, take, ct);
                return TypedResults.Ok(new AuditPage(entries, entries.Count == take ? entries[^1].Seq : null));
            })
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.AuditRead));

        api.MapGet("/audit/verify", async (IAuditLog audit, CancellationToken ct) =>
                TypedResults.Ok(await VerifyAsync(audit, ct)))
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.AuditRead));
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
