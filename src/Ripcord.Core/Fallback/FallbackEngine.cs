using System.Collections.Immutable;

namespace Ripcord.Core.Fallback;

public enum Transport
{
    Secure,
    Baseline,
}

public enum FallbackOutcome
{
    /// <summary>Go ahead on the transport requested.</summary>
    Proceed,
    /// <summary>Fall back to baseline without asking, with a visible badge.</summary>
    FallbackAuto,
    /// <summary>Ask the user; fall back to baseline only if they confirm.</summary>
    FallbackPrompt,
    /// <summary>Do not send. <see cref="FallbackDecision.Overridable"/> says whether an override grant could change that.</summary>
    Blocked,
}

/// <summary>What happens to the user's action (the intent).</summary>
public enum IntentDisposition
{
    /// <summary>Sent now on the decided transport.</summary>
    SendNow,
    /// <summary>Replayed on the baseline transport automatically.</summary>
    ReplayOnBaseline,
    /// <summary>Replayed on baseline once the user confirms; kept (not dropped) if they decline.</summary>
    ReplayAfterConfirmation,
    /// <summary>Held: never sent over a weaker transport, until the secure path returns or an override is granted.</summary>
    Held,
}

/// <summary>
/// A server-issued permission to fall back for one workspace and action until it expires. Part of the
/// program's state (<c>ProgramState.Grants</c>): issued as a revision, it reaches SDKs through the stream.
/// </summary>
public sealed record OverrideGrant(string Id, string Program, string WorkspaceId, string Action, DateTimeOffset ExpiresAt, string GrantedBy)
{
    /// <summary>Why it was issued.</summary>
    public string? Reason { get; init; }
    public DateTimeOffset? IssuedAt { get; init; }
    /// <summary>The app's role that asked for it in-app (definition <c>tiers[2].inAppOverride</c>); null when a security lead issued it.</summary>
    public string? InAppRole { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;
}

/// <summary>
/// The inputs of SPEC §4: the mission tier (null when unknown), the transport requested,
/// the capability-gate result (<c>ok</c>, <c>relay-unsupported</c>, <c>adapter-disabled</c>,
/// <c>key-unavailable</c>, <c>runtime-unstable</c>, …), the evaluated policy flags, the user's
/// action, and an override grant if one was obtained.
/// </summary>
public sealed record FallbackRequest
{
    public int? Tier { get; init; }
    public Transport Requested { get; init; } = Transport.Secure;
    public string Capability { get; init; } = "ok";
    /// <summary>The secure transport flag (F3).</summary>
    public bool SecureEnabled { get; init; }
    /// <summary>The baseline transport flag (F2): without it there is nothing to fall back to.</summary>
    public bool BaselineEnabled { get; init; }
    /// <summary>Strict tier enforcement (F4).</summary>
    public bool StrictTierEnforcement { get; init; } = true;
    public string Action { get; init; } = "send";
    public string? WorkspaceId { get; init; }
    /// <summary>A grant the caller holds (e.g. the one an in-app override request returned).</summary>
    public OverrideGrant? Grant { get; init; }
    /// <summary>The program state's grants (the SDK passes its revision's): any valid one for this workspace and action counts.</summary>
    public IReadOnlyList<OverrideGrant>? Grants { get; init; }
    public string? Locale { get; init; }
}

/// <summary>The fallback record sent as telemetry: decision and reason, never content.</summary>
public sealed record FallbackTelemetry(string Decision, string ReasonCode, int? Tier, int EffectiveTier, string Capability,
    string? Transport, string Action, string? GrantId);

public sealed record FallbackDecision(
    FallbackOutcome Outcome,
    bool Overridable,
    Transport? Transport,
    string? BadgeCode,
    string? BadgeText,
    string ReasonCode,
    string ReasonText,
    IntentDisposition Intent,
    int EffectiveTier,
    bool TierUnknown,
    FallbackTelemetry Telemetry)
{
    public static string OutcomeName(FallbackOutcome outcome) => outcome switch
    {
        FallbackOutcome.Proceed => "proceed",
        FallbackOutcome.FallbackAuto => "fallback-auto",
        FallbackOutcome.FallbackPrompt => "fallback-prompt",
        _ => "blocked",
    };
}

/// <summary>
/// SPEC §4, pure: one table, no IO, the clock passed in. Secure usable → proceed. Otherwise,
/// by tier (unknown = 2 under strict mode, 1 otherwise): 0 falls back automatically; 1 asks
/// under strict mode and falls back automatically otherwise; 2 is blocked and holds the
/// intent unless a valid override grant for this workspace and action exists (presented, or in the state's grants), and even then
/// the user confirms. Without the baseline flag there is nothing to fall back to: blocked.
/// </summary>
public static class FallbackEngine
{
    public static FallbackDecision Decide(FallbackRequest r, FallbackCatalog catalog, DateTimeOffset now) => Decide(r, catalog, now, []);

