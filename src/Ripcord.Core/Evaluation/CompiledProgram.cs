using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Ripcord.Core.Definitions;
using Ripcord.Core.Rules;

namespace Ripcord.Core.Evaluation;

/// <summary>
/// A program state compiled into lookup tables for evaluation: flags by index, overrides in
/// frozen dictionaries by workspace and user, cohorts as matchers, every reason string built
/// once. Evaluation only reads it, so one instance is shared by every thread.
/// </summary>
public sealed class CompiledProgram
{
    private readonly FrozenDictionary<string, int> _flagIndex;

    private CompiledProgram(ProgramState state, long revision, CompiledFlag[] flags, CompiledCohort[] cohorts,
        FrozenDictionary<string, int> flagIndex, int emergencyIndex,
        FrozenDictionary<string, IdEntry> workspaceIds, FrozenDictionary<string, IdEntry> userIds)
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
    internal FrozenDictionary<string, IdEntry> WorkspaceIds { get; }
    internal FrozenDictionary<string, IdEntry> UserIds { get; }

    public FlagDefinition FlagAt(int index) => Flags[index].Definition;

    /// <summary>
    /// Whether evaluating this flag can depend on the instant passed. Evaluation reads it only to
    /// skip expired overrides, so it can only when an override with an expiry sits on this flag, on a
    /// prerequisite (transitively) or on the emergency flag — and never for a constant-folded flag.
    /// Otherwise a caller may pass any instant and skip reading its clock.
    /// </summary>
    public bool NeedsClock(int index) => Flags[index].ExpiryMatters && Flags[index].Constant is null;

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
                    flags[fi].AddKillSwitch(new KillSwitchEntry(ks.Scope.Kind, ks.Scope.Id, ksCohort, effect.Value,
                        scopeText, $"kill-switch:{ks.Level}@{scopeText}"));
                }
            }
        }

        foreach (var o in state.Overrides)
        {
            if (!flagIndex.TryGetValue(o.Flag, out var fi) || !TryCohort(o.Scope, cohortIndex, out var oCohort))
            {
                continue;
            }
            var scopeText = o.Scope.ToString();
            var entry = new OverrideEntry(o.Id, o.Value, o.ExpiresAt?.UtcTicks ?? long.MaxValue, oCohort, scopeText, "override@" + scopeText);
            if (o.ExpiresAt is not null)
            {
                flags[fi].ExpiryMatters = true; // its own, for now; MarkExpiryReach below spreads it
            }
            switch (o.Scope.Kind)
            {
                case ScopeKind.Workspace:
                    Entry(workspaceIds, o.Scope.Id!).SetOverride(fi, entry);
                    flags[fi].HasWorkspaceOverrides = true;
                    break;
                case ScopeKind.User:
                    Entry(userIds, o.Scope.Id!).SetOverride(fi, entry);
                    flags[fi].HasUserOverrides = true;
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
            workspaceIds.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Build(), StringComparer.Ordinal),
            userIds.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.Build(), StringComparer.Ordinal));
        MarkExpiryReach(flags, emergencyIndex);
        foreach (var flag in flags)
        {
            flag.NeedsPrerequisiteMemo = tables.SharesPrerequisites[flag.Index];
        }
        Evaluator.FoldConstants(program);
        return program;
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
    private static bool TryCohort(Scope scope, Dictionary<string, int> cohortIndex, out int index)
    {
        index = -1;
        return scope.Kind != ScopeKind.Cohort || cohortIndex.TryGetValue(scope.Id!, out index);
    }
}

