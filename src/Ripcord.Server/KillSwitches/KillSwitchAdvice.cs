using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Core.KillSwitches;


namespace Ripcord.Server.KillSwitches;

/// <summary>The recommender's answer for an incident (<see cref="Recommender"/>, pure, in Core), in the API's shape.</summary>
public static class KillSwitchAdvice
{
    public static Incidents.Recommendation For(ProgramState state, Incident incident)
    {
        var advice = Recommender.Recommend(state, incident.Trigger, [.. incident.Affected.Select(Scope.Parse)], incident.FailingOperation);
        return new Incidents.Recommendation(advice.Level, advice.Scope?.ToString(), advice.Reasoning);
    }
}
