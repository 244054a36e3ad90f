using System.Data.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Fallback;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Grants;

/// <summary>Body of POST …/override-grants: one workspace, one action, why, for how long (default 15 min, at most 240).</summary>
public sealed record GrantBody(string? WorkspaceId, string? Action, string? Reason, int? TtlMinutes);

/// <summary>Body of POST …/override-grants/in-app: the app role of the user overriding (who confirmed), and the same target.</summary>
public sealed record InAppGrantBody(string? WorkspaceId, string? Action, string? Reason, string? Role);

public sealed record RevokeGrantBody(string? Reason);

/// <summary>A grant as listed: the grant and whether it has expired (expired grants stop applying by themselves).</summary>
public sealed record GrantView(OverrideGrant Grant, bool Expired);

/// <summary>A grant issued: the grant, the revision that carries it to SDKs, and the post-action review it opened.</summary>
public sealed record GrantIssuedResponse(OverrideGrant Grant, long Revision, string ReviewId);

public sealed record GrantRevokedResponse(string Id, long Revision);

/// <summary>
/// Tier-2 fallback override grants (SPEC §4). A grant is part of the program's state: issuing or revoking
/// one is a revision (its audit row in the same transaction, written before anyone is answered), so it
/// reaches SDKs through the stream and their <c>Decide</c> honours it until it expires. Two ways in:
/// (a) a security lead or admin issues one; (b) an SDK, with its own key, asks on behalf of an app role
/// that the definition's tier policy lets override (<c>tiers: inAppOverride</c>). Either opens a
/// post-action review. If the write cannot be stored, there is no grant (503).
/// </summary>
public static class OverrideGrantsApi
{
    public const int DefaultTtlMinutes = 15;
    public const int MaxTtlMinutes = 240;

    public static RouteGroupBuilder MapOverrideGrants(this RouteGroupBuilder api)
    {
        var grants = api.MapGroup("/programs/{program}/override-grants").WithTags("Fallback");
        grants.MapGet("", (string program, ProgramRegistry registry, ProgramWriter writer) =>
            {
                var now = writer.Now;
                return TypedResults.Ok(registry.Current(program).State.Grants.Select(g => new GrantView(g, g.IsExpired(now))).ToList());
            })
            .Read("ListOverrideGrants", "The program's tier-2 override grants (those in its current revision), with whether each has expired")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        grants.MapPost("", IssueAsync)
            .Write("GrantTier2Override", "Grant a tier-2 fallback override for one workspace and action (a revision, audited, opens a review)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.OverrideGrant));
        grants.MapDelete("/{id}", RevokeAsync)
            .Write("RevokeTier2Override", "Revoke a tier-2 override grant before it expires (a revision), with a reason in the body or ?reason=")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.OverrideGrant));
        grants.MapPost("/in-app", InAppAsync)
            .Write("RequestInAppTier2Override", "An SDK asks, with its own key, for a tier-2 override on behalf of an app role the definition allows")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.InAppOverride));
        return api;
    }

    private static async Task<Results<Created<GrantIssuedResponse>, ProblemHttpResult>> IssueAsync(
        string program, GrantBody body, HttpContext context, ProgramRegistry registry, ProgramWriter writer, ReviewService reviews,
        ILogger<GrantBody> log)
    {
        registry.Current(program);
        if (body.TtlMinutes is < 1 or > MaxTtlMinutes)
        {
            return Problems.BadRequest($"ttlMinutes must be between 1 and {MaxTtlMinutes}", "ttlMinutes");
        }
        return await WriteAsync(program, body.WorkspaceId, body.Action, body.Reason, body.TtlMinutes ?? DefaultTtlMinutes, null,
            context, writer, reviews, log);
    }

    private static async Task<Results<Created<GrantIssuedResponse>, ProblemHttpResult>> InAppAsync(
        string program, InAppGrantBody body, HttpContext context, ProgramRegistry registry, ProgramWriter writer, ReviewService reviews,
        DenialAudit denials, ILogger<GrantBody> log)
    {
        var definition = registry.Current(program).State.Definition;
        if (string.IsNullOrWhiteSpace(body.Role))
        {
            return Problems.BadRequest("role is required: the app role of the user who overrides (e.g. group-admin)", "role");
        }
        var policy = definition.InAppOverride(2);
        if (policy is null || !policy.Allows(body.Role))
        {
            // The SDK key is genuine; the definition does not let this app role override: refused, and audited as such.
            await denials.RecordAsync(context, context.Actor(), $"override-grant:{program}/in-app/{body.Role}");
            return Problems.Forbidden(policy is null
                ? $"program '{program}' does not allow in-app overrides of tier 2 (its definition has no tiers[2].inAppOverride)"
                : $"app role '{body.Role}' may not override tier 2 in program '{program}' (allowed: {string.Join(", ", policy.Roles)})");
        }
        return await WriteAsync(program, body.WorkspaceId, body.Action, body.Reason, policy.TtlMinutes, body.Role, context, writer, reviews, log);
    }

    private static async Task<Results<Created<GrantIssuedResponse>, ProblemHttpResult>> WriteAsync(string program, string? workspaceId,
        string? action, string? reason, int ttlMinutes, string? inAppRole, HttpContext context, ProgramWriter writer, ReviewService reviews,
        ILogger log)
    {
        var actor = context.Actor();
        var id = "grt_" + Guid.NewGuid().ToString("N")[..16];
        var command = new IssueGrant(id, workspaceId ?? "", action ?? "", reason ?? "", writer.Now.AddMinutes(ttlMinutes), actor.Principal, inAppRole);
        string? reviewId = null;
        try
        {
            // The grant, its audit row and its review commit together, before the caller hears "granted".
            var outcome = await writer.ExecuteAsync(program, command, actor, null, context.RequestAborted, async (session, result, ct) =>
            {
                var grant = result.Change.Event<GrantIssued>().Grant;
                var review = await reviews.OpenAsync(session, program, AuditAction.Tier2OverrideGrant, $"override-grant:{program}/{grant.Id}",
                    $"tier-2 override of '{grant.Action}' in workspace {grant.WorkspaceId}"
                    + (inAppRole is null ? "" : $" (in-app, role {inAppRole})"), null, actor.Principal, grant.IssuedAt ?? writer.Now, ct);
                reviewId = review.Id;
            });
            RequestReading.SetRevision(context.Response, outcome.Revision);
            var issued = outcome.Change.Event<GrantIssued>().Grant;
            return TypedResults.Created($"/api/v1/programs/{program}/override-grants/{issued.Id}",
                new GrantIssuedResponse(issued, outcome.Revision, reviewId!));
        }
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException)
        {
            log.LogError("A tier-2 override grant could not be stored ({Error}); none was granted", ex.GetType().Name);
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "Audit log unavailable",
                "the grant and its audit event could not be written, so no override was granted; retry when storage is healthy");
        }
    }

    private static async Task<Results<Ok<GrantRevokedResponse>, ProblemHttpResult>> RevokeAsync(string program, string id,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] RevokeGrantBody? body, [FromQuery] string? reason, HttpContext context,
        ProgramWriter writer)
    {
        var outcome = await writer.ExecuteAsync(program, new RevokeGrant(id, body?.Reason ?? reason ?? ""), context.Actor(), null, context.RequestAborted);
        RequestReading.SetRevision(context.Response, outcome.Revision);
        return TypedResults.Ok(new GrantRevokedResponse(id, outcome.Revision));
    }
}
