using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Server.Ofrep;

/// <summary>
/// Ripcord's evaluation layers mapped onto OpenFeature's standard resolution reasons, so
/// any OpenFeature dashboard or hook reads them without knowing Ripcord. The Ripcord
/// reason, scope and source always travel alongside in <c>metadata</c>, so nothing is lost.
/// <list type="table">
/// <item><term>kill-switch, emergency</term><description><c>DISABLED</c>: the control plane forced the flag's
/// safe value (for a safe-on flag such as the emergency flag itself that value is <c>true</c>).</description></item>
/// <item><term>prerequisite</term><description><c>DISABLED</c>: a flag this one depends on is off, so the
/// feature is switched off for this context.</description></item>
/// <item><term>override / stage at <c>global</c>, or at a cohort of everyone</term><description><c>STATIC</c>:
/// the value does not depend on who asks.</description></item>
/// <item><term>override / stage at a percentage cohort</term><description><c>SPLIT</c>: a stable hash bucket
/// of workspace ids decided it.</description></item>
/// <item><term>override / stage at a workspace, user, explicit or rule cohort, or a conflict</term>
/// <description><c>TARGETING_MATCH</c>: the context matched a target (a conflict is two matched targets
/// that disagree; the safe value was taken and <c>metadata.conflict</c> is true).</description></item>
/// <item><term>default</term><description><c>DEFAULT</c>: no layer applied.</description></item>
/// </list>
/// </summary>
public static class OfrepReasons
{
    public const string Static = "STATIC";
    public const string Default = "DEFAULT";
    public const string TargetingMatch = "TARGETING_MATCH";
    public const string Split = "SPLIT";
    public const string Disabled = "DISABLED";
    public const string Unknown = "UNKNOWN";

    private const string CohortPrefix = "cohort:";

    public static string For(in FlagResult result, ProgramState state)
    {
        switch (result.Reason)
        {
            case EvaluationReason.KillSwitch:
            case EvaluationReason.Emergency:
            case EvaluationReason.Prerequisite:
                return Disabled;
            case EvaluationReason.Default:
                return Default;
            case EvaluationReason.Override:
            case EvaluationReason.Stage:
                return ForScope(result, state);
            default:
                return Unknown;
        }
    }

    private static string ForScope(in FlagResult result, ProgramState state)
    {
        if (result.Conflict)
        {
            return TargetingMatch;
        }
        var scope = result.Scope;
        if (string.Equals(scope, "global", StringComparison.Ordinal))
        {
            return Static;
        }
        if (!scope.StartsWith(CohortPrefix, StringComparison.Ordinal))
        {
            return TargetingMatch; // workspace:… or user:…
        }
        var id = scope.AsSpan(CohortPrefix.Length);
        foreach (var cohort in state.Cohorts)
        {
            if (id.SequenceEqual(cohort.Id))
            {
                return cohort.Kind switch
                {
                    CohortKind.Everyone => Static,
                    CohortKind.Percentage => Split,
                    _ => TargetingMatch,
                };
            }
        }
        return TargetingMatch;
    }

    public static string Variant(bool value) => value ? "on" : "off";
}
