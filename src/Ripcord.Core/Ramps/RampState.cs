using System.Text.Json.Serialization;
using Ripcord.Core.Telemetry;

namespace Ripcord.Core.Ramps;

/// <summary>Where a ramp is: moving (running), stopped by a breach or a freeze (holding), stopped by an operator (paused), finished, or moved back after a breach.</summary>
[JsonConverter(typeof(StrictEnumConverter<RampStatus>))]
public enum RampStatus
{
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("holding")] Holding,
    [JsonStringEnumMemberName("paused")] Paused,
    [JsonStringEnumMemberName("done")] Done,
    [JsonStringEnumMemberName("rolled-back")] RolledBack,
}

/// <summary>
/// One ramp of one stage: the plan it follows (copied when it started, so a later definition does not move it
/// mid-step), the step it is at, when that step started, its status and why, and the figures it last judged.
/// </summary>
public sealed record RampState
{
    public required string Stage { get; init; }
    public required RampPlan Plan { get; init; }
    public required int Step { get; init; }
    public required DateTimeOffset StepStartedAt { get; init; }
    public required RampStatus Status { get; init; }
    /// <summary>Why the ramp is where it is: what it waits for, what breached, what holds it.</summary>
    public string Reason { get; init; } = "";
    public DateTimeOffset StartedAt { get; init; }
    public string StartedBy { get; init; } = "";
    public DateTimeOffset? EvaluatedAt { get; init; }
    /// <summary>The exit figures of the current step at <see cref="EvaluatedAt"/>.</summary>
    public WindowFigures? Figures { get; init; }

    public decimal Percentage => Plan.Steps[Step];

    /// <summary>The soonest the next step (or the finish, at the last step) can come.</summary>
    public DateTimeOffset NextStepAt => StepStartedAt + Plan.Every;

    /// <summary>No automatic move happens again until an operator starts or resumes the ramp.</summary>
    [JsonIgnore]
    public bool Stopped => Status is RampStatus.Paused or RampStatus.Done or RampStatus.RolledBack;
}
