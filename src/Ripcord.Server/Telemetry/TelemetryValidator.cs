using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ripcord.Core.Telemetry;
using Ripcord.Core.Telemetry.Aggregation;
using B = Ripcord.Core.Telemetry.TelemetryBatchFields;
using F = Ripcord.Core.Telemetry.TelemetryFields;

namespace Ripcord.Server.Telemetry;

/// <summary>A batch refused as a whole: the code is counted, the message goes back to the SDK.</summary>
public sealed record TelemetryRejection(string Code, string Message);

/// <summary>
/// A checked event. <see cref="Revision"/> is what a revision heartbeat reports applied, or the revision an
/// operation event (send, mode) was made under. <see cref="Facts"/> is what aggregation reads, collected while checking.
/// </summary>
public sealed record ValidatedEvent(string Type, DateTimeOffset At, string PayloadJson, long? Revision, string? State, string? WorkspaceId = null,
    TelemetryFacts? Facts = null);

public sealed record ValidatedBatch(string Program, string Instance, long SdkDropped, IReadOnlyList<ValidatedEvent> Events);

/// <summary>
/// Checks a batch against the telemetry schema defined in Core (<see cref="TelemetrySchema"/>,
/// the same one the SDK writes by): known event types, each with its closed list of fields,
/// values of the right kind and within limits, no field twice, text that is valid Unicode, and
/// nothing — in any string, the batch's <c>program</c>, <c>instance</c> and <c>sdk</c> included —
/// that looks like key material. A batch is accepted whole or refused whole, and what is stored of
/// an event is written anew from the fields checked here, never the text as it was sent.
/// </summary>
public static class TelemetryValidator
{
    public static (ValidatedBatch? Batch, TelemetryRejection? Rejection) Validate(JsonElement root)
    {
        try
        {
            return ValidateBatch(root);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // A lone UTF-16 surrogate such as "\ud800" is valid JSON but no text: JsonElement.GetString throws
            // InvalidOperationException, a property's Name an ArgumentException (DecoderFallbackException).
            return Reject("bad-text", "a string is not valid Unicode text (a lone surrogate escape)");
        }
    }

