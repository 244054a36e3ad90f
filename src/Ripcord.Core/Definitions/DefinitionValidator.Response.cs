using System.Reflection;
using Ripcord.Core.Announcements;
using Ripcord.Core.KillSwitches;
using Ripcord.Core.Telemetry;

namespace Ripcord.Core.Definitions;

/// <summary>Validating the incident-response sections: triggers, operations and announcement templates.</summary>
public static partial class DefinitionValidator
{
    private static readonly HashSet<string> TelemetryTypes = typeof(TelemetryEventTypes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<(string Path, string Message)> ValidateResponse(ProgramDefinition d, Dictionary<string, string> flagNames)
    {
        foreach (var (trigger, level) in d.Triggers)
        {
            var path = "triggers." + trigger;
            if (!KillSwitchTriggers.IsKnown(trigger))
            {
                yield return (path, $"unknown trigger '{trigger}' (expected one of: {string.Join(", ", KillSwitchTriggers.All)})");
            }
            if (!string.Equals(level, ProgramDefinition.AskOperator, StringComparison.Ordinal)
                && !d.KillSwitchLevels.Any(l => string.Equals(l.Id, level, StringComparison.Ordinal)))
            {
                yield return (path, $"unknown kill-switch level '{level}' (use a level of killSwitches or '{ProgramDefinition.AskOperator}')");
            }
        }

        foreach (var (name, operation) in d.Operations)
        {
            var path = "operations." + name;
            if (!IsValidName(name))
            {
                yield return (path, $"'{name}' is not a valid operation name");
            }
            if (!flagNames.ContainsKey(operation.Flag))
            {
                yield return (path + ".flag", $"unknown flag '{operation.Flag}'");
            }
            if (operation.Telemetry is { } type && !TelemetryTypes.Contains(type))
            {
                yield return (path + ".telemetry", $"unknown telemetry event type '{type}' (expected one of: {string.Join(", ", TelemetryTypes.Order(StringComparer.Ordinal))})");
            }
        }

        foreach (var (audience, locales) in d.Templates)
        {
            var path = "templates." + audience;
            if (!AnnouncementAudiences.All.Contains(audience, StringComparer.Ordinal))
            {
                yield return (path, $"unknown audience '{audience}' (expected one of: {string.Join(", ", AnnouncementAudiences.All)})");
            }
            foreach (var (locale, text) in locales)
            {
                if (!Fallback.FallbackCatalog.IsValidLocale(locale))
                {
                    yield return ($"{path}.{locale}", $"'{locale}' is not a locale tag such as fr or pt-BR");
                }
                foreach (var problem in AnnouncementTemplates.Check(text))
                {
                    yield return ($"{path}.{locale}", $"template {audience}/{locale}, line {problem.Line}: {problem.Message}");
                }
            }
        }
    }
}
