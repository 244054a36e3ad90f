using Ripcord.Core.Ramps;

namespace Ripcord.Core.Definitions;

public static partial class DefinitionValidator
{
    public const int MaxRampSteps = 100;

    /// <summary>A ramp moves one percentage cohort along strictly increasing percentages, at least a minute per step.</summary>
    private static IEnumerable<(string Path, string Message)> ValidateRamp(ProgramDefinition d, RampPlan ramp, string path)
    {
        if (ramp.Cohort.Length == 0)
        {
            // The reader reported the missing cohort.
        }
        else if (d.FindCohort(ramp.Cohort) is not { } cohort)
        {
            yield return (path + ".cohort", $"unknown cohort '{ramp.Cohort}'");
        }
        else if (cohort.Kind != CohortKind.Percentage)
        {
            yield return (path + ".cohort", $"cohort '{ramp.Cohort}' is not a percentage cohort: only a percentage bucket can ramp");
        }
        if (ramp.Steps.Length is 0 or > MaxRampSteps)
        {
            yield return (path + ".steps", $"a ramp has 1 to {MaxRampSteps} steps");
        }
        for (var i = 0; i < ramp.Steps.Length; i++)
        {
            var step = ramp.Steps[i];
            if (step is < 0 or > 100 || decimal.Round(step, 2) != step)
            {
                yield return ($"{path}.steps[{i}]", $"{step} is not a percentage from 0 to 100 (at most two decimals)");
            }
            else if (i > 0 && step <= ramp.Steps[i - 1])
            {
                yield return ($"{path}.steps[{i}]", $"steps must be strictly increasing: {step} follows {ramp.Steps[i - 1]}");
            }
        }
        if (ramp.EveryMinutes < RampPlan.MinEveryMinutes)
        {
            yield return (path + ".every", $"a step lasts at least {RampPlan.MinEveryMinutes} minute");
        }
    }
}
