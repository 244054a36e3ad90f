using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Ripcord.Core.Definitions;

namespace Ripcord.Core.Evaluation;

/// <summary>
/// A program state compiled into lookup tables for evaluation: flags by index, overrides in
/// frozen dictionaries by workspace and user, cohorts as matchers, every reason string built
/// once. Evaluation only reads it, so one instance is shared by every thread.
/// </summary>
public sealed partial class CompiledProgram
{
    private readonly FrozenDictionary<string, int> _flagIndex;

    private CompiledProgram(ProgramState state, long revision, CompiledFlag[] flags, CompiledCohort[] cohorts,
        FrozenDictionary<string, int> flagIndex, int emergencyIndex,
        IdTable workspaceIds, IdTable userIds)
    {
        WorkspaceIds = workspaceIds;
        UserIds = userIds;
        State = state;
        Revision = revision;
        Flags = flags;
        Cohorts = cohorts;
        _flagIndex = flagIndex;
        EmergencyIndex = emergencyIndex;
    }

    public ProgramState State { get; }
    public long Revision { get; }
    public string Program => State.Program;
    public int FlagCount => Flags.Length;
    internal CompiledFlag[] Flags { get; }
    internal CompiledCohort[] Cohorts { get; }
    internal int EmergencyIndex { get; }
    /// <summary>Per workspace id: its overrides by flag and its explicit cohorts, so one hash per evaluation serves all.</summary>
    internal IdTable WorkspaceIds { get; }
    internal IdTable UserIds { get; }

    public FlagDefinition FlagAt(int index) => Flags[index].Definition;

    /// <summary>
    /// Whether evaluating this flag can depend on the instant passed. Evaluation reads it only to
    /// skip expired overrides, so it can only when an override with an expiry sits on this flag, on a
    /// prerequisite (transitively) or on the emergency flag — and never for a constant-folded flag.
    /// Otherwise a caller may pass any instant and skip reading its clock.
    /// </summary>
    public bool NeedsClock(int index) => Flags[index].ExpiryMatters && Flags[index].Constant is null;

    /// <summary>
    /// Whether a context falls inside a scope, as a kill switch or override at that scope would decide
    /// it: a cohort's explicit members, percentage bucket or rule. An unknown cohort contains no one.
    /// </summary>
    public bool Contains(Scope scope, EvaluationContext context)
    {
        switch (scope.Kind)
        {
            case ScopeKind.Global:
                return true;
            case ScopeKind.Workspace:
                return string.Equals(scope.Id, context.WorkspaceId, StringComparison.Ordinal);
            case ScopeKind.User:
                return string.Equals(scope.Id, context.UserId, StringComparison.Ordinal);
        }
        var index = Array.FindIndex(Cohorts, c => string.Equals(c.Id, scope.Id, StringComparison.Ordinal));
        if (index < 0)
        {
            return false;
        }
        var cohort = State.Cohorts[index];
        return cohort.Kind == CohortKind.Explicit
            ? (context.WorkspaceId is { } w && cohort.Workspaces.Contains(w, StringComparer.Ordinal))
                || (context.UserId is { } u && cohort.Users.Contains(u, StringComparer.Ordinal))
            : Cohorts[index].Matches(context);
    }

    /// <summary>Finds a flag by key or alias.</summary>
    public bool TryGetFlagIndex(string keyOrAlias, out int index) => _flagIndex.TryGetValue(keyOrAlias, out index);

    // What depends on the definition alone is built once per definition instance, and what depends on
    // one cohort once per cohort instance: a revision that only adds an override (the usual delta)
    // reuses both, on the server and in every SDK.
    private static readonly ConditionalWeakTable<ProgramDefinition, DefinitionTables> DefinitionCache = new();
    private static readonly ConditionalWeakTable<CohortDefinition, CompiledCohort> CohortCache = new();

