using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Ripcord.Server.Http;

/// <summary>
/// Every error the server answers is RFC 9457 problem details: a request it could not bind (malformed
/// or mistyped JSON, unknown fields, a missing body, the wrong media type, too large), a status code
/// with no body (404 route, 405 method), and — never expected — an unhandled exception, logged by type
/// only. A request refused here reached no handler, so nothing was written.
/// </summary>
public static class ErrorHandling
{
    public static WebApplication UseProblemErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A request the client got wrong is answered 4xx below: not the server's error, so no stack trace at error level.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException,
            ExceptionHandler = async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (error is BadHttpRequestException bad)
            {
                var (status, title, detail, field) = Describe(bad);
                await Problems.Write(context, status, title, detail, field);
                return;
            }
            if (error is not null && Storage.StorageFailure.IsUnwritable(error))
            {
                // A write outside an endpoint's filter (a denial's audit row, say) on a full or read-only store.
                await Problems.Write(context, StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                    "the request could not be stored, so nothing of it was kept; retry when storage is healthy");
                return;
            }
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Ripcord.Server")
                .LogError("Unhandled {Error} on {Method} {Path}", error?.GetType().Name, context.Request.Method, context.Request.Path);
            await Problems.Write(context, StatusCodes.Status500InternalServerError, "Internal error",
                "the server failed; the error is logged and nothing was half-written");
        },
        });
        app.UseStatusCodePages(async status =>
        {
            if (!status.HttpContext.Response.HasStarted && status.HttpContext.Response.ContentLength is null)
            {
                var code = status.HttpContext.Response.StatusCode;
                await Problems.Write(status.HttpContext, code, ReasonPhrase(code), code == 404
                    ? $"no endpoint at {status.HttpContext.Request.Method} {status.HttpContext.Request.Path}"
                    : ReasonPhrase(code));
            }
        });
        return app;
    }

    /// <summary>What went wrong reading a request, in words a person can act on: which field, what was expected.</summary>
    public static (int Status, string Title, string Detail, string? Field) Describe(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (bad.StatusCode, "Payload too large", "the request body is larger than this endpoint accepts", null);
        }
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return (bad.StatusCode, "Unsupported media type", "send the body as application/json", null);
        }
        if (bad.InnerException is JsonException json)
        {
            var where = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "" : $" at {json.Path}";
            var what = IsInvalidUnicode(json)
                ? UnicodeCheckedJsonElementConverter.Message
                : json.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "unknown field"
                : json.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)
                    ? "duplicate field"
                    : json.Message.Contains("could not be converted", StringComparison.Ordinal)
                        ? "wrong type" + Expected(json.Message)
                        : "malformed JSON";
            var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? null : json.Path.TrimStart('$', '.');
            return (StatusCodes.Status400BadRequest, "Invalid request", $"{what}{where} (line {(json.LineNumber ?? 0) + 1})", field);
        }
        if (bad.Message.Contains("was not provided", StringComparison.Ordinal) || bad.Message.Contains("no body was provided", StringComparison.Ordinal))
        {
            return (StatusCodes.Status400BadRequest, "Invalid request", "the request needs a JSON object as its body", null);
        }
        if (bad.Message.Contains("Failed to bind parameter", StringComparison.Ordinal))
        {
            // A route or query value of the wrong type (a revision number that is not one, say).
            var name = bad.Message.Split('"') is { Length: > 1 } parts ? parts[1].Split(' ')[^1] : "a parameter";
            return (StatusCodes.Status400BadRequest, "Invalid request", $"{name} has the wrong type", name);
        }
        return (bad.StatusCode, "Bad request", "the request could not be read", null);
    }

    // System.Text.Json refuses a lone surrogate in a string it reads with an InvalidOperationException inside its JsonException.
    private static bool IsInvalidUnicode(JsonException json) =>
        json.Message.StartsWith(UnicodeCheckedJsonElementConverter.Message, StringComparison.Ordinal)
        || json.InnerException is InvalidOperationException { Message: var m } && m.Contains("UTF-16", StringComparison.Ordinal);

    // "The JSON value could not be converted to System.Nullable`1[System.Boolean]" → " (expected true or false)"
    private static string Expected(string message) =>
        message.Contains("Boolean", StringComparison.Ordinal) ? " (expected true or false)"
        : message.Contains("Int32", StringComparison.Ordinal) || message.Contains("Int64", StringComparison.Ordinal) ? " (expected a whole number)"
        : message.Contains("Decimal", StringComparison.Ordinal) || message.Contains("Double", StringComparison.Ordinal) ? " (expected a number)"
        : message.Contains("DateTimeOffset", StringComparison.Ordinal) ? " (expected an ISO-8601 time)"
        : message.Contains("String[]", StringComparison.Ordinal) ? " (expected a list of strings)"
        : message.Contains("System.String", StringComparison.Ordinal) ? " (expected a string)"
        : message.Contains("Dictionary", StringComparison.Ordinal) || message.Contains("Body", StringComparison.Ordinal) ? " (expected an object)"
        : "";

    private static string ReasonPhrase(int code) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } p ? p : "Error";
}
