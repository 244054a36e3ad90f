using Ripcord.Core.Evaluation;

namespace Ripcord.Sdk;

/// <summary>Where the client's configuration comes from right now.</summary>
public enum ClientState
{
    /// <summary>Following the server's stream.</summary>
    Live,
    /// <summary>Using the last-known-good revision from disk (the server is unreachable or not reached yet).</summary>
    Cached,
    /// <summary>No configuration at all: every flag holds its safe value.</summary>
    SafeDefaults,
}

/// <summary>One flag's value with why, and the revision it came from. Never thrown, never null.</summary>
public readonly record struct EvaluationDetail(bool Value, string Reason, string Scope, string Source, long Revision, bool Conflict)
{
    internal static EvaluationDetail From(in FlagResult r, long revision) =>
        new(r.Value, r.ReasonName, r.Scope, r.Source, revision, r.Conflict);
}

/// <summary>Raised when a new revision is in effect.</summary>
public sealed class RevisionAppliedEventArgs(long revision, ClientState state, bool fromDelta) : EventArgs
{
    public long Revision { get; } = revision;
    public ClientState State { get; } = state;
    public bool FromDelta { get; } = fromDelta;
}

/// <summary>Telemetry pipeline counters.</summary>
public readonly record struct TelemetryCounters(long Queued, long Sent, long Dropped, long Failed);
