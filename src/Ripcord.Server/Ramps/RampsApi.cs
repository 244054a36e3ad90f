using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

namespace Ripcord.Server.Ramps;

/// <summary>Why a ramp is paused (required), or started or resumed (optional: the body may be left out); it goes into the ramp's reason and the audit row.</summary>
public sealed record RampReasonBody(string? Reason);

/// <summary>
/// Guarded ramps: <c>POST …/ramps</c> starts the ramp of the current stage, <c>GET …/ramps</c> shows where it is and why,
/// <c>POST …/ramps/pause</c> and <c>…/resume</c> stop and restart its automatic moves.
/// </summary>
public static class RampsApi
{
    public static RouteGroupBuilder MapRamps(this RouteGroupBuilder api)
    {
        var ramps = api.MapGroup("/programs/{program}/ramps").WithTags("Guarded ramps");

        ramps.MapGet("", async (string program, RampService service, CancellationToken ct) => TypedResults.Ok(await service.StatusAsync(program, ct)))
            .Read("GetRamp", "The current stage's ramp plan and the ramp as it is: step, percentage, next step at, last figures, why it holds")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        ramps.MapPost("", StartAsync)
            .Write("StartRamp", "Start the ramp of the current stage at its first step (a revision when that moves the cohort)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.RampManage));

        ramps.MapPost("/pause", PauseAsync)
            .Write("PauseRamp", "Stop the ramp's automatic moves; the cohort stays at its step")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.RampManage));

        ramps.MapPost("/resume", ResumeAsync)
            .Write("ResumeRamp", "Let a paused, holding or rolled-back ramp move again; its step starts afresh")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.RampManage));
        return api;
    }

    // The reason is checked by the service (the dashboard calls it too); a bad one is its 400.
    private static async Task<Results<Ok<RampStatusView>, ProblemHttpResult>> PauseAsync(string program, RampReasonBody body, HttpContext http,
        RampService service) =>
        TypedResults.Ok(await service.PauseAsync(program, body.Reason ?? "", http.Actor(), http.RequestAborted));

    private static async Task<Results<Ok<RampStatusView>, ProblemHttpResult>> StartAsync(string program, RampReasonBody? body, HttpContext http,
        RampService service) =>
        TypedResults.Ok(await service.StartAsync(program, body?.Reason, http.Actor(), http.RequestAborted));

    private static async Task<Results<Ok<RampStatusView>, ProblemHttpResult>> ResumeAsync(string program, RampReasonBody? body, HttpContext http,
        RampService service) =>
        TypedResults.Ok(await service.ResumeAsync(program, body?.Reason, http.Actor(), http.RequestAborted));
}
