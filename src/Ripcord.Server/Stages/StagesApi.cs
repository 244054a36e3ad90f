using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Stages;

/// <summary>Body of PUT …/stage: a stage number (<c>1</c>) or name (<c>"freeze"</c>).</summary>
public sealed record StageBody(JsonElement Stage);

/// <summary>The stage. After a PUT, <c>unchanged</c> says the program already was at that stage: nothing was written.</summary>
public sealed record StageView(string Program, string Stage, string Name, long Revision, IReadOnlyList<string> Stages, bool Unchanged = false);

/// <summary>
/// The current stage profile. Entry/exit gates arrive in a later issue; until then moving a
/// stage is simply restricted to release managers (and admins), and audited.
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
            .Write("SetStage", "Move the program to a stage (0–3 or a named profile such as freeze)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.StageWrite));
        return api;
    }

    private static async Task<Results<Ok<StageView>, ProblemHttpResult>> PutAsync(
        string program, StageBody body, [FromHeader(Name = "If-Match")] string? ifMatchHeader, HttpContext context,
        ProgramWriter writer, ProgramRegistry registry)
    {
        registry.Current(program);
        var (ifMatch, badIfMatch) = RequestReading.IfMatch(ifMatchHeader);
        if (badIfMatch is not null)
        {
            return badIfMatch;
        }
        string? stage = body.Stage.ValueKind switch
        {
            JsonValueKind.Number when body.Stage.TryGetInt32(out var n) => n.ToString(CultureInfo.InvariantCulture),
            JsonValueKind.String => body.Stage.GetString(),
            _ => null,
        };
        if (string.IsNullOrEmpty(stage))
        {
            return Problems.BadRequest("stage must be a stage number (0–3) or a stage name such as \"freeze\"", "stage");
        }
        var outcome = await writer.ExecuteAsync(program, new SetStage(stage), context.Actor(), ifMatch, context.RequestAborted);
        RequestReading.SetRevision(context.Response, outcome.Revision);
        return TypedResults.Ok(View(registry.Current(program)) with { Unchanged = outcome.Unchanged });
    }

    private static StageView View(CompiledProgram p) => new(
        p.Program, p.State.Stage, p.State.Definition.FindStage(p.State.Stage)?.Name ?? "", p.Revision,
        p.State.Definition.Stages.Select(s => s.Id).ToList());
}
