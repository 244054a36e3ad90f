using System.Text.Json;
using F = Ripcord.Core.Telemetry.TelemetryFields;

namespace Ripcord.Core.Telemetry.Aggregation;

/// <summary>
/// What aggregation reads of one validated event: its dimensions (workspace, tier, cohort,
/// revision) and the fields its measures come from. The server's validator fills it while it
/// checks the event, so ingest parses each event once.
/// </summary>
public sealed record TelemetryFacts(
    string? WorkspaceId = null,
    int? Tier = null,
    string? Cohort = null,
    long? Revision = null,
    string? Transport = null,
    string? Decision = null,
    string? Outcome = null,
    double? AckLatencyMs = null,
    double? Count = null)
{
    public static TelemetryFacts None { get; } = new();

    /// <summary>From a stored, already validated payload (for events that did not come through the validator).</summary>
    public static TelemetryFacts FromPayload(string payloadJson)
    {
        using var document = JsonDocument.Parse(payloadJson);
        var e = document.RootElement;
        string? Text(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        double? Number(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        var revision = e.TryGetProperty(F.Revision, out var r) && r.ValueKind == JsonValueKind.Number && r.TryGetInt64(out var rv) ? rv : (long?)null;
        var tier = e.TryGetProperty(F.Tier, out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var tv) ? tv : (int?)null;
        return new(Text(F.WorkspaceId), tier, Text(F.Cohort), revision, Text(F.Transport), Text(F.Decision), Text(F.Outcome),
            Number(F.AckLatencyMs), Number(F.Count));
    }
}

/// <summary>One event as aggregation sees it: whose, what, when it happened (<c>at</c>), when the server took it, and its facts.</summary>
public readonly record struct TelemetryObservation(string Program, string Type, DateTimeOffset At, DateTimeOffset ReceivedAt, TelemetryFacts Facts);
