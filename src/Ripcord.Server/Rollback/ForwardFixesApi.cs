using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Rollback;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.KillSwitches;

namespace Ripcord.Server.Rollback;

public sealed record OpenFixBody(string? Incident, string? Reason);

/// <summary>A temporary mitigation: <c>override</c> (an existing override with an expiry), or <c>flag</c>, <c>scope</c>, <c>value</c>, <c>expiresAt</c>, <c>reason</c> for a new one.</summary>
public sealed record MitigationBody(string? Override, string? Flag, string? Scope, bool? Value, DateTimeOffset? ExpiresAt, string? Reason);

/// <summary>The patch: <c>flag</c> enabled at <c>cohort</c> (an id) or <c>scope</c> (<c>cohort:ID</c>; anything wider is refused).</summary>
public sealed record PatchBody(string? Flag, string? Cohort, string? Scope);

public sealed record FixSignoffBody(string? Note);

/// <summary>Resume the staged rollout: <c>releaseMitigations</c> are the mitigation (override) ids no longer needed, removed now.</summary>
public sealed record ResumeFixBody(IReadOnlyList<string>? ReleaseMitigations, string? Reason);

/// <summary>
/// Forward fix (SPEC §6, seed §14): a workstream linked to an incident — temporary mitigations, the patch for one cohort, the checks
/// re-run for that cohort (POST …/checks), a release manager's and a security lead's sign-offs, then the resume, which lifts the
/// stage lock and the incident's freezes.
/// </summary>
public static class ForwardFixesApi
{
    public static RouteGroupBuilder MapForwardFixes(this RouteGroupBuilder api)
    {
        var fixes = api.MapGroup("/programs/{program}/fixes").WithTags("Forward fix");
        fixes.MapPost("", async (string program, OpenFixBody body, HttpContext http, ForwardFixService service) =>
            {
                var view = await service.OpenAsync(program, body.Incident ?? "", body.Reason ?? "", http.Actor(), http.RequestAborted);
                return TypedResults.Created($"/api/v1/programs/{program}/fixes/{view.Fix.Id}", view);
            })
            .Write("OpenFix", "Open a forward-fix workstream for an incident")
            .Produces<ForwardFixView>(StatusCodes.Status201Created)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.FixManage));
        fixes.MapGet("", async (string program, string? incident, ForwardFixService service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(program, incident, ct)))
            .Read("ListFixes", "The program's forward fixes, newest first (incident=ID: that incident's)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        fixes.MapGet("/{id}", async (string program, string id, ForwardFixService service, CancellationToken ct) =>
                TypedResults.Ok(await service.GetAsync(program, id, ct)))
            .Read("GetFix", "A forward fix: its mitigations, patch, sign-offs, and whether the rollout may resume now (every criterion)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        fixes.MapPost("/{id}/mitigations", async (string program, string id, MitigationBody body, HttpContext http, ForwardFixService service) =>
                TypedResults.Ok(await service.MitigateAsync(program, id,
                    new MitigationInput(body.Override, body.Flag, body.Scope, body.Value, body.ExpiresAt, body.Reason), http.Actor(), http.RequestAborted)))
            .Write("MitigateFix", "Record a temporary mitigation: an existing override with an expiry, or a new override with an expiry")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.FixManage));
        fixes.MapPost("/{id}/patch", async (string program, string id, PatchBody body, HttpContext http, ForwardFixService service) =>
            {
                if (body.Cohort is not null == body.Scope is not null)
                {
                    throw new Core.Changes.ChangeRejectedException(Core.Changes.ChangeError.Invalid, "cohort", "give either cohort (e.g. pilot) or scope (cohort:ID)");
                }
                return TypedResults.Ok(await service.PatchAsync(program, id, body.Flag, body.Scope ?? "cohort:" + body.Cohort, http.Actor(), http.RequestAborted));
            })
            .Write("PatchFix", "Enable the patch flag for one restricted cohort, through an override of its own at that cohort (nothing wider)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.FixManage));
        fixes.MapPost("/{id}/signoffs", SignOffAsync)
            .Write("SignOffFix", "Sign the fix off: the release-manager or the security-lead sign-off, by role; one person cannot give both")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.FixSignoff));
        fixes.MapPost("/{id}/resume", ResumeAsync)
            .Write("ResumeFix", "Resume the staged rollout: lifts the stage lock and the incident's freezes, removes the released mitigations; 422 lists every missing criterion")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.FixManage));
        return api;
    }

    private static async Task<Results<Ok<ForwardFixView>, ProblemHttpResult>> SignOffAsync(string program, string id, FixSignoffBody? body, HttpContext http,
        ForwardFixService service)
    {
        try
        {
            return TypedResults.Ok(await service.SignOffAsync(program, id, body?.Note, http.Actor(), http.RequestAborted));
        }
        catch (ForbiddenActionException ex)
        {
            return Problems.Forbidden(ex.Message);
        }
    }

    private static async Task<Results<Ok<ForwardFixView>, ProblemHttpResult>> ResumeAsync(string program, string id, ResumeFixBody body, HttpContext http,
        ForwardFixService service)
    {
        if (body.ReleaseMitigations is { } ids && ids.Any(string.IsNullOrWhiteSpace))
        {
            return Problems.BadRequest("releaseMitigations are the ids of the fix's mitigations (override ids)", "releaseMitigations");
        }
        try
        {
            return TypedResults.Ok(await service.ResumeAsync(program, id, body.ReleaseMitigations ?? [], body.Reason ?? "", http.Actor(), http.RequestAborted));
        }
        catch (ResumeRefusedException ex)
        {
            var v = ex.Verdict;
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "Resume refused",
                $"forward fix {id} may not resume the rollout yet: {string.Join(", ", v.Missing)} missing",
                new Dictionary<string, object?> { ["program"] = program, ["fix"] = id, ["allowed"] = false, ["missing"] = v.Missing, ["criteria"] = v.Criteria });
        }
    }
}
