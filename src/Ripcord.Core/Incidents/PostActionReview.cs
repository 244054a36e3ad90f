using System.Text.Json.Serialization;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;

namespace Ripcord.Core.Incidents;

/// <summary>
/// A post-action review (SPEC §9): every emergency action opens one, and someone other than the
/// actor completes it with findings. Open reviews are listed on their incident.
/// </summary>
public sealed record PostActionReview
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    /// <summary>The audit action reviewed (<c>killswitch.activate</c>, …).</summary>
    public required string Action { get; init; }
    public required string Target { get; init; }
    public required string Summary { get; init; }
    public string? IncidentId { get; init; }
    public required string ActorPrincipal { get; init; }
    public required string Actor { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public bool Open => CompletedAt is null;
    public string? CompletedBy { get; init; }
    public string? CompletedByPrincipal { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? Findings { get; init; }

    public static PostActionReview For(string id, string program, string action, string target, string summary, string? incidentId,
        Principal actor, DateTimeOffset now) => new()
        {
            Id = id, Program = program, Action = action, Target = target, Summary = summary, IncidentId = incidentId,
            ActorPrincipal = actor.Id, Actor = actor.Name, OpenedAt = now,
        };

    /// <summary>
    /// Completes the review. The reviewer must be someone else: neither the actor's principal nor a
    /// token with the actor's name (one person holding two tokens) — a conflict otherwise.
    /// </summary>
    public PostActionReview Complete(Principal reviewer, string findings, DateTimeOffset now)
    {
        if (!Open)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "review", $"review {Id} was completed by {CompletedBy}");
        }
        if (reviewer.IsSamePersonAs(ActorPrincipal, Actor))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "reviewer",
                $"review {Id} is of an action by {Actor}: someone other than the actor must complete it");
        }
        if (string.IsNullOrWhiteSpace(findings) || findings.Length > IncidentWorkflow.MaxTextLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "findings", $"findings are required (at most {IncidentWorkflow.MaxTextLength} characters)");
        }
        return this with { CompletedBy = reviewer.Name, CompletedByPrincipal = reviewer.Id, CompletedAt = now, Findings = findings.Trim() };
    }
}

[JsonConverter(typeof(StrictEnumConverter<RequestStatus>))]
public enum RequestStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("approved")] Approved,
    [JsonStringEnumMemberName("rejected")] Rejected,
}

/// <summary>An ops lead's request to activate a kill switch, waiting for a release manager or security lead (SPEC §9).</summary>
public sealed record ActivationRequest
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    public required string Level { get; init; }
    public required string Scope { get; init; }
    public required string IncidentId { get; init; }
    public required string Reason { get; init; }
    public int VerifyWithinSeconds { get; init; }
    public required string RequestedBy { get; init; }
    public required string RequestedByPrincipal { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public RequestStatus Status { get; init; } = RequestStatus.Pending;
    public string? DecidedBy { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    /// <summary>The activation an approval made.</summary>
    public string? ActivationId { get; init; }

    /// <summary>Approval by someone other than the requester.</summary>
    public ActivationRequest Approve(Principal approver, string activationId, DateTimeOffset now)
    {
        if (Status != RequestStatus.Pending)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "request", $"request {Id} is already {Status.ToString().ToLowerInvariant()}");
        }
        if (approver.IsSamePersonAs(RequestedByPrincipal, RequestedBy))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "approver", $"request {Id} was made by {RequestedBy}: someone else must approve it");
        }
        return this with { Status = RequestStatus.Approved, DecidedBy = approver.Name, DecidedAt = now, ActivationId = activationId };
    }
}