/// <summary>Flag lookup and prerequisite tables: a function of the definition alone.</summary>
internal sealed class DefinitionTables
{
    public DefinitionTables(ProgramDefinition definition)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < definition.Flags.Length; i++)
        {
            index.TryAdd(definition.Flags[i].Key, i);
            if (definition.Flags[i].Alias is { } alias)
            {
                index.TryAdd(alias, i);
            }
        }
        FlagIndex = index.ToFrozenDictionary(StringComparer.Ordinal);
        var count = definition.Flags.Length;
        Prerequisites = new int[count][];
        PrerequisiteSources = new string[count][];
        PrerequisiteScopes = new string[count][];
        for (var i = 0; i < count; i++)
        {
            var prereqs = definition.Flags[i].Prerequisites.Select(p => index.GetValueOrDefault(p, -1)).Where(p => p >= 0).ToArray();
            Prerequisites[i] = prereqs;
            PrerequisiteSources[i] = [.. prereqs.Select(p => "prerequisite:" + definition.Flags[p].DisplayName)];
            PrerequisiteScopes[i] = [.. prereqs.Select(p => definition.Flags[p].DisplayName)];
        }
        SharesPrerequisites = new bool[count];
        for (var i = 0; i < count; i++)
        {
            SharesPrerequisites[i] = Shares(Prerequisites, i);
        }
    }

    /// <summary>
    /// True when some flag below this one is reachable along two prerequisite paths: evaluating
    /// it naively would repeat work (exponentially on deep diamonds), so it gets a memo.
    /// </summary>
    private static bool Shares(int[][] prerequisites, int index)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>(prerequisites[index]);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (!seen.Add(next))
            {
                return true;
            }
            foreach (var p in prerequisites[next])
            {
                stack.Push(p);
            }
        }
        return false;
    }

    public FrozenDictionary<string, int> FlagIndex { get; }
    public int[][] Prerequisites { get; }
    public bool[] SharesPrerequisites { get; }
    public string[][] PrerequisiteSources { get; }
    public string[][] PrerequisiteScopes { get; }
}

internal sealed class CompiledCohort
{
    private readonly CohortRule? _rule;
    private readonly byte[] _prefix;
    private readonly int _basisPoints;

    public CompiledCohort(string program, CohortDefinition definition)
    {
        Program = program;
        Id = definition.Id;
        Kind = definition.Kind;
        _rule = definition.Rule is null ? null : CohortRule.TryParse(definition.Rule, out _);
        _prefix = Bucketing.Prefix(definition.Seed ?? Bucketing.DefaultSeed(program, definition.Id));
        _basisPoints = (int)((definition.Percentage ?? 0) * 100);
    }

    public string Program { get; }

    public string Id { get; }

    public CohortKind Kind { get; }

    /// <summary>Membership for the kinds decided by the context itself; explicit lists are answered by <see cref="IdEntry"/>.</summary>
    public bool Matches(EvaluationContext c) => Kind switch
    {
        CohortKind.Everyone => true,
        CohortKind.Rule => _rule is not null && _rule.Matches(c),
        CohortKind.Percentage => c.WorkspaceId is not null && ContainsWorkspace(c.WorkspaceId),
        _ => false,
    };

    /// <summary>Percentage membership of one workspace (see <see cref="Bucketing"/>), hashing from the pre-encoded seed.</summary>
    public bool ContainsWorkspace(string workspaceId) =>
        _basisPoints >= Bucketing.BucketCount || (_basisPoints > 0 && Bucketing.Bucket(_prefix, workspaceId) < _basisPoints);
}

/// <summary>What one workspace or user id touches: its overrides (sorted by flag index) and the cohorts its id alone decides — explicit lists, and percentages for a workspace — as a bitset.</summary>
internal sealed class IdEntry(int[] flags, OverrideEntry[] overrides, ulong[] cohorts)
{
    public OverrideEntry? Override(int flag)
    {
        var at = Array.BinarySearch(flags, flag);
        return at >= 0 ? overrides[at] : null;
    }

    public bool InCohort(int cohort) => (cohorts[cohort >> 6] & (1UL << (cohort & 63))) != 0;

    internal sealed class Builder(int cohortCount)
    {
        private readonly ulong[] _cohorts = new ulong[(cohortCount + 63) / 64];
        private List<(int Flag, int Order, OverrideEntry Entry)>? _overrides;

        public void AddCohort(int cohort) => _cohorts[cohort >> 6] |= 1UL << (cohort & 63);

        /// <summary>Sets this id's override of a flag; a later one for the same flag replaces it.</summary>
        public void SetOverride(int flag, OverrideEntry entry)
        {
            _overrides ??= [];
            _overrides.Add((flag, _overrides.Count, entry));
        }

