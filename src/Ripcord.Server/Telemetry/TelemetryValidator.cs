using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ripcord.Server.Telemetry;

/// <summary>A batch refused as a whole: the code is counted, the message goes back to the SDK.</summary>
public sealed record TelemetryRejection(string Code, string Message);

public sealed record ValidatedEvent(string Type, DateTimeOffset At, string PayloadJson, long? Revision, string? State);

public sealed record ValidatedBatch(string Program, string Instance, long SdkDropped, IReadOnlyList<ValidatedEvent> Events);

/// <summary>
/// SPEC §7 events, each with a closed list of fields. Anything else is refused — so message
/// content, keys or tokens cannot ride along under a new name — and so are values that look
/// like key material. A batch is accepted whole or refused whole.
/// </summary>
public static partial class TelemetryValidator
{
    public const int MaxEvents = 500;
    public const int MaxString = 128;

    private enum Kind
    {
        Text,
        Number,
        Tier,
    }

    private static readonly FrozenDictionary<string, FrozenDictionary<string, Kind>> Schema = new Dictionary<string, Dictionary<string, Kind>>
    {
        ["mode"] = new() { ["tier"] = Kind.Tier, ["workspaceId"] = Kind.Text, ["transport"] = Kind.Text, ["cohort"] = Kind.Text },
        ["fallback"] = new()
        {
            ["decision"] = Kind.Text, ["reasonCode"] = Kind.Text, ["tier"] = Kind.Tier, ["effectiveTier"] = Kind.Tier, ["capability"] = Kind.Text,
            ["transport"] = Kind.Text, ["action"] = Kind.Text, ["workspaceId"] = Kind.Text, ["grantId"] = Kind.Text, ["scope"] = Kind.Text,
        },
        ["send"] = new() { ["ackLatencyMs"] = Kind.Number, ["outcome"] = Kind.Text, ["transport"] = Kind.Text, ["workspaceId"] = Kind.Text, ["tier"] = Kind.Tier },
        ["divergence"] = new() { ["projection"] = Kind.Text, ["count"] = Kind.Number, ["workspaceId"] = Kind.Text },
        ["session-start"] = new() { ["platform"] = Kind.Text, ["appVersion"] = Kind.Text, ["sdkVersion"] = Kind.Text, ["state"] = Kind.Text },
        ["session-crash"] = new() { ["kind"] = Kind.Text, ["platform"] = Kind.Text, ["appVersion"] = Kind.Text },
        ["security-signal"] = new() { ["kind"] = Kind.Text, ["severity"] = Kind.Text, ["workspaceId"] = Kind.Text },
        ["revision-heartbeat"] = new() { ["revision"] = Kind.Number, ["state"] = Kind.Text },
    }.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenDictionary(StringComparer.Ordinal), StringComparer.Ordinal);

    public static IEnumerable<string> EventTypes => Schema.Keys;

    // PEM blocks, or long unbroken base64/hex runs: the shapes key material and tokens take.
    [GeneratedRegex(@"-----BEGIN|[A-Za-z0-9+/_=-]{40,}")]
    private static partial Regex KeyMaterial();

    public static (ValidatedBatch? Batch, TelemetryRejection? Rejection) Validate(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Reject("malformed", "a telemetry batch is a JSON object");
        }
        string? program = null, instance = null;
        long dropped = 0;
        JsonElement events = default;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name)
            {
                case "program" when p.Value.ValueKind == JsonValueKind.String:
                    program = p.Value.GetString();
                    break;
                case "instance" when p.Value.ValueKind == JsonValueKind.String:
                    instance = p.Value.GetString();
                    break;
                case "sdk" when p.Value.ValueKind == JsonValueKind.String:
                    break;
                case "dropped" when p.Value.TryGetInt64(out var d) && d >= 0:
                    dropped = d;
                    break;
                case "events" when p.Value.ValueKind == JsonValueKind.Array:
                    events = p.Value;
                    break;
                default:
                    return Reject("unknown-field", $"batch field '{p.Name}' is unknown or has the wrong type");
            }
        }
        if (string.IsNullOrEmpty(program) || program.Length > 64 || string.IsNullOrEmpty(instance) || instance.Length > 64)
        {
            return Reject("malformed", "a batch needs 'program' and 'instance' (at most 64 characters each)");
        }
        if (events.ValueKind != JsonValueKind.Array)
        {
            return Reject("malformed", "a batch needs an 'events' array");
        }
        var count = events.GetArrayLength();
        if (count > MaxEvents)
        {
            return Reject("too-large", $"a batch holds at most {MaxEvents} events, not {count}");
        }
        var result = new List<ValidatedEvent>(count);
        var i = 0;
        foreach (var e in events.EnumerateArray())
        {
            var (validated, problem) = ValidateEvent(e, i++);
            if (validated is null)
            {
                return (null, problem);
            }
            result.Add(validated);
        }
        return (new ValidatedBatch(program, instance, dropped, result), null);
    }

    private static (ValidatedEvent?, TelemetryRejection?) ValidateEvent(JsonElement e, int index)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return Reject($"events[{index}]", "malformed", "each event is a JSON object");
        }
        if (!e.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String
            || !Schema.TryGetValue(typeElement.GetString()!, out var fields))
        {
            return Reject($"events[{index}]", "unknown-type", $"type must be one of: {string.Join(", ", Schema.Keys)}");
        }
        var type = typeElement.GetString()!;
        if (!e.TryGetProperty("at", out var atElement) || atElement.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParse(atElement.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return Reject($"events[{index}]", "malformed", "each event needs 'at', an ISO-8601 time");
        }
        long? revision = null;
        string? state = null;
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name is "type" or "at")
            {
                continue;
            }
            if (!fields.TryGetValue(p.Name, out var kind))
            {
                return Reject($"events[{index}].{p.Name}", "forbidden-field",
                    $"'{p.Name}' is not a field of '{type}' events; telemetry never carries message content, keys or other free data");
            }
            var v = p.Value;
            var ok = kind switch
            {
                Kind.Text => v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.String && v.GetString()!.Length <= MaxString),
                Kind.Number => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var n) && n >= 0 && double.IsFinite(n),
                _ => v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var t) && t is >= 0 and <= 2),
            };
            if (!ok)
            {
                return Reject($"events[{index}].{p.Name}", "bad-value", $"'{p.Name}' must be {(kind == Kind.Text ? $"a string of at most {MaxString} characters" : kind == Kind.Tier ? "a tier 0–2" : "a non-negative number")}");
            }
            if (v.ValueKind == JsonValueKind.String && KeyMaterial().IsMatch(v.GetString()!))
            {
                return Reject($"events[{index}].{p.Name}", "key-material", $"'{p.Name}' looks like key material or a token; telemetry refuses it");
            }
            if (type == "revision-heartbeat" && p.Name == "revision")
            {
                revision = (long)v.GetDouble();
            }
            if (p.Name == "state" && v.ValueKind == JsonValueKind.String)
            {
                state = v.GetString();
            }
        }
        return (new ValidatedEvent(type, at, e.GetRawText(), revision, state), null);
    }

    private static (ValidatedBatch?, TelemetryRejection?) Reject(string code, string message) => (null, new TelemetryRejection(code, message));

    private static (ValidatedEvent?, TelemetryRejection?) Reject(string where, string code, string message) =>
        (null, new TelemetryRejection(code, $"{where}: {message}"));
}
