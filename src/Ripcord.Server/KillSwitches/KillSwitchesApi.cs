using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Ripcord.Core.Incidents;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;

namespace Ripcord.Server.KillSwitches;

public sealed record ActivateBody(string Scope, string Incident, string Reason, int? VerifyWithinSeconds = null);

public sealed record DeactivateBody(string Reason);

public sealed record ActivationCreated(string Id, long Revision, string Level, string Scope, string Incident, string ReviewId);

public sealed record RequestCreated(string Request, string Level, string Scope, string Incident, string Status);

/// <summary>An activation with its verification and the times that matter in an incident.</summary>
public sealed record ActivationView(KillSwitchRecord Activation, VerificationResult? Verification, double? ActivationToVerifiedMs,
    double? TimeToMitigateMs, IReadOnlyList<string> Summary);

/// <summary>
/// Kill switches (SPEC §5): activate a level at a scope for an incident (an ops lead's activation
/// waits for approval), follow its verification, lift it.
/// </summary>
public static class KillSwitchesApi
{
    public static RouteGroupBuilder MapKillSwitches(this RouteGroupBuilder api)
    {
        var ks = api.MapGroup("/programs/{program}/kill-switches").WithTags("Kill switches");

        ks.MapGet("", async (string program, bool? all, ProgramRegistry registry, KillSwitchService service, IncidentService incidents, CancellationToken ct) =>
            {
                registry.Current(program);
                var list = await service.ListAsync(program, all != true, null, ct);
                return TypedResults.Ok(await ViewsAsync(list, incidents, ct));
            })
            .Read("ListKillSwitches", "Active kill-switch activations (all=true: also lifted ones), with their verification")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        ks.MapPost("/{level}/activations", ActivateAsync)
            .Write("ActivateKillSwitch", "Activate a level at a scope for an incident (201 applied; 202 when an ops lead's request awaits approval)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.KillSwitchActivate));
        ks.MapGet("/{level}/activations/{id}", async (string program, string level, string id, KillSwitchService service, IncidentService incidents,
                CancellationToken ct) => TypedResults.Ok((await ViewsAsync([await service.GetAsync(program, level, id, ct)], incidents, ct))[0]))
            .Read("GetKillSwitchActivation", "One activation and its verification: applied of total, stragglers, violations, time to mitigate")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        ks.MapDelete("/{level}/activations/{id}", DeactivateAsync)
            .Write("DeactivateKillSwitch", "Lift an activation (a new revision), with a reason in the body or ?reason=; one pulled for a P1 only by a security lead or admin")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.KillSwitchDeactivate));
        ks.MapGet("/requests", async (string program, bool? all, ProgramRegistry registry, KillSwitchService service, CancellationToken ct) =>
            {
                registry.Current(program);
                return TypedResults.Ok(await service.RequestsAsync(program, all != true, ct));
            })
            .Read("ListKillSwitchRequests", "Ops leads' activation requests awaiting approval (all=true: decided ones too)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        ks.MapPost("/requests/{id}/approve", async (string program, string id, HttpContext http, KillSwitchService service) =>
            {
                var outcome = await service.ApproveAsync(program, id, http.Actor(), http.RequestAborted);
                var a = outcome.Activation!;
                RequestReading.SetRevision(http.Response, a.Revision);
                return TypedResults.Created($"/api/v1/programs/{program}/kill-switches/{a.Level}/activations/{a.Id}",
                    new ActivationCreated(a.Id, a.Revision, a.Level, a.Scope, a.IncidentId, a.ReviewId!));
            })
            .Write("ApproveKillSwitchRequest", "Approve an ops lead's activation request: the approver activates it")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.KillSwitchApprove));
        return api;
    }

    private static async Task<Results<Created<ActivationCreated>, Accepted<RequestCreated>, ProblemHttpResult>> ActivateAsync(
        string program, string level, ActivateBody body, HttpContext http, KillSwitchService service)
    {
        var outcome = await service.ActivateAsync(program,
            new ActivationInput(level, body.Scope ?? "", body.Incident ?? "", body.Reason ?? "", body.VerifyWithinSeconds ?? 0), http.Actor(), http.RequestAborted);
        if (outcome.Request is { } r)
        {
            return TypedResults.Accepted($"/api/v1/programs/{program}/kill-switches/requests",
                new RequestCreated(r.Id, r.Level, r.Scope, r.IncidentId, "pending"));
        }
        var a = outcome.Activation!;
        RequestReading.SetRevision(http.Response, a.Revision);
        return TypedResults.Created($"/api/v1/programs/{program}/kill-switches/{a.Level}/activations/{a.Id}",
            new ActivationCreated(a.Id, a.Revision, a.Level, a.Scope, a.IncidentId, a.ReviewId!));
    }

    private static async Task<Results<Ok<ActivationView>, ProblemHttpResult>> DeactivateAsync(string program, string level, string id,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] DeactivateBody? body, [FromQuery] string? reason, HttpContext http,
        KillSwitchService service, IncidentService incidents, DenialAudit denials)
    {
        try
        {
            var ended = await service.DeactivateAsync(program, level, id, body?.Reason ?? reason ?? "", http.Actor(), http.RequestAborted);
            RequestReading.SetRevision(http.Response, ended.DeactivatedRevision!.Value);
            return TypedResults.Ok((await ViewsAsync([ended], incidents, http.RequestAborted))[0]);
        }
        catch (ForbiddenActionException ex)
        {
            await denials.RecordAsync(http, http.Actor(), $"kill-switch:{program}/{id}");
            return Problems.Forbidden(ex.Message);
        }
    }

    private static async Task<List<ActivationView>> ViewsAsync(IReadOnlyList<KillSwitchRecord> records, IncidentService incidents, CancellationToken ct)
    {
        var views = new List<ActivationView>(records.Count);
        foreach (var r in records)
        {
            var v = r.Verification;
            var decided = v?.Status == VerificationStatus.Verified ? v.DecidedAt : null;
            var incident = decided is null ? null : await incidents.GetAsync(r.IncidentId, ct);
            var timeToMitigate = (decided - incident?.DeclaredAt)?.TotalMilliseconds;
            views.Add(new ActivationView(r, v is null ? null : v with { TimeToMitigateMs = timeToMitigate }, (decided - r.ActivatedAt)?.TotalMilliseconds,
                timeToMitigate, v?.Describe() ?? []));
        }
        return views;
    }
}
