using System.Globalization;
using Ripcord.Core.Alerts;

namespace Ripcord.Core.Definitions;

/// <summary>Reading the <c>alerts:</c> section: one mapping per rule, durations written <c>30s</c>, <c>5m</c>, <c>1h</c>.</summary>
public static partial class DefinitionReader
{
    private sealed partial class Reading
    {
        private AlertRule? ReadAlert(YNode node, string path, StageThresholds thresholds)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "an alert rule is a mapping: { id, metric, window, threshold, sustain, severity, trigger, autoActivate }");
                return null;
            }
            var f = Fields(map, path, "id", "metric", "window", "threshold", "sustain", "severity", "trigger", "autoActivate", "description");
            var id = RequiredString(f, map, "id", path + ".id") ?? "";
            var metricText = RequiredString(f, map, "metric", path + ".metric");
            var metric = AlertMetric.SendFailureRate;
            if (metricText is not null && !TryEnum(metricText, out metric))
            {
                Error(f["metric"], path + ".metric", $"unknown metric '{metricText}' (expected one of: {string.Join(", ", EnumNames<AlertMetric>())})");
            }
            var severityText = RequiredString(f, map, "severity", path + ".severity");
            var severity = AlertSeverity.High;
            if (severityText is not null && !TryEnum(severityText, out severity))
            {
                Error(f["severity"], path + ".severity", $"unknown severity '{severityText}' (expected one of: {string.Join(", ", EnumNames<AlertSeverity>())})");
            }
            // A fallback-rate rule without a threshold reads the top of the definition's fallback band.
            var threshold = OptionalDecimal(f, "threshold", path + ".threshold")
                ?? (metric == AlertMetric.FallbackRate ? thresholds.MaxFallbackRate : 0m);
            return new AlertRule
            {
                Id = id,
                Metric = metric,
                Severity = severity,
                Window = Duration(f, "window", path + ".window") ?? TimeSpan.FromMinutes(5),
                Sustain = Duration(f, "sustain", path + ".sustain") ?? TimeSpan.Zero,
                Threshold = (double)threshold,
                Trigger = OptionalString(f, "trigger", path + ".trigger"),
                AutoActivate = f.ContainsKey("autoActivate") && RequiredBool(f, map, "autoActivate", path + ".autoActivate"),
                Description = OptionalString(f, "description", path + ".description") ?? "",
            };
        }

        private TimeSpan? Duration(Dictionary<string, YNode> f, string name, string path)
        {
            if (!f.TryGetValue(name, out var node))
            {
                return null;
            }
            if (node is YScalar { IsNull: false } s && ParseDuration(s.Value) is { } d)
            {
                return d;
            }
            Error(node, path, "must be a duration: a whole number and a unit, e.g. 30s, 5m, 1h");
            return null;
        }

        private static TimeSpan? ParseDuration(string text)
        {
            if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000)
            {
                return null;
            }
            return text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                _ => null,
            };
        }

        private static bool TryEnum<T>(string text, out T value) where T : struct, Enum
        {
            foreach (var candidate in Enum.GetValues<T>())
            {
                if (string.Equals(EnumName(candidate), text, StringComparison.Ordinal))
                {
                    value = candidate;
                    return true;
                }
            }
            value = default;
            return false;
        }

        private static IEnumerable<string> EnumNames<T>() where T : struct, Enum => Enum.GetValues<T>().Select(v => EnumName(v));
    }

    /// <summary>The name a definition writes an enum value with (its JSON name).</summary>
    internal static string EnumName<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonSerializer.Serialize(value, CoreJson.Options).Trim('"');

    /// <summary>A duration as a definition writes it: the largest whole unit.</summary>
    internal static string DurationText(TimeSpan d) =>
        d.Ticks % TimeSpan.TicksPerHour == 0 && d > TimeSpan.Zero ? $"{(long)d.TotalHours}h"
        : d.Ticks % TimeSpan.TicksPerMinute == 0 && d > TimeSpan.Zero ? $"{(long)d.TotalMinutes}m"
        : $"{(long)d.TotalSeconds}s";
}
