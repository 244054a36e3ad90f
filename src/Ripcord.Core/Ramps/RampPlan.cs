using System.Collections.Immutable;
using System.Globalization;

namespace Ripcord.Core.Ramps;

/// <summary>
/// A stage's guarded ramp, as the definition writes it under the stage:
/// <c>ramp: { cohort: limited-ga, steps: [1, 5, 10], every: 1h, rollbackOnBreach: false }</c>. The percentage
/// cohort <see cref="Cohort"/> moves along <see cref="Steps"/> (percentages, strictly increasing), one step per
/// <see cref="Every"/> at the soonest, and only while the exit metrics hold (<see cref="RampMachine"/>).
/// </summary>
public sealed record RampPlan
{
    public const int MinEveryMinutes = 1;

    public required string Cohort { get; init; }
    public ImmutableArray<decimal> Steps { get; init; } = [];
    /// <summary>The least time a step lasts, in whole minutes (at least <see cref="MinEveryMinutes"/>).</summary>
    public int EveryMinutes { get; init; } = 60;
    /// <summary>On a breach, move back to the previous step (once) instead of only holding.</summary>
    public bool RollbackOnBreach { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan Every => TimeSpan.FromMinutes(EveryMinutes);

    /// <summary><c>1h</c>, <c>30m</c>, <c>2d</c>: the duration as the definition writes it.</summary>
    public static string FormatEvery(int minutes) =>
        minutes % 1440 == 0 ? $"{minutes / 1440}d" : minutes % 60 == 0 ? $"{minutes / 60}h" : $"{minutes}m";

    /// <summary>Reads <c>Nm</c>, <c>Nh</c> or <c>Nd</c> into minutes; null when it is none of them (a ramp's steps are minutes apart at the least).</summary>
    public static int? ParseEvery(string text)
    {
        if (text.Length < 2 || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }
        long minutes = text[^1] switch
        {
            'm' => n,
            'h' => n * 60L,
            'd' => n * 1440L,
            _ => -1,
        };
        return minutes is >= 0 and <= int.MaxValue ? (int)minutes : null;
    }
}