    public static CompiledProgram Compile(ProgramState state, long revision)
    {
        var definition = state.Definition;
        var cohortIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var cohorts = new CompiledCohort[state.Cohorts.Length];
        for (var i = 0; i < cohorts.Length; i++)
        {
            var definitionOfCohort = state.Cohorts[i];
            if (!CohortCache.TryGetValue(definitionOfCohort, out var compiledCohort) || compiledCohort.Program != state.Program)
            {
                compiledCohort = new CompiledCohort(state.Program, definitionOfCohort);
                CohortCache.AddOrUpdate(definitionOfCohort, compiledCohort);
            }
            cohorts[i] = compiledCohort;
            cohortIndex.TryAdd(state.Cohorts[i].Id, i);
        }

        var tables = DefinitionCache.GetValue(definition, static d => new DefinitionTables(d));
        var flagIndex = tables.FlagIndex;

        var workspaceIds = new Dictionary<string, IdEntry.Builder>(StringComparer.Ordinal);
        var userIds = new Dictionary<string, IdEntry.Builder>(StringComparer.Ordinal);
        IdEntry.Builder Entry(Dictionary<string, IdEntry.Builder> map, string id) =>
            map.TryGetValue(id, out var b) ? b : map[id] = new IdEntry.Builder(cohorts.Length);
        for (var c = 0; c < cohorts.Length; c++)
        {
            if (state.Cohorts[c].Kind != CohortKind.Explicit)
            {
                continue;
            }
            foreach (var w in state.Cohorts[c].Workspaces)
            {
                Entry(workspaceIds, w).AddCohort(c);
            }
            foreach (var u in state.Cohorts[c].Users)
            {
                Entry(userIds, u).AddCohort(c);
            }
        }

        var stage = definition.FindStage(state.Stage);
        var flags = new CompiledFlag[definition.Flags.Length];
        for (var i = 0; i < flags.Length; i++)
        {
            flags[i] = new CompiledFlag(i, definition.Flags[i], tables.Prerequisites[i], tables.PrerequisiteSources[i], tables.PrerequisiteScopes[i]);
        }

        foreach (var (fi, entry) in KillSwitchEntries(state, flagIndex, cohortIndex))
        {
            flags[fi].AddKillSwitch(entry);
        }

        foreach (var o in state.Overrides)
        {
            if (!flagIndex.TryGetValue(o.Flag, out var fi) || !TryCohort(o.Scope, cohortIndex, out var oCohort))
            {
                continue;
            }
            var entry = OverrideEntryOf(o, oCohort);
            if (o.ExpiresAt is not null)
            {
                flags[fi].ExpiringOverrides++;
            }
            switch (o.Scope.Kind)
            {
                case ScopeKind.Workspace:
                    Entry(workspaceIds, o.Scope.Id!).SetOverride(fi, entry);
                    flags[fi].WorkspaceOverrides++;
                    break;
                case ScopeKind.User:
                    Entry(userIds, o.Scope.Id!).SetOverride(fi, entry);
                    flags[fi].UserOverrides++;
                    break;
                default:
                    flags[fi].AddOverride(o.Scope, entry);
                    break;
            }
        }

        if (stage is not null)
        {
            foreach (var a in stage.Assignments)
            {
                if (!flagIndex.TryGetValue(a.Flag, out var fi))
                {
                    continue;
                }
                var members = a.Cohorts.Select(c => cohortIndex.GetValueOrDefault(c, -1)).Where(c => c >= 0).ToArray();
                var stageTag = "stage:" + stage.Id;
                flags[fi].AddStageRule(new StageRule(a.Value, members,
                    a.Cohorts.IsDefaultOrEmpty ? [stageTag] : members.Select(c => $"{stageTag}@cohort:{state.Cohorts[c].Id}").ToArray(),
                    a.Cohorts.IsDefaultOrEmpty ? ["global"] : members.Select(c => "cohort:" + state.Cohorts[c].Id).ToArray(),
                    a.Cohorts.IsDefaultOrEmpty));
            }
        }

        // Percentage membership depends on the workspace id alone: for the workspaces the program
        // already knows, decide it now so evaluation reads a bit instead of hashing.
        for (var c = 0; c < cohorts.Length; c++)
        {
            if (cohorts[c].Kind != CohortKind.Percentage)
            {
                continue;
            }
            foreach (var (workspace, entry) in workspaceIds)
            {
                if (cohorts[c].ContainsWorkspace(workspace))
                {
                    entry.AddCohort(c);
                }
            }
        }

        var emergencyIndex = definition.EmergencyFlag is { } e && flagIndex.TryGetValue(e, out var ei) ? ei : -1;
        foreach (var flag in flags)
        {
            flag.Freeze();
        }
        var program = new CompiledProgram(state, revision, flags, cohorts, flagIndex, emergencyIndex,
            IdTable.Build(workspaceIds.ToDictionary(kv => kv.Key, kv => kv.Value.Build(), StringComparer.Ordinal)),
            IdTable.Build(userIds.ToDictionary(kv => kv.Key, kv => kv.Value.Build(), StringComparer.Ordinal)));
        program.Finish(tables);
        return program;
    }

