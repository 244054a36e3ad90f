using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Overrides;

/// <summary>Body of POST …/overrides. <c>flag</c> is a key or alias; user scope must carry <c>expiresAt</c> (≤ 72 h).</summary>
public sealed record OverrideBody(string? Flag, string? Scope, bool? Value, string? Reason, DateTimeOffset? ExpiresAt);

public sealed record OverrideView(string Id, string Flag, string? Alias, string Scope, bool Value, string Reason,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? ExpiresAt, bool Diagnostic, bool Expired);

/// <summary>
/// A set override. <c>replaced</c>: the id of the override at the same flag and scope it replaced. <c>shadowedBy</c>: the
/// live overrides of the same flag at a more specific scope with the other value — where they apply, this one does not.
/// <c>unchanged</c> (with 200, not 201): the same override already was there; nothing was written.
/// </summary>
public sealed record OverrideWritten(OverrideView Override, long Revision, string? Replaced, IReadOnlyList<OverrideView> ShadowedBy,
    bool Unchanged = false);

public sealed record OverrideDeleted(string Id, long Revision);

/// <summary>Overrides: a flag's value at global, workspace, cohort or (diagnostic, expiring) user scope.</summary>
public static class OverridesApi
{
    public static RouteGroupBuilder MapOverrides(this RouteGroupBuilder api)
    {
        var overrides = api.MapGroup("/programs/{program}/overrides").WithTags("Overrides");

        overrides.MapGet("", (string program, OverrideService service) => TypedResults.Ok(service.List(program)))
            .Read("ListOverrides", "Every override of the program, with expiry and whether it is diagnostic")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        // Support may only touch user scope: these admit the wider diagnostic permission and check
        // the full one for other scopes (OverridePermission).
        overrides.MapPost("", CreateAsync)
            .Write("SetOverride", "Set a flag's value at a scope (replaces an override of the same flag and scope)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.DiagnosticOverridesWrite));

        overrides.MapDelete("/{id}", DeleteAsync)
            .Write("RemoveOverride", "Remove an override (an optional ?reason= is audited)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.DiagnosticOverridesWrite));
        return api;
    }

    private static async Task<Results<Created<OverrideWritten>, Ok<OverrideWritten>, ProblemHttpResult>> CreateAsync(
        string program, OverrideBody body, [FromHeader(Name = "If-Match")] string? ifMatchHeader, HttpContext context,
        ProgramRegistry registry, OverridePermission permission, OverrideService service)
    {
        registry.Current(program);
        var (ifMatch, badIfMatch) = RequestReading.IfMatch(ifMatchHeader);
        if (badIfMatch is not null)
        {
            return badIfMatch;
        }
        if (body.Flag is null || body.Scope is null || body.Value is null || body.Reason is null)
        {
            var missing = new[] { ("flag", body.Flag), ("scope", body.Scope), ("value", (object?)body.Value), ("reason", body.Reason) }
                .Where(x => x.Item2 is null).Select(x => x.Item1);
            return Problems.BadRequest($"missing required field(s): {string.Join(", ", missing)}");
        }
        if (await permission.DenyAsync(context, body.Scope) is { } denied)
        {
            return denied;
        }
        var written = await service.SetAsync(program, new OverrideChange(body.Flag, body.Scope, body.Value.Value, body.Reason, body.ExpiresAt),
            context.Actor(), ifMatch, context.RequestAborted);
        RequestReading.SetRevision(context.Response, written.Revision);
        return written.Unchanged
            ? TypedResults.Ok(written)
            : TypedResults.Created($"/api/v1/programs/{program}/overrides/{written.Override.Id}", written);
    }

    private static async Task<Results<Ok<OverrideDeleted>, ProblemHttpResult>> DeleteAsync(
        string program, string id, [FromHeader(Name = "If-Match")] string? ifMatchHeader, [FromQuery] string? reason, HttpContext context,
        ProgramRegistry registry, OverridePermission permission, OverrideService service)
    {
        var existing = registry.Current(program).State.FindOverride(id);
        if (existing is null)
        {
            return Problems.NotFound($"no override '{id}' in program '{program}'");
        }
        var (ifMatch, badIfMatch) = RequestReading.IfMatch(ifMatchHeader);
        if (badIfMatch is not null)
        {
            return badIfMatch;
        }
        if (await permission.DenyAsync(context, existing.Scope.ToString()) is { } denied)
        {
            return denied;
        }
        var deleted = await service.RemoveAsync(program, id, reason, context.Actor(), ifMatch, context.RequestAborted);
        RequestReading.SetRevision(context.Response, deleted.Revision);
        return TypedResults.Ok(deleted);
    }

    public static OverrideView View(ProgramState state, FlagOverride o, DateTimeOffset now) => new(
        o.Id, o.Flag, state.Definition.FindFlag(o.Flag)?.Alias, o.Scope.ToString(), o.Value, o.Reason, o.CreatedAt, o.CreatedBy,
        o.ExpiresAt, o.IsDiagnostic, o.IsExpired(now));
}
