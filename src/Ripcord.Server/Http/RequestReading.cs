using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ripcord.Server.Http;

/// <summary>
/// Reads request bodies and headers with errors a person can act on: which field, what was
/// expected. Unknown fields are refused (a typo should not be silently ignored).
/// </summary>
public static class RequestReading
{
    public static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = false,
        NumberHandling = JsonNumberHandling.Strict,
        MaxDepth = 16,
    };

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadJsonAsync<T>(HttpRequest request)
        where T : class
    {
        if (request.ContentLength == 0)
        {
            return (null, Problems.BadRequest("the request needs a JSON body"));
        }
        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !type.Contains("+json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"send the body as application/json, not '{type}'"));
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Strict, request.HttpContext.RequestAborted);
            return value is null
                ? (null, Problems.BadRequest("the body is JSON null; an object was expected"))
                : (value, null);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at {ex.Path}";
            var what = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "unknown field"
                : ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                    ? "wrong type" + Expected(ex.Message)
                    : "malformed JSON";
            var field = string.IsNullOrEmpty(ex.Path) ? null : ex.Path.TrimStart('$', '.');
            return (null, Problems.BadRequest($"{what}{where} (line {(ex.LineNumber ?? 0) + 1})", field));
        }
    }

    /// <summary>What every write endpoint reads first: the optional If-Match revision, then the JSON body.</summary>
    public static async Task<(long? IfMatch, T? Body, ProblemHttpResult? Problem)> ReadWriteAsync<T>(HttpRequest request)
        where T : class
    {
        var (ifMatch, badIfMatch) = IfMatch(request);
        if (badIfMatch is not null)
        {
            return (null, null, badIfMatch);
        }
        var (body, problem) = await ReadJsonAsync<T>(request);
        return (ifMatch, body, problem);
    }

    // "The JSON value could not be converted to System.Nullable`1[System.Boolean]" → ", expected true or false"
    private static string Expected(string message) =>
        message.Contains("Boolean", StringComparison.Ordinal) ? " (expected true or false)"
        : message.Contains("Int32", StringComparison.Ordinal) || message.Contains("Int64", StringComparison.Ordinal) ? " (expected a whole number)"
        : message.Contains("Decimal", StringComparison.Ordinal) || message.Contains("Double", StringComparison.Ordinal) ? " (expected a number)"
        : message.Contains("DateTimeOffset", StringComparison.Ordinal) ? " (expected an ISO-8601 time)"
        : message.Contains("String[]", StringComparison.Ordinal) ? " (expected a list of strings)"
        : message.Contains("System.String", StringComparison.Ordinal) ? " (expected a string)"
        : message.Contains("Dictionary", StringComparison.Ordinal) || message.Contains("Body", StringComparison.Ordinal) ? " (expected an object)"
        : "";

    /// <summary>
    /// The revision a write expects, from <c>If-Match</c> (<c>7</c>, <c>"7"</c> or <c>W/"7"</c>).
    /// Absent: the write applies to whatever is current.
    /// </summary>
    public static (long? Revision, ProblemHttpResult? Problem) IfMatch(HttpRequest request)
    {
        var raw = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(raw) || raw == "*")
        {
            return (null, null);
        }
        var text = raw.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }
        text = text.Trim('"');
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision >= 0
            ? (revision, null)
            : (null, Problems.BadRequest($"If-Match must be a revision number, not '{raw}'", "If-Match"));
    }

    public static void SetRevision(HttpResponse response, long revision) =>
        response.Headers.ETag = $"\"{revision.ToString(CultureInfo.InvariantCulture)}\"";
}
