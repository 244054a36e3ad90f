using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Ripcord.Core.Incidents;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

namespace Ripcord.Server.Incidents;

public sealed record FreezeBody(string Scope, string Reason, string? Incident = null, int? ForMinutes = null);

public sealed record LiftFreezeBody(string Reason);

/// <summary>What a deploy pipeline asks: may this deploy proceed, and if not, which freezes say no.</summary>
public sealed record FreezeCheck(string Program, string? Scope, bool DeploysMayProceed, string Reason, IReadOnlyList<Freeze> Freezes);

/// <summary>
/// Deployment freezes (SPEC §6, §9): an ops lead (or release manager, security lead, admin) puts one in
/// place for the program or a scope of it; pipelines ask <c>GET /api/v1/freezes/active</c> before deploying.
/// </summary>
public static class FreezesApi
{
    public static RouteGroupBuilder MapFreezes(this RouteGroupBuilder api)
    {
        var freezes = api.MapGroup("/programs/{program}/freezes").WithTags("Freezes");
        freezes.MapPost("", async (string program, FreezeBody body, HttpContext http, FreezeService service) =>
            {
                if (body.ForMinutes is < 1)
                {
                    return Problems.BadRequest("forMinutes is at least 1 (leave it out for a freeze until lifted)", "forMinutes");
                }
                var freeze = await service.StartAsync(program, body.Scope ?? "", body.Reason ?? "", body.Incident,
                    body.ForMinutes is { } m ? TimeSpan.FromMinutes(m) : null, http.Actor(), http.RequestAborted);
                return (IResult)TypedResults.Created($"/api/v1/programs/{program}/freezes/{freeze.Id}", freeze);
            })
            .Write("StartFreeze", "Freeze deploys of the program or one scope of it (an emergency action: opens a post-action review)")
            .Produces<Freeze>(StatusCodes.Status201Created)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.FreezeStart));
        freezes.MapGet("", async (string program, bool? all, FreezeService service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(program, all == true, ct)))
            .Read("ListFreezes", "Active freezes (all=true: lifted and expired ones too)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        freezes.MapDelete("/{id}", async (string program, string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] LiftFreezeBody? body,
                [FromQuery] string? reason, HttpContext http, FreezeService service) =>
                TypedResults.Ok(await service.LiftAsync(program, id, body?.Reason ?? reason ?? "", http.Actor(), http.RequestAborted)))
            .Write("LiftFreeze", "Lift a freeze, with a reason in the body or ?reason=")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.FreezeLift));

        api.MapGet("/freezes/active", async Task<Results<Ok<FreezeCheck>, ProblemHttpResult>> (string? program, string? scope, FreezeService service,
                CancellationToken ct) =>
            {
                if (string.IsNullOrEmpty(program))
                {
                    return Problems.BadRequest("program is required: GET /api/v1/freezes/active?program=groups[&scope=workspace:acme]", "program");
                }
                var decision = await service.DecideAsync(program, scope, ct);
                return TypedResults.Ok(new FreezeCheck(program, scope, decision.MayProceed, decision.Reason, decision.Blocking));
            })
            .WithTags("Freezes")
            .Read("CheckFreezes", "For deploy pipelines: may a deploy of the program (or of one scope) proceed, and which freezes say no")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.SdkRead));
        return api;
    }
}
