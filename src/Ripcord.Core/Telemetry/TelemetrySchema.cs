using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Ripcord.Core.Fallback;
using F = Ripcord.Core.Telemetry.TelemetryFields;
using V = Ripcord.Core.Telemetry.TelemetryValues;

namespace Ripcord.Core.Telemetry;

/// <summary>What a telemetry field may hold. Text and tier fields may also be null.</summary>
public enum TelemetryValueKind
{
    /// <summary>A string of at most <see cref="TelemetrySchema.MaxTextLength"/> characters that does not look like key material.</summary>
    Text,
    /// <summary>A finite, non-negative number.</summary>
    Number,
    /// <summary>A mission tier, <see cref="TelemetrySchema.MinTier"/>–<see cref="TelemetrySchema.MaxTier"/>.</summary>
    Tier,
}

/// <summary>One field of an event type. A text field with <see cref="AllowedValues"/> is closed to those values (or null).</summary>
public sealed record TelemetryField(string Name, TelemetryValueKind Kind, FrozenSet<string>? AllowedValues = null)
{
    /// <summary>What the field must be, for a refusal's message.</summary>
    public string Expectation => (Kind, AllowedValues) switch
    {
        (TelemetryValueKind.Text, { } allowed) => $"one of {string.Join(", ", allowed.Order(StringComparer.Ordinal))}",
        (TelemetryValueKind.Text, _) => $"a string of at most {TelemetrySchema.MaxTextLength} characters",
        (TelemetryValueKind.Tier, _) => $"a tier {TelemetrySchema.MinTier}–{TelemetrySchema.MaxTier}",
        _ => "a non-negative number",
    };

    public bool Accepts(string text) =>
        text.Length <= TelemetrySchema.MaxTextLength && (AllowedValues is null || AllowedValues.Contains(text));
}

/// <summary>An event type and the closed list of fields it may carry besides <c>type</c> and <c>at</c>.</summary>
public sealed class TelemetryEventSchema
{
    private readonly FrozenDictionary<string, TelemetryField> _fields;

    internal TelemetryEventSchema(string type, params TelemetryField[] fields)
    {
        Type = type;
        Fields = fields;
        _fields = fields.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
    }

    public string Type { get; }
    public IReadOnlyList<TelemetryField> Fields { get; }

    public bool TryGetField(string name, [NotNullWhen(true)] out TelemetryField? field) => _fields.TryGetValue(name, out field);
}

/// <summary>
/// SPEC §7 telemetry, defined once: the event types, the fields each may carry, the values a
/// field may hold and the limits of a batch. The SDK writes events by it and the server
/// validates them against it (Ripcord.Server/Telemetry/TelemetryValidator.cs). Every list is
/// closed — so message content, keys or tokens cannot ride along under a new name — and text
/// that looks like key material is refused whatever its field.
/// </summary>
public static class TelemetrySchema
{
    public const int MaxEventsPerBatch = 500;
    public const int MaxTextLength = 128;
    /// <summary>For a batch's <c>program</c> and <c>instance</c>.</summary>
    public const int MaxIdLength = 64;
    public const int MinTier = 0;
    public const int MaxTier = 2;

    public static FrozenSet<string> Transports { get; } = FrozenSet.Create(StringComparer.Ordinal, V.Secure, V.Baseline);
    public static FrozenSet<string> SendOutcomes { get; } = FrozenSet.Create(StringComparer.Ordinal, V.Ok, V.Failed, V.Timeout);
    public static FrozenSet<string> ClientStates { get; } = FrozenSet.Create(StringComparer.Ordinal, V.Live, V.Cached, V.SafeDefaults);
    public static FrozenSet<string> FallbackDecisions { get; } =
        Enum.GetValues<FallbackOutcome>().Select(FallbackDecision.OutcomeName).ToFrozenSet(StringComparer.Ordinal);

    private static TelemetryField Text(string name, FrozenSet<string>? allowed = null) => new(name, TelemetryValueKind.Text, allowed);
    private static TelemetryField Number(string name) => new(name, TelemetryValueKind.Number);
    private static TelemetryField Tier(string name) => new(name, TelemetryValueKind.Tier);

