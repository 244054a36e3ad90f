using Ripcord.Core.Definitions;
using Ripcord.Core.Rules;

namespace Ripcord.Core.Evaluation;

/// <summary>A cohort compiled for evaluation: its rule parsed, its bucketing seed encoded.</summary>
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
