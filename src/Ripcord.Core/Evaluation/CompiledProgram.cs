using System.Collections.Frozen;
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
        FrozenDictionary<string, int> flagIndex, int emergencyIndex)
    {
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

    public FlagDefinition FlagAt(int index) => Flags[index].Definition;

    /// <summary>Finds a flag by key or alias.</summary>
    public bool TryGetFlagIndex(string keyOrAlias, out int index) => _flagIndex.TryGetValue(keyOrAlias, out index);

    public static CompiledProgram Compile(ProgramState state, long revision)
    {
        var definition = state.Definition;
        var cohortIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var cohorts = new CompiledCohort[state.Cohorts.Length];
        for (var i = 0; i < cohorts.Length; i++)
        {
            cohorts[i] = new CompiledCohort(state.Program, state.Cohorts[i]);
            cohortIndex.TryAdd(state.Cohorts[i].Id, i);
        }

        var flagIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < definition.Flags.Length; i++)
        {
            flagIndex.TryAdd(definition.Flags[i].Key, i);
            if (definition.Flags[i].Alias is { } alias)
            {
                flagIndex.TryAdd(alias, i);
            }
        }

        var stage = definition.FindStage(state.Stage);
        var flags = new CompiledFlag[definition.Flags.Length];
        for (var i = 0; i < flags.Length; i++)
        {
            var def = definition.Flags[i];
            var prereqs = def.Prerequisites.Select(p => flagIndex.GetValueOrDefault(p, -1)).Where(p => p >= 0).ToArray();
            flags[i] = new CompiledFlag(i, def, prereqs,
                prereqs.Select(p => "prerequisite:" + definition.Flags[p].DisplayName).ToArray(),
                prereqs.Select(p => definition.Flags[p].DisplayName).ToArray());
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
                    flags[fi].KillSwitches.Add(new KillSwitchEntry(ks.Scope.Kind, ks.Scope.Id, ksCohort, effect.Value,
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
            flags[fi].AddOverride(o.Scope, entry);
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
                flags[fi].StageRules.Add(new StageRule(a.Value, members,
                    a.Cohorts.IsDefaultOrEmpty ? [stageTag] : members.Select(c => $"{stageTag}@cohort:{state.Cohorts[c].Id}").ToArray(),
                    a.Cohorts.IsDefaultOrEmpty ? ["global"] : members.Select(c => "cohort:" + state.Cohorts[c].Id).ToArray(),
                    a.Cohorts.IsDefaultOrEmpty));
            }
        }

        var emergencyIndex = definition.EmergencyFlag is { } e && flagIndex.TryGetValue(e, out var ei) ? ei : -1;
        foreach (var flag in flags)
        {
            flag.Freeze();
        }
        var program = new CompiledProgram(state, revision, flags, cohorts, flagIndex.ToFrozenDictionary(StringComparer.Ordinal), emergencyIndex);
        Evaluator.FoldConstants(program);
        return program;
    }

    // A kill switch or override scoped to a cohort the state no longer has applies to nobody.
    private static bool TryCohort(Scope scope, Dictionary<string, int> cohortIndex, out int index)
    {
        index = -1;
        return scope.Kind != ScopeKind.Cohort || cohortIndex.TryGetValue(scope.Id!, out index);
    }
}

internal sealed class CompiledCohort
{
    private readonly CohortKind _kind;
    private readonly FrozenSet<string> _workspaces;
    private readonly FrozenSet<string> _users;
    private readonly CohortRule? _rule;
    private readonly string _seed;
    private readonly int _basisPoints;

    public CompiledCohort(string program, CohortDefinition definition)
    {
        Id = definition.Id;
        _kind = definition.Kind;
        _workspaces = definition.Workspaces.ToFrozenSet(StringComparer.Ordinal);
        _users = definition.Users.ToFrozenSet(StringComparer.Ordinal);
        _rule = definition.Rule is null ? null : CohortRule.TryParse(definition.Rule, out _);
        _seed = definition.Seed ?? Bucketing.DefaultSeed(program, definition.Id);
        _basisPoints = (int)((definition.Percentage ?? 0) * 100);
    }

