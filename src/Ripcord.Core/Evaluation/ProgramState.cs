using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Ripcord.Core.Definitions;
using Ripcord.Core.Fallback;

namespace Ripcord.Core.Evaluation;

/// <summary>
/// A program's whole effective configuration at one revision: its definition plus what
/// operators changed since (live cohorts, overrides, current stage, active kill switches).
/// Immutable; every change yields a new state, and the server stores each as a revision.
/// </summary>
public sealed record ProgramState
{
    public required ProgramDefinition Definition { get; init; }
    /// <summary>Live cohorts: the definition's, as replaced over the API since.</summary>
    public ImmutableArray<CohortDefinition> Cohorts { get; init; } = [];
    public ImmutableArray<FlagOverride> Overrides { get; init; } = [];
    public required string Stage { get; init; }
    public ImmutableArray<KillSwitchActivation> KillSwitches { get; init; } = [];

    /// <summary>Tier-2 override grants (SPEC §4): one workspace and action each, until they expire or are revoked.</summary>
    [JsonIgnore]
    public ImmutableArray<OverrideGrant> Grants { get; init; } = [];

    // Written to JSON only when there are grants, so a state without them has exactly the JSON (and
    // so the digest) it had before grants existed: stored revisions' digests are verified.
    [JsonInclude, JsonPropertyName("grants")]
    private ImmutableArray<OverrideGrant>? GrantsJson
    {
        get => Grants.IsDefaultOrEmpty ? null : Grants;
        init => Grants = value is { IsDefault: false } grants ? grants : [];
    }

    [JsonIgnore]
    public string Program => Definition.Key;

    /// <summary>A program as first applied: the definition's cohorts, the first stage profile.</summary>
    public static ProgramState Initial(ProgramDefinition definition) => new()
    {
        Definition = definition,
        Cohorts = definition.Cohorts,
        Stage = definition.Stages.IsDefaultOrEmpty ? "0" : definition.Stages[0].Id,
    };

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

    public OverrideGrant? FindGrant(string id)
    {
        foreach (var grant in Grants)
        {
            if (string.Equals(grant.Id, id, StringComparison.Ordinal))
            {
                return grant;
            }
        }
        return null;
    }

    public FlagOverride? FindOverride(string id) => Changes.OverrideIndex.For(Overrides).ById.GetValueOrDefault(id);
}

/// <summary>A flag's value set at a scope by an operator, with a reason and an optional expiry.</summary>
public sealed record FlagOverride
{
    public required string Id { get; init; }
    /// <summary>The flag's key (never its alias).</summary>
    public required string Flag { get; init; }
    [JsonConverter(typeof(ScopeJsonConverter))]
    public required Scope Scope { get; init; }
    public required bool Value { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>User-scope overrides are diagnostic: short-lived and shown as such.</summary>
    [JsonIgnore]
    public bool IsDiagnostic => Scope.Kind == ScopeKind.User;

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } at && at <= now;
}

/// <summary>An active kill-switch level applied at a scope (global, workspace or cohort).</summary>
public sealed record KillSwitchActivation
{
    public required string Id { get; init; }
    public required string Level { get; init; }
    [JsonConverter(typeof(ScopeJsonConverter))]
    public required Scope Scope { get; init; }
    public string? IncidentId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset ActivatedAt { get; init; }
    public required string ActivatedBy { get; init; }
}
