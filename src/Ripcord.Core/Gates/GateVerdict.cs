using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Ripcord.Core.Gates;

/// <summary>Whether a criterion is about entering the target stage or leaving the current one (SPEC §3).</summary>
[JsonConverter(typeof(StrictEnumConverter<CriterionKind>))]
public enum CriterionKind
{
    [JsonStringEnumMemberName("entry")] Entry,
    [JsonStringEnumMemberName("exit")] Exit,
}

/// <summary>One line of the checklist: what was measured (<see cref="Figure"/>) against what (<see cref="Threshold"/>), and on what evidence.</summary>
public sealed record GateCriterion(string Name, CriterionKind Kind, bool Passed, string Figure, string Threshold, string Evidence);

/// <summary>The checklist for moving from <see cref="From"/> to <see cref="Target"/>; allowed exactly when every criterion passed.</summary>
public sealed record GateVerdict(string From, string Target, ImmutableArray<GateCriterion> Criteria)
{
    public bool Allowed => Criteria.All(c => c.Passed);

    public IEnumerable<GateCriterion> Failing => Criteria.Where(c => !c.Passed);

    /// <summary>The exit criteria alone passed: the current revision is known-safe at the current stage.</summary>
    public bool ExitPassed => Criteria.Where(c => c.Kind == CriterionKind.Exit).All(c => c.Passed);
}

/// <summary>The criteria's names, as the checklist, the API and the docs spell them.</summary>
public static class CriterionNames
{
    public const string IncidentActions = "incident-actions";
    public const string PostActionReviews = "post-action-reviews";
    public const string QualityGates = "quality-gates";
    public const string InteropLanes = "interop-lanes";
    public const string SecuritySignoff = "security-signoff";
    public const string Drills = "drills";
    public const string StageHold = "no-stage-lock";
    public const string ErrorRate = "error-rate";
    public const string FallbackRate = "fallback-rate";
    public const string CriticalIncidents = "no-open-p1-p2";
    public const string SupportLoad = "support-load";
    public const string SoakTime = "soak-time";
    public const string SampleSize = "sample-size";

    public static ImmutableArray<string> All { get; } =
    [
        IncidentActions, PostActionReviews, QualityGates, InteropLanes, SecuritySignoff, Drills, StageHold,
        ErrorRate, FallbackRate, CriticalIncidents, SupportLoad, SoakTime, SampleSize,
    ];
}