    private static (ValidatedBatch? Batch, TelemetryRejection? Rejection) ValidateBatch(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Reject("malformed", "a telemetry batch is a JSON object");
        }
        string? program = null, instance = null;
        long dropped = 0;
        JsonElement events = default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name))
            {
                return Reject("duplicate-field", $"batch field '{p.Name}' appears twice");
            }
            if (p.Value.ValueKind == JsonValueKind.String && TelemetrySchema.LooksLikeKeyMaterial(p.Value.GetString()))
            {
                return Reject("key-material", $"batch field '{p.Name}' looks like key material or a token; telemetry refuses it");
            }
            switch (p.Name)
            {
                case B.Program when p.Value.ValueKind == JsonValueKind.String:
                    program = p.Value.GetString();
                    break;
                case B.Instance when p.Value.ValueKind == JsonValueKind.String:
                    instance = p.Value.GetString();
                    break;
                case B.Sdk when p.Value.ValueKind == JsonValueKind.String:
                    break;
                case B.Dropped when p.Value.TryGetInt64(out var d) && d >= 0:
                    dropped = d;
                    break;
                case B.Events when p.Value.ValueKind == JsonValueKind.Array:
                    events = p.Value;
                    break;
                default:
                    return Reject("unknown-field", $"batch field '{p.Name}' is unknown or has the wrong type");
            }
        }
        if (!TelemetrySchema.IsId(program) || !TelemetrySchema.IsId(instance))
        {
            return Reject("malformed", $"a batch needs '{B.Program}' and '{B.Instance}' (at most {TelemetrySchema.MaxIdLength} characters each)");
        }
        if (events.ValueKind != JsonValueKind.Array)
        {
            return Reject("malformed", $"a batch needs an '{B.Events}' array");
        }
        var count = events.GetArrayLength();
        if (count > TelemetrySchema.MaxEventsPerBatch)
        {
            return Reject("too-large", $"a batch holds at most {TelemetrySchema.MaxEventsPerBatch} events, not {count}");
        }
        var result = new List<ValidatedEvent>(count);
        var i = 0;
        // One writer and one set of names for the whole batch, reset per event: ingest validates hundreds of
        // thousands of events a second, and these were most of what each one allocated.
        using var scratch = new EventScratch();
        foreach (var e in events.EnumerateArray())
        {
            var (validated, problem) = ValidateEvent(e, i++, scratch);
            if (validated is null)
            {
                return (null, problem);
            }
            result.Add(validated);
        }
        return (new ValidatedBatch(program!, instance!, dropped, result), null);
    }

    /// <summary>What validating an event needs besides the event, reused across a batch.</summary>
    private sealed class EventScratch : IDisposable
    {
        public readonly HashSet<string> Seen = new(StringComparer.Ordinal);
        public readonly ArrayBufferWriter<byte> Buffer = new(256);
        public readonly Utf8JsonWriter Payload;

        public EventScratch() => Payload = new Utf8JsonWriter(Buffer);

        public void Dispose() => Payload.Dispose();

        public Utf8JsonWriter Start()
        {
            Seen.Clear();
            Buffer.ResetWrittenCount();
            Payload.Reset(Buffer);
            return Payload;
        }
    }

    private static (ValidatedEvent?, TelemetryRejection?) ValidateEvent(JsonElement e, int index, EventScratch scratch)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return Reject($"events[{index}]", "malformed", "each event is a JSON object");
        }
        if (!e.TryGetProperty(F.Type, out var typeElement) || typeElement.ValueKind != JsonValueKind.String
            || !TelemetrySchema.TryGetEvent(typeElement.GetString()!, out var schema))
        {
            return Reject($"events[{index}]", "unknown-type", $"type must be one of: {string.Join(", ", TelemetrySchema.Events.Keys)}");
        }
        var type = schema.Type;
        if (!e.TryGetProperty(F.At, out var atElement) || atElement.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParse(atElement.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return Reject($"events[{index}]", "malformed", $"each event needs '{F.At}', an ISO-8601 time");
        }
        long? revision = null;
        string? state = null;
        string? workspace = null, cohort = null, transport = null, decision = null, outcome = null;
        int? tier = null;
        double? latency = null, count = null;
        var seen = scratch.Seen;
        var payload = scratch.Start();
        payload.WriteStartObject();
        payload.WriteString(F.Type, type);
        payload.WriteString(F.At, at);
        foreach (var p in e.EnumerateObject())
        {
            if (!seen.Add(p.Name))
            {
                return Reject($"events[{index}].{p.Name}", "duplicate-field", $"'{p.Name}' appears twice");
            }
            if (p.Name is F.Type or F.At)
            {
                continue;
            }
            if (!schema.TryGetField(p.Name, out var field))
            {
                return Reject($"events[{index}].{p.Name}", "forbidden-field",
                    $"'{p.Name}' is not a field of '{type}' events; telemetry never carries message content, keys or other free data");
            }
            var v = p.Value;
            var text = v.ValueKind == JsonValueKind.String ? v.GetString() : null; // read once: each GetString allocates
            var ok = field.Kind switch
            {
                TelemetryValueKind.Text => v.ValueKind == JsonValueKind.Null || (text is not null && field.Accepts(text)),
                TelemetryValueKind.Number => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var n) && TelemetrySchema.IsNumber(n),
                _ => v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var t) && TelemetrySchema.IsTier(t)),
            };
            if (!ok)
            {
                return Reject($"events[{index}].{p.Name}", "bad-value", $"'{p.Name}' must be {field.Expectation}");
            }
            if (text is not null && TelemetrySchema.LooksLikeKeyMaterial(text))
            {
                return Reject($"events[{index}].{p.Name}", "key-material", $"'{p.Name}' looks like key material or a token; telemetry refuses it");
            }
            if (p.Name == F.Revision)
            {
                // A revision is a whole number; 1e300 or 2.5 is no revision any program ever had.
                if (!v.TryGetInt64(out var r))
                {
                    return Reject($"events[{index}].{p.Name}", "bad-value", $"'{p.Name}' must be a whole number");
                }
                revision = r;
            }
            if (p.Name == F.WorkspaceId && text is not null)
            {
                workspace = text;
            }
            if (p.Name == F.State && text is not null)
            {
                state = text;
            }
            // What aggregation needs, read once here rather than parsed again from the payload.
            switch (p.Name)
            {
                case F.Tier when v.ValueKind == JsonValueKind.Number:
                    tier = v.GetInt32();
                    break;
                case F.Cohort when v.ValueKind == JsonValueKind.String:
                    cohort = text;
                    break;
                case F.Transport when v.ValueKind == JsonValueKind.String:
                    transport = text;
                    break;
                case F.Decision when v.ValueKind == JsonValueKind.String:
                    decision = text;
                    break;
                case F.Outcome when v.ValueKind == JsonValueKind.String:
                    outcome = text;
                    break;
                case F.AckLatencyMs:
                    latency = v.GetDouble();
                    break;
                case F.Count:
                    count = v.GetDouble();
                    break;
            }
            Write(payload, p.Name, v, text, field.Kind);
        }
        payload.WriteEndObject();
        payload.Flush();
        return (new ValidatedEvent(type, at, Encoding.UTF8.GetString(scratch.Buffer.WrittenSpan), revision, state, workspace,
            new TelemetryFacts(workspace, tier, cohort, revision, transport, decision, outcome, latency, count)), null);
    }

    /// <summary>A checked value, written anew: the stored payload holds exactly what was validated.</summary>
    private static void Write(Utf8JsonWriter w, string name, JsonElement v, string? text, TelemetryValueKind kind)
    {
        if (v.ValueKind == JsonValueKind.Null)
        {
            w.WriteNull(name);
        }
        else if (kind == TelemetryValueKind.Text)
        {
            w.WriteString(name, text);
        }
        else if (v.TryGetInt64(out var whole))
        {
            w.WriteNumber(name, whole);
        }
        else
        {
            w.WriteNumber(name, v.GetDouble());
        }
    }

    private static (ValidatedBatch?, TelemetryRejection?) Reject(string code, string message) => (null, new TelemetryRejection(code, message));

    private static (ValidatedEvent?, TelemetryRejection?) Reject(string where, string code, string message) =>
        (null, new TelemetryRejection(code, $"{where}: {message}"));
}