        public IdEntry Build()
        {
            if (_overrides is null)
            {
                return new([], [], _cohorts);
            }
            // By flag, then in the order set; the last one set for a flag wins.
            _overrides.Sort(static (a, b) => a.Flag != b.Flag ? a.Flag.CompareTo(b.Flag) : a.Order.CompareTo(b.Order));
            var flags = new List<int>(_overrides.Count);
            var entries = new List<OverrideEntry>(_overrides.Count);
            foreach (var (flag, _, entry) in _overrides)
            {
                if (flags.Count > 0 && flags[^1] == flag)
                {
                    entries[^1] = entry;
                }
                else
                {
                    flags.Add(flag);
                    entries.Add(entry);
                }
            }
            return new([.. flags], [.. entries], _cohorts);
        }
    }
}

internal sealed record KillSwitchEntry(ScopeKind Kind, string? ScopeId, int Cohort, bool Value, string Scope, string Source);

internal sealed record OverrideEntry(string Id, bool Value, long ExpiresUtcTicks, int Cohort, string Scope, string Source);

internal sealed record StageRule(bool Value, int[] Cohorts, string[] Sources, string[] Scopes, bool Everyone);

internal sealed class CompiledFlag(int index, FlagDefinition definition, int[] prerequisites, string[] prerequisiteSources, string[] prerequisiteScopes)
{
    private List<OverrideEntry>? _cohortBuild;
    private System.Collections.Concurrent.ConcurrentDictionary<(EvaluationReason, string, string), FlagResult>? _conflicts;

    public int Index { get; } = index;
    public FlagDefinition Definition { get; } = definition;
    public bool Default { get; } = definition.Default;
    public bool Safe { get; } = definition.Safe;
    public string Name { get; } = definition.DisplayName;
    public int[] Prerequisites { get; } = prerequisites;
    public string[] PrerequisiteSources { get; } = prerequisiteSources;
    public string[] PrerequisiteScopes { get; } = prerequisiteScopes;

    private List<KillSwitchEntry>? _killSwitches;
    private List<StageRule>? _stageRules;
    public KillSwitchEntry[] KillSwitchTable { get; private set; } = [];
    public StageRule[] StageTable { get; private set; } = [];
    public OverrideEntry? Global { get; private set; }
    public bool HasWorkspaceOverrides { get; set; }
    public bool HasUserOverrides { get; set; }
    public OverrideEntry[] CohortOverrides { get; private set; } = [];
    public bool NeedsPrerequisiteMemo { get; set; }

    /// <summary>An expiring override can change this flag's result (see <see cref="CompiledProgram.NeedsClock"/>).</summary>
    public bool ExpiryMatters { get; set; }

    /// <summary>Set when the result cannot depend on the context or the clock.</summary>
    public FlagResult? Constant { get; set; }

    /// <summary>Emergency-flag result prebuilt for "every other flag takes its safe value".</summary>
    public string EmergencySource { get; set; } = "";

    public bool HasOverrides => Global is not null || HasWorkspaceOverrides || HasUserOverrides || CohortOverrides.Length > 0;

    /// <summary>Global and cohort overrides; workspace and user overrides live in <see cref="IdEntry"/>.</summary>
    public void AddOverride(Scope scope, OverrideEntry entry)
    {
        if (scope.Kind == ScopeKind.Global)
        {
            Global = entry;
        }
        else
        {
            (_cohortBuild ??= []).Add(entry);
        }
    }

    /// <summary>The result for a conflict between two scopes, built once per pair (a rare path, but not an allocating one).</summary>
    public FlagResult Conflict(EvaluationReason reason, string scopeA, string scopeB)
    {
        var cache = LazyInitializer.EnsureInitialized(ref _conflicts);
        return cache.GetOrAdd((reason, scopeA, scopeB), static (key, safe) =>
            new FlagResult(safe, key.Item1, key.Item2 + "|" + key.Item3, FlagResult.ReasonText(key.Item1) + "@conflict", Conflict: true), Safe);
    }

    public void AddKillSwitch(KillSwitchEntry entry) => (_killSwitches ??= []).Add(entry);

    public void AddStageRule(StageRule rule) => (_stageRules ??= []).Add(rule);

    public void Freeze()
    {
        CohortOverrides = _cohortBuild?.ToArray() ?? [];
        KillSwitchTable = _killSwitches?.ToArray() ?? [];
        StageTable = _stageRules?.ToArray() ?? [];
        _killSwitches = null;
        _stageRules = null;
        _cohortBuild = null;
    }
}
