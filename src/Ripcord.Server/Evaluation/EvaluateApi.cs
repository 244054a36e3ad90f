using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Evaluation;

public sealed record ContextBody(string? WorkspaceId, string? UserId, int? Tier, Dictionary<string, JsonElement>? Attributes);

public sealed record EvaluateBody(ContextBody? Context);

public sealed record FlagEvaluation(bool Value, string Reason, string Scope, string Source, string? Alias, bool? Conflict);

public sealed record EvaluateResponse(string Program, long Revision, string Stage, IReadOnlyDictionary<string, FlagEvaluation> Flags);

/// <summary>POST …/evaluate: every flag's value for a context, with the layer and scope that decided it.</summary>
public static class EvaluateApi
{
    public static RouteGroupBuilder MapEvaluate(this RouteGroupBuilder api)
    {
        api.MapPost("/programs/{program}/evaluate", EvaluateAsync)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.Evaluate));
        return api;
    }

    private static async Task<Results<Ok<EvaluateResponse>, ProblemHttpResult>> EvaluateAsync(
        string program, HttpRequest request, ProgramRegistry registry, TimeProvider clock)
    {
        var compiled = registry.Current(program);
        var (body, problem) = await RequestReading.ReadJsonAsync<EvaluateBody>(request);
        if (body is null)
        {
            return problem!;
        }
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
        RequestReading.SetRevision(request.HttpContext.Response, compiled.Revision);
        return TypedResults.Ok(new EvaluateResponse(compiled.Program, compiled.Revision, compiled.State.Stage, flags));
    }

    /// <summary>Validates and converts a context from JSON: ids are bounded strings, tier 0–2, attributes scalar.</summary>
    public static (EvaluationContext? Context, ProblemHttpResult? Problem) ToContext(ContextBody? body)
    {
        if (body is null)
        {
            return (null, Problems.BadRequest("the body needs a 'context' object, e.g. {\"context\":{\"workspaceId\":\"w1\",\"tier\":1}}", "context"));
        }
        if (body.WorkspaceId is { Length: > 256 } || body.UserId is { Length: > 256 })
        {
            return (null, Problems.BadRequest("workspaceId and userId are at most 256 characters", "context"));
        }
        if (body.Tier is < 0 or > 2)
        {
            return (null, Problems.BadRequest("tier must be 0, 1 or 2 (or absent when unknown)", "context.tier"));
        }
        var attributes = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        if (body.Attributes is not null)
        {
            if (body.Attributes.Count > 64)
            {
                return (null, Problems.BadRequest("at most 64 attributes", "context.attributes"));
            }
            foreach (var (name, value) in body.Attributes)
            {
                AttributeValue? converted = value.ValueKind switch
                {
                    JsonValueKind.String => (AttributeValue?)AttributeValue.Of(value.GetString()!),
                    JsonValueKind.Number => AttributeValue.Of(value.GetDouble()),
                    JsonValueKind.True => AttributeValue.Of(true),
                    JsonValueKind.False => AttributeValue.Of(false),
                    _ => null,
                };
                if (converted is null)
                {
                    return (null, Problems.BadRequest($"attribute '{name}' must be a string, number or boolean", "context.attributes." + name));
                }
                attributes[name] = converted.Value;
            }
        }
        return (new EvaluationContext(body.WorkspaceId, body.UserId, body.Tier, attributes), null);
    }
}
