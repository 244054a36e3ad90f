using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Stages;

public sealed record StageBody(JsonElement Stage);

public sealed record StageView(string Program, string Stage, string Name, long Revision, IReadOnlyList<string> Stages);

/// <summary>
/// The current stage profile. Entry/exit gates arrive in a later issue; until then moving a
/// stage is simply restricted to release managers (and admins), and audited.
/// </summary>
public static class StagesApi
{
    public static RouteGroupBuilder MapStages(this RouteGroupBuilder api)
    {
        api.MapGet("/programs/{program}/stage", (string program, ProgramRegistry registry) => TypedResults.Ok(View(registry.Current(program))))
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        api.MapPut("/programs/{program}/stage", PutAsync)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.StageWrite));
        return api;
    }

    private static async Task<Results<Ok<StageView>, ProblemHttpResult>> PutAsync(
        string program, HttpRequest request, ProgramWriter writer, ProgramRegistry registry)
    {
        registry.Current(program);
        var (ifMatch, body, problem) = await RequestReading.ReadWriteAsync<StageBody>(request);
        if (body is null)
        {
            return problem!;
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
        var outcome = await writer.ExecuteAsync(program, new SetStage(stage), request.HttpContext.Actor(), ifMatch, request.HttpContext.RequestAborted);
        RequestReading.SetRevision(request.HttpContext.Response, outcome.Revision);
        return TypedResults.Ok(View(registry.Current(program)));
    }

    private static StageView View(CompiledProgram p) => new(
        p.Program, p.State.Stage, p.State.Definition.FindStage(p.State.Stage)?.Name ?? "", p.Revision,
        p.State.Definition.Stages.Select(s => s.Id).ToList());
}
