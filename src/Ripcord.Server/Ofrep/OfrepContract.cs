using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ripcord.Server.Ofrep;

// The shapes of OFREP's bodies, for the OpenAPI document. The endpoints read and write them by hand
// (a flat, open-ended context; responses written straight to the pipe), so these records describe
// the wire format rather than being bound: keep them in step with OfrepRequest and OfrepApi.

/// <summary>An OFREP evaluation request: a flat context (targetingKey, workspaceId, tier, program, and free attributes); both optional, other fields ignored.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record OfrepEvaluationRequest
{
    public Dictionary<string, JsonElement>? Context { get; init; }
}

/// <summary>One flag evaluated: a boolean value, variant on/off, the OpenFeature reason, and Ripcord's reason, scope and revision in metadata.</summary>
public sealed record OfrepEvaluationSuccess(string Key, bool Value, string Reason, string Variant, Dictionary<string, JsonElement> Metadata);

/// <summary>Every flag of the program; the response carries an ETag, and If-None-Match gives 304.</summary>
public sealed record OfrepBulkEvaluationSuccess(IReadOnlyList<OfrepEvaluationSuccess> Flags);

/// <summary>An OFREP failure: PARSE_ERROR, INVALID_CONTEXT, FLAG_NOT_FOUND or GENERAL (key absent on the bulk endpoint).</summary>
public sealed record OfrepEvaluationFailure(string? Key, string ErrorCode, string ErrorDetails);
