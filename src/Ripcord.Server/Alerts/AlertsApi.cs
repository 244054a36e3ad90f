using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Alerts;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Alerts;

public sealed record AcknowledgeAlertBody(string Reason);

/// <summary>Alerts (SPEC §7, docs/telemetry.md "Alerts"): the program's open and recent alerts, and acknowledging one.</summary>
public static class AlertsApi
{
    public const int ListLimit = 200;

    public static RouteGroupBuilder MapAlerts(this RouteGroupBuilder api)
    {
        var alerts = api.MapGroup("/programs/{program}/alerts").WithTags("Alerts");
        alerts.MapGet("", async Task<Ok<List<Alert>>> (string program, ProgramRegistry registry, AlertService service, CancellationToken ct) =>
            {
                registry.Current(program);
                return TypedResults.Ok(await service.ListAsync(program, ListLimit, ct));
            })
            .Read("ListAlerts", "The program's alerts: every firing one first, then the most recent resolved ones, newest first")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        alerts.MapPost("/{id}/ack", async Task<Ok<Alert>> (string program, string id, AcknowledgeAlertBody body, HttpContext http, ProgramRegistry registry,
                AlertService service) =>
            {
                registry.Current(program);
                return TypedResults.Ok(await service.AcknowledgeAsync(program, id, body.Reason ?? "", http.Actor(), http.RequestAborted));
            })
            .Write("AcknowledgeAlert", "Acknowledge a firing alert with a reason (404 unknown alert, 409 resolved or already acknowledged)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsWrite));
        return api;
    }
}
