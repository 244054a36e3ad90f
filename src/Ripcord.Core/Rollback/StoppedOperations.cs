using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Rollback;

/// <summary>
/// Whether a reported operation should have stopped (seed §13, verification: "the disabled operations
/// stopped"): the definition's operations name the flag that gates each and the telemetry event that
/// reports it; an operation reported under <c>fromRevision</c> or later, from a context for which the
/// program now evaluates its flag off, was made although it is disabled. Telemetry carries a workspace
/// and a tier, never a user, so the context is the workspace's and tier's. Pure: no I/O, the time passed in.
/// </summary>
public static class StoppedOperations
{
    /// <summary>The operation the event reports, when that operation is disabled for the event's context; null otherwise.</summary>
    public static string? Violated(CompiledProgram program, long fromRevision, string eventType, long? madeUnder, string? workspace, int? tier,
        DateTimeOffset now)
    {
        if (madeUnder is not { } made || made < fromRevision)
        {
            return null;
        }
        foreach (var (name, operation) in program.State.Definition.Operations)
        {
            if (string.Equals(operation.Telemetry, eventType, StringComparison.Ordinal)
                && !Evaluator.Evaluate(program, operation.Flag, new EvaluationContext(workspace, tier: tier), now).Value)
            {
                return name;
            }
        }
        return null;
    }
}
