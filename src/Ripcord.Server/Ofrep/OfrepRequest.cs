using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Evaluation;

namespace Ripcord.Server.Ofrep;

/// <summary>An OFREP error before any flag is evaluated: HTTP status, OpenFeature error code, details.</summary>
public sealed record OfrepError(int Status, string ErrorCode, string Details)
{
    public static OfrepError ParseError(string details) => new(StatusCodes.Status400BadRequest, OfrepErrorCodes.ParseError, details);

    public static OfrepError InvalidContext(string details) => new(StatusCodes.Status400BadRequest, OfrepErrorCodes.InvalidContext, details);
}

public static class OfrepErrorCodes
{
    public const string ParseError = "PARSE_ERROR";
    public const string InvalidContext = "INVALID_CONTEXT";
    public const string TargetingKeyMissing = "TARGETING_KEY_MISSING";
    public const string FlagNotFound = "FLAG_NOT_FOUND";
    public const string General = "GENERAL";
}

/// <summary>
/// Reads an OFREP evaluation request, <c>{"context":{…}}</c>, into a Ripcord program name and
/// evaluation context. The OpenFeature context is flat; it maps as:
/// <list type="bullet">
/// <item><c>targetingKey</c> → the user id (<c>userId</c> is accepted as a synonym when it agrees);</item>
/// <item><c>workspaceId</c> → the workspace id; <c>tier</c> → the mission tier (0, 1 or 2; absent or null is unknown);</item>
/// <item><c>program</c> → which program's flags (default <c>groups</c>; SPEC §10);</item>
/// <item>every other string, number or boolean → a free attribute (null means absent).</item>
/// </list>
/// The targeting key is optional: Ripcord evaluates an anonymous context (workspace-, cohort-
/// and global-scoped layers still apply), so TARGETING_KEY_MISSING is never returned.
/// The body and the context are optional too (OFREP marks neither required): none is the
/// empty context. Unknown top-level fields are ignored so later OFREP additions do not break.
/// </summary>
public static class OfrepRequest
{
    public const string DefaultProgram = "groups";
    public const int MaxIdLength = ContextRules.MaxIdLength;
    public const int MaxAttributes = ContextRules.MaxAttributes;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    public readonly record struct Parsed(string Program, EvaluationContext Context);

    public static async ValueTask<(Parsed Request, OfrepError? Error)> ReadAsync(HttpRequest request)
    {
        if (request.ContentType is { Length: > 0 } type && !IsJson(type))
        {
            return (default, OfrepError.ParseError($"send the body as application/json, not '{type}'"));
        }
        var reader = request.BodyReader;
        ReadResult read;
        try
        {
            read = await reader.ReadAsync(request.HttpContext.RequestAborted);
            while (!read.IsCompleted && !read.IsCanceled)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                read = await reader.ReadAsync(request.HttpContext.RequestAborted);
            }
        }
        catch (BadHttpRequestException ex)
        {
            return (default, new OfrepError(ex.StatusCode, OfrepErrorCodes.ParseError,
                ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "the request body is larger than this endpoint accepts"
                    : "the request body could not be read"));
        }
        try
        {
            return Parse(read.Buffer);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    /// <summary>Parses a whole request body (possibly empty).</summary>
    public static (Parsed Request, OfrepError? Error) Parse(ReadOnlySequence<byte> body)
    {
        if (IsBlank(body))
        {
            return (new Parsed(DefaultProgram, EvaluationContext.Empty), null);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return (default, OfrepError.ParseError($"the body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})"));
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (default, OfrepError.ParseError("the body must be a JSON object such as {\"context\":{\"targetingKey\":\"u1\"}}"));
            }
            if (!root.TryGetProperty("context", out var context) || context.ValueKind == JsonValueKind.Null)
            {
                return (new Parsed(DefaultProgram, EvaluationContext.Empty), null);
            }
            if (context.ValueKind != JsonValueKind.Object)
            {
                return (default, OfrepError.InvalidContext($"'context' must be an object, not {Kind(context.ValueKind)}"));
            }
            try
            {
                return ToContext(context);
            }
            catch (InvalidOperationException)
            {
                // Escapes that are valid JSON but not text (a lone surrogate such as "\ud800").
                return (default, OfrepError.ParseError("the context holds a string that is not valid Unicode text"));
            }
        }
    }

    private static (Parsed, OfrepError?) ToContext(JsonElement context)
    {
        string? targetingKey = null;
        string? userId = null;
        string? workspaceId = null;
        int? tier = null;
        var program = DefaultProgram;
        Dictionary<string, AttributeValue>? attributes = null;

        foreach (var property in context.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "targetingKey":
                    if (!TryId(value, out targetingKey))
                    {
                        return Invalid("targetingKey", $"must be a string of at most {MaxIdLength} characters");
                    }
                    break;
                case "userId":
                    if (!TryId(value, out userId))
                    {
                        return Invalid("userId", $"must be a string of at most {MaxIdLength} characters");
                    }
                    break;
                case "workspaceId":
                    if (!TryId(value, out workspaceId))
                    {
                        return Invalid("workspaceId", $"must be a string of at most {MaxIdLength} characters");
                    }
                    break;
                case "tier":
                    if (!ContextRules.TryTier(value, out tier))
                    {
                        return Invalid("tier", "must be the number 0, 1 or 2 (or absent when unknown)");
                    }
                    break;
                case "program":
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        program = DefaultProgram;
                    }
                    else if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= 100 } p)
                    {
                        program = p;
                    }
                    else
                    {
                        return Invalid("program", "must be a program key such as \"groups\"");
                    }
                    break;
                default:
                    if (ContextRules.Attribute(value) is { } attribute)
                    {
                        attributes ??= new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
                        attributes[property.Name] = attribute;
                        if (attributes.Count > MaxAttributes)
                        {
                            return (default, OfrepError.InvalidContext($"at most {MaxAttributes} attributes besides targetingKey, workspaceId, tier and program"));
                        }
                    }
                    else if (value.ValueKind != JsonValueKind.Null)
                    {
                        return Invalid(property.Name, $"must be a string, number or boolean, not {Kind(value.ValueKind)}");
                    }
                    break;
            }
        }

        if (targetingKey is not null && userId is not null && !string.Equals(targetingKey, userId, StringComparison.Ordinal))
        {
            return (default, OfrepError.InvalidContext("targetingKey and userId name different users; send only targetingKey"));
        }
        return (new Parsed(program, new EvaluationContext(workspaceId, targetingKey ?? userId, tier, attributes)), null);
    }

    private static (Parsed, OfrepError?) Invalid(string attribute, string what) =>
        (default, OfrepError.InvalidContext($"context attribute '{attribute}' {what}"));

    private static bool TryId(JsonElement value, out string? id)
    {
        id = null;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        id = value.GetString();
        return ContextRules.CheckId(id, "id") is null;
    }

    private static bool IsJson(string contentType) =>
        contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase);

    private static bool IsBlank(ReadOnlySequence<byte> body)
    {
        foreach (var segment in body)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
