using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Server.Incidents;

namespace Ripcord.Server.KillSwitches;

/// <summary>The recommender's answer for an incident, in the API's shape.</summary>
public static class KillSwitchAdvice
{
    public static Recommendation For(ProgramState state, Incident incident) => new(null, null, ["the recommender is not wired yet"]);
}
