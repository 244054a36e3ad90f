using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Stages;

/// <summary>
/// Body of PUT …/stage: a stage number (<c>1</c>) or name (<c>"freeze"</c>); <c>reason</c> is an
/// admin's break-glass reason for moving to any other stage past its gates.
/// </summary>
public sealed record StageBody(JsonElement Stage, string? Reason = null);

/// <summary>The stage. After a PUT, <c>unchanged</c> says the program already was at that stage: nothing was written.</summary>
public sealed record StageView(string Program, string Stage, string Name, long Revision, IReadOnlyList<string> Stages, bool Unchanged = false);

/// <summary>
/// The current stage profile. Stages move through their gates (<c>POST …/stage/advance</c>,
/// <see cref="GatesApi"/>); PUT is only for the freeze profile (an emergency move) and for an
/// admin's break-glass move with a recorded reason, which is audited and opens a post-action review.
/// </summary>
public static class StagesApi
{
    public static RouteGroupBuilder MapStages(this RouteGroupBuilder api)
    {
        var stage = api.MapGroup("/programs/{program}/stage").WithTags("Stages");

        stage.MapGet("", (string program, ProgramRegistry registry) => TypedResults.Ok(View(registry.Current(program))))
            .Read("GetStage", "The program's current stage profile")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        stage.MapPut("", PutAsync)
            .Write("SetStage", "Move the program to the freeze profile; any other stage only as an admin's break-glass move with a reason")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.StageWrite));
        return api;
    }

    private static async Task<Results<Ok<StageView>, ProblemHttpResult>> PutAsync(
        string program, StageBody body, [FromHeader(Name = "If-Match")] string? ifMatchHeader, HttpContext context,
        ProgramWriter writer, ProgramRegistry registry, IAuditLog audit, ReviewService reviews, TimeProvider clock)
    {
        registry.Current(program);
        var (ifMatch, badIfMatch) = RequestReading.IfMatch(ifMatchHeader);
        if (badIfMatch is not null)
        {
            return badIfMatch;
        }
        var stage = GatesApi.StageId(body.Stage);
        if (string.IsNullOrEmpty(stage))
        {
            return Problems.BadRequest("stage must be a stage number (0–3) or a stage name such as \"freeze\"", "stage");
        }
        var actor = context.Actor();
        WorkflowRows? breakGlass = null;
        if (!string.Equals(stage, GateService.FreezeProfile, StringComparison.Ordinal))
        {
            if (actor.Role != Role.Admin)
            {
                return Problems.Result(StatusCodes.Status422UnprocessableEntity, "Use stage advance",
                    $"stages move through their gates: POST /api/v1/programs/{program}/stage/advance {{\"to\": \"{stage}\"}} "
                    + $"(ripcord stage advance --to {stage}); PUT …/stage only enters the freeze profile, or is an admin's break-glass move with a reason");
            }
            if (string.IsNullOrWhiteSpace(body.Reason) || body.Reason.Length > GateService.MaxTextLength)
            {
                return Problems.BadRequest($"a break-glass stage move past the gates needs a reason (at most {GateService.MaxTextLength} characters); "
                    + $"otherwise use POST /api/v1/programs/{program}/stage/advance", "reason");
            }
            var reason = body.Reason;
            breakGlass = async (session, result, ct) =>
            {
                // The move's own audit row, with its reason, and its post-action review, in the move's transaction.
                var now = SqlDatabase.Storable(clock.GetUtcNow());
                var from = result.Before?.Stage ?? "";
                await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.StageBreakGlass,
                    $"stage:{program}", JsonSerializer.Serialize(new { stage = from }), JsonSerializer.Serialize(new { stage, reason, revision = result.Revision })), ct);
                await reviews.OpenAsync(session, program, AuditAction.StageBreakGlass, $"stage:{program}",
                    $"break-glass stage move {from} → {stage} past the gates: {reason}", null, actor.Principal, now, ct);
            };
        }
        var outcome = await writer.ExecuteAsync(program, new SetStage(stage), actor, ifMatch, context.RequestAborted, breakGlass);
        RequestReading.SetRevision(context.Response, outcome.Revision);
        return TypedResults.Ok(View(registry.Current(program)) with { Unchanged = outcome.Unchanged });
    }

    private static StageView View(CompiledProgram p) => new(
        p.Program, p.State.Stage, p.State.Definition.FindStage(p.State.Stage)?.Name ?? "", p.Revision,
        p.State.Definition.Stages.Select(s => s.Id).ToList());
}
