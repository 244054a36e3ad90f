using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Core.Incidents;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Incidents;

/// <summary>
/// Post-action reviews (SPEC §9): opened inside the write of the emergency action they review, listed
/// on their incident, completed by someone other than the actor.
/// </summary>
public sealed class ReviewService(Databases databases, WorkflowDocs docs, IncidentService incidents, IAuditLog audit, TimeProvider clock)
{
    /// <summary>Opens a review inside the action's write; puts it on the incident's timeline when there is one.</summary>
    public async Task<PostActionReview> OpenAsync(WriteSession session, string program, AuditAction action, string target, string summary,
        string? incidentId, Principal actor, DateTimeOffset now, CancellationToken ct)
    {
        var review = PostActionReview.For(IncidentService.NewId("rvw_"), program, action.Name, target, summary, incidentId, actor, now);
        await docs.PutAsync(session, DocKinds.Review, review.Id, program, "open", incidentId, review, now, ct);
        if (incidentId is not null)
        {
            await incidents.UpdateAsync(session, program, incidentId, i => IncidentWorkflow.Record(i,
                new TimelineEntry(now, TimelineKinds.ReviewOpened, $"post-action review {review.Id} opened for {summary}", actor.Name, review.Id)), now, ct);
        }
        await incidents.NotifyAsync(session, "review.opened", program, review, ct);
        return review;
    }

    public async Task<PostActionReview> CompleteAsync(string id, string findings, Actor reviewer, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var review = await docs.GetAsync<PostActionReview>(DocKinds.Review, id, ct, session)
            ?? throw new ChangeRejectedException(ChangeError.NotFound, "review", $"no review '{id}'");
        var done = review.Complete(reviewer.Principal, findings, now);
        await docs.PutAsync(session, DocKinds.Review, done.Id, done.Program, "completed", done.IncidentId, done, now, ct);
        await audit.AppendAsync(session, new AuditDraft(now, reviewer.Principal.Id, reviewer.Name, reviewer.Role.Name, AuditAction.ReviewComplete,
            $"review:{done.Program}/{done.Id}", null, JsonSerializer.Serialize(new { done.Action, done.Target, done.Actor, done.Findings }, CoreJson.Options)), ct);
        await incidents.NotifyAsync(session, "review.completed", done.Program, done, ct);
        await session.CommitAsync(ct);
        return done;
    }

    public Task<PostActionReview?> GetAsync(string id, CancellationToken ct) => docs.GetAsync<PostActionReview>(DocKinds.Review, id, ct);

    public Task<List<PostActionReview>> ListAsync(bool? open, string? program, string? incidentId, CancellationToken ct) =>
        docs.ListAsync<PostActionReview>(DocKinds.Review, ct, program, open switch { true => "open", false => "completed", null => null }, incidentId);
}
