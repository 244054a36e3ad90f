using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Ripcord.Core.Definitions;

/// <summary>
/// A program (e.g. <c>groups</c>) as written in its YAML definition: flags, cohorts,
/// stage profiles, kill-switch levels, tiers and thresholds. Immutable; validated once
/// when applied (<see cref="DefinitionValidator"/>), then compiled for evaluation.
/// </summary>
public sealed record ProgramDefinition
{
    public required string Key { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Key of the program's emergency flag (monotone, see SPEC §2), if it has one.</summary>
    public string? EmergencyFlag { get; init; }
    public ImmutableArray<FlagDefinition> Flags { get; init; } = [];
    public ImmutableArray<CohortDefinition> Cohorts { get; init; } = [];
    public ImmutableArray<StageProfile> Stages { get; init; } = [];
    public ImmutableArray<KillSwitchLevel> KillSwitchLevels { get; init; } = [];
    public ImmutableArray<TierDefinition> Tiers { get; init; } = [];
    public StageThresholds Thresholds { get; init; } = StageThresholds.Defaults;
    /// <summary>
    /// Stage-gate policy beyond the thresholds (support-load ceiling, waived criteria). Null when the
    /// definition has no <c>gates:</c> section, so older definitions keep their JSON and digest.
    /// </summary>
    public GatePolicy? Gates { get; init; }
    /// <summary>Which flags the fallback policy reads (SPEC §4), when the program has one.</summary>
    public FallbackFlags? Fallback { get; init; }
    /// <summary>
    /// Locale → message code → text, overriding the built-in English catalog. Sorted, so the
    /// state's JSON (and its digest) is the same in every process: hash order is per-process.
    /// </summary>
    public ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> Messages { get; init; } =
        ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty;

    /// <summary>Incident trigger (SPEC §5) → the kill-switch level it recommends, or <see cref="AskOperator"/>.</summary>
    [JsonIgnore]
    public ImmutableSortedDictionary<string, string> Triggers { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>User-visible operation (send, create…) → the flag that gates it and its telemetry event type.</summary>
    [JsonIgnore]
    public ImmutableSortedDictionary<string, OperationDefinition> Operations { get; init; } =
        ImmutableSortedDictionary.Create<string, OperationDefinition>(StringComparer.Ordinal);

    /// <summary>Audience (internal, operator, user, post-incident) → locale → Liquid template text (SPEC §8).</summary>
    [JsonIgnore]
    public ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> Templates { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableSortedDictionary<string, string>>(StringComparer.Ordinal);

    /// <summary>Alert rules (docs/telemetry.md, "Alerts"): what the alert service evaluates every pass.</summary>
    [JsonIgnore]
    public ImmutableArray<Alerts.AlertRule> Alerts { get; init; } = [];

    /// <summary>The trigger value meaning "no default level: the operator chooses".</summary>
    public const string AskOperator = "ask";

    // The three sections above are written to JSON only when present, so a definition without
    // them has exactly the JSON (and so the revision digest) it had before they existed.
    [JsonInclude, JsonPropertyName("triggers")]
    private ImmutableSortedDictionary<string, string>? TriggersJson
    {
        get => Triggers.IsEmpty ? null : Triggers;
        init => Triggers = Ordinal(value);
    }

    [JsonInclude, JsonPropertyName("operations")]
    private ImmutableSortedDictionary<string, OperationDefinition>? OperationsJson
    {
        get => Operations.IsEmpty ? null : Operations;
        init => Operations = Ordinal(value);
    }

    [JsonInclude, JsonPropertyName("templates")]
    private ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>? TemplatesJson
    {
        get => Templates.IsEmpty ? null : Templates;
        init => Templates = Ordinal(value).ToImmutableSortedDictionary(kv => kv.Key, kv => Ordinal(kv.Value), StringComparer.Ordinal);
    }

    // Written only when there are rules, like the sections above.
    [JsonInclude, JsonPropertyName("alerts")]
    private ImmutableArray<Alerts.AlertRule>? AlertsJson
    {
        get => Alerts.IsDefaultOrEmpty ? null : Alerts;
        init => Alerts = value ?? [];
    }

    // A deserialised sorted dictionary compares with the current culture; ours sort ordinally.
    private static ImmutableSortedDictionary<string, T> Ordinal<T>(ImmutableSortedDictionary<string, T>? value) =>
        (value ?? ImmutableSortedDictionary<string, T>.Empty).WithComparers(StringComparer.Ordinal);

    /// <summary>Finds a flag by key or alias (ordinal).</summary>
    /// <summary>The in-app override policy of tier 2, if the definition has one.</summary>
    public InAppOverridePolicy? InAppOverride(int tier) => Tiers.FirstOrDefault(t => t.Id == tier)?.InAppOverride;

    public FlagDefinition? FindFlag(string keyOrAlias)
    {
        foreach (var flag in Flags)
        {
            if (string.Equals(flag.Key, keyOrAlias, StringComparison.Ordinal)
                || string.Equals(flag.Alias, keyOrAlias, StringComparison.Ordinal))
            {
                return flag;
            }
        }
        return null;
    }

    /// <summary>
    /// A flag as an operator names it: key or alias exactly, else ignoring case when that names one flag only
    /// (<c>f3</c> is F3). Definitions themselves are matched exactly (<see cref="FindFlag"/>).
    /// </summary>
    public FlagDefinition? FindFlagLoosely(string keyOrAlias)
    {
        if (FindFlag(keyOrAlias) is { } exact)
        {
            return exact;
        }
        var matches = Flags.Where(f => string.Equals(f.Key, keyOrAlias, StringComparison.OrdinalIgnoreCase)
            || string.Equals(f.Alias, keyOrAlias, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>The words for an unknown flag: which program, and the nearest name if one is close.</summary>
    public string UnknownFlag(string typed) =>
        $"unknown flag '{typed}' in program '{Key}'"
        + (NameMatch.Closest(typed, Flags.SelectMany(f => f.Alias is { } a ? new[] { a, f.Key } : [f.Key])) is { } meant ? $"; did you mean {meant}?" : "");

    public CohortDefinition? FindCohort(string id)
    {
        foreach (var cohort in Cohorts)
        {
            if (string.Equals(cohort.Id, id, StringComparison.Ordinal))
            {
                return cohort;
            }
        }
        return null;
    }

    public StageProfile? FindStage(string id)
    {
        foreach (var stage in Stages)
        {
            if (string.Equals(stage.Id, id, StringComparison.Ordinal))
            {
                return stage;
            }
        }
        return null;
    }
}

/// <summary>A user-visible operation and the flag that gates it (off = the operation stops).</summary>
public sealed record OperationDefinition
{
    /// <summary>The gating flag's key (never its alias).</summary>
    public required string Flag { get; init; }
    /// <summary>The telemetry event type that reports the operation (<c>send</c>…), when it has one.</summary>
    public string? Telemetry { get; init; }
}

/// <summary>A boolean flag. <see cref="Safe"/> is the value that lowers risk.</summary>
public sealed record FlagDefinition
{
    public required string Key { get; init; }
    public string? Alias { get; init; }
    public string Type { get; init; } = "boolean";
    public bool Default { get; init; }
    public bool Safe { get; init; }
    /// <summary>Keys (not aliases) of flags that must be on for this one to be on.</summary>
    public ImmutableArray<string> Prerequisites { get; init; } = [];
    public string Description { get; init; } = "";

    /// <summary>The alias when there is one, else the key: how operators name the flag.</summary>
    [JsonIgnore]
    public string DisplayName => Alias ?? Key;
}

/// <summary>
/// A named set of workspaces or users. Exactly one kind of membership: an explicit list
/// (workspaces and/or users), a rule over context attributes, a stable percentage bucket
/// of workspace ids, or everyone.
/// </summary>
public sealed record CohortDefinition
{
    public required string Id { get; init; }
    public string Description { get; init; } = "";
    public ImmutableArray<string> Workspaces { get; init; } = [];
    public ImmutableArray<string> Users { get; init; } = [];
    public string? Rule { get; init; }
    /// <summary>0–100, with up to two decimals (basis-point resolution).</summary>
    public decimal? Percentage { get; init; }
    /// <summary>Bucketing seed; defaults to <c>{program}.{cohort}</c> so it survives percentage changes.</summary>
    public string? Seed { get; init; }
    public bool Everyone { get; init; }

    [JsonIgnore]
    public CohortKind Kind =>
        Everyone ? CohortKind.Everyone
        : Rule is not null ? CohortKind.Rule
        : Percentage is not null ? CohortKind.Percentage
        : CohortKind.Explicit;
}

public enum CohortKind
{
    Explicit,
    Rule,
    Percentage,
    Everyone,
}

/// <summary>A stage profile: the value each flag takes at this stage, possibly only for some cohorts.</summary>
public sealed record StageProfile
{
    /// <summary><c>0</c>…<c>3</c> or <c>freeze</c>.</summary>
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public ImmutableArray<StageAssignment> Assignments { get; init; } = [];
    /// <summary>The stage's guarded ramp of one percentage cohort, if it has one (absent from the JSON otherwise, so the digest stays).</summary>
    public Ramps.RampPlan? Ramp { get; init; }
}

/// <summary>
/// At this stage, <see cref="Flag"/> takes <see cref="Value"/> for members of any of
/// <see cref="Cohorts"/>, or for everyone when the list is empty.
/// </summary>
public sealed record StageAssignment
{
    public required string Flag { get; init; }
    public bool Value { get; init; }
    public ImmutableArray<string> Cohorts { get; init; } = [];
}

/// <summary>A graded kill switch (KS1…KS5): a set of safe-direction flag effects.</summary>
public sealed record KillSwitchLevel
{
    public required string Id { get; init; }
    public string Meaning { get; init; } = "";
    public ImmutableArray<KillSwitchEffect> Effects { get; init; } = [];
}

public sealed record KillSwitchEffect(string Flag, bool Value);

public sealed record TierDefinition
{
    public required int Id { get; init; }
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    /// <summary>
    /// Tier 2 only: which of the app's own roles may override the tier explicitly from inside the app
    /// (the SDK asks the server with its own key, SPEC §4 (b)), and for how long. Null: only a security
    /// lead's grant overrides. Written to JSON only when set, so definitions without it keep their digest.
    /// </summary>
    public InAppOverridePolicy? InAppOverride { get; init; }
}

/// <summary>An in-app tier override: the app roles allowed to ask for it (e.g. <c>group-admin</c>) and the grant's lifetime.</summary>
public sealed record InAppOverridePolicy
{
    public const int DefaultTtlMinutes = 15;
    public const int MaxTtlMinutes = 240;

    public ImmutableArray<string> Roles { get; init; } = [];
    public int TtlMinutes { get; init; } = DefaultTtlMinutes;

    public bool Allows(string role) => Roles.Contains(role, StringComparer.Ordinal);
}

/// <summary>Stage exit thresholds (SPEC §3), policy in the definition file.</summary>
public sealed record StageThresholds
{
    public static readonly StageThresholds Defaults = new();

    /// <summary>Maximum send error rate (failures / sends), exclusive. Default 1%.</summary>
    public decimal MaxErrorRate { get; init; } = 0.01m;
    public decimal MinFallbackRate { get; init; }
    public decimal MaxFallbackRate { get; init; } = 0.05m;
    public decimal SoakHours { get; init; } = 24m;
    public long MinOperations { get; init; } = 1000;
}

/// <summary>
/// What a definition says about stage gates besides <see cref="StageThresholds"/>: the highest
/// acceptable operator support load, and criteria it waives with a recorded reason (only
/// <c>drills</c> can be waived: SPEC §3's drill criterion cannot pass until drills are recorded).
/// </summary>
public sealed record GatePolicy
{
    /// <summary>Default ceiling of the posted support load: tickets per day.</summary>
    public const decimal DefaultMaxSupportLoad = 20m;

    /// <summary>The criteria a definition may waive.</summary>
    public static readonly ImmutableArray<string> Waivable = ["drills"];

    public decimal? MaxSupportLoad { get; init; }

    /// <summary>Criterion name → why it is waived.</summary>
    public ImmutableSortedDictionary<string, string> Waive { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    public static decimal SupportLoadCeiling(GatePolicy? policy) => policy?.MaxSupportLoad ?? DefaultMaxSupportLoad;

    public static string? WaiverReason(GatePolicy? policy, string criterion) => policy?.Waive.GetValueOrDefault(criterion);
}

/// <summary>
/// The flags the fallback policy reads: the secure transport (F3), the baseline transport
/// it may fall back to (F2), and strict tier enforcement (F4). Keys, never aliases.
/// </summary>
public sealed record FallbackFlags(string Secure, string Baseline, string Strict);
