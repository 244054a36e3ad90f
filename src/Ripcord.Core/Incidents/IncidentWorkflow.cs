using System.Collections.Immutable;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.KillSwitches;

namespace Ripcord.Core.Incidents;

/// <summary>What declaring an incident takes.</summary>
public sealed record IncidentDeclaration(IncidentClass Class, IncidentSeverity Severity, string Trigger, IReadOnlyList<string> Affected,
    string Summary, string? FailingOperation = null);

/// <summary>
/// The incident state machine, pure: each method checks one step against an incident and returns
/// the next, with its timeline entry. The caller passes ids, the actor's name and <c>now</c>.
/// Invalid input is <see cref="ChangeError.Invalid"/>; a step the status does not allow is
/// <see cref="ChangeError.Conflict"/>.
/// </summary>
public static class IncidentWorkflow
{
    public const int MaxTextLength = 2000;
    public const int MaxAffected = 100;

    public static Incident Declare(string id, ProgramState program, IncidentDeclaration d, string by, DateTimeOffset now)
    {
        if (!KillSwitchTriggers.All.Contains(d.Trigger, StringComparer.Ordinal))
        {
            throw Invalid("trigger", $"'{d.Trigger}' is not a trigger: use one of {string.Join(", ", KillSwitchTriggers.All)}");
        }
        var summary = Text(d.Summary, "summary");
        if (d.Affected.Count > MaxAffected)
        {
            throw Invalid("affected", $"at most {MaxAffected} affected scopes");
        }
        var affected = ImmutableArray.CreateBuilder<string>();
        foreach (var text in d.Affected)
        {
            if (!Scope.TryParse(text, out var scope, out var error))
            {
                throw Invalid("affected", error!);
            }
            if (scope.Kind is ScopeKind.User or ScopeKind.Global)
            {
                throw Invalid("affected", $"'{text}': affected scopes are workspaces and cohorts (leave it empty when the whole program is affected)");
            }
            if (scope.Kind == ScopeKind.Cohort && program.FindCohort(scope.Id!) is null)
            {
                throw Invalid("affected", $"unknown cohort '{scope.Id}' in program '{program.Program}'");
            }
            if (!affected.Contains(scope.ToString()))
            {
                affected.Add(scope.ToString());
            }
        }
        if (d.FailingOperation is { } op && (op.Length == 0 || op.Length > 100))
        {
            throw Invalid("operation", "the failing operation is a short name such as send");
        }
        return new Incident
        {
            Id = id,
            Program = program.Program,
            Class = d.Class,
            Severity = d.Severity,
            Trigger = d.Trigger,
            Affected = affected.ToImmutable(),
            FailingOperation = d.FailingOperation,
            Summary = summary,
            DeclaredAt = now,
            DeclaredBy = by,
            Timeline = [new TimelineEntry(now, TimelineKinds.Declared,
                $"{d.Class} {d.Severity.ToString().ToLowerInvariant()} incident declared: {d.Trigger}; {summary}", by)],
        };
    }

    public static Incident Note(Incident incident, string text, string by, DateTimeOffset now) =>
        Step(Open(incident), new TimelineEntry(now, TimelineKinds.Note, Text(text, "text"), by), responds: true);

    public static Incident AddAction(Incident incident, string actionId, string text, string? owner, string by, DateTimeOffset now)
    {
        Open(incident);
        if (owner is { Length: 0 or > 200 })
        {
            throw Invalid("owner", "an owner is a name of at most 200 characters");
        }
        var item = new ActionItem { Id = actionId, Text = Text(text, "text"), Owner = owner, CreatedAt = now };
        var next = Step(incident, new TimelineEntry(now, TimelineKinds.ActionAdded, $"action {actionId}: {item.Text}" + (owner is null ? "" : $" (owner {owner})"), by, actionId),
            responds: true);
        return next with { Actions = next.Actions.Add(item) };
    }

