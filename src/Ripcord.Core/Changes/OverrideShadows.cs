using System.Collections.Immutable;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Changes;

/// <summary>
/// Overrides that win over another one where both apply: the same flag, a more specific scope
/// (user &gt; cohort &gt; workspace &gt; global), and the other value. Setting "F3 off at global" while three
/// workspaces keep it on does not turn it off for them; the operator is told so, by name.
/// </summary>
public static class OverrideShadows
{
    public static ImmutableArray<FlagOverride> Of(ProgramState state, FlagOverride set, DateTimeOffset now) =>
    [
        .. state.Overrides
            .Where(o => o.Flag == set.Flag && o.Value != set.Value && Rank(o.Scope.Kind) > Rank(set.Scope.Kind)
                && (o.ExpiresAt is null || o.ExpiresAt > now))
            .OrderByDescending(o => Rank(o.Scope.Kind)).ThenBy(o => o.Scope.ToString(), StringComparer.Ordinal),
    ];

    /// <summary>Evaluation's precedence among override scopes: higher wins.</summary>
    public static int Rank(ScopeKind kind) => kind switch
    {
        ScopeKind.User => 4,
        ScopeKind.Cohort => 3,
        ScopeKind.Workspace => 2,
        _ => 1,
    };
}