    /// <summary>By type. The fields are listed in the order the SDK writes them; a few (cohort, scope, platform…) only other producers send.</summary>
    public static FrozenDictionary<string, TelemetryEventSchema> Events { get; } = new TelemetryEventSchema[]
    {
        new(TelemetryEventTypes.Fallback,
            Text(F.Decision, FallbackDecisions), Text(F.ReasonCode), Tier(F.Tier), Tier(F.EffectiveTier), Text(F.Capability),
            Text(F.Transport, Transports), Text(F.Action), Text(F.WorkspaceId), Text(F.GrantId), Text(F.Scope)),
        // Operation events carry the revision they were made under: kill-switch verification counts one made in the
        // switch's scope under a revision that contains it as a violation.
        new(TelemetryEventTypes.Mode, Tier(F.Tier), Text(F.WorkspaceId), Text(F.Transport, Transports), Number(F.Revision), Text(F.Cohort)),
        new(TelemetryEventTypes.Send,
            Number(F.AckLatencyMs), Text(F.Outcome, SendOutcomes), Text(F.Transport, Transports), Text(F.WorkspaceId), Tier(F.Tier),
            Number(F.Revision)),
        new(TelemetryEventTypes.Divergence, Text(F.Projection), Number(F.Count), Text(F.WorkspaceId)),
        new(TelemetryEventTypes.SecuritySignal, Text(F.Kind), Text(F.Severity), Text(F.WorkspaceId)),
        new(TelemetryEventTypes.SessionStart, Text(F.SdkVersion), Text(F.State, ClientStates), Text(F.Platform), Text(F.AppVersion)),
        new(TelemetryEventTypes.SessionCrash, Text(F.Kind), Text(F.Platform), Text(F.AppVersion)),
        new(TelemetryEventTypes.RevisionHeartbeat, Number(F.Revision), Text(F.State, ClientStates)),
    }.ToFrozenDictionary(e => e.Type, StringComparer.Ordinal);

    public static bool TryGetEvent(string type, [NotNullWhen(true)] out TelemetryEventSchema? schema) => Events.TryGetValue(type, out schema);

    public static bool IsTier(int tier) => tier is >= MinTier and <= MaxTier;

    public static bool IsNumber(double value) => value >= 0 && double.IsFinite(value);

    public static bool IsId(string? value) => !string.IsNullOrEmpty(value) && value.Length <= MaxIdLength;

    /// <summary>The shortest run of key characters that can be a key or token (a 128-bit key in hex is 32).</summary>
    public const int MinKeyRunLength = 32;

    private const int MinKeySegmentLength = 16;

    /// <summary>
    /// PEM markers, Ripcord's own token prefixes, and high-entropy runs of at least
    /// <see cref="MinKeyRunLength"/> base64/base64url/hex characters — checked with whitespace removed,
    /// so a key split by spaces is still seen. A run counts when it mixes letters and digits and has
    /// an unbroken stretch of 16 or more between <c>-</c>/<c>_</c>: random keys do, while
    /// identifiers such as UUIDs (<c>web-3f2a1b2c-…</c>) and pod names are cut into short segments.
    /// </summary>
    public static bool LooksLikeKeyMaterial(ReadOnlySpan<char> text)
    {
        // Shorter than a token prefix, it can be nothing; most values (ids, codes) stop here.
        if (text.Length < OwnTokenPrefixes[0].Length)
        {
            return false;
        }
        Span<char> buffer = text.Length <= 512 ? stackalloc char[text.Length] : new char[text.Length];
        var length = 0;
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                buffer[length++] = c;
            }
        }
        var compact = buffer[..length];
        if (compact.Contains("-----BEGIN", StringComparison.Ordinal) || compact.Contains("PRIVATEKEY", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        foreach (var prefix in OwnTokenPrefixes)
        {
            if (compact.Contains(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }
        for (var start = 0; start < compact.Length;)
        {
            var end = start;
            while (end < compact.Length && IsKeyChar(compact[end]))
            {
                end++;
            }
            if (end - start >= MinKeyRunLength && IsRandomLooking(compact[start..end]))
            {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /// <summary>Ripcord's token prefixes (<c>rc_sdk_…</c>, <c>rc_usr_…</c>), shortest first.</summary>
    private static readonly string[] OwnTokenPrefixes = ["rc_sdk_", "rc_usr_"];

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=' or '_' or '-';

    private static bool IsRandomLooking(ReadOnlySpan<char> run)
    {
        bool letter = false, digit = false;
        int segment = 0, longest = 0;
        foreach (var c in run)
        {
            letter |= char.IsAsciiLetter(c);
            digit |= char.IsAsciiDigit(c);
            segment = c is '-' or '_' ? 0 : segment + 1;
            longest = Math.Max(longest, segment);
        }
        return letter && digit && longest >= MinKeySegmentLength;
    }
}
