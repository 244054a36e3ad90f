using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.Core;

namespace Ripcord.Core.Definitions;

/// <summary>
/// Reads a program definition from YAML and validates it, reporting every error with its
/// line. Flags may be named by key or alias anywhere; the result always uses keys.
/// </summary>
public static class DefinitionReader
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

    private sealed class Reading
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
            var f = Fields(map, "", "program", "description", "emergencyFlag", "flags", "cohorts", "stages", "killSwitches", "tiers", "thresholds", "fallback", "messages");
            var key = RequiredString(f, map, "program", "program");
            var flags = ReadList(f, "flags", ReadFlag);
            var aliases = BuildAliasMap(flags);

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
                Thresholds = f.TryGetValue("thresholds", out var t) ? ReadThresholds(t) : StageThresholds.Defaults,
                Fallback = f.TryGetValue("fallback", out var fb) ? ReadFallback(fb, aliases) : null,
                Messages = f.TryGetValue("messages", out var m) ? ReadMessages(m) : ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty,
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

        private StageProfile? ReadStage(YNode node, string path, Dictionary<string, string> aliases)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "a stage is a mapping with id, name and flags");
                return null;
            }
            var f = Fields(map, path, "id", "name", "flags");
            var assignments = ImmutableArray.CreateBuilder<StageAssignment>();
            if (f.TryGetValue("flags", out var flagsNode))
            {
                if (flagsNode is not YMapping flagsMap)
                {
                    Error(flagsNode, path + ".flags", "must be a mapping of flag → value or {value, cohorts}");
                }
                else
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var (flagKey, valueNode) in flagsMap.Pairs)
                    {
                        var flagPath = $"{path}.flags.{flagKey.Value}";
                        _lines[flagPath] = flagKey.Line;
                        var resolved = Resolve(aliases, flagKey.Value)!;
                        if (!seen.Add(resolved))
                        {
                            Error(flagKey, flagPath, $"flag '{flagKey.Value}' is assigned twice in this stage");
                            continue;
                        }
                        var assignment = ReadStageAssignment(valueNode, flagPath, resolved);
                        if (assignment is not null)
                        {
                            assignments.Add(assignment);
                        }
                    }
                }
            }
            return new StageProfile
            {
                Id = RequiredString(f, map, "id", path + ".id") ?? "",
                Name = OptionalString(f, "name", path + ".name") ?? "",
                Assignments = assignments.ToImmutable(),
            };
        }

        private StageAssignment? ReadStageAssignment(YNode node, string path, string flagKey)
        {
            if (node is YScalar scalar)
            {
                return ParseBool(scalar, path) is bool value ? new StageAssignment { Flag = flagKey, Value = value } : null;
            }
            if (node is YMapping map)
            {
                var f = Fields(map, path, "value", "cohorts");
                return new StageAssignment
                {
                    Flag = flagKey,
                    Value = RequiredBool(f, map, "value", path + ".value"),
                    Cohorts = StringList(f, "cohorts", path + ".cohorts"),
                };
            }
            Error(node, path, "must be true/false or {value, cohorts}");
            return null;
        }

        private KillSwitchLevel? ReadKillSwitch(YNode node, string path, Dictionary<string, string> aliases)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "a kill switch is a mapping with id, meaning and effects");
                return null;
            }
            var f = Fields(map, path, "id", "meaning", "effects");
            var effects = ImmutableArray.CreateBuilder<KillSwitchEffect>();
            if (!f.TryGetValue("effects", out var effectsNode) || effectsNode is not YMapping effectsMap || effectsMap.Pairs.Count == 0)
            {
                Error(f.GetValueOrDefault("effects") ?? map, path + ".effects", "a kill switch needs a mapping of at least one flag → safe value");
            }
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < effectsMap.Pairs.Count; i++)
                {
                    var (flagKey, valueNode) = effectsMap.Pairs[i];
                    var effectPath = $"{path}.effects.{flagKey.Value}";
                    _lines[effectPath] = flagKey.Line;
                    var resolved = Resolve(aliases, flagKey.Value)!;
                    if (!seen.Add(resolved))
                    {
                        Error(flagKey, effectPath, $"flag '{flagKey.Value}' appears twice in this kill switch");
                        continue;
                    }
                    if (valueNode is YScalar s && ParseBool(s, effectPath) is bool value)
                    {
                        effects.Add(new KillSwitchEffect(resolved, value));
                    }
                    else if (valueNode is not YScalar)
                    {
                        Error(valueNode, effectPath, "must be true or false");
                    }
                }
            }
            return new KillSwitchLevel
            {
                Id = RequiredString(f, map, "id", path + ".id") ?? "",
                Meaning = OptionalString(f, "meaning", path + ".meaning") ?? "",
                Effects = effects.ToImmutable(),
            };
        }

        private TierDefinition? ReadTier(YNode node, string path)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "a tier is a mapping with id and name");
                return null;
            }
            var f = Fields(map, path, "id", "name", "description");
            var id = OptionalDecimal(f, "id", path + ".id");
            if (id is null)
            {
                Error(map, path + ".id", "required");
            }
            return new TierDefinition
            {
                Id = id is decimal d && d == decimal.Truncate(d) && d is >= 0 and <= 100 ? (int)d : -1,
                Name = OptionalString(f, "name", path + ".name") ?? "",
                Description = OptionalString(f, "description", path + ".description") ?? "",
            };
        }

        private FallbackFlags? ReadFallback(YNode node, Dictionary<string, string> aliases)
        {
            if (node is not YMapping map)
            {
                Error(node, "fallback", "must be a mapping with secure, baseline and strict flags");
                return null;
            }
            var f = Fields(map, "fallback", "secure", "baseline", "strict");
            var secure = RequiredString(f, map, "secure", "fallback.secure");
            var baseline = RequiredString(f, map, "baseline", "fallback.baseline");
            var strict = RequiredString(f, map, "strict", "fallback.strict");
            return secure is null || baseline is null || strict is null
                ? null
                : new FallbackFlags(Resolve(aliases, secure)!, Resolve(aliases, baseline)!, Resolve(aliases, strict)!);
        }

        private ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> ReadMessages(YNode node)
        {
            var result = ImmutableSortedDictionary.CreateBuilder<string, ImmutableSortedDictionary<string, string>>(StringComparer.Ordinal);
            if (node is not YMapping locales)
            {
                Error(node, "messages", "must be a mapping of locale → { code: text }");
                return result.ToImmutable();
            }
            foreach (var (locale, catalogNode) in locales.Pairs)
            {
                var path = "messages." + locale.Value;
                _lines[path] = locale.Line;
                if (catalogNode is not YMapping catalog)
                {
                    Error(catalogNode, path, "must be a mapping of message code → text");
                    continue;
                }
                var texts = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                foreach (var (code, textNode) in catalog.Pairs)
                {
                    _lines[path + "." + code.Value] = code.Line;
                    if (textNode is YScalar { IsNull: false } text)
                    {
                        texts[code.Value] = text.Value;
                    }
                    else
                    {
                        Error(textNode, path + "." + code.Value, "must be a text");
                    }
                }
                if (!result.TryAdd(locale.Value, texts.ToImmutable()))
                {
                    Error(locale, path, $"duplicate locale '{locale.Value}'");
                }
            }
            return result.ToImmutable();
        }

        private StageThresholds ReadThresholds(YNode node)
        {
            if (node is not YMapping map)
            {
                Error(node, "thresholds", "must be a mapping");
                return StageThresholds.Defaults;
            }
            var f = Fields(map, "thresholds", "maxErrorRate", "fallbackBand", "soakHours", "minOperations");
            var d = StageThresholds.Defaults;
            var band = (min: d.MinFallbackRate, max: d.MaxFallbackRate);
            if (f.TryGetValue("fallbackBand", out var bandNode))
            {
                if (bandNode is YSequence { Items.Count: 2 } seq
                    && seq.Items[0] is YScalar lo && seq.Items[1] is YScalar hi
                    && ParseDecimal(lo.Value) is decimal min && ParseDecimal(hi.Value) is decimal max)
                {
                    band = (min, max);
                }
                else
                {
                    Error(bandNode, "thresholds.fallbackBand", "must be [min, max] as fractions, e.g. [0, 0.05]");
                }
            }
            var minOps = OptionalDecimal(f, "minOperations", "thresholds.minOperations") ?? d.MinOperations;
            return new StageThresholds
            {
                MaxErrorRate = OptionalDecimal(f, "maxErrorRate", "thresholds.maxErrorRate") ?? d.MaxErrorRate,
                MinFallbackRate = band.min,
                MaxFallbackRate = band.max,
                SoakHours = OptionalDecimal(f, "soakHours", "thresholds.soakHours") ?? d.SoakHours,
                MinOperations = minOps == decimal.Truncate(minOps) && minOps is >= 0 and <= long.MaxValue ? (long)minOps : -1,
            };
        }

        private string? RequiredString(Dictionary<string, YNode> f, YMapping parent, string name, string path)
        {
            if (!f.ContainsKey(name))
            {
                Error(parent, path, "required");
                return null;
            }
            return OptionalString(f, name, path);
        }

        private string? OptionalString(Dictionary<string, YNode> f, string name, string path)
        {
            if (!f.TryGetValue(name, out var node))
            {
                return null;
            }
            if (node is YScalar scalar && !scalar.IsNull)
            {
                return scalar.Value;
            }
            Error(node, path, "must be a string");
            return null;
        }

        private bool RequiredBool(Dictionary<string, YNode> f, YMapping parent, string name, string path)
        {
            if (!f.TryGetValue(name, out var node))
            {
                Error(parent, path, "required (true or false)");
                return false;
            }
            if (node is YScalar scalar)
            {
                return ParseBool(scalar, path) ?? false;
            }
            Error(node, path, "must be true or false");
            return false;
        }

        private bool? ParseBool(YScalar scalar, string path)
        {
            if (!scalar.Quoted)
            {
                switch (scalar.Value)
                {
                    case "true" or "True" or "TRUE" or "on":
                        return true;
                    case "false" or "False" or "FALSE" or "off":
                        return false;
                }
            }
            Error(scalar, path, $"must be true or false, not '{scalar.Value}' (only boolean flags are supported)");
            return null;
        }

        private decimal? OptionalDecimal(Dictionary<string, YNode> f, string name, string path)
        {
            if (!f.TryGetValue(name, out var node))
            {
                return null;
            }
            if (node is YScalar scalar && ParseDecimal(scalar.Value) is decimal value)
            {
                return value;
            }
            Error(node, path, "must be a number");
            return null;
        }

        private static decimal? ParseDecimal(string s) =>
            decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

        private ImmutableArray<string> StringList(Dictionary<string, YNode> f, string name, string path)
        {
            if (!f.TryGetValue(name, out var node) || node is YScalar { IsNull: true })
            {
                return [];
            }
            if (node is not YSequence seq)
            {
                Error(node, path, "must be a list of strings");
                return [];
            }
            var builder = ImmutableArray.CreateBuilder<string>(seq.Items.Count);
            for (var i = 0; i < seq.Items.Count; i++)
            {
                _lines[$"{path}[{i}]"] = seq.Items[i].Line;
                if (seq.Items[i] is YScalar { IsNull: false } s)
                {
                    builder.Add(s.Value);
                }
                else
                {
                    Error(seq.Items[i], $"{path}[{i}]", "must be a string");
                }
            }
            return builder.ToImmutable();
        }
    }
}