    public static Incident ResolveAction(Incident incident, string actionId, string by, DateTimeOffset now)
    {
        var item = incident.Actions.FirstOrDefault(a => string.Equals(a.Id, actionId, StringComparison.Ordinal))
            ?? throw new ChangeRejectedException(ChangeError.NotFound, "action", $"incident {incident.Id} has no action item '{actionId}'");
        if (!item.Open)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "action", $"action item {actionId} is already resolved");
        }
        var next = Step(incident, new TimelineEntry(now, TimelineKinds.ActionResolved, $"action {actionId} resolved: {item.Text}", by, actionId), responds: true);
        return next with { Actions = next.Actions.Replace(item, item with { Open = false, ResolvedAt = now, ResolvedBy = by }) };
    }

    /// <summary>A kill switch was requested or applied for the incident: the response has started and mitigation is under way.</summary>
    public static Incident Mitigating(Incident incident, TimelineEntry entry)
    {
        var next = Step(Open(incident), entry, responds: true);
        return next.Status == IncidentStatus.Declared ? next with { Status = IncidentStatus.Mitigating } : next;
    }

    /// <summary>
    /// A linked kill switch was verified on every client: the incident is mitigated (time-to-mitigate is fixed at the first).
    /// Like <see cref="Record"/>, this is a fact the server reports about an action already taken, so it is kept even on a
    /// closed incident (whose status it does not change); operators' steps on a closed incident are refused.
    /// </summary>
    public static Incident Verified(Incident incident, TimelineEntry entry)
    {
        var next = Step(incident, entry, responds: true);
        return next with
        {
            Status = next.Status < IncidentStatus.Mitigated ? IncidentStatus.Mitigated : next.Status,
            MitigatedAt = next.MitigatedAt ?? entry.At,
        };
    }

    /// <summary>Any other entry (verification failed, deactivated, announced, review opened); it does not change the status.</summary>
    public static Incident Record(Incident incident, TimelineEntry entry) => Step(incident, entry, responds: false);

    public static Incident Resolve(Incident incident, string summary, string by, DateTimeOffset now)
    {
        if (Open(incident).Status == IncidentStatus.Resolved)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "status", $"incident {incident.Id} is already resolved");
        }
        var next = Step(incident, new TimelineEntry(now, TimelineKinds.Resolved, "resolved: " + Text(summary, "summary"), by), responds: true);
        return next with { Status = IncidentStatus.Resolved, ResolvedAt = now };
    }

    /// <summary>Closing is the last step: only a resolved incident with no open action items closes.</summary>
    public static Incident Close(Incident incident, string by, DateTimeOffset now)
    {
        if (Open(incident).Status != IncidentStatus.Resolved)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "status", $"incident {incident.Id} is {Name(incident.Status)}: resolve it before closing it");
        }
        var open = incident.Actions.Where(a => a.Open).Select(a => a.Id).ToList();
        if (open.Count > 0)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "actions", $"incident {incident.Id} has open action items: {string.Join(", ", open)}");
        }
        var next = Step(incident, new TimelineEntry(now, TimelineKinds.Closed, "closed", by), responds: false);
        return next with { Status = IncidentStatus.Closed, ClosedAt = now };
    }

    public static string Name(IncidentStatus status) => status.ToString().ToLowerInvariant();

    private static Incident Step(Incident incident, TimelineEntry entry, bool responds) => incident with
    {
        Timeline = incident.Timeline.Add(entry),
        ResponseStartedAt = incident.ResponseStartedAt ?? (responds ? entry.At : null),
    };

    private static Incident Open(Incident incident) => incident.Status == IncidentStatus.Closed
        ? throw new ChangeRejectedException(ChangeError.Conflict, "status", $"incident {incident.Id} is closed")
        : incident;

    private static string Text(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxTextLength)
        {
            throw Invalid(field, $"{field} is required (at most {MaxTextLength} characters)");
        }
        return text.Trim();
    }

    private static ChangeRejectedException Invalid(string field, string message) => new(ChangeError.Invalid, field, message);
}