    public string Id { get; }

    public bool Matches(EvaluationContext c) => _kind switch
    {
        CohortKind.Everyone => true,
        CohortKind.Rule => _rule is not null && _rule.Matches(c),
        CohortKind.Percentage => c.WorkspaceId is not null && Bucketing.IsInBucket(_seed, c.WorkspaceId, _basisPoints),
        _ => (c.WorkspaceId is not null && _workspaces.Contains(c.WorkspaceId))
            || (c.UserId is not null && _users.Contains(c.UserId)),
    };
}

internal sealed record KillSwitchEntry(ScopeKind Kind, string? ScopeId, int Cohort, bool Value, string Scope, string Source);

internal sealed record OverrideEntry(string Id, bool Value, long ExpiresUtcTicks, int Cohort, string Scope, string Source);

internal sealed record StageRule(bool Value, int[] Cohorts, string[] Sources, string[] Scopes, bool Everyone);

internal sealed class CompiledFlag(int index, FlagDefinition definition, int[] prerequisites, string[] prerequisiteSources, string[] prerequisiteScopes)
{
    private static readonly FrozenDictionary<string, OverrideEntry> None = FrozenDictionary<string, OverrideEntry>.Empty;
    private Dictionary<string, OverrideEntry>? _workspaceBuild;
    private Dictionary<string, OverrideEntry>? _userBuild;
    private List<OverrideEntry>? _cohortBuild;

    public int Index { get; } = index;
    public FlagDefinition Definition { get; } = definition;
    public bool Default { get; } = definition.Default;
    public bool Safe { get; } = definition.Safe;
    public string Name { get; } = definition.DisplayName;
    public int[] Prerequisites { get; } = prerequisites;
    public string[] PrerequisiteSources { get; } = prerequisiteSources;
    public string[] PrerequisiteScopes { get; } = prerequisiteScopes;

    public List<KillSwitchEntry> KillSwitches { get; } = [];
    public List<StageRule> StageRules { get; } = [];
    public KillSwitchEntry[] KillSwitchTable { get; private set; } = [];
    public StageRule[] StageTable { get; private set; } = [];
    public OverrideEntry? Global { get; private set; }
    public FrozenDictionary<string, OverrideEntry> Workspaces { get; private set; } = None;
    public FrozenDictionary<string, OverrideEntry> Users { get; private set; } = None;
    public OverrideEntry[] CohortOverrides { get; private set; } = [];

    /// <summary>Set when the result cannot depend on the context or the clock.</summary>
    public FlagResult? Constant { get; set; }

    /// <summary>Emergency-flag result prebuilt for "every other flag takes its safe value".</summary>
    public string EmergencySource { get; set; } = "";

    public bool HasOverrides => Global is not null || Workspaces.Count > 0 || Users.Count > 0 || CohortOverrides.Length > 0;

    public void AddOverride(Scope scope, OverrideEntry entry)
    {
        switch (scope.Kind)
        {
            case ScopeKind.Global:
                Global = entry;
                break;
            case ScopeKind.Workspace:
                (_workspaceBuild ??= new(StringComparer.Ordinal))[scope.Id!] = entry;
                break;
            case ScopeKind.User:
                (_userBuild ??= new(StringComparer.Ordinal))[scope.Id!] = entry;
                break;
            default:
                (_cohortBuild ??= []).Add(entry);
                break;
        }
    }

    public void Freeze()
    {
        Workspaces = _workspaceBuild?.ToFrozenDictionary(StringComparer.Ordinal) ?? None;
        Users = _userBuild?.ToFrozenDictionary(StringComparer.Ordinal) ?? None;
        CohortOverrides = _cohortBuild?.ToArray() ?? [];
        KillSwitchTable = [.. KillSwitches];
        StageTable = [.. StageRules];
        _workspaceBuild = null;
        _userBuild = null;
        _cohortBuild = null;
    }
}
