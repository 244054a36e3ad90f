using System.Text.RegularExpressions;
using Ripcord.Core.Rules;

namespace Ripcord.Core.Definitions;

/// <summary>
/// Validates a definition once, when it is applied: unknown names, duplicates, prerequisite
/// cycles, kill-switch effects that do not move a flag to its safe value, bad rules and
/// thresholds. Yields (path, message) pairs; the reader attaches line numbers.
/// </summary>
public static partial class DefinitionValidator
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex ProgramKeyPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();

    // What one program may hold (docs/limits.md): every revision, stream and evaluate response carries it.
    public const int MaxFlags = 1_000;
    public const int MaxCohorts = 1_000;
    public const int MaxMembersPerCohort = 100_000;
    public const int MaxDescriptionLength = 1_000;
    public const int MaxSeedLength = 128;

    public static bool IsValidProgramKey(string key) => ProgramKeyPattern().IsMatch(key);

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public static IEnumerable<(string Path, string Message)> Validate(ProgramDefinition d)
    {
        if (!IsValidProgramKey(d.Key))
        {
            yield return ("program", $"'{d.Key}' is not a valid program key (lowercase letters, digits, '.', '-', '_')");
        }

        if (d.Description.Length > MaxDescriptionLength)
        {
            yield return ("description", $"at most {MaxDescriptionLength} characters");
        }
        if (d.Flags.Length > MaxFlags)
        {
            yield return ("flags", $"a program has at most {MaxFlags} flags, not {d.Flags.Length}");
        }
        if (d.Cohorts.Length > MaxCohorts)
        {
            yield return ("cohorts", $"a program has at most {MaxCohorts} cohorts, not {d.Cohorts.Length}");
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal); // key or alias → key
        for (var i = 0; i < d.Flags.Length; i++)
        {
            var flag = d.Flags[i];
            var path = $"flags[{i}]";
            if (!IsValidName(flag.Key))
            {
                yield return (path + ".key", $"'{flag.Key}' is not a valid flag key");
            }
            else if (!names.TryAdd(flag.Key, flag.Key))
            {
                yield return (path + ".key", $"duplicate flag key or alias '{flag.Key}'");
            }
            if (flag.Alias is not null)
            {
                if (!IsValidName(flag.Alias))
                {
                    yield return (path + ".alias", $"'{flag.Alias}' is not a valid alias");
                }
                else if (!names.TryAdd(flag.Alias, flag.Key))
                {
                    yield return (path + ".alias", $"duplicate flag key or alias '{flag.Alias}'");
                }
            }
            if (flag.Description.Length > MaxDescriptionLength)
            {
                yield return (path + ".description", $"at most {MaxDescriptionLength} characters");
            }
            if (!string.Equals(flag.Type, "boolean", StringComparison.Ordinal))
            {
                yield return (path + ".type", $"type '{flag.Type}' is not supported: flags are boolean");
            }
        }

        for (var i = 0; i < d.Flags.Length; i++)
        {
            var flag = d.Flags[i];
            for (var p = 0; p < flag.Prerequisites.Length; p++)
            {
                var pre = flag.Prerequisites[p];
                if (!names.ContainsKey(pre))
                {
                    yield return ($"flags[{i}].prerequisites[{p}]", $"unknown flag '{pre}'");
                }
                else if (string.Equals(pre, flag.Key, StringComparison.Ordinal))
                {
                    yield return ($"flags[{i}].prerequisites[{p}]", "a flag cannot be its own prerequisite");
                }
            }
        }
        foreach (var cycle in PrerequisiteCycles(d))
        {
            yield return (cycle.Path, cycle.Message);
        }

        if (d.EmergencyFlag is not null)
        {
            var emergency = d.FindFlag(d.EmergencyFlag);
            if (emergency is null)
            {
                yield return ("emergencyFlag", $"unknown flag '{d.EmergencyFlag}'");
            }
            else
            {
                if (!emergency.Safe)
                {
                    yield return ("emergencyFlag", $"the emergency flag '{emergency.DisplayName}' must have safe: true (on lowers risk)");
                }
                if (emergency.Prerequisites.Length > 0)
                {
                    yield return ("emergencyFlag", $"the emergency flag '{emergency.DisplayName}' cannot have prerequisites");
                }
            }
        }

        var cohortIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.Cohorts.Length; i++)
        {
            foreach (var error in ValidateCohort(d.Cohorts[i], $"cohorts[{i}]"))
            {
                yield return error;
            }
            if (!cohortIds.Add(d.Cohorts[i].Id))
            {
                yield return ($"cohorts[{i}].id", $"duplicate cohort '{d.Cohorts[i].Id}'");
            }
        }

        if (d.Stages.Length == 0)
        {
            yield return ("stages", "a definition needs at least one stage profile (the program starts at the first)");
        }
        var stageIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.Stages.Length; i++)
        {
            var stage = d.Stages[i];
            if (!IsValidName(stage.Id))
            {
                yield return ($"stages[{i}].id", $"'{stage.Id}' is not a valid stage id");
            }
            else if (!stageIds.Add(stage.Id))
            {
                yield return ($"stages[{i}].id", $"duplicate stage '{stage.Id}'");
            }
            foreach (var a in stage.Assignments)
            {
                var path = $"stages[{i}].flags.{FlagNameAsWritten(d, a.Flag)}";
                if (!names.ContainsKey(a.Flag))
                {
                    yield return (path, $"unknown flag '{a.Flag}' in stage profile '{stage.Id}'");
                }
                for (var c = 0; c < a.Cohorts.Length; c++)
                {
                    if (d.FindCohort(a.Cohorts[c]) is null)
                    {
                        yield return ($"{path}.cohorts[{c}]", $"unknown cohort '{a.Cohorts[c]}'");
                    }
                }
            }
            if (stage.Ramp is { } ramp)
            {
                foreach (var error in ValidateRamp(d, ramp, $"stages[{i}].ramp"))
                {
                    yield return error;
                }
            }
        }

        var levelIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.KillSwitchLevels.Length; i++)
        {
            var level = d.KillSwitchLevels[i];
            if (!IsValidName(level.Id))
            {
                yield return ($"killSwitches[{i}].id", $"'{level.Id}' is not a valid kill-switch id");
            }
            else if (!levelIds.Add(level.Id))
            {
                yield return ($"killSwitches[{i}].id", $"duplicate kill switch '{level.Id}'");
            }
            foreach (var effect in level.Effects)
            {
                var path = $"killSwitches[{i}].effects.{FlagNameAsWritten(d, effect.Flag)}";
                var flag = d.FindFlag(effect.Flag);
                if (flag is null)
                {
                    yield return (path, $"unknown flag '{effect.Flag}' in kill switch {level.Id}");
                }
                else if (effect.Value != flag.Safe)
                {
                    yield return (path, $"kill switch {level.Id} sets {flag.DisplayName} to {Bool(effect.Value)}, but its safe value is {Bool(flag.Safe)}: kill switches may only move flags to their safe value");
                }
            }
        }

        var tierIds = new HashSet<int>();
        for (var i = 0; i < d.Tiers.Length; i++)
        {
            if (d.Tiers[i].Id < 0)
            {
                yield return ($"tiers[{i}].id", "must be a whole number from 0 to 100");
            }
            else if (!tierIds.Add(d.Tiers[i].Id))
            {
                yield return ($"tiers[{i}].id", $"duplicate tier {d.Tiers[i].Id}");
            }
            if (d.Tiers[i].InAppOverride is not { } policy)
            {
                continue;
            }
            var at = $"tiers[{i}].inAppOverride";
            if (d.Tiers[i].Id != 2)
            {
                // Tiers 0 and 1 fall back without an override; only tier 2 holds the action for one.
                yield return (at, "only tier 2 can be overridden: tiers 0 and 1 already fall back");
            }
            if (policy.Roles.IsDefaultOrEmpty)
            {
                yield return (at + ".roles", "list at least one app role (e.g. group-admin), or remove inAppOverride");
            }
            else
            {
                for (var r = 0; r < policy.Roles.Length; r++)
                {
                    if (!NamePattern().IsMatch(policy.Roles[r]))
                    {
                        yield return ($"{at}.roles[{r}]", "a role is letters, digits, '.', '_' or '-' (at most 128)");
                    }
                }
            }
            if (policy.TtlMinutes is < 1 or > InAppOverridePolicy.MaxTtlMinutes)
            {
                yield return (at + ".ttlMinutes", $"must be a whole number of minutes from 1 to {InAppOverridePolicy.MaxTtlMinutes}");
            }
        }

        if (d.Fallback is { } fb)
        {
            foreach (var (field, flag) in new[] { ("secure", fb.Secure), ("baseline", fb.Baseline), ("strict", fb.Strict) })
            {
                if (!names.ContainsKey(flag))
                {
                    yield return ("fallback." + field, $"unknown flag '{flag}'");
                }
            }
        }
        foreach (var (locale, catalog) in d.Messages)
        {
            if (!Fallback.FallbackCatalog.IsValidLocale(locale))
            {
                yield return ("messages." + locale, $"'{locale}' is not a locale tag such as fr or pt-BR");
            }
            foreach (var (code, text) in catalog)
            {
                if (Fallback.FallbackCatalog.CheckPlaceholders(code, text) is { } problem)
                {
                    yield return ($"messages.{locale}.{code}", problem);
                }
            }
        }

        foreach (var error in ValidateResponse(d, names))
        {
            yield return error;
        }
        foreach (var error in ValidateAlerts(d))
        {
            yield return error;
        }

        var t = d.Thresholds;
        if (t.MaxErrorRate is < 0 or > 1)
        {
            yield return ("thresholds.maxErrorRate", "must be a fraction between 0 and 1 (0.01 = 1%)");
        }
        if (t.MinFallbackRate is < 0 or > 1 || t.MaxFallbackRate is < 0 or > 1 || t.MinFallbackRate > t.MaxFallbackRate)
        {
            yield return ("thresholds.fallbackBand", "must be [min, max] with 0 ≤ min ≤ max ≤ 1");
        }
        if (t.SoakHours < 0)
        {
            yield return ("thresholds.soakHours", "must not be negative");
        }
        if (t.MinOperations < 0)
        {
            yield return ("thresholds.minOperations", "must be a whole number ≥ 0");
        }
        if (d.Gates is { } gates)
        {
            if (gates.MaxSupportLoad is < 0)
            {
                yield return ("gates.maxSupportLoad", "must not be negative (tickets per day)");
            }
            foreach (var (criterion, reason) in gates.Waive)
            {
                if (!GatePolicy.Waivable.Contains(criterion, StringComparer.Ordinal))
                {
                    yield return ($"gates.waive.{criterion}", $"'{criterion}' cannot be waived (waivable: {string.Join(", ", GatePolicy.Waivable)})");
                }
                else if (string.IsNullOrWhiteSpace(reason))
                {
                    yield return ($"gates.waive.{criterion}", "a waiver needs its reason");
                }
            }
        }
    }

    /// <summary>Validates one cohort (also used when a cohort is replaced over the API).</summary>
    public static IEnumerable<(string Path, string Message)> ValidateCohort(CohortDefinition cohort, string path)
    {
        if (!IsValidName(cohort.Id))
        {
            yield return (path + ".id", $"'{cohort.Id}' is not a valid cohort id");
        }
        var kinds = (cohort.Rule is null ? 0 : 1) + (cohort.Percentage is null ? 0 : 1) + (cohort.Everyone ? 1 : 0)
            + (cohort.Workspaces.Length + cohort.Users.Length > 0 ? 1 : 0);
        if (kinds > 1)
        {
            yield return (path, "a cohort has one kind of membership: workspaces/users, rule, percentage or everyone");
        }
        if (cohort.Rule is not null && CohortRule.TryParse(cohort.Rule, out var ruleError) is null)
        {
            yield return (path + ".rule", ruleError!);
        }
        if (cohort.Percentage is decimal pct && (pct < 0 || pct > 100 || decimal.Round(pct, 2) != pct))
        {
            yield return (path + ".percentage", "must be between 0 and 100 with at most two decimals");
        }
        if (cohort.Description.Length > MaxDescriptionLength)
        {
            yield return (path + ".description", $"at most {MaxDescriptionLength} characters");
        }
        if (cohort.Seed is { Length: > MaxSeedLength })
        {
            yield return (path + ".seed", $"at most {MaxSeedLength} characters");
        }
        if (cohort.Workspaces.Length + cohort.Users.Length > MaxMembersPerCohort)
        {
            yield return (path, $"a cohort lists at most {MaxMembersPerCohort} members; use a rule or percentage for larger sets");
        }
        for (var i = 0; i < cohort.Workspaces.Length; i++)
        {
            if (!Identifier.IsValid(cohort.Workspaces[i]))
            {
                yield return ($"{path}.workspaces[{i}]", $"workspace ids are {Identifier.Rule}");
            }
        }
        for (var i = 0; i < cohort.Users.Length; i++)
        {
            if (!Identifier.IsValid(cohort.Users[i]))
            {
                yield return ($"{path}.users[{i}]", $"user ids are {Identifier.Rule}");
            }
        }
    }

    private static string FlagNameAsWritten(ProgramDefinition d, string key) =>
        d.FindFlag(key)?.Alias ?? key;

    private static string Bool(bool value) => value ? "true" : "false";

    private static IEnumerable<(string Path, string Message)> PrerequisiteCycles(ProgramDefinition d)
    {
        // Depth-first search with colours; each cycle is reported once, at the flag that closes it.
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < d.Flags.Length; i++)
        {
            index.TryAdd(d.Flags[i].Key, i);
        }
        var colour = new int[d.Flags.Length];
        var stack = new List<int>();
        var found = new List<(string, string)>();

        void Visit(int i)
        {
            colour[i] = 1;
            stack.Add(i);
            var prereqs = d.Flags[i].Prerequisites;
            for (var p = 0; p < prereqs.Length; p++)
            {
                if (!index.TryGetValue(prereqs[p], out var j) || j == i)
                {
                    continue;
                }
                if (colour[j] == 1)
                {
                    var cycle = stack.Skip(stack.IndexOf(j)).Append(j).Select(k => d.Flags[k].DisplayName);
                    found.Add(($"flags[{i}].prerequisites[{p}]", "prerequisite cycle: " + string.Join(" → ", cycle)));
                }
                else if (colour[j] == 0)
                {
                    Visit(j);
                }
            }
            stack.RemoveAt(stack.Count - 1);
            colour[i] = 2;
        }

        for (var i = 0; i < d.Flags.Length; i++)
        {
            if (colour[i] == 0)
            {
                Visit(i);
            }
        }
        return found;
    }
}
