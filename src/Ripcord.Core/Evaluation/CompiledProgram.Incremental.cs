using System.Collections.Immutable;

namespace Ripcord.Core.Evaluation;

public sealed partial class CompiledProgram
{
    /// <summary>
    /// Compiles <paramref name="state"/> as the revision after <paramref name="previous"/>. When only
    /// overrides or kill switches changed — the usual writes, and the one that must reach every client
    /// fastest — it edits the previous program's tables (the overrides added and removed; the kill-switch
    /// tables, rebuilt from the few active switches) instead of rebuilding every table, so a write's compile
    /// costs what it changed, not the size of the program (a 20,000-member cohort is not indexed again).
    /// Anything else (definition, cohorts, stage) compiles in full. Either way the result evaluates exactly as <see cref="Compile(ProgramState, long)"/>
    /// would (invariant CP-1).
    /// </summary>
    public static CompiledProgram Compile(ProgramState state, long revision, CompiledProgram? previous)
    {
        if (previous is null || !ReferenceEquals(previous.State.Definition, state.Definition)
            || !string.Equals(previous.State.Stage, state.Stage, StringComparison.Ordinal)
            || !SameInstances(previous.State.Cohorts, state.Cohorts))
        {
            return Compile(state, revision);
        }
        var (removed, added) = Changes(previous.State.Overrides, state.Overrides);
        if (removed.Count + added.Count > Math.Max(IdTable.MinOverlayBeforeCompaction, state.Overrides.Length / 8))
        {
            return Compile(state, revision);
        }

        var flags = Array.ConvertAll(previous.Flags, f => f.CopyForNextRevision());
        var cohortIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < state.Cohorts.Length; i++)
        {
            cohortIndex.TryAdd(state.Cohorts[i].Id, i);
        }
        if (!SameInstances(previous.State.KillSwitches, state.KillSwitches))
        {
            // A handful of activations at most: each flag's table is rebuilt from all of them, as a full compile builds it.
            var tables = new List<KillSwitchEntry>?[flags.Length];
            foreach (var (fi, entry) in KillSwitchEntries(state, previous._flagIndex, cohortIndex))
            {
                (tables[fi] ??= []).Add(entry);
            }
            for (var fi = 0; fi < flags.Length; fi++)
            {
                flags[fi].ReplaceKillSwitches(tables[fi]?.ToArray() ?? []);
            }
        }
        var workspaces = new Dictionary<string, IdEntry?>(StringComparer.Ordinal);
        var users = new Dictionary<string, IdEntry?>(StringComparer.Ordinal);
        IdEntry? Current(Dictionary<string, IdEntry?> changed, IdTable table, string id) =>
            changed.TryGetValue(id, out var entry) ? entry : table.TryGetValue(id, out var held) ? held : null;

        foreach (var o in removed)
        {
            if (!previous._flagIndex.TryGetValue(o.Flag, out var fi) || !TryCohort(o.Scope, cohortIndex, out _))
            {
                continue; // a full compile skipped it too
            }
            var flag = flags[fi];
            if (o.ExpiresAt is not null)
            {
                flag.ExpiringOverrides--;
            }
            switch (o.Scope.Kind)
            {
                case ScopeKind.Workspace when Current(workspaces, previous.WorkspaceIds, o.Scope.Id!) is { } entry:
                    workspaces[o.Scope.Id!] = entry.WithoutOverride(fi, o.Id);
                    flag.WorkspaceOverrides--;
                    break;
                case ScopeKind.User when Current(users, previous.UserIds, o.Scope.Id!) is { } entry:
                    users[o.Scope.Id!] = entry.WithoutOverride(fi, o.Id);
                    flag.UserOverrides--;
                    break;
                case ScopeKind.Global or ScopeKind.Cohort:
                    flag.RemoveGlobalOrCohortOverride(o.Id);
                    break;
            }
        }
        foreach (var o in added)
        {
            if (!previous._flagIndex.TryGetValue(o.Flag, out var fi) || !TryCohort(o.Scope, cohortIndex, out var cohort))
            {
                continue;
            }
            var flag = flags[fi];
            var entry = OverrideEntryOf(o, cohort);
            if (o.ExpiresAt is not null)
            {
                flag.ExpiringOverrides++;
            }
            switch (o.Scope.Kind)
            {
                case ScopeKind.Workspace:
                    var w = o.Scope.Id!;
                    workspaces[w] = (Current(workspaces, previous.WorkspaceIds, w) ?? IdEntry.ForNewWorkspace(w, previous.Cohorts)).WithOverride(fi, entry);
                    flag.WorkspaceOverrides++;
                    break;
                case ScopeKind.User:
                    var u = o.Scope.Id!;
                    users[u] = (Current(users, previous.UserIds, u) ?? IdEntry.ForNewUser(previous.Cohorts.Length)).WithOverride(fi, entry);
                    flag.UserOverrides++;
                    break;
                case ScopeKind.Global:
                    flag.Global = entry;
                    break;
                default:
                    flag.AppendCohortOverride(entry);
                    break;
            }
        }

        var program = new CompiledProgram(state, revision, flags, previous.Cohorts, previous._flagIndex, previous.EmergencyIndex,
            previous.WorkspaceIds.With(workspaces), previous.UserIds.With(users));
        program.Finish(DefinitionCache.GetValue(state.Definition, static d => new DefinitionTables(d)));
        return program;
    }

    private static bool SameInstances<T>(ImmutableArray<T> a, ImmutableArray<T> b) where T : class
    {
        if (a.Length != b.Length)
        {
            return false;
        }
        for (var i = 0; i < a.Length; i++)
        {
            if (!ReferenceEquals(a[i], b[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The overrides in <paramref name="from"/> but not <paramref name="to"/>, and the other way
    /// round, by instance (overrides are immutable and carried over as the same objects). The shared
    /// prefix and suffix are skipped without hashing: a write adds, removes or replaces one.
    /// </summary>
    private static (List<FlagOverride> Removed, List<FlagOverride> Added) Changes(ImmutableArray<FlagOverride> from, ImmutableArray<FlagOverride> to)
    {
        var (prefix, suffix) = SharedEnds.Of(from, to);
        var fromMiddle = from.AsSpan(prefix, from.Length - prefix - suffix);
        var toMiddle = to.AsSpan(prefix, to.Length - prefix - suffix);
        var inTo = new HashSet<FlagOverride>(toMiddle.Length, ReferenceEqualityComparer.Instance);
        foreach (var o in toMiddle)
        {
            inTo.Add(o);
        }
        var inFrom = new HashSet<FlagOverride>(fromMiddle.Length, ReferenceEqualityComparer.Instance);
        var removed = new List<FlagOverride>();
        foreach (var o in fromMiddle)
        {
            inFrom.Add(o);
            if (!inTo.Contains(o))
            {
                removed.Add(o);
            }
        }
        var added = new List<FlagOverride>();
        foreach (var o in toMiddle)
        {
            if (!inFrom.Contains(o))
            {
                added.Add(o);
            }
        }
        return (removed, added);
    }
}
