using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ripcord.Server.Http;

/// <summary>How request bodies are read (strictly) and how revisions travel in If-Match and ETag.</summary>
public static class RequestReading
{
    /// <summary>
    /// The API's JSON: web names; unknown fields, duplicate fields, trailing commas and numbers in
    /// strings refused (a typo should not be silently ignored, nor a second value silently win).
    /// </summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.AllowDuplicateProperties = false;
        options.AllowTrailingCommas = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.MaxDepth = 16;
        options.Converters.Add(new UnicodeCheckedJsonElementConverter());
    }

    /// <summary>
    /// The revision a write expects, from <c>If-Match</c> (<c>7</c>, <c>"7"</c> or <c>W/"7"</c>).
    /// Absent (or <c>*</c>): the write applies to whatever is current.
    /// </summary>
    public static (long? Revision, ProblemHttpResult? Problem) IfMatch(string? raw)
    {
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

    public static (long? Revision, ProblemHttpResult? Problem) IfMatch(HttpRequest request) => IfMatch(request.Headers.IfMatch.ToString());

    public static void SetRevision(HttpResponse response, long revision) =>
        response.Headers.ETag = $"\"{revision.ToString(CultureInfo.InvariantCulture)}\"";
}
