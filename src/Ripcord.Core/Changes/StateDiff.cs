using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Changes;

/// <summary>What kind of thing changed between two states.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(StrictEnumConverter<DiffArea>))]
public enum DiffArea
{
    Flag,
    Cohort,
    Stage,
    Override,
    KillSwitch,
    KillSwitchLevel,
    Template,
    Grant,
    Definition,
}

[System.Text.Json.Serialization.JsonConverter(typeof(StrictEnumConverter<DiffKind>))]
public enum DiffKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>
/// One difference between two states, in words an operator reads ("cohort pilot: 2 → 3 workspaces (+initech)").
/// <see cref="Warning"/> marks a change that loses something live: a cohort emptied, an override or kill switch dropped.
/// </summary>
public sealed record StateChange(DiffArea Area, string Subject, DiffKind Kind, string Words, bool Warning = false);

/// <summary>
/// The difference between two program states, flag by flag and scope by scope: what a definition apply
/// would do before it is done, and what changed between any two revisions. Pure; ordered by area, then subject.
/// </summary>
public static class StateDiff
{
    public static ImmutableArray<StateChange> Between(ProgramState from, ProgramState to)
    {
        var changes = new List<StateChange>();
        Flags(from.Definition, to.Definition, changes);
        Cohorts(from, to, changes);
        Stage(from, to, changes);
        Overrides(from, to, changes);
        KillSwitches(from, to, changes);
        Levels(from.Definition, to.Definition, changes);
        Templates(from.Definition, to.Definition, changes);
        Grants(from, to, changes);
        Sections(from.Definition, to.Definition, changes);
        return [.. changes.OrderBy(c => c.Area).ThenBy(c => c.Subject, StringComparer.Ordinal)];
    }

    private static void Flags(ProgramDefinition from, ProgramDefinition to, List<StateChange> changes)
    {
        var before = from.Flags.ToDictionary(f => f.Key, StringComparer.Ordinal);
        var after = to.Flags.ToDictionary(f => f.Key, StringComparer.Ordinal);
        foreach (var (key, flag) in after.Where(a => !before.ContainsKey(a.Key)))
        {
            changes.Add(new(DiffArea.Flag, key, DiffKind.Added, $"flag {Name(flag)} added (default {OnOff(flag.Default)}, safe {OnOff(flag.Safe)})"));
        }
        foreach (var (key, flag) in before.Where(b => !after.ContainsKey(b.Key)))
        {
            changes.Add(new(DiffArea.Flag, key, DiffKind.Removed, $"flag {Name(flag)} removed", Warning: true));
        }
        foreach (var (key, old) in before)
        {
            if (!after.TryGetValue(key, out var now))
            {
                continue;
            }
            var parts = new List<string>();
            if (old.Default != now.Default)
            {
                parts.Add($"default {OnOff(old.Default)} → {OnOff(now.Default)}");
            }
            if (old.Safe != now.Safe)
            {
                parts.Add($"safe {OnOff(old.Safe)} → {OnOff(now.Safe)}");
            }
            if (!old.Prerequisites.SequenceEqual(now.Prerequisites, StringComparer.Ordinal))
            {
                parts.Add($"prerequisites [{string.Join(", ", old.Prerequisites)}] → [{string.Join(", ", now.Prerequisites)}]");
            }
            if (old.Alias != now.Alias)
            {
                parts.Add($"alias {old.Alias ?? "none"} → {now.Alias ?? "none"}");
            }
            if (old.Description != now.Description)
            {
                parts.Add("description changed");
            }
            if (parts.Count > 0)
            {
                changes.Add(new(DiffArea.Flag, key, DiffKind.Changed, $"flag {Name(now)}: {string.Join("; ", parts)}"));
            }
        }
    }

