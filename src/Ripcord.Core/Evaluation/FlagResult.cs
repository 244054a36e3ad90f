namespace Ripcord.Core.Evaluation;

/// <summary>Which layer decided a flag's value (SPEC §2).</summary>
public enum EvaluationReason
{
    KillSwitch,
    Emergency,
    Override,
    Stage,
    Default,
    Prerequisite,
    /// <summary>The flag does not exist in the program: the value is false.</summary>
    FlagNotFound,
    /// <summary>No configuration was ever received or cached: the flag holds its safe value.</summary>
    NoConfiguration,
}

/// <summary>
/// One flag's value for one context: never thrown, always carrying why. <see cref="Scope"/>
/// says where the deciding layer applied (<c>global</c>, <c>cohort:pilot</c>…); <see cref="Source"/>
/// is the telemetry tag (<c>kill-switch:KS1@global</c>, <c>override@cohort:pilot</c>, <c>stage:1</c>,
/// <c>default</c>, <c>prerequisite:F1</c>). <see cref="Conflict"/> is set when the layer held two
/// different values for this context and the safe value was taken.
/// </summary>
public readonly record struct FlagResult(bool Value, EvaluationReason Reason, string Scope, string Source, bool Conflict = false)
{
    public string ReasonName => ReasonText(Reason);

    public static string ReasonText(EvaluationReason reason) => reason switch
    {
        EvaluationReason.KillSwitch => "kill-switch",
        EvaluationReason.Emergency => "emergency",
        EvaluationReason.Override => "override",
        EvaluationReason.Stage => "stage",
        EvaluationReason.Default => "default",
        EvaluationReason.Prerequisite => "prerequisite",
        EvaluationReason.NoConfiguration => "no-configuration",
        _ => "flag-not-found",
    };
}
