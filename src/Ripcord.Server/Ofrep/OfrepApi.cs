using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Ofrep;

/// <summary>
/// The OpenFeature Remote Evaluation Protocol (OFREP, open-feature/protocol service/openapi.yaml),
/// so any OpenFeature SDK with an OFREP provider evaluates Ripcord flags unchanged (SPEC §10):
/// <list type="bullet">
/// <item><c>POST /ofrep/v1/evaluate/flags/{key}</c>: one flag (key or alias) →
/// <c>{"key","value","reason","variant","metadata"}</c>; 404 <c>FLAG_NOT_FOUND</c>; 400 <c>PARSE_ERROR</c> or
/// <c>INVALID_CONTEXT</c> with <c>{"key","errorCode","errorDetails"}</c>.</item>
/// <item><c>POST /ofrep/v1/evaluate/flags</c>: every flag of the program → <c>{"flags":[…]}</c> with an
/// <c>ETag</c>; a matching <c>If-None-Match</c> gives 304. 400 is <c>{"errorCode","errorDetails"}</c>.</item>
/// <item><c>GET /ofrep/v1/configuration</c>: the provider capabilities (<see cref="Configuration"/>).</item>
/// </list>
/// Authentication is the ordinary bearer token (an SDK key or any role allowed to evaluate):
/// 401 without a valid one, 403 for a role that may not evaluate. Values are booleans with
/// variant <c>on</c>/<c>off</c>; <see cref="OfrepReasons"/> says how reasons map, and
/// <c>metadata</c> carries the Ripcord reason, scope, source, program, stage and revision.
/// <para>An unknown <c>program</c> in the context is a 400 <c>INVALID_CONTEXT</c>, not a 404
/// <c>FLAG_NOT_FOUND</c>: the flag key may be fine and the context is what names something that
/// does not exist, so the caller is told which part to fix; it also keeps the bulk endpoint
/// (whose only error status in the spec is 400) consistent with the single-flag one.</para>
/// </summary>
public static class OfrepApi
{
    // Catch-all, so a key with a slash still gets an OFREP FLAG_NOT_FOUND rather than a bare routing 404.
    public const string SingleRoute = "/ofrep/v1/evaluate/flags/{**key}";
    public const string BulkRoute = "/ofrep/v1/evaluate/flags";
    public const string ConfigurationRoute = "/ofrep/v1/configuration";
    private const string JsonType = "application/json; charset=utf-8";

