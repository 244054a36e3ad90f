using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ripcord.Core.Definitions;

/// <summary>
/// Writes a definition back as YAML in the same shape <see cref="DefinitionReader"/> reads
/// (aliases where flags have them), so export → edit → apply round-trips.
/// </summary>
public static class DefinitionWriter
{
    public static string Write(ProgramDefinition d)
    {
        var y = new StringBuilder();
        string Name(string key) => Q(d.FindFlag(key)?.DisplayName ?? key);

        y.Append("program: ").AppendLine(Q(d.Key));
        if (d.Description.Length > 0)
        {
            y.Append("description: ").AppendLine(Q(d.Description));
        }
        if (d.EmergencyFlag is not null)
        {
            y.Append("emergencyFlag: ").AppendLine(Name(d.EmergencyFlag));
        }

        y.AppendLine().AppendLine("flags:");
        foreach (var f in d.Flags)
        {
            y.Append("  - key: ").AppendLine(Q(f.Key));
            if (f.Alias is not null)
            {
                y.Append("    alias: ").AppendLine(Q(f.Alias));
            }
            y.Append("    default: ").AppendLine(B(f.Default));
            y.Append("    safe: ").AppendLine(B(f.Safe));
            if (f.Prerequisites.Length > 0)
            {
                y.Append("    prerequisites: [").Append(string.Join(", ", f.Prerequisites.Select(Name))).AppendLine("]");
            }
            if (f.Description.Length > 0)
            {
                y.Append("    description: ").AppendLine(Q(f.Description));
            }
        }

        if (d.Cohorts.Length > 0)
        {
            y.AppendLine().AppendLine("cohorts:");
            foreach (var c in d.Cohorts)
            {
                y.Append("  - id: ").AppendLine(Q(c.Id));
                if (c.Description.Length > 0)
                {
                    y.Append("    description: ").AppendLine(Q(c.Description));
                }
                switch (c.Kind)
                {
                    case CohortKind.Everyone:
                        y.AppendLine("    everyone: true");
                        break;
                    case CohortKind.Rule:
                        y.Append("    rule: ").AppendLine(Q(c.Rule!));
                        break;
                    case CohortKind.Percentage:
                        y.Append("    percentage: ").AppendLine(c.Percentage!.Value.ToString(CultureInfo.InvariantCulture));
                        break;
                    default:
                        y.Append("    workspaces: ").AppendLine(List(c.Workspaces));
                        if (c.Users.Length > 0)
                        {
                            y.Append("    users: ").AppendLine(List(c.Users));
                        }
                        break;
                }
                if (c.Seed is not null)
                {
                    y.Append("    seed: ").AppendLine(Q(c.Seed));
                }
            }
        }

        y.AppendLine().AppendLine("stages:");
        foreach (var s in d.Stages)
        {
            y.Append("  - id: ").AppendLine(Q(s.Id));
            if (s.Name.Length > 0)
            {
                y.Append("    name: ").AppendLine(Q(s.Name));
            }
            y.AppendLine(s.Assignments.Length == 0 ? "    flags: {}" : "    flags:");
            foreach (var a in s.Assignments)
            {
                y.Append("      ").Append(Name(a.Flag)).Append(": ");
                y.AppendLine(a.Cohorts.Length == 0 ? B(a.Value) : $"{{ value: {B(a.Value)}, cohorts: {List(a.Cohorts)} }}");
            }
            if (s.Ramp is { } r)
            {
                y.Append("    ramp: { cohort: ").Append(Q(r.Cohort)).Append(", steps: [")
                    .Append(string.Join(", ", r.Steps.Select(p => p.ToString(CultureInfo.InvariantCulture))))
                    .Append("], every: ").Append(Ramps.RampPlan.FormatEvery(r.EveryMinutes)).Append(", rollbackOnBreach: ").Append(B(r.RollbackOnBreach))
                    .AppendLine(" }");
            }
        }

        if (d.KillSwitchLevels.Length > 0)
        {
            y.AppendLine().AppendLine("killSwitches:");
            foreach (var k in d.KillSwitchLevels)
            {
                y.Append("  - id: ").AppendLine(Q(k.Id));
                if (k.Meaning.Length > 0)
                {
                    y.Append("    meaning: ").AppendLine(Q(k.Meaning));
                }
                y.Append("    effects: { ").Append(string.Join(", ", k.Effects.Select(e => $"{Name(e.Flag)}: {B(e.Value)}"))).AppendLine(" }");
            }
        }

        if (d.Tiers.Length > 0)
        {
            y.AppendLine().AppendLine("tiers:");
            foreach (var t in d.Tiers)
            {
                y.Append("  - id: ").AppendLine(t.Id.ToString(CultureInfo.InvariantCulture));
                if (t.Name.Length > 0)
                {
                    y.Append("    name: ").AppendLine(Q(t.Name));
                }
                if (t.Description.Length > 0)
                {
                    y.Append("    description: ").AppendLine(Q(t.Description));
                }
                if (t.InAppOverride is { } policy)
                {
                    y.Append("    inAppOverride: { roles: [").Append(string.Join(", ", policy.Roles.Select(Q))).Append("], ttlMinutes: ")
                        .Append(policy.TtlMinutes.ToString(CultureInfo.InvariantCulture)).AppendLine(" }");
                }
            }
        }

        if (d.Fallback is { } fb)
        {
            y.AppendLine().AppendLine("fallback:");
            y.Append("  secure: ").AppendLine(Name(fb.Secure));
            y.Append("  baseline: ").AppendLine(Name(fb.Baseline));
            y.Append("  strict: ").AppendLine(Name(fb.Strict));
        }
        if (d.Messages.Count > 0)
        {
            y.AppendLine().AppendLine("messages:");
            foreach (var (locale, catalog) in d.Messages.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                y.Append("  ").Append(Q(locale)).AppendLine(":");
                foreach (var (code, text) in catalog.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    y.Append("    ").Append(Q(code)).Append(": ").AppendLine(Q(text));
                }
            }
        }

        if (d.Triggers.Count > 0)
        {
            y.AppendLine().AppendLine("triggers:");
            foreach (var (trigger, level) in d.Triggers)
            {
                y.Append("  ").Append(Q(trigger)).Append(": ").AppendLine(Q(level));
            }
        }
        if (d.Operations.Count > 0)
        {
            y.AppendLine().AppendLine("operations:");
            foreach (var (name, operation) in d.Operations)
            {
                y.Append("  ").Append(Q(name)).Append(": { flag: ").Append(Name(operation.Flag));
                if (operation.Telemetry is not null)
                {
                    y.Append(", telemetry: ").Append(Q(operation.Telemetry));
                }
                y.AppendLine(" }");
            }
        }
        if (d.Templates.Count > 0)
        {
            y.AppendLine().AppendLine("templates:");
            foreach (var (audience, locales) in d.Templates)
            {
                y.Append("  ").Append(Q(audience)).AppendLine(":");
                foreach (var (locale, text) in locales)
                {
                    y.Append("    ").Append(Q(locale)).Append(": ").AppendLine(Q(text));
                }
            }
        }

        var th = d.Thresholds;
        y.AppendLine().AppendLine("thresholds:");
        y.Append("  maxErrorRate: ").AppendLine(N(th.MaxErrorRate));
        y.Append("  fallbackBand: [").Append(N(th.MinFallbackRate)).Append(", ").Append(N(th.MaxFallbackRate)).AppendLine("]");
        y.Append("  soakHours: ").AppendLine(N(th.SoakHours));
        y.Append("  minOperations: ").AppendLine(th.MinOperations.ToString(CultureInfo.InvariantCulture));
        if (d.Gates is { } gates)
        {
            y.AppendLine().AppendLine(gates.MaxSupportLoad is null && gates.Waive.IsEmpty ? "gates: {}" : "gates:");
            if (gates.MaxSupportLoad is { } maxLoad)
            {
                y.Append("  maxSupportLoad: ").AppendLine(N(maxLoad));
            }
            if (!gates.Waive.IsEmpty)
            {
                y.AppendLine("  waive:");
                foreach (var (criterion, reason) in gates.Waive)
                {
                    y.Append("    ").Append(Q(criterion)).Append(": ").AppendLine(Q(reason));
                }
            }
        }
        if (!d.Alerts.IsDefaultOrEmpty)
        {
            y.AppendLine().AppendLine("alerts:");
            foreach (var a in d.Alerts)
            {
                y.Append("  - id: ").AppendLine(Q(a.Id));
                y.Append("    metric: ").AppendLine(DefinitionReader.EnumName(a.Metric));
                y.Append("    window: ").AppendLine(DefinitionReader.DurationText(a.Window));
                y.Append("    threshold: ").AppendLine(a.Threshold.ToString("R", CultureInfo.InvariantCulture));
                y.Append("    sustain: ").AppendLine(DefinitionReader.DurationText(a.Sustain));
                y.Append("    severity: ").AppendLine(DefinitionReader.EnumName(a.Severity));
                if (a.Trigger is { } trigger)
                {
                    y.Append("    trigger: ").AppendLine(Q(trigger));
                }
                if (a.AutoActivate)
                {
                    y.AppendLine("    autoActivate: true");
                }
                if (a.Description.Length > 0)
                {
                    y.Append("    description: ").AppendLine(Q(a.Description));
                }
            }
        }
        return y.ToString();
    }

    // JSON string syntax is valid YAML double-quoted scalar syntax.
    private static string Q(string s) => JsonSerializer.Serialize(s);

    private static string B(bool b) => b ? "true" : "false";

    private static string N(decimal n) => n.ToString(CultureInfo.InvariantCulture);

    private static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Q)) + "]";
}
