using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Ripcord.Core.Rollback;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

namespace Ripcord.Server.Rollback;

public sealed record StartRollbackBody(string Incident, string Reason, long? To = null, bool? KeepKillSwitches = null);

public sealed record LiftStageLockBody(string Reason);

/// <summary>The program's stage lock, when it has one.</summary>
public sealed record StageLockView(string Program, bool Locked, StageLock? Lock);

/// <summary>
/// Rollback (SPEC §6, seed §13): the plan, always readable; a run, started by a release manager (or security lead) for
/// an incident and followed by id; the stage lock it leaves, lifted by a release manager with a reason.
/// </summary>
public static class RollbacksApi
{
    public static RouteGroupBuilder MapRollbacks(this RouteGroupBuilder api)
    {
        var program = api.MapGroup("/programs/{program}").WithTags("Rollback");
        program.MapGet("/rollback/plan", async (string program, long? to, bool? keepKillSwitches, RollbackService service, CancellationToken ct) =>
                TypedResults.Ok(await service.PlanAsync(program, to, keepKillSwitches ?? true, ct)))
            .Read("PlanRollback", "What a rollback to ?to=REVISION (default: the latest known-safe revision) would do now: differences per flag and context, overrides and kill switches removed or kept, orphaned overrides")
            .Produces<RollbackPlan>()
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        program.MapPost("/rollbacks", async (string program, StartRollbackBody body, HttpContext http, RollbackService service) =>
            {
                var run = await service.StartAsync(program, body.Incident ?? "", body.To, body.Reason ?? "", body.KeepKillSwitches ?? true, http.Actor(),
                    http.RequestAborted);
                return TypedResults.Created($"/api/v1/programs/{program}/rollbacks/{run.Id}", run);
            })
            .Write("StartRollback", "Start a rollback run for an incident: stage lock, freeze, revert to the target as one revision, verification, document (opens a post-action review)")
            .Produces<RollbackRun>(StatusCodes.Status201Created)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.RollbackStart));
        program.MapGet("/rollbacks", async (string program, string? incident, RollbackService service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(program, ct, incident)))
            .Read("ListRollbacks", "The program's rollback runs, newest first (incident=ID: that incident's)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        program.MapGet("/rollbacks/{id}", async (string program, string id, RollbackService service, CancellationToken ct) =>
                TypedResults.Ok(await service.GetAsync(program, id, ct)))
            .Read("GetRollback", "A rollback run: its status, each step taken with when, and the step it stopped at if it did")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        program.MapGet("/stage-lock", async (string program, RollbackService service, CancellationToken ct) =>
                TypedResults.Ok(await service.StageLockAsync(program, ct) is { } held ? new StageLockView(program, true, held) : new StageLockView(program, false, null)))
            .Read("GetStageLock", "The program's stage lock (a rollback's: stage advance refused, guarded ramps hold), if any")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        program.MapDelete("/stage-lock", async (string program, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] LiftStageLockBody? body,
                [FromQuery] string? reason, HttpContext http, RollbackService service) =>
                TypedResults.Ok(await service.LiftStageLockAsync(program, body?.Reason ?? reason ?? "", http.Actor(), http.RequestAborted)))
            .Write("LiftStageLock", "Lift the program's stage lock, with a reason in the body or ?reason= (break-glass, a release manager alone: the normal path is a forward fix's resume)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.StageLockLift));
        return api;
    }
}
