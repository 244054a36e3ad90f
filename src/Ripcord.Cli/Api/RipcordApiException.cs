using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Ripcord.Cli.Api;

/// <summary>One entry of a problem's <c>errors</c> extension: a request field, or a definition file's line and path.</summary>
public sealed record ProblemError(string? Field, int? Line, string Message)
{
    public override string ToString() =>
        Line is > 0 ? $"line {Line}: {Field}: {Message}" : Field is null ? Message : $"{Field}: {Message}";
}

/// <summary>
/// The server answered with an error: an RFC 9457 problem (or, from something in front of the
/// server, a bare status). Carries what a caller branches on — status, the current revision of a 409,
/// the per-field errors — and the problem exactly as sent, for <c>--json</c>.
/// </summary>
public sealed class RipcordApiException : Exception
{
    private RipcordApiException(int status, string title, string? detail, ProblemDetails? problem, string? problemJson,
        long? currentRevision, IReadOnlyList<ProblemError> errors)
        : base(detail is null ? $"{status} {title}" : $"{status} {title}: {detail}")
    {
        Status = status;
        Title = title;
        Detail = detail;
        Problem = problem;
        ProblemJson = problemJson;
        CurrentRevision = currentRevision;
        Errors = errors;
    }

    public int Status { get; }
    public string Title { get; }
    public string? Detail { get; }

    /// <summary>The problem as parsed, with any extension members; null when the body was not a problem.</summary>
    public ProblemDetails? Problem { get; }

    /// <summary>The problem's JSON exactly as the server sent it; null when the body was not JSON.</summary>
    public string? ProblemJson { get; }

    /// <summary>On 409: the revision the program is at now (the <c>currentRevision</c> extension).</summary>
    public long? CurrentRevision { get; }

    /// <summary>The <c>errors</c> extension, whichever of its two shapes the endpoint used.</summary>
    public IReadOnlyList<ProblemError> Errors { get; }

    /// <summary>Reads an error response; never throws on a body it cannot parse.</summary>
    public static RipcordApiException FromResponse(int status, string body)
    {
        var reason = ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
        ProblemDetails? problem = null;
        try
        {
            problem = body.Length == 0 ? null : JsonSerializer.Deserialize<ProblemDetails>(body, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
        }
        if (problem is null)
        {
            return new RipcordApiException(status, reason, null, null, null, null, []);
        }
        long? current = problem.Extensions.TryGetValue("currentRevision", out var revision) && revision is JsonElement
        {
            ValueKind: JsonValueKind.Number,
        } number && number.TryGetInt64(out var n) ? n : null;
        var errors = problem.Extensions.TryGetValue("errors", out var e) && e is JsonElement element ? ReadErrors(element) : [];
        return new RipcordApiException(status, string.IsNullOrEmpty(problem.Title) ? reason : problem.Title, problem.Detail,
            problem, body, current, errors);
    }

    /// <summary>A success status whose body is not what the endpoint promises (a proxy page, a different server).</summary>
    public static RipcordApiException Unreadable(int status, string why) =>
        new(status, "Unreadable response", $"the server's answer is not the JSON the API promises ({why})", null, null, null, []);

    // {"field": ["message", …]} from request validation; [{"line","path","message"}, …] from a definition.
    private static List<ProblemError> ReadErrors(JsonElement errors)
    {
        var list = new List<ProblemError>();
        if (errors.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in errors.EnumerateObject())
            {
                var messages = field.Value.ValueKind == JsonValueKind.Array ? field.Value.EnumerateArray().Select(Text) : [Text(field.Value)];
                list.AddRange(messages.Select(m => new ProblemError(field.Name, null, m)));
            }
        }
        else if (errors.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in errors.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    list.Add(new ProblemError(null, null, Text(item)));
                    continue;
                }
                int? line = item.TryGetProperty("line", out var l) && l.TryGetInt32(out var ln) ? ln : null;
                var path = item.TryGetProperty("path", out var p) ? Text(p) : item.TryGetProperty("field", out var f) ? Text(f) : null;
                var message = item.TryGetProperty("message", out var m) ? Text(m) : item.GetRawText();
                list.Add(new ProblemError(path, line, message));
            }
        }
        return list;
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}

/// <summary>No answer from the server: refused, unresolvable, a TLS failure, or nothing within the timeout.</summary>
public sealed class RipcordUnreachableException(Uri server, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public Uri Server { get; } = server;
}
