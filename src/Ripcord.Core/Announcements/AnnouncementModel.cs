using System.Collections.Immutable;

namespace Ripcord.Core.Announcements;

/// <summary>
/// What an announcement template can say (SPEC §8). Exposed to Liquid as <c>program</c>, <c>revision</c>,
/// <c>incident</c>, <c>killSwitch</c>, <c>verification</c> and <c>now</c>; the member names are
/// <see cref="AnnouncementTemplates.Variables"/>, the list the definition validator checks templates against.
/// </summary>
public sealed record AnnouncementModel
{
    public required string Program { get; init; }
    public long Revision { get; init; }
    public AnnouncementIncident? Incident { get; init; }
    public AnnouncementKillSwitch? KillSwitch { get; init; }
    public AnnouncementVerification? Verification { get; init; }
    public required DateTimeOffset Now { get; init; }
}

/// <summary>The incident an announcement is about. <see cref="Affected"/> holds scopes as text (<c>workspace:acme</c>).</summary>
public sealed record AnnouncementIncident
{
    public required string Id { get; init; }
    /// <summary>P1…P4.</summary>
    public string Class { get; init; } = "";
    public string Severity { get; init; } = "";
    public string Trigger { get; init; } = "";
    public string Summary { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTimeOffset DeclaredAt { get; init; }
    public ImmutableArray<string> Affected { get; init; } = [];
}

/// <summary>The kill-switch level in force: its id, what it means, where it applies (scope as text).</summary>
public sealed record AnnouncementKillSwitch
{
    public required string Level { get; init; }
    public string Meaning { get; init; } = "";
    public string Scope { get; init; } = "global";
    public DateTimeOffset ActivatedAt { get; init; }
    public string Reason { get; init; } = "";
}

/// <summary>How far verification in telemetry has got: instances on the new revision out of those expected.</summary>
public sealed record AnnouncementVerification
{
    public string Status { get; init; } = "";
    public int Applied { get; init; }
    public int Total { get; init; }
    /// <summary>Declare → verified, when known; shown to Liquid as <c>h:mm:ss</c>.</summary>
    public TimeSpan? TimeToMitigate { get; init; }
}
