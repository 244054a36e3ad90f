using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Evaluation;

/// <summary>An evaluation context: workspace, user, mission tier (0–2, absent when unknown) and up to 64 scalar attributes.</summary>
public sealed record ContextBody(string? WorkspaceId, string? UserId, int? Tier, Dictionary<string, JsonElement>? Attributes);

/// <summary>Body of POST …/evaluate.</summary>
public sealed record EvaluateBody(ContextBody? Context);

public sealed record FlagEvaluation(bool Value, string Reason, string Scope, string Source, string? Alias, bool? Conflict);

public sealed record EvaluateResponse(string Program, long Revision, string Stage, IReadOnlyDictionary<string, FlagEvaluation> Flags);

/// <summary>POST …/evaluate: every flag's value for a context, with the layer and scope that decided it.</summary>
public static class EvaluateApi
{
    public static RouteGroupBuilder MapEvaluate(this RouteGroupBuilder api)
    {
        api.MapPost("/programs/{program}/evaluate", Evaluate)
            .WithTags("Evaluation")
            .Read("Evaluate", "Every flag's value for a context, with the layer and scope that decided it")
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.Evaluate));
        return api;
    }

    private static Results<Ok<EvaluateResponse>, ProblemHttpResult> Evaluate(
        string program, EvaluateBody body, HttpResponse response, ProgramRegistry registry, TimeProvider clock)
    {
        var compiled = registry.Current(program);
        var (context, contextProblem) = ToContext(body.Context);
        if (context is null)
        {
            return contextProblem!;
        }
        var results = Evaluator.EvaluateAll(compiled, context, clock.GetUtcNow());
        var flags = new Dictionary<string, FlagEvaluation>(results.Length, StringComparer.Ordinal);
        for (var i = 0; i < results.Length; i++)
        {
            var def = compiled.FlagAt(i);
            var r = results[i];
            flags[def.Key] = new FlagEvaluation(r.Value, r.ReasonName, r.Scope, r.Source, def.Alias, r.Conflict ? true : null);
        }
        RequestReading.SetRevision(response, compiled.Revision);
        return TypedResults.Ok(new EvaluateResponse(compiled.Program, compiled.Revision, compiled.State.Stage, flags));
    }

    /// <summary>Validates and converts a context from JSON: ids are bounded strings, tier 0–2, attributes scalar.</summary>
    public static (EvaluationContext? Context, ProblemHttpResult? Problem) ToContext(ContextBody? body)
    {
        if (body is null)
        {
            return (null, Problems.BadRequest("the body needs a 'context' object, e.g. {\"context\":{\"workspaceId\":\"w1\",\"tier\":1}}", "context"));
        }
        if ((ContextRules.CheckId(body.WorkspaceId, "workspaceId") ?? ContextRules.CheckId(body.UserId, "userId")) is { } badId)
        {
            return (null, Problems.BadRequest(badId, "context"));
        }
        if (ContextRules.CheckTier(body.Tier) is { } badTier)
        {
            return (null, Problems.BadRequest(badTier, "context.tier"));
        }
        var attributes = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        if (body.Attributes is not null)
        {
            if (body.Attributes.Count > ContextRules.MaxAttributes)
            {
                return (null, Problems.BadRequest(ContextRules.TooManyAttributes, "context.attributes"));
            }
            foreach (var (name, value) in body.Attributes)
            {
                if (ContextRules.Attribute(value) is not { } converted)
                {
                    return (null, Problems.BadRequest($"attribute '{name}' must be a string, number or boolean", "context.attributes." + name));
                }
                attributes[name] = converted;
            }
        }
        return (new EvaluationContext(body.WorkspaceId, body.UserId, body.Tier, attributes), null);
    }
}
