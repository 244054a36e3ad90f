using System.Collections.Immutable;

namespace Ripcord.Core.Definitions;

/// <summary>Reading the incident-response sections: triggers, operations and announcement templates.</summary>
public static partial class DefinitionReader
{
    private sealed partial class Reading
    {
        private ImmutableSortedDictionary<string, string> ReadTriggers(YNode node)
        {
            var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (node is not YMapping map)
            {
                Error(node, "triggers", "must be a mapping of trigger → kill-switch level or 'ask'");
                return result.ToImmutable();
            }
            foreach (var (trigger, levelNode) in map.Pairs)
            {
                var path = "triggers." + trigger.Value;
                _lines[path] = trigger.Line;
                if (levelNode is not YScalar { IsNull: false } level)
                {
                    Error(levelNode, path, "must be a kill-switch level id or 'ask'");
                }
                else if (!result.TryAdd(trigger.Value, level.Value))
                {
                    Error(trigger, path, $"duplicate trigger '{trigger.Value}'");
                }
            }
            return result.ToImmutable();
        }

        private ImmutableSortedDictionary<string, OperationDefinition> ReadOperations(YNode node, Dictionary<string, string> aliases)
        {
            var result = ImmutableSortedDictionary.CreateBuilder<string, OperationDefinition>(StringComparer.Ordinal);
            if (node is not YMapping map)
            {
                Error(node, "operations", "must be a mapping of operation → { flag, telemetry }");
                return result.ToImmutable();
            }
            foreach (var (name, opNode) in map.Pairs)
            {
                var path = "operations." + name.Value;
                _lines[path] = name.Line;
                if (opNode is not YMapping opMap)
                {
                    Error(opNode, path, "must be a mapping with flag and an optional telemetry event type");
                    continue;
                }
                var f = Fields(opMap, path, "flag", "telemetry");
                var flag = RequiredString(f, opMap, "flag", path + ".flag");
                if (flag is null)
                {
                    continue;
                }
                var operation = new OperationDefinition
                {
                    Flag = Resolve(aliases, flag)!,
                    Telemetry = OptionalString(f, "telemetry", path + ".telemetry"),
                };
                if (!result.TryAdd(name.Value, operation))
                {
                    Error(name, path, $"duplicate operation '{name.Value}'");
                }
            }
            return result.ToImmutable();
        }

        private ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> ReadTemplates(YNode node) =>
            ReadTextTable(node, "templates", ("audience", "audience → { locale: text }"), ("locale", "locale → template text"));
    }
}
