using System.Text.Json.Serialization;
namespace Ripcord.Core.Incidents;

[JsonConverter(typeof(StrictEnumConverter<ResponseClockStatus>))]
public enum ResponseClockStatus
{
    /// <summary>Not started yet, with more than a quarter of the target left.</summary>
    [JsonStringEnumMemberName("running")] Running,
    /// <summary>Not started yet, with a quarter of the target or less left.</summary>
    [JsonStringEnumMemberName("at-risk")] AtRisk,
    [JsonStringEnumMemberName("met")] Met,
    [JsonStringEnumMemberName("missed")] Missed,
}

/// <summary>
/// The response-start clock (SPEC §5): from declaring the incident to the first action taken on
/// it, against the class's target — P1 15 minutes, P2 30, P3 and P4 60.
/// </summary>
public sealed record ResponseClock(TimeSpan Target, DateTimeOffset Deadline, DateTimeOffset? StartedAt, TimeSpan Elapsed, ResponseClockStatus Status)
{
    public static TimeSpan TargetFor(IncidentClass c) => c switch
    {
        IncidentClass.P1 => TimeSpan.FromMinutes(15),
        IncidentClass.P2 => TimeSpan.FromMinutes(30),
        _ => TimeSpan.FromMinutes(60),
    };

    public static ResponseClock For(Incident incident, DateTimeOffset now)
    {
        var target = TargetFor(incident.Class);
        var deadline = incident.DeclaredAt + target;
        if (incident.ResponseStartedAt is { } started)
        {
            return new ResponseClock(target, deadline, started, started - incident.DeclaredAt,
                started <= deadline ? ResponseClockStatus.Met : ResponseClockStatus.Missed);
        }
        var elapsed = now - incident.DeclaredAt;
        var status = now > deadline ? ResponseClockStatus.Missed
            : deadline - now <= target / 4 ? ResponseClockStatus.AtRisk
            : ResponseClockStatus.Running;
        return new ResponseClock(target, deadline, null, elapsed, status);
    }
}
