namespace Ripcord.Core.KillSwitches;

/// <summary>The incident triggers of SPEC §5 (seed §11), as a definition's <c>triggers:</c> names them.</summary>
public static class KillSwitchTriggers
{
    public const string ConfidentialityIncident = "confidentiality-incident";
    public const string ProjectionCorruption = "projection-corruption";
    public const string PublishAckFailures = "publish-ack-failures";
    public const string CrashOrMemoryRegression = "crash-or-memory-regression";
    public const string OperatorEscalation = "operator-escalation";

    public static IReadOnlyList<string> All { get; } =
        [ConfidentialityIncident, ProjectionCorruption, PublishAckFailures, CrashOrMemoryRegression, OperatorEscalation];

    public static bool IsKnown(string trigger) => All.Contains(trigger, StringComparer.Ordinal);
}
