using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ripcord.Server.Http;

/// <summary>RFC 9457 problem details, the only error shape the API returns.</summary>
public static class Problems
{
    public static ProblemHttpResult Result(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    public static ProblemHttpResult BadRequest(string detail, string? field = null) =>
        Result(StatusCodes.Status400BadRequest, "Invalid request", detail,
            field is null ? null : new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } });

    public static ProblemHttpResult NotFound(string detail) =>
        Result(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult Conflict(string detail, long currentRevision) =>
        Result(StatusCodes.Status409Conflict, "Stale revision", detail,
            new Dictionary<string, object?> { ["currentRevision"] = currentRevision });

    /// <summary>The request is valid, but what it names is in a state that does not allow it.</summary>
    public static ProblemHttpResult Conflict(string detail) =>
        Result(StatusCodes.Status409Conflict, "Conflict", detail);

    public static ProblemHttpResult Forbidden(string detail) =>
        Result(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static async Task Write(HttpContext context, int status, string title, string detail, string? field = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = context.Request.Path };
        if (field is not null)
        {
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }
        await context.Response.WriteAsync(JsonSerializer.Serialize(problem, JsonSerializerOptions.Web), context.RequestAborted);
    }
}