    private static void Cohorts(ProgramState from, ProgramState to, List<StateChange> changes)
    {
        var before = from.Cohorts.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var after = to.Cohorts.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var (id, cohort) in after.Where(a => !before.ContainsKey(a.Key)))
        {
            changes.Add(new(DiffArea.Cohort, id, DiffKind.Added, $"cohort {id} added ({Membership(cohort)})"));
        }
        foreach (var (id, cohort) in before.Where(b => !after.ContainsKey(b.Key)))
        {
            changes.Add(new(DiffArea.Cohort, id, DiffKind.Removed, $"cohort {id} removed (had {Membership(cohort)})", Warning: !IsEmpty(cohort)));
        }
        foreach (var (id, old) in before)
        {
            if (!after.TryGetValue(id, out var now) || Json(old) == Json(now))
            {
                continue;
            }
            var parts = new List<string>();
            Members("workspaces", old.Workspaces, now.Workspaces, parts);
            Members("users", old.Users, now.Users, parts);
            if (old.Rule != now.Rule)
            {
                parts.Add($"rule {Quote(old.Rule)} → {Quote(now.Rule)}");
            }
            if (old.Percentage != now.Percentage)
            {
                parts.Add($"percentage {Percent(old.Percentage)} → {Percent(now.Percentage)}");
            }
            if (old.Everyone != now.Everyone)
            {
                parts.Add(now.Everyone ? "now everyone" : "no longer everyone");
            }
            if (old.Seed != now.Seed)
            {
                parts.Add("bucketing seed changed (a percentage cohort reshuffles)");
            }
            if (old.Description != now.Description)
            {
                parts.Add("description changed");
            }
            var emptied = !IsEmpty(old) && IsEmpty(now);
            changes.Add(new(DiffArea.Cohort, id, DiffKind.Changed,
                emptied ? $"cohort {id} emptied (had {Membership(old)})" : $"cohort {id}: {string.Join("; ", parts)}", Warning: emptied));
        }
    }

    private static void Stage(ProgramState from, ProgramState to, List<StateChange> changes)
    {
        if (from.Stage != to.Stage)
        {
            changes.Add(new(DiffArea.Stage, "stage", DiffKind.Changed, from.Stage.Length == 0 ? $"stage set to {to.Stage}" : $"stage {from.Stage} → {to.Stage}"));
        }
        var before = from.Definition.Stages.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var after = to.Definition.Stages.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var id in after.Keys.Where(k => !before.ContainsKey(k)))
        {
            changes.Add(new(DiffArea.Stage, "profile " + id, DiffKind.Added, $"stage profile {id} added"));
        }
        foreach (var id in before.Keys.Where(k => !after.ContainsKey(k)))
        {
            changes.Add(new(DiffArea.Stage, "profile " + id, DiffKind.Removed, $"stage profile {id} removed", Warning: id == from.Stage));
        }
        foreach (var (id, old) in before.Where(b => after.TryGetValue(b.Key, out var now) && Json(now) != Json(b.Value)))
        {
            changes.Add(new(DiffArea.Stage, "profile " + id, DiffKind.Changed, $"stage profile {id} changed (what it sets, for which cohorts)"));
        }
    }

    private static void Overrides(ProgramState from, ProgramState to, List<StateChange> changes)
    {
        var before = from.Overrides.ToDictionary(o => (o.Flag, o.Scope));
        var after = to.Overrides.ToDictionary(o => (o.Flag, o.Scope));
        foreach (var (key, o) in after.Where(a => !before.ContainsKey(a.Key)))
        {
            changes.Add(new(DiffArea.Override, Target(to, o), DiffKind.Added, $"override {Target(to, o)}: {OnOff(o.Value)}{Expiry(o.ExpiresAt)} (added)"));
        }
        foreach (var (key, o) in before.Where(b => !after.ContainsKey(b.Key)))
        {
            changes.Add(new(DiffArea.Override, Target(from, o), DiffKind.Removed, $"override {Target(from, o)} removed (was {OnOff(o.Value)})", Warning: true));
        }
        foreach (var (key, old) in before)
        {
            if (!after.TryGetValue(key, out var now) || old.Id == now.Id)
            {
                continue;
            }
            var what = old.Value != now.Value ? $"{OnOff(old.Value)} → {OnOff(now.Value)}" : $"still {OnOff(now.Value)}, replaced";
            if (old.ExpiresAt != now.ExpiresAt)
            {
                what += $"; expiry {Time(old.ExpiresAt)} → {Time(now.ExpiresAt)}";
            }
            changes.Add(new(DiffArea.Override, Target(to, now), DiffKind.Changed, $"override {Target(to, now)}: {what}"));
        }
    }

    private static void KillSwitches(ProgramState from, ProgramState to, List<StateChange> changes)
    {
        var before = from.KillSwitches.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var after = to.KillSwitches.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var k in to.KillSwitches.Where(k => !before.Contains(k.Id)))
        {
            changes.Add(new(DiffArea.KillSwitch, $"{k.Level}@{k.Scope}", DiffKind.Added,
                $"kill switch {k.Level} at {k.Scope} activated{(k.IncidentId is null ? "" : $" (incident {k.IncidentId})")}"));
        }
        foreach (var k in from.KillSwitches.Where(k => !after.Contains(k.Id)))
        {
            changes.Add(new(DiffArea.KillSwitch, $"{k.Level}@{k.Scope}", DiffKind.Removed, $"kill switch {k.Level} at {k.Scope} lifted", Warning: true));
        }
    }

    private static void Levels(ProgramDefinition from, ProgramDefinition to, List<StateChange> changes)
    {
        var before = from.KillSwitchLevels.ToDictionary(l => l.Id, StringComparer.Ordinal);
        var after = to.KillSwitchLevels.ToDictionary(l => l.Id, StringComparer.Ordinal);
        foreach (var (id, level) in after.Where(a => !before.ContainsKey(a.Key)))
        {
            changes.Add(new(DiffArea.KillSwitchLevel, id, DiffKind.Added, $"kill-switch level {id} added: {Effects(level)}"));
        }
        foreach (var id in before.Keys.Where(k => !after.ContainsKey(k)))
        {
            changes.Add(new(DiffArea.KillSwitchLevel, id, DiffKind.Removed, $"kill-switch level {id} removed", Warning: true));
        }
        foreach (var (id, old) in before.Where(b => after.TryGetValue(b.Key, out var now) && Json(now) != Json(b.Value)))
        {
            changes.Add(new(DiffArea.KillSwitchLevel, id, DiffKind.Changed, $"kill-switch level {id}: {Effects(old)} → {Effects(after[id])}"));
        }
    }

    private static void Templates(ProgramDefinition from, ProgramDefinition to, List<StateChange> changes)
    {
        foreach (var id in from.Templates.Keys.Union(to.Templates.Keys).Order(StringComparer.Ordinal))
        {
            var had = from.Templates.TryGetValue(id, out var old);
            var has = to.Templates.TryGetValue(id, out var now);
            if (had && has && Json(old) == Json(now))
            {
                continue;
            }
            var (kind, words) = (had, has) switch
            {
                (false, _) => (DiffKind.Added, $"template {id} added ({Locales(now!)})"),
                (_, false) => (DiffKind.Removed, $"template {id} removed"),
                _ => (DiffKind.Changed, $"template {id} changed ({Locales(now!)})"),
            };
            changes.Add(new(DiffArea.Template, id, kind, words));
        }
    }

    private static void Grants(ProgramState from, ProgramState to, List<StateChange> changes)
    {
        var before = from.Grants.Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
        var after = to.Grants.Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var g in to.Grants.Where(g => !before.Contains(g.Id)))
        {
            changes.Add(new(DiffArea.Grant, g.Id, DiffKind.Added, $"tier-2 override grant {g.Id} for workspace:{g.WorkspaceId}, {g.Action}, until {Time(g.ExpiresAt)}"));
        }
        foreach (var g in from.Grants.Where(g => !after.Contains(g.Id)))
        {
            changes.Add(new(DiffArea.Grant, g.Id, DiffKind.Removed, $"tier-2 override grant {g.Id} for workspace:{g.WorkspaceId} gone (revoked or expired)"));
        }
    }

    /// <summary>The definition's other sections, compared whole: tiers, thresholds, fallback, messages, triggers, operations.</summary>
    private static void Sections(ProgramDefinition from, ProgramDefinition to, List<StateChange> changes)
    {
        void Section(string name, object? old, object? now)
        {
            if (Json(old) != Json(now))
            {
                changes.Add(new(DiffArea.Definition, name, DiffKind.Changed, $"definition section '{name}' changed"));
            }
        }

        Section("description", from.Description, to.Description);
        Section("emergencyFlag", from.EmergencyFlag, to.EmergencyFlag);
        Section("tiers", from.Tiers, to.Tiers);
        Section("thresholds", from.Thresholds, to.Thresholds);
        Section("fallback", from.Fallback, to.Fallback);
        Section("messages", from.Messages, to.Messages);
        Section("triggers", from.Triggers, to.Triggers);
        Section("operations", from.Operations, to.Operations);
    }

    private static void Members(string what, ImmutableArray<string> old, ImmutableArray<string> now, List<string> parts)
    {
        if (old.SequenceEqual(now, StringComparer.Ordinal))
        {
            return;
        }
        var added = now.Except(old, StringComparer.Ordinal).ToList();
        var removed = old.Except(now, StringComparer.Ordinal).ToList();
        var named = added.Select(a => "+" + a).Concat(removed.Select(r => "-" + r)).ToList();
        var list = named.Count == 0 ? "reordered" : string.Join(", ", named.Take(5)) + (named.Count > 5 ? $", … {named.Count - 5} more" : "");
        parts.Add($"{old.Length} → {now.Length} {what} ({list})");
    }

    public static bool IsEmpty(CohortDefinition c) =>
        c.Workspaces.IsDefaultOrEmpty && c.Users.IsDefaultOrEmpty && c.Rule is null && c.Percentage is null or 0 && !c.Everyone;

    public static string Membership(CohortDefinition c)
    {
        var parts = new List<string>();
        if (c.Everyone)
        {
            parts.Add("everyone");
        }
        if (!c.Workspaces.IsDefaultOrEmpty)
        {
            parts.Add(Count(c.Workspaces.Length, "workspace"));
        }
        if (!c.Users.IsDefaultOrEmpty)
        {
            parts.Add(Count(c.Users.Length, "user"));
        }
        if (c.Rule is { } rule)
        {
            parts.Add($"rule {Quote(rule)}");
        }
        if (c.Percentage is { } p)
        {
            parts.Add(Percent(p) + " of workspaces");
        }
        return parts.Count == 0 ? "no members" : string.Join(", ", parts);
    }

    private static string Count(int n, string noun) => $"{n.ToString(CultureInfo.InvariantCulture)} {noun}{(n == 1 ? "" : "s")}";

    private static string Target(ProgramState state, FlagOverride o) =>
        $"{(state.Definition.FindFlag(o.Flag) is { } f ? f.DisplayName : o.Flag)} at {o.Scope}";

    private static string Name(FlagDefinition f) => f.Alias is { } alias ? $"{alias} {f.Key}" : f.Key;

    private static string Effects(KillSwitchLevel level) =>
        level.Effects.IsDefaultOrEmpty ? "no effects" : string.Join(", ", level.Effects.Select(e => $"{e.Flag} {OnOff(e.Value)}"));

    private static string Locales(ImmutableSortedDictionary<string, string> template) => string.Join(", ", template.Keys);

    private static string OnOff(bool value) => value ? "on" : "off";

    private static string Quote(string? text) => text is null ? "none" : $"'{text}'";

    private static string Percent(decimal? p) => p is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) + "%" : "none";

    private static string Expiry(DateTimeOffset? at) => at is { } t ? $" until {Time(t)}" : "";

    private static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture) : "never";

    private static string Json(object? value) => JsonSerializer.Serialize(value, CoreJson.Options);
}
