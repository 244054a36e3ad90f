using System.Collections.Frozen;

namespace Ripcord.Server.Webhooks;

/// <summary>
/// Something a subscriber may hear about: its type (<c>killswitch.activated</c>, one of
/// <see cref="WebhookEventTypes.All"/>), the program, the audience it is meant for (null: anyone),
/// the payload sent as <c>data</c> (serialised as JSON, camelCase) and when it happened.
/// </summary>
public sealed record WebhookEvent(string Type, string Program, string? Audience, object Payload, DateTimeOffset At);

/// <summary>The event names (<c>&lt;area&gt;.&lt;what&gt;</c>) and audiences a subscription may name: a closed list, like audit actions.</summary>
public static class WebhookEventTypes
{
    public const string KillSwitchActivated = "killswitch.activated";
    public const string KillSwitchDeactivated = "killswitch.deactivated";
    public const string KillSwitchRequested = "killswitch.requested";
    public const string KillSwitchVerified = "killswitch.verified";
    public const string KillSwitchVerificationFailed = "killswitch.verification-failed";
    public const string IncidentDeclared = "incident.declared";
    public const string IncidentUpdated = "incident.updated";
    public const string IncidentAnnounced = "incident.announced";
    public const string IncidentResolved = "incident.resolved";
    public const string ReviewOpened = "review.opened";
    public const string ReviewCompleted = "review.completed";
    public const string FreezeStarted = "freeze.started";
    public const string FreezeLifted = "freeze.lifted";
    public const string AlertFiring = "alert.firing";
    public const string AlertResolved = "alert.resolved";
    public const string AlertAcknowledged = "alert.acknowledged";

    public static IReadOnlyList<string> All { get; } =
    [
        KillSwitchActivated, KillSwitchDeactivated, KillSwitchRequested, KillSwitchVerified, KillSwitchVerificationFailed,
        IncidentDeclared, IncidentUpdated, IncidentAnnounced, IncidentResolved, ReviewOpened, ReviewCompleted, FreezeStarted, FreezeLifted,
        AlertFiring, AlertResolved, AlertAcknowledged,
    ];

    public static IReadOnlyList<string> Audiences { get; } = ["internal", "operator", "user", "post-incident"];

    private static readonly FrozenSet<string> Names = All.ToFrozenSet(StringComparer.Ordinal);
    private static readonly FrozenSet<string> Areas = All.Select(Area).ToFrozenSet(StringComparer.Ordinal);

    public static bool IsKnown(string type) => Names.Contains(type);

    public static bool IsAudience(string? audience) => audience is not null && Audiences.Contains(audience, StringComparer.Ordinal);

    /// <summary>A subscription pattern: an exact event name, <c>area.*</c> for a known area, or <c>*</c>.</summary>
    public static bool IsPattern(string pattern) =>
        pattern == "*" || Names.Contains(pattern) || (pattern.EndsWith(".*", StringComparison.Ordinal) && Areas.Contains(pattern[..^2]));

    public static bool Matches(string pattern, string type) =>
        pattern == "*" || pattern == type
        || (pattern.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(pattern[..^1], StringComparison.Ordinal));

    private static string Area(string type) => type[..type.IndexOf('.', StringComparison.Ordinal)];
}
