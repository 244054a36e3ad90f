using Ripcord.Core.Definitions;

namespace Ripcord.Core.Evaluation;

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
    public OverrideEntry? Global { get; set; }
    /// <summary>How many workspace-scoped overrides this flag has (they live in the workspace <see cref="IdTable"/>).</summary>
    public int WorkspaceOverrides { get; set; }
    public int UserOverrides { get; set; }
    /// <summary>How many of this flag's own overrides carry an expiry.</summary>
    public int ExpiringOverrides { get; set; }
    public bool HasWorkspaceOverrides => WorkspaceOverrides > 0;
    public bool HasUserOverrides => UserOverrides > 0;
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

    /// <summary>An incremental compile after kill switches changed: this flag's kill-switch table, rebuilt whole.</summary>
    public void ReplaceKillSwitches(KillSwitchEntry[] table) => KillSwitchTable = table;

    /// <summary>
    /// A fresh flag for the next revision with this one's tables (kill switches, stage rules,
    /// global and cohort overrides, override counts): what an incremental compile then edits. The
    /// derived parts (constant, expiry reach, memo) are recomputed for the new program.
    /// </summary>
    public CompiledFlag CopyForNextRevision() => new(Index, Definition, Prerequisites, PrerequisiteSources, PrerequisiteScopes)
    {
        KillSwitchTable = KillSwitchTable,
        StageTable = StageTable,
        Global = Global,
        CohortOverrides = CohortOverrides,
        WorkspaceOverrides = WorkspaceOverrides,
        UserOverrides = UserOverrides,
        ExpiringOverrides = ExpiringOverrides,
    };

    public void RemoveGlobalOrCohortOverride(string id)
    {
        if (Global?.Id == id)
        {
            Global = null;
        }
        else if (Array.FindIndex(CohortOverrides, e => string.Equals(e.Id, id, StringComparison.Ordinal)) is var at and >= 0)
        {
            CohortOverrides = [.. CohortOverrides[..at], .. CohortOverrides[(at + 1)..]];
        }
    }

    public void AppendCohortOverride(OverrideEntry entry) => CohortOverrides = [.. CohortOverrides, entry];

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
