using System.Collections.Immutable;
using YamlDotNet.Core;

namespace Ripcord.Core.Definitions;

/// <summary>
/// Reads a program definition from YAML and validates it, reporting every error with its
/// line. Flags may be named by key or alias anywhere; the result always uses keys.
/// </summary>
public static partial class DefinitionReader
{
    public static DefinitionResult Read(string yaml)
    {
        YNode? root;
        try
        {
            root = YamlTree.Parse(yaml);
        }
        catch (YamlException ex)
        {
            var line = (int)ex.Start.Line;
            return new DefinitionResult(null, [new DefinitionError(line, "$", "invalid YAML: " + TrimMark(ex.Message))]);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (not a YamlException) on some malformed flow
            // collections, e.g. "a: [b\nc: d".
            return new DefinitionResult(null, [new DefinitionError(LineWhereYamlStops(yaml), "$",
                "invalid YAML: the parser could not read past this line (an unclosed '[', '{' or quote?)")]);
        }

        var reader = new Reading();
        var definition = reader.ReadProgram(root);
        if (definition is null)
        {
            return new DefinitionResult(null, reader.Errors);
        }

        foreach (var (path, message) in DefinitionValidator.Validate(definition))
        {
            reader.Errors.Add(new DefinitionError(reader.LineOf(path), path, message));
        }
        var errors = reader.Errors.OrderBy(e => e.Line).ToList();
        return new DefinitionResult(errors.Count == 0 ? definition : null, errors);
    }