    /// <summary>
    /// As <see cref="Decide(FallbackRequest, FallbackCatalog, DateTimeOffset)"/>, with the program state's grants
    /// (<c>ProgramState.Grants</c>) consulted too: the SDK passes its revision's without copying the request.
    /// </summary>
    public static FallbackDecision Decide(FallbackRequest r, FallbackCatalog catalog, DateTimeOffset now, ImmutableArray<OverrideGrant> stateGrants)
    {
        var known = r.Tier is 0 or 1 or 2;
        var tier = known ? r.Tier!.Value : r.StrictTierEnforcement ? 2 : 1;

        if (r.Requested == Transport.Baseline)
        {
            return r.BaselineEnabled
                ? Make(r, catalog, FallbackOutcome.Proceed, false, Transport.Baseline, "baseline", "proceed-baseline", "baseline-requested", IntentDisposition.SendNow, tier, known)
                : Make(r, catalog, FallbackOutcome.Blocked, false, null, "secure-unavailable", "blocked-baseline-disabled", "baseline-disabled", IntentDisposition.Held, tier, known);
        }

        var capability = string.IsNullOrWhiteSpace(r.Capability) ? "unknown" : r.Capability;
        if (r.SecureEnabled && capability == "ok")
        {
            return Make(r, catalog, FallbackOutcome.Proceed, false, Transport.Secure, null, "proceed", "ok", IntentDisposition.SendNow, tier, known);
        }

        var cause = r.SecureEnabled ? capability : "secure-disabled";
        if (!r.BaselineEnabled)
        {
            return Make(r, catalog, FallbackOutcome.Blocked, false, null, "secure-unavailable", "blocked-no-baseline", cause, IntentDisposition.Held, tier, known);
        }

        var grant = tier == 2 ? FindGrant(r, now, stateGrants) : null;
        return tier switch
        {
            0 => Make(r, catalog, FallbackOutcome.FallbackAuto, false, Transport.Baseline, "baseline-fallback", "fallback-auto", cause, IntentDisposition.ReplayOnBaseline, tier, known),
            1 when r.StrictTierEnforcement =>
                Make(r, catalog, FallbackOutcome.FallbackPrompt, false, Transport.Baseline, "baseline-confirm", "fallback-prompt", cause, IntentDisposition.ReplayAfterConfirmation, tier, known),
            1 => Make(r, catalog, FallbackOutcome.FallbackAuto, false, Transport.Baseline, "baseline-fallback", "fallback-auto", cause, IntentDisposition.ReplayOnBaseline, tier, known),
            _ when grant is not null =>
                Make(r, catalog, FallbackOutcome.FallbackPrompt, false, Transport.Baseline, "baseline-override", "fallback-override", cause, IntentDisposition.ReplayAfterConfirmation, tier, known, grant.Id),
            _ => Make(r, catalog, FallbackOutcome.Blocked, true, null, "secure-required", "blocked-secure-required", cause, IntentDisposition.Held, tier, known),
        };
    }

    /// <summary>A grant counts only for its own workspace and action, and only until it expires.</summary>
    public static bool IsValid(OverrideGrant? grant, FallbackRequest r, DateTimeOffset now) =>
        grant is not null && now < grant.ExpiresAt
        && string.Equals(grant.WorkspaceId, r.WorkspaceId, StringComparison.Ordinal)
        && string.Equals(grant.Action, r.Action, StringComparison.Ordinal);

    /// <summary>
    /// The grant that lets this request fall back: the one presented, else the first valid one among the
    /// state's. A state holds few grants (they are emergency actions, pruned once expired), so a scan is enough.
    /// </summary>
    public static OverrideGrant? FindGrant(FallbackRequest r, DateTimeOffset now, ImmutableArray<OverrideGrant> stateGrants = default)
    {
        if (IsValid(r.Grant, r, now))
        {
            return r.Grant;
        }
        if (r.Grants is { } grants)
        {
            for (var i = 0; i < grants.Count; i++)
            {
                if (IsValid(grants[i], r, now))
                {
                    return grants[i];
                }
            }
        }
        if (!stateGrants.IsDefault)
        {
            foreach (var grant in stateGrants)
            {
                if (IsValid(grant, r, now))
                {
                    return grant;
                }
            }
        }
        return null;
    }

    private static FallbackDecision Make(FallbackRequest r, FallbackCatalog catalog, FallbackOutcome outcome, bool overridable,
        Transport? transport, string? badge, string decision, string reasonCode, IntentDisposition intent, int tier, bool known,
        string? grantId = null)
    {
        var telemetry = new FallbackTelemetry(FallbackDecision.OutcomeName(outcome), reasonCode, r.Tier, tier, r.Capability,
            transport switch { Transport.Secure => "secure", Transport.Baseline => "baseline", _ => null }, r.Action, grantId);
        return new FallbackDecision(outcome, overridable, transport, badge,
            badge is null ? null : catalog.Text("badge." + badge, r.Locale),
            reasonCode, catalog.Render(decision, reasonCode, r.Locale), intent, tier, !known, telemetry);
    }
}
