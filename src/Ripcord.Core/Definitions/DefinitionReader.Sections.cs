using System.Collections.Immutable;

namespace Ripcord.Core.Definitions;

/// <summary>Reading the later sections of a definition: stages, kill-switch levels, tiers, fallback, messages, thresholds.</summary>
public static partial class DefinitionReader
{
    private sealed partial class Reading
    {
        private StageProfile? ReadStage(YNode node, string path, Dictionary<string, string> aliases)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "a stage is a mapping with id, name and flags");
                return null;
            }
            var f = Fields(map, path, "id", "name", "flags", "ramp");
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
                Ramp = f.TryGetValue("ramp", out var ramp) ? ReadRamp(ramp, path + ".ramp") : null,
            };
        }

        private Ramps.RampPlan? ReadRamp(YNode node, string path)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "must be a mapping: { cohort: limited-ga, steps: [1, 5, 10], every: 1h, rollbackOnBreach: false }");
                return null;
            }
            var f = Fields(map, path, "cohort", "steps", "every", "rollbackOnBreach");
            var steps = ImmutableArray.CreateBuilder<decimal>();
            if (!f.TryGetValue("steps", out var stepsNode) || stepsNode is not YSequence seq)
            {
                Error(f.GetValueOrDefault("steps") ?? map, path + ".steps", "required: a list of percentages, e.g. [1, 5, 10]");
            }
            else
            {
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    _lines[$"{path}.steps[{i}]"] = seq.Items[i].Line;
                    if (seq.Items[i] is YScalar s && ParseDecimal(s.Value) is decimal step)
                    {
                        steps.Add(step);
                    }
                    else
                    {
                        Error(seq.Items[i], $"{path}.steps[{i}]", "must be a percentage (a number from 0 to 100)");
                    }
                }
            }
            var every = 60;
            if (OptionalString(f, "every", path + ".every") is { } text)
            {
                if (Ramps.RampPlan.ParseEvery(text) is int minutes)
                {
                    every = minutes;
                }
                else
                {
                    Error(f["every"], path + ".every", $"'{text}' is not a duration: whole minutes, hours or days, e.g. 30m, 1h, 1d");
                }
            }
            return new Ramps.RampPlan
            {
                Cohort = RequiredString(f, map, "cohort", path + ".cohort") ?? "",
                Steps = steps.ToImmutable(),
                EveryMinutes = every,
                RollbackOnBreach = f.ContainsKey("rollbackOnBreach") && RequiredBool(f, map, "rollbackOnBreach", path + ".rollbackOnBreach"),
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
            var f = Fields(map, path, "id", "name", "description", "inAppOverride");
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
                InAppOverride = f.TryGetValue("inAppOverride", out var policy) ? ReadInAppOverride(policy, path + ".inAppOverride") : null,
            };
        }

        private InAppOverridePolicy? ReadInAppOverride(YNode node, string path)
        {
            if (node is not YMapping map)
            {
                Error(node, path, "must be a mapping with roles (the app roles allowed) and ttlMinutes");
                return null;
            }
            var f = Fields(map, path, "roles", "ttlMinutes");
            if (!f.ContainsKey("roles"))
            {
                Error(map, path + ".roles", "required: the app roles that may override (e.g. [group-admin])");
            }
            var ttl = OptionalDecimal(f, "ttlMinutes", path + ".ttlMinutes");
            return new InAppOverridePolicy
            {
                Roles = StringList(f, "roles", path + ".roles"),
                // Not whole or out of range: kept as an invalid value for the validator to name.
                TtlMinutes = ttl is not decimal t ? InAppOverridePolicy.DefaultTtlMinutes
                    : t == decimal.Truncate(t) && t is >= 1 and <= InAppOverridePolicy.MaxTtlMinutes ? (int)t : -1,
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

        private ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> ReadMessages(YNode node) =>
            ReadTextTable(node, "messages", ("locale", "locale → { code: text }"), ("message code", "message code → text"));

        /// <summary>
        /// A two-level table of texts (<c>messages:</c> locale → code → text, <c>templates:</c> audience → locale → text),
        /// sorted so the state's JSON is the same in every process, with the line of every key kept for errors.
        /// </summary>
        private ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> ReadTextTable(YNode node, string section,
            (string Name, string Shape) outer, (string Name, string Shape) inner)
        {
            var result = ImmutableSortedDictionary.CreateBuilder<string, ImmutableSortedDictionary<string, string>>(StringComparer.Ordinal);
            if (node is not YMapping outerMap)
            {
                Error(node, section, $"must be a mapping of {outer.Shape}");
                return result.ToImmutable();
            }
            foreach (var (outerKey, innerNode) in outerMap.Pairs)
            {
                var path = section + "." + outerKey.Value;
                _lines[path] = outerKey.Line;
                if (innerNode is not YMapping innerMap)
                {
                    Error(innerNode, path, $"must be a mapping of {inner.Shape}");
                    continue;
                }
                var texts = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                foreach (var (innerKey, textNode) in innerMap.Pairs)
                {
                    var innerPath = path + "." + innerKey.Value;
                    _lines[innerPath] = innerKey.Line;
                    if (textNode is not YScalar { IsNull: false } text)
                    {
                        Error(textNode, innerPath, "must be a text");
                    }
                    else if (!texts.TryAdd(innerKey.Value, text.Value))
                    {
                        Error(innerKey, innerPath, $"duplicate {inner.Name} '{innerKey.Value}'");
                    }
                }
                if (!result.TryAdd(outerKey.Value, texts.ToImmutable()))
                {
                    Error(outerKey, path, $"duplicate {outer.Name} '{outerKey.Value}'");
                }
            }
            return result.ToImmutable();
        }

        private GatePolicy? ReadGates(YNode node)
        {
            if (node is not YMapping map)
            {
                Error(node, "gates", "must be a mapping: { maxSupportLoad: 20, waive: { drills: \"why\" } }");
                return null;
            }
            var f = Fields(map, "gates", "maxSupportLoad", "waive");
            var waive = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (f.TryGetValue("waive", out var waiveNode))
            {
                if (waiveNode is YMapping waiveMap)
                {
                    foreach (var (key, value) in waiveMap.Pairs)
                    {
                        var path = "gates.waive." + key.Value;
                        _lines[path] = key.Line;
                        if (value is YScalar { IsNull: false } reason)
                        {
                            waive[key.Value] = reason.Value;
                        }
                        else
                        {
                            Error(value, path, "must be the reason the criterion is waived");
                        }
                    }
                }
                else
                {
                    Error(waiveNode, "gates.waive", "must be a mapping of criterion → reason, e.g. { drills: \"no drill tooling yet\" }");
                }
            }
            return new GatePolicy { MaxSupportLoad = OptionalDecimal(f, "maxSupportLoad", "gates.maxSupportLoad"), Waive = waive.ToImmutable() };
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
    }
}