    /// <summary>What depends on every flag at once: expiry reach, prerequisite memos, constant folding.</summary>
    private void Finish(DefinitionTables tables)
    {
        foreach (var flag in Flags)
        {
            flag.ExpiryMatters = flag.ExpiringOverrides > 0; // its own; MarkExpiryReach spreads it
        }
        MarkExpiryReach(Flags, EmergencyIndex);
        foreach (var flag in Flags)
        {
            flag.NeedsPrerequisiteMemo = tables.SharesPrerequisites[flag.Index];
        }
        Evaluator.FoldConstants(this);
    }

    private static OverrideEntry OverrideEntryOf(FlagOverride o, int cohort)
    {
        var scopeText = o.Scope.ToString();
        return new OverrideEntry(o.Id, o.Value, o.ExpiresAt?.UtcTicks ?? long.MaxValue, cohort, scopeText, "override@" + scopeText);
    }

    /// <summary>
    /// A flag's result can depend on the clock when an expiring override sits on it, on one of its
    /// prerequisites (transitively), or on the emergency flag every other flag consults first.
    /// </summary>
    private static void MarkExpiryReach(CompiledFlag[] flags, int emergencyIndex)
    {
        var own = flags.Select(f => f.ExpiryMatters).ToArray();
        var state = new byte[flags.Length]; // 0 unknown, 1 visiting, 2 done

        bool Reach(int i)
        {
            if (state[i] == 2)
            {
                return flags[i].ExpiryMatters;
            }
            if (state[i] == 1)
            {
                return true; // a cycle cannot pass validation; be conservative anyway
            }
            state[i] = 1;
            var reach = own[i];
            foreach (var p in flags[i].Prerequisites)
            {
                reach |= Reach(p);
            }
            if (emergencyIndex >= 0 && i != emergencyIndex)
            {
                reach |= Reach(emergencyIndex);
            }
            flags[i].ExpiryMatters = reach;
            state[i] = 2;
            return reach;
        }

        for (var i = 0; i < flags.Length; i++)
        {
            Reach(i);
        }
    }

    // A kill switch or override scoped to a cohort the state no longer has applies to nobody.
    /// <summary>Each active kill switch's effects, as (flag index, entry), in the order activations are listed.</summary>
    private static IEnumerable<(int Flag, KillSwitchEntry Entry)> KillSwitchEntries(ProgramState state, IReadOnlyDictionary<string, int> flagIndex,
        Dictionary<string, int> cohortIndex)
    {
        var definition = state.Definition;
        foreach (var ks in state.KillSwitches)
        {
            var level = definition.KillSwitchLevels.FirstOrDefault(l => string.Equals(l.Id, ks.Level, StringComparison.Ordinal));
            if (level is null || !TryCohort(ks.Scope, cohortIndex, out var ksCohort))
            {
                continue;
            }
            var scopeText = ks.Scope.ToString();
            foreach (var effect in level.Effects)
            {
                if (flagIndex.TryGetValue(effect.Flag, out var fi))
                {
                    yield return (fi, new KillSwitchEntry(ks.Scope.Kind, ks.Scope.Id, ksCohort, effect.Value, scopeText, $"kill-switch:{ks.Level}@{scopeText}"));
                }
            }
        }
    }

    private static bool TryCohort(Scope scope, Dictionary<string, int> cohortIndex, out int index)
    {
        index = -1;
        return scope.Kind != ScopeKind.Cohort || cohortIndex.TryGetValue(scope.Id!, out index);
    }
}
