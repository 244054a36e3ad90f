using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ripcord.Sdk.Internal;

internal enum TelemetryEventType : byte
{
    Fallback,
    Mode,
    Send,
    Divergence,
    SecuritySignal,
    SessionStart,
    SessionCrash,
    RevisionHeartbeat,
}

/// <summary>
/// One queued telemetry event: its type, its instant in UTC ticks and its fields as given — no
/// boxing, no timestamp string, no object per event. The JSON is written only when a batch is
/// sent, with the fields in the order the SDK has always sent them; the server checks every type
/// against a closed schema (Ripcord.Server/Telemetry/TelemetryValidator.cs) and stores it raw.
/// <para>A union in one small struct: each type uses a few of the slots below. Only the factory
/// methods and <see cref="Write"/> know which, so the layout stays in this file.</para>
/// </summary>
[JsonConverter(typeof(Converter))]
internal readonly struct TelemetryEvent
{
    private TelemetryEvent(TelemetryEventType type, long utcTicks)
    {
        Type = type;
        UtcTicks = utcTicks;
    }

    public TelemetryEventType Type { get; }
    public long UtcTicks { get; }

    private int? Tier { get; init; }
    private string? WorkspaceId { get; init; }
    private string? Transport { get; init; }
    private long Number { get; init; }
    private double Milliseconds { get; init; }
    private string? Text1 { get; init; }
    private string? Text2 { get; init; }
    private string? Text3 { get; init; }
    private string? Text4 { get; init; }
    private string? Text5 { get; init; }

    public static TelemetryEvent Fallback(long utcTicks, string decision, string reasonCode, int? tier, int effectiveTier,
        string? capability, string? transport, string? action, string? workspaceId, string? grantId) =>
        new(TelemetryEventType.Fallback, utcTicks)
        {
            Text1 = decision, Text2 = reasonCode, Tier = tier, Number = effectiveTier, Text3 = capability, Transport = transport,
            Text4 = action, WorkspaceId = workspaceId, Text5 = grantId,
        };

    public static TelemetryEvent Mode(long utcTicks, int? tier, string? workspaceId, string transport) =>
        new(TelemetryEventType.Mode, utcTicks) { Tier = tier, WorkspaceId = workspaceId, Transport = transport };

    public static TelemetryEvent Send(long utcTicks, double ackLatencyMs, string outcome, string transport, string? workspaceId, int? tier) =>
        new(TelemetryEventType.Send, utcTicks)
        {
            Milliseconds = ackLatencyMs, Text1 = outcome, Transport = transport, WorkspaceId = workspaceId, Tier = tier,
        };

    public static TelemetryEvent Divergence(long utcTicks, string? projection, int count, string? workspaceId) =>
        new(TelemetryEventType.Divergence, utcTicks) { Text1 = projection, Number = count, WorkspaceId = workspaceId };

    public static TelemetryEvent SecuritySignal(long utcTicks, string? kind, string? severity, string? workspaceId) =>
        new(TelemetryEventType.SecuritySignal, utcTicks) { Text1 = kind, Text2 = severity, WorkspaceId = workspaceId };

    public static TelemetryEvent SessionStart(long utcTicks, string sdkVersion, string state) =>
        new(TelemetryEventType.SessionStart, utcTicks) { Text1 = sdkVersion, Text2 = state };

    public static TelemetryEvent SessionCrash(long utcTicks, string? kind, string? platform, string? appVersion) =>
        new(TelemetryEventType.SessionCrash, utcTicks) { Text1 = kind, Text2 = platform, Text3 = appVersion };

    public static TelemetryEvent RevisionHeartbeat(long utcTicks, long revision, string state) =>
        new(TelemetryEventType.RevisionHeartbeat, utcTicks) { Number = revision, Text1 = state };

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        switch (Type)
        {
            case TelemetryEventType.Fallback:
                w.WriteString("decision", Text1);
                w.WriteString("reasonCode", Text2);
                WriteTier(w, Tier);
                w.WriteNumber("effectiveTier", Number);
                w.WriteString("capability", Text3);
                w.WriteString("transport", Transport);
                w.WriteString("action", Text4);
                w.WriteString("workspaceId", WorkspaceId);
                w.WriteString("grantId", Text5);
                break;
            case TelemetryEventType.Mode:
                WriteTier(w, Tier);
                w.WriteString("workspaceId", WorkspaceId);
                w.WriteString("transport", Transport);
                break;
            case TelemetryEventType.Send:
                w.WriteNumber("ackLatencyMs", Milliseconds);
                w.WriteString("outcome", Text1);
                w.WriteString("transport", Transport);
                w.WriteString("workspaceId", WorkspaceId);
                WriteTier(w, Tier);
                break;
            case TelemetryEventType.Divergence:
                w.WriteString("projection", Text1);
                w.WriteNumber("count", Number);
                w.WriteString("workspaceId", WorkspaceId);
                break;
            case TelemetryEventType.SecuritySignal:
                w.WriteString("kind", Text1);
                w.WriteString("severity", Text2);
                w.WriteString("workspaceId", WorkspaceId);
                break;
            case TelemetryEventType.SessionStart:
                w.WriteString("sdkVersion", Text1);
                w.WriteString("state", Text2);
                break;
            case TelemetryEventType.SessionCrash:
                w.WriteString("kind", Text1);
                w.WriteString("platform", Text2);
                w.WriteString("appVersion", Text3);
                break;
            case TelemetryEventType.RevisionHeartbeat:
                w.WriteNumber("revision", Number);
                w.WriteString("state", Text1);
                break;
        }
        w.WriteString("type", TypeName(Type));
        // ISO-8601 round-trip ("O"), as DateTimeOffset.ToString("O") of a UTC instant: ...+00:00.
        Span<char> at = stackalloc char[64];
        new DateTimeOffset(UtcTicks, TimeSpan.Zero).TryFormat(at, out var written, "O", CultureInfo.InvariantCulture);
        w.WriteString("at", at[..written]);
        w.WriteEndObject();
    }

    private static void WriteTier(Utf8JsonWriter w, int? tier)
    {
        if (tier is { } t)
        {
            w.WriteNumber("tier", t);
        }
        else
        {
            w.WriteNull("tier");
        }
    }

    public static string TypeName(TelemetryEventType type) => type switch
    {
        TelemetryEventType.Fallback => "fallback",
        TelemetryEventType.Mode => "mode",
        TelemetryEventType.Send => "send",
        TelemetryEventType.Divergence => "divergence",
        TelemetryEventType.SecuritySignal => "security-signal",
        TelemetryEventType.SessionStart => "session-start",
        TelemetryEventType.SessionCrash => "session-crash",
        _ => "revision-heartbeat",
    };

    private sealed class Converter : JsonConverter<TelemetryEvent>
    {
        public override TelemetryEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("telemetry events are only ever sent");

        public override void Write(Utf8JsonWriter writer, TelemetryEvent value, JsonSerializerOptions options) => value.Write(writer);
    }
}
