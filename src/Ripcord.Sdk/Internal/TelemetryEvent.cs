using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ripcord.Core.Telemetry;
using F = Ripcord.Core.Telemetry.TelemetryFields;

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
/// sent, with the fields in the order the SDK has always sent them, by the schema in Core
/// (<see cref="TelemetrySchema"/>) that the server validates against before it stores the event raw.
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

    /// <summary>A mode event; the last field is the revision the decision was made under (0 when none was applied yet).</summary>
    public static TelemetryEvent Mode(long utcTicks, int? tier, string? workspaceId, string transport, long revision) =>
        new(TelemetryEventType.Mode, utcTicks) { Tier = tier, WorkspaceId = workspaceId, Transport = transport, Number = revision };

    /// <summary>A send event; the last field is the revision the send was made under (0 when none was applied yet).</summary>
    public static TelemetryEvent Send(long utcTicks, double ackLatencyMs, string outcome, string transport, string? workspaceId, int? tier,
        long revision) =>
        new(TelemetryEventType.Send, utcTicks)
        {
            Milliseconds = Math.Max(0, ackLatencyMs), Text1 = outcome, Transport = transport, WorkspaceId = workspaceId, Tier = tier,
            Number = revision,
        };

    public static TelemetryEvent Divergence(long utcTicks, string? projection, int count, string? workspaceId) =>
        new(TelemetryEventType.Divergence, utcTicks) { Text1 = projection, Number = Math.Max(0, count), WorkspaceId = workspaceId };

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
                WriteText(w, F.Decision, Text1);
                WriteText(w, F.ReasonCode, Text2);
                WriteTier(w, F.Tier, Tier);
                w.WriteNumber(F.EffectiveTier, Number);
                WriteText(w, F.Capability, Text3);
                WriteText(w, F.Transport, Transport);
                WriteText(w, F.Action, Text4);
                WriteText(w, F.WorkspaceId, WorkspaceId);
                WriteText(w, F.GrantId, Text5);
                break;
            case TelemetryEventType.Mode:
                WriteTier(w, F.Tier, Tier);
                WriteText(w, F.WorkspaceId, WorkspaceId);
                WriteText(w, F.Transport, Transport);
                WriteRevision(w, Number);
                break;
            case TelemetryEventType.Send:
                w.WriteNumber(F.AckLatencyMs, Milliseconds);
                WriteText(w, F.Outcome, Text1);
                WriteText(w, F.Transport, Transport);
                WriteText(w, F.WorkspaceId, WorkspaceId);
                WriteTier(w, F.Tier, Tier);
                WriteRevision(w, Number);
                break;
            case TelemetryEventType.Divergence:
                WriteText(w, F.Projection, Text1);
                w.WriteNumber(F.Count, Number);
                WriteText(w, F.WorkspaceId, WorkspaceId);
                break;
            case TelemetryEventType.SecuritySignal:
                WriteText(w, F.Kind, Text1);
                WriteText(w, F.Severity, Text2);
                WriteText(w, F.WorkspaceId, WorkspaceId);
                break;
            case TelemetryEventType.SessionStart:
                WriteText(w, F.SdkVersion, Text1);
                WriteText(w, F.State, Text2);
                break;
            case TelemetryEventType.SessionCrash:
                WriteText(w, F.Kind, Text1);
                WriteText(w, F.Platform, Text2);
                WriteText(w, F.AppVersion, Text3);
                break;
            case TelemetryEventType.RevisionHeartbeat:
                w.WriteNumber(F.Revision, Number);
                WriteText(w, F.State, Text1);
                break;
        }
        w.WriteString(F.Type, TypeName(Type));
        // ISO-8601 round-trip ("O"), as DateTimeOffset.ToString("O") of a UTC instant: ...+00:00.
        Span<char> at = stackalloc char[64];
        new DateTimeOffset(UtcTicks, TimeSpan.Zero).TryFormat(at, out var written, "O", CultureInfo.InvariantCulture);
        w.WriteString(F.At, at[..written]);
        w.WriteEndObject();
    }

    /// <summary>
    /// Free text as the schema allows it: cut to its length limit, and null in place of anything
    /// that looks like key material — the server refuses such a value, and with it the whole batch.
    /// </summary>
    private static void WriteRevision(Utf8JsonWriter w, long revision)
    {
        if (revision > 0)
        {
            w.WriteNumber(F.Revision, revision);
        }
    }

    private static void WriteText(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
            return;
        }
        var text = value.AsSpan(0, Math.Min(value.Length, TelemetrySchema.MaxTextLength));
        if (TelemetrySchema.LooksLikeKeyMaterial(text))
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, text);
        }
    }

    private static void WriteTier(Utf8JsonWriter w, string name, int? tier)
    {
        if (tier is { } t && TelemetrySchema.IsTier(t))
        {
            w.WriteNumber(name, t);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    public static string TypeName(TelemetryEventType type) => type switch
    {
        TelemetryEventType.Fallback => TelemetryEventTypes.Fallback,
        TelemetryEventType.Mode => TelemetryEventTypes.Mode,
        TelemetryEventType.Send => TelemetryEventTypes.Send,
        TelemetryEventType.Divergence => TelemetryEventTypes.Divergence,
        TelemetryEventType.SecuritySignal => TelemetryEventTypes.SecuritySignal,
        TelemetryEventType.SessionStart => TelemetryEventTypes.SessionStart,
        TelemetryEventType.SessionCrash => TelemetryEventTypes.SessionCrash,
        _ => TelemetryEventTypes.RevisionHeartbeat,
    };

    private sealed class Converter : JsonConverter<TelemetryEvent>
    {
        public override TelemetryEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("telemetry events are only ever sent");

        public override void Write(Utf8JsonWriter writer, TelemetryEvent value, JsonSerializerOptions options) => value.Write(writer);
    }
}