    // The bodies are application/json, never embedded in HTML: keep quotes and accents readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        var ofrep = app.MapGroup("").WithTags("OFREP")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.Evaluate));
        ofrep.MapPost(SingleRoute, EvaluateFlagAsync).WithName("OfrepEvaluateFlag")
            .WithSummary("Evaluate one flag (OpenFeature Remote Evaluation Protocol)")
            .DocumentsJsonBody<OfrepEvaluationRequest>()
            .Produces<OfrepEvaluationSuccess>()
            .Produces<OfrepEvaluationFailure>(StatusCodes.Status400BadRequest)
            .Produces<OfrepEvaluationFailure>(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        ofrep.MapPost(BulkRoute, EvaluateFlagsAsync).WithName("OfrepEvaluateFlags")
            .WithSummary("Evaluate every flag of the program (ETag; If-None-Match gives 304)")
            .DocumentsJsonBody<OfrepEvaluationRequest>()
            .Produces<OfrepBulkEvaluationSuccess>()
            .Produces(StatusCodes.Status304NotModified)
            .Produces<OfrepEvaluationFailure>(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        ofrep.MapGet(ConfigurationRoute, () => TypedResults.Json(Configuration)).WithName("OfrepConfiguration")
            .WithSummary("What an OFREP provider may rely on: boolean flags, polling at most once a second")
            .Produces<OfrepConfiguration>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    /// <summary>
    /// What a provider may rely on (OFREP <c>GET /ofrep/v1/configuration</c>): boolean flags only, and
    /// polling the bulk endpoint no more often than once a second — its ETag makes an unchanged poll a
    /// cheap 304. Ripcord's own SDK streams instead of polling.
    /// </summary>
    internal static readonly OfrepConfiguration Configuration = new("Ripcord",
        new OfrepCapabilities(new OfrepCacheInvalidation(new OfrepPolling(true, 1000)), new OfrepFlagEvaluation(["boolean"])));

    internal sealed record OfrepConfiguration(string Name, OfrepCapabilities Capabilities);

    internal sealed record OfrepCapabilities(OfrepCacheInvalidation CacheInvalidation, OfrepFlagEvaluation FlagEvaluation);

    internal sealed record OfrepCacheInvalidation(OfrepPolling Polling);

    internal sealed record OfrepPolling(bool Enabled, int MinPollingIntervalMs);

    internal sealed record OfrepFlagEvaluation(IReadOnlyList<string> SupportedTypes);

    private static async Task EvaluateFlagAsync(string key, HttpContext http, ProgramRegistry registry, TimeProvider clock)
    {
        var (request, error) = await OfrepRequest.ReadAsync(http.Request);
        if (error is not null)
        {
            await SendAsync(http.Response, error.Status, WriteError(key, error.ErrorCode, error.Details));
            return;
        }
        if (!registry.TryGet(request.Program, out var program))
        {
            await SendAsync(http.Response, StatusCodes.Status400BadRequest,
                WriteError(key, OfrepErrorCodes.InvalidContext, UnknownProgram(request.Program)));
            return;
        }
        if (!program.TryGetFlagIndex(key, out var index))
        {
            await SendAsync(http.Response, StatusCodes.Status404NotFound,
                WriteError(key, OfrepErrorCodes.FlagNotFound, $"program '{program.Program}' has no flag '{key}' (key or alias)"));
            return;
        }
        var result = Evaluator.Evaluate(program, index, request.Context, clock.GetUtcNow());
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteSuccess(writer, key, program, index, result);
        }
        await SendAsync(http.Response, StatusCodes.Status200OK, buffer);
    }

    private static async Task EvaluateFlagsAsync(HttpContext http, ProgramRegistry registry, TimeProvider clock)
    {
        var (request, error) = await OfrepRequest.ReadAsync(http.Request);
        if (error is not null)
        {
            await SendAsync(http.Response, error.Status, WriteError(null, error.ErrorCode, error.Details));
            return;
        }
        if (!registry.TryGet(request.Program, out var program))
        {
            await SendAsync(http.Response, StatusCodes.Status400BadRequest,
                WriteError(null, OfrepErrorCodes.InvalidContext, UnknownProgram(request.Program)));
            return;
        }
        var results = Evaluator.EvaluateAll(program, request.Context, clock.GetUtcNow());
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("flags");
            for (var i = 0; i < results.Length; i++)
            {
                WriteSuccess(writer, program.FlagAt(i).Key, program, i, results[i]);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        // The tag is a hash of the representation itself, not only the revision: an override
        // that expires changes the values without a new revision, and the values depend on the
        // context, so only the bytes tell whether what the client holds is still current.
        var etag = ETag(program.Revision, buffer.WrittenSpan);
        http.Response.Headers.ETag = etag;
        if (Matches(http.Request.Headers.IfNoneMatch, etag))
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await SendAsync(http.Response, StatusCodes.Status200OK, buffer);
    }

    private static void WriteSuccess(Utf8JsonWriter writer, string key, CompiledProgram program, int index, in FlagResult result)
    {
        var flag = program.FlagAt(index);
        writer.WriteStartObject();
        writer.WriteString("key", key);
        writer.WriteBoolean("value", result.Value);
        writer.WriteString("reason", OfrepReasons.For(result, program.State));
        writer.WriteString("variant", OfrepReasons.Variant(result.Value));
        writer.WriteStartObject("metadata");
        writer.WriteString("flagKey", flag.Key);
        if (flag.Alias is { } alias)
        {
            writer.WriteString("alias", alias);
        }
        writer.WriteString("program", program.Program);
        writer.WriteNumber("revision", program.Revision);
        writer.WriteString("stage", program.State.Stage);
        writer.WriteString("ripcordReason", result.ReasonName);
        writer.WriteString("scope", result.Scope);
        writer.WriteString("source", result.Source);
        if (result.Conflict)
        {
            writer.WriteBoolean("conflict", true);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static ArrayBufferWriter<byte> WriteError(string? key, string errorCode, string details)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        if (key is not null)
        {
            writer.WriteString("key", key);
        }
        writer.WriteString("errorCode", errorCode);
        writer.WriteString("errorDetails", details);
        writer.WriteEndObject();
        writer.Flush();
        return buffer;
    }

    private static string UnknownProgram(string program) =>
        $"context attribute 'program' names '{program}', which is not a program here (the default is '{OfrepRequest.DefaultProgram}')";

    private static Task SendAsync(HttpResponse response, int status, ArrayBufferWriter<byte> body)
    {
        response.StatusCode = status;
        response.ContentType = JsonType;
        response.ContentLength = body.WrittenCount;
        return response.Body.WriteAsync(body.WrittenMemory, response.HttpContext.RequestAborted).AsTask();
    }

    /// <summary>A strong entity tag: the revision, then a digest of the response bytes.</summary>
    public static string ETag(long revision, ReadOnlySpan<byte> body)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, digest);
        return $"\"{revision.ToString(CultureInfo.InvariantCulture)}-{Convert.ToHexStringLower(digest[..12])}\"";
    }

    /// <summary>
    /// <c>If-None-Match</c> against the current tag with weak comparison (RFC 9110 §13.1.2): any
    /// listed tag, with or without <c>W/</c>, or <c>*</c>. OFREP answers a match with 304 even though
    /// the method is POST (the request only reads).
    /// </summary>
    public static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        var current = Opaque(etag);
        foreach (var header in ifNoneMatch)
        {
            if (string.IsNullOrEmpty(header))
            {
                continue;
            }
            foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (part == "*" || Opaque(part).SequenceEqual(current))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static ReadOnlySpan<char> Opaque(string tag)
    {
        var span = tag.AsSpan().Trim();
        if (span.StartsWith("W/", StringComparison.Ordinal))
        {
            span = span[2..];
        }
        return span.Trim('"');
    }
}
