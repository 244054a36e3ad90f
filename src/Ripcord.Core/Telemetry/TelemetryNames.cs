using Ripcord.Core.Fallback;

namespace Ripcord.Core.Telemetry;

/// <summary>The event types of SPEC §7, as they appear in an event's <c>type</c>.</summary>
public static class TelemetryEventTypes
{
    public const string Mode = "mode";
    public const string Fallback = "fallback";
    public const string Send = "send";
    public const string Divergence = "divergence";
    public const string SessionStart = "session-start";
    public const string SessionCrash = "session-crash";
    public const string SecuritySignal = "security-signal";
    public const string RevisionHeartbeat = "revision-heartbeat";
}

/// <summary>The members of a batch: <c>{ program, instance, sdk, dropped, events: [...] }</c>.</summary>
public static class TelemetryBatchFields
{
    public const string Program = "program";
    public const string Instance = "instance";
    public const string Sdk = "sdk";
    public const string Dropped = "dropped";
    public const string Events = "events";
}

/// <summary>Field names of events. <see cref="Type"/> and <see cref="At"/> are in every event; which others an event may carry is <see cref="TelemetrySchema"/>.</summary>
public static class TelemetryFields
{
    public const string Type = "type";
    public const string At = "at";

    public const string Tier = "tier";
    public const string EffectiveTier = "effectiveTier";
    public const string WorkspaceId = "workspaceId";
    public const string Cohort = "cohort";
    public const string Scope = "scope";
    public const string Transport = "transport";
    public const string Decision = "decision";
    public const string ReasonCode = "reasonCode";
    public const string Capability = "capability";
    public const string Action = "action";
    public const string GrantId = "grantId";
    public const string AckLatencyMs = "ackLatencyMs";
    public const string Outcome = "outcome";
    public const string Projection = "projection";
    public const string Count = "count";
    public const string Platform = "platform";
    public const string AppVersion = "appVersion";
    public const string SdkVersion = "sdkVersion";
    public const string State = "state";
    public const string Kind = "kind";
    public const string Severity = "severity";
    public const string Revision = "revision";
}

/// <summary>The values of the closed text fields (transport, send outcome, client state, fallback decision).</summary>
public static class TelemetryValues
{
    public const string Secure = "secure";
    public const string Baseline = "baseline";

    public const string Ok = "ok";
    public const string Failed = "failed";
    public const string Timeout = "timeout";

    public const string Live = "live";
    public const string Cached = "cached";
    public const string SafeDefaults = "safe-defaults";

    public static string TransportName(Transport transport) => transport == Transport.Secure ? Secure : Baseline;
}