    /// <summary>The line of the last YAML event the parser could read (1 when it read none).</summary>
    private static int LineWhereYamlStops(string yaml)
    {
        var line = 1;
        var parser = new Parser(new StringReader(yaml));
        try
        {
            while (parser.MoveNext())
            {
                line = (int)parser.Current!.End.Line;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or YamlException)
        {
        }
        return line;
    }

    private static string TrimMark(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (…): " — the line is reported separately.
        var i = message.IndexOf("): ", StringComparison.Ordinal);
        return i >= 0 ? message[(i + 3)..] : message;
    }

    private sealed partial class Reading
    {
        private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
        public List<DefinitionError> Errors { get; } = [];

        public int LineOf(string path)
        {
            // Fall back to the nearest enclosing path that has a line.
            var p = path;
            while (true)
            {
                if (_lines.TryGetValue(p, out var line))
                {
                    return line;
                }
                var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
                if (cut <= 0)
                {
                    return 0;
                }
                p = p[..cut];
            }
        }

        private void Error(YNode node, string path, string message) =>
            Errors.Add(new DefinitionError(node.Line, path, message));

        private Dictionary<string, YNode> Fields(YMapping map, string path, params string[] allowed)
        {
            var fields = new Dictionary<string, YNode>(StringComparer.Ordinal);
            foreach (var (key, value) in map.Pairs)
            {
                var childPath = path.Length == 0 ? key.Value : path + "." + key.Value;
                if (!fields.TryAdd(key.Value, value))
                {
                    Error(key, childPath, $"duplicate key '{key.Value}'");
                    continue;
                }
                _lines[childPath] = key.Line;
                if (Array.IndexOf(allowed, key.Value) < 0)
                {
                    Error(key, childPath, $"unknown field '{key.Value}' (expected one of: {string.Join(", ", allowed)})");
                }
            }
            return fields;
        }

        public ProgramDefinition? ReadProgram(YNode? root)
        {
            if (root is not YMapping map)
            {
                Errors.Add(new DefinitionError(root?.Line ?? 1, "$", "a definition is a YAML mapping with at least 'program' and 'flags'"));
                return null;
            }
            var f = Fields(map, "", "program", "description", "emergencyFlag", "flags", "cohorts", "stages", "killSwitches", "tiers", "thresholds", "fallback", "messages",
                "triggers", "operations", "templates", "gates", "alerts");
            var key = RequiredString(f, map, "program", "program");
            var flags = ReadList(f, "flags", ReadFlag);
            var aliases = BuildAliasMap(flags);
            var thresholds = f.TryGetValue("thresholds", out var t) ? ReadThresholds(t) : StageThresholds.Defaults;

            var definition = new ProgramDefinition
            {
                Key = key ?? "",
                Description = OptionalString(f, "description", "description") ?? "",
                EmergencyFlag = Resolve(aliases, OptionalString(f, "emergencyFlag", "emergencyFlag")),
                Flags = flags.Select(fl => fl with { Prerequisites = [.. fl.Prerequisites.Select(p => Resolve(aliases, p)!)] }).ToImmutableArray(),
                Cohorts = ReadList(f, "cohorts", ReadCohort),
                Stages = ReadList(f, "stages", (n, p) => ReadStage(n, p, aliases)),
                KillSwitchLevels = ReadList(f, "killSwitches", (n, p) => ReadKillSwitch(n, p, aliases)),
                Tiers = ReadList(f, "tiers", ReadTier),
                Thresholds = thresholds,
                Gates = f.TryGetValue("gates", out var g) ? ReadGates(g) : null,
                Fallback = f.TryGetValue("fallback", out var fb) ? ReadFallback(fb, aliases) : null,
                Messages = f.TryGetValue("messages", out var m) ? ReadMessages(m) : ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty,
                Triggers = f.TryGetValue("triggers", out var tr) ? ReadTriggers(tr) : ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal),
                Operations = f.TryGetValue("operations", out var op) ? ReadOperations(op, aliases) : ImmutableSortedDictionary.Create<string, OperationDefinition>(StringComparer.Ordinal),
                Alerts = ReadList(f, "alerts", (n, p) => ReadAlert(n, p, thresholds)),
                Templates = f.TryGetValue("templates", out var te) ? ReadTemplates(te) : ImmutableSortedDictionary.Create<string, ImmutableSortedDictionary<string, string>>(StringComparer.Ordinal),
            };
            if (!f.ContainsKey("flags"))
            {
                Error(map, "flags", "a definition needs at least one flag");
            }
            return definition;
        }

        private static Dictionary<string, string> BuildAliasMap(ImmutableArray<FlagDefinition> flags)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var flag in flags)
            {
                map.TryAdd(flag.Key, flag.Key);
                if (flag.Alias is not null)
                {
                    map.TryAdd(flag.Alias, flag.Key);
                }
            }
            return map;
        }

        // Unknown names pass through unchanged; the validator reports them.
        private static string? Resolve(Dictionary<string, string> aliases, string? name) =>
            name is null ? null : aliases.GetValueOrDefault(name, name);

        private ImmutableArray<T> ReadList<T>(Dictionary<string, YNode> fields, string name, Func<YNode, string, T?> read)
            where T : class
        {
            if (!fields.TryGetValue(name, out var node) || node is YScalar { IsNull: true })
            {
                return [];
            }
            if (node is not YSequence seq)
            {
                Error(node, name, "must be a list");
                return [];
            }
            var builder = ImmutableArray.CreateBuilder<T>();
            for (var i = 0; i < seq.Items.Count; i++)
            {
                var path = $"{name}[{i}]";
                _lines[path] = seq.Items[i].Line;
                var item = read(seq.Items[i], path);
                if (item is not null)
                {
                    builder.Add(item);
                }
            }
            return builder.ToImmutable();
        }

        private FlagDefinition? ReadFlag(YNode node, string path)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "a flag is a mapping with key, default and safe");
                return null;
            }
            var f = Fields(map, path, "key", "alias", "type", "default", "safe", "prerequisites", "description");
            var key = RequiredString(f, map, "key", path + ".key");
            var type = OptionalString(f, "type", path + ".type") ?? "boolean";
            return new FlagDefinition
            {
                Key = key ?? "",
                Alias = OptionalString(f, "alias", path + ".alias"),
                Type = type,
                Default = RequiredBool(f, map, "default", path + ".default"),
                Safe = RequiredBool(f, map, "safe", path + ".safe"),
                Prerequisites = StringList(f, "prerequisites", path + ".prerequisites"),
                Description = OptionalString(f, "description", path + ".description") ?? "",
            };
        }

        private CohortDefinition? ReadCohort(YNode node, string path)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "a cohort is a mapping with an id and one of workspaces/users, rule, percentage or everyone");
                return null;
            }
            var f = Fields(map, path, "id", "description", "workspaces", "users", "rule", "percentage", "seed", "everyone");
            return new CohortDefinition
            {
                Id = RequiredString(f, map, "id", path + ".id") ?? "",
                Description = OptionalString(f, "description", path + ".description") ?? "",
                Workspaces = StringList(f, "workspaces", path + ".workspaces"),
                Users = StringList(f, "users", path + ".users"),
                Rule = OptionalString(f, "rule", path + ".rule"),
                Percentage = OptionalDecimal(f, "percentage", path + ".percentage"),
                Seed = OptionalString(f, "seed", path + ".seed"),
                Everyone = f.ContainsKey("everyone") && RequiredBool(f, map, "everyone", path + ".everyone"),
            };
        }

    }
}

