using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Fallback;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;
using Ripcord.Server.Audit;

namespace Ripcord.Server.Grants;

/// <summary>Body of POST …/override-grants: one workspace, one action, why, for how long (default 15 min, at most 240).</summary>
public sealed record GrantBody(string? WorkspaceId, string? Action, string? Reason, int? TtlMinutes);

/// <summary>
/// POST …/override-grants: a tier-2 fallback override for one workspace and action, granted
/// only to a security lead or admin, and only once its audit event is durably written —
/// if the audit log cannot take it, there is no grant.
/// </summary>
public static class OverrideGrantsApi
{
    public const int DefaultTtlMinutes = 15;
    public const int MaxTtlMinutes = 240;

    public static RouteGroupBuilder MapOverrideGrants(this RouteGroupBuilder api)
    {
        api.MapPost("/programs/{program}/override-grants", GrantAsync)
            .WithTags("Fallback")
            .Write("GrantTier2Override", "Grant a tier-2 fallback override for one workspace and action (audited before it takes effect)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.OverrideGrant));
        return api;
    }

    private static async Task<Results<Created<OverrideGrant>, ProblemHttpResult>> GrantAsync(
        string program, GrantBody body, HttpContext context, ProgramRegistry registry, IAuditLog audit, TimeProvider clock, ILogger<GrantBody> log)
    {
        registry.Current(program);
        if (string.IsNullOrWhiteSpace(body.WorkspaceId) || body.WorkspaceId.Length > 256)
        {
            return Problems.BadRequest("workspaceId is required: a grant covers one workspace", "workspaceId");
        }
        if (string.IsNullOrWhiteSpace(body.Action) || body.Action.Length > 64)
        {
            return Problems.BadRequest("action is required (e.g. send): a grant covers one action", "action");
        }
        if (string.IsNullOrWhiteSpace(body.Reason) || body.Reason.Length > 1000)
        {
            return Problems.BadRequest("reason is required: say why a tier-2 conversation may fall back", "reason");
        }
        if (body.TtlMinutes is < 1 or > MaxTtlMinutes)
        {
            return Problems.BadRequest($"ttlMinutes must be between 1 and {MaxTtlMinutes}", "ttlMinutes");
        }
        var actor = context.Actor();
        var now = clock.GetUtcNow();
        var grant = new OverrideGrant("grt_" + Guid.NewGuid().ToString("N")[..16], program, body.WorkspaceId, body.Action,
            now.AddMinutes(body.TtlMinutes ?? DefaultTtlMinutes), actor.Name);
        try
        {
            await audit.AppendAsync(new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.Tier2OverrideGrant,
                $"workspace:{program}/{grant.WorkspaceId}/{grant.Action}", null,
                JsonSerializer.Serialize(new { grant.Id, grant.ExpiresAt, reason = body.Reason }, CoreJson.Options)), context.RequestAborted);
        }
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException)
        {
            log.LogError("The audit log refused a tier-2 override grant ({Error}); none was granted", ex.GetType().Name);
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "Audit log unavailable",
                "the audit event could not be written, so no override was granted; retry when the audit log is healthy");
        }
        return TypedResults.Created($"/api/v1/programs/{program}/override-grants/{grant.Id}", grant);
    }
}
