using Ripcord.Core.Alerts;

namespace Ripcord.Core.Definitions;

/// <summary>Validating the <c>alerts:</c> section.</summary>
public static partial class DefinitionValidator
{
    public const int MaxAlertRules = 50;
    private static readonly TimeSpan MaxAlertWindow = TimeSpan.FromDays(1);

    private static IEnumerable<(string Path, string Message)> ValidateAlerts(ProgramDefinition d)
    {
        if (d.Alerts.Length > MaxAlertRules)
        {
            yield return ("alerts", $"a program has at most {MaxAlertRules} alert rules, not {d.Alerts.Length}");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.Alerts.Length; i++)
        {
            var rule = d.Alerts[i];
            var path = $"alerts[{i}]";
            if (!IsValidName(rule.Id))
            {
                yield return (path + ".id", $"'{rule.Id}' is not a valid alert rule id");
            }
            else if (!seen.Add(rule.Id))
            {
                yield return (path + ".id", $"duplicate alert rule '{rule.Id}'");
            }
            if (rule.Window < TimeSpan.FromMinutes(1) || rule.Window > MaxAlertWindow || rule.Window.Ticks % TimeSpan.TicksPerMinute != 0)
            {
                yield return (path + ".window", "must be whole minutes between 1m and 24h (telemetry is aggregated per minute)");
            }
            if (rule.Sustain < TimeSpan.Zero || rule.Sustain > MaxAlertWindow)
            {
                yield return (path + ".sustain", "must be between 0s and 24h");
            }
            var isRate = rule.Metric is AlertMetric.SendFailureRate or AlertMetric.FallbackRate;
            if (rule.Threshold < 0 || (isRate && rule.Threshold >= 1) || double.IsNaN(rule.Threshold))
            {
                yield return (path + ".threshold", isRate
                    ? "a rate threshold is a fraction from 0 up to (not including) 1: the alert fires above it"
                    : "a count threshold must not be negative: the alert fires above it (0 fires on any)");
            }
            if (rule.Trigger is { } trigger && !d.Triggers.ContainsKey(trigger))
            {
                yield return (path + ".trigger", $"'{trigger}' is not one of the definition's triggers ({string.Join(", ", d.Triggers.Keys)})");
            }
            if (rule.AutoActivate && rule.Trigger is null)
            {
                yield return (path + ".autoActivate", "automatic activation needs a trigger: its level is the one applied");
            }
            if (rule.AutoActivate && rule.Trigger is { } t && d.Triggers.TryGetValue(t, out var level)
                && string.Equals(level, ProgramDefinition.AskOperator, StringComparison.Ordinal))
            {
                yield return (path + ".autoActivate", $"trigger '{t}' leaves the level to the operator ('ask'), so nothing can be activated automatically");
            }
            if (rule.AutoActivate && rule.Severity != AlertSeverity.Critical)
            {
                yield return (path + ".autoActivate", "only a critical rule may activate a kill switch automatically");
            }
            if (rule.Description.Length > MaxDescriptionLength)
            {
                yield return (path + ".description", $"at most {MaxDescriptionLength} characters");
            }
        }
    }
}
