using System.Security.Cryptography;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Incidents;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Webhooks;

namespace Ripcord.Server.Incidents;

/// <summary>
/// Incidents at the edge: each step loads the incident inside a write transaction, runs the pure
/// <see cref="IncidentWorkflow"/> step, and stores the result with its audit row (and, through
/// <c>NotifyAsync</c>, its webhook deliveries) in that one transaction.
/// </summary>
public sealed class IncidentService(Databases databases, WorkflowDocs docs, IAuditLog audit, ProgramRegistry registry, WebhookOutbox webhooks,
    TimeProvider clock)
{
    /// <summary>Adds the webhook deliveries announcing a change to the transaction that makes it (see docs/webhooks.md).</summary>
    public Task NotifyAsync(WriteSession session, string type, string program, object payload, CancellationToken ct, string? audience = null) =>
        webhooks.EnqueueAsync(session, new WebhookEvent(type, program, audience, payload, SqlDatabase.Storable(clock.GetUtcNow())), ct);

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));

    public async Task<Incident> DeclareAsync(string program, IncidentDeclaration declaration, Actor actor, CancellationToken ct)
    {
        if (!registry.TryGet(program, out var compiled))
        {
            throw new UnknownProgramException(program);
        }
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var incident = IncidentWorkflow.Declare(NewId("inc_"), compiled.State, declaration, actor.Name, now);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await DeclareAsync(session, incident, actor, now, ct);
        await session.CommitAsync(ct);
        return incident;
    }

    /// <summary>Stores a declared incident inside a caller's write (an alert suggesting it), with its audit row and webhook.</summary>
    public async Task DeclareAsync(WriteSession session, Incident incident, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        await SaveAsync(session, incident, now, ct);
        await AuditAsync(session, actor, AuditAction.IncidentDeclare, incident, null, now, ct);
        await NotifyAsync(session, "incident.declared", incident, ct);
    }

    /// <summary>One step on an incident, in a transaction of its own.</summary>
    public async Task<Incident> UpdateAsync(string program, string id, Actor actor, Func<Incident, DateTimeOffset, Incident> step,
        CancellationToken ct, string webhookEvent = "incident.updated")
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var before = await LoadAsync(session, program, id, ct);
        var after = step(before, now);
        await SaveAsync(session, after, now, ct);
        await AuditAsync(session, actor, AuditAction.IncidentUpdate, after, before, now, ct);
        await NotifyAsync(session, after.Status >= IncidentStatus.Resolved && before.Status < IncidentStatus.Resolved ? "incident.resolved" : webhookEvent,
            after, ct);
        await session.CommitAsync(ct);
        return after;
    }

    /// <summary>One step on an incident inside a caller's write (an activation, a verification).</summary>
    public async Task<Incident> UpdateAsync(WriteSession session, string program, string id, Func<Incident, Incident> step, DateTimeOffset now,
        CancellationToken ct)
    {
        var after = step(await LoadAsync(session, program, id, ct));
        await SaveAsync(session, after, now, ct);
        await NotifyAsync(session, "incident.updated", after, ct);
        return after;
    }

    /// <summary>A note on the timeline.</summary>
    public Task<Incident> NoteAsync(string program, string id, string text, Actor actor, CancellationToken ct) =>
        UpdateAsync(program, id, actor, (i, now) => IncidentWorkflow.Note(i, text, actor.Name, now), ct);

    /// <summary>An open action item (ids a1, a2, … in the order they were added), with an optional owner.</summary>
    public Task<Incident> AddActionAsync(string program, string id, string text, string? owner, Actor actor, CancellationToken ct) =>
        UpdateAsync(program, id, actor, (i, now) => IncidentWorkflow.AddAction(i, "a" + (i.Actions.Length + 1), text, owner, actor.Name, now), ct);

    public Task<Incident> ResolveActionAsync(string program, string id, string action, Actor actor, CancellationToken ct) =>
        UpdateAsync(program, id, actor, (i, now) => IncidentWorkflow.ResolveAction(i, action, actor.Name, now), ct);

    public Task<Incident> ResolveAsync(string program, string id, string summary, Actor actor, CancellationToken ct) =>
        UpdateAsync(program, id, actor, (i, now) => IncidentWorkflow.Resolve(i, summary, actor.Name, now), ct);

    public Task<Incident> CloseAsync(string program, string id, Actor actor, CancellationToken ct) =>
        UpdateAsync(program, id, actor, (i, now) => IncidentWorkflow.Close(i, actor.Name, now), ct);

    public Task<Incident?> GetAsync(string id, CancellationToken ct) => docs.GetAsync<Incident>(DocKinds.Incident, id, ct);

    public async Task<Incident> LoadAsync(WriteSession? session, string program, string id, CancellationToken ct)
    {
        var incident = await docs.GetAsync<Incident>(DocKinds.Incident, id, ct, session);
        if (incident is null || !string.Equals(incident.Program, program, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.NotFound, "incident", $"no incident '{id}' in program '{program}'");
        }
        return incident;
    }

    public Task<List<Incident>> ListAsync(string program, IncidentStatus? status, CancellationToken ct) =>
        docs.ListAsync<Incident>(DocKinds.Incident, ct, program, status is { } s ? IncidentWorkflow.Name(s) : null);

    private Task SaveAsync(WriteSession session, Incident incident, DateTimeOffset now, CancellationToken ct) =>
        docs.PutAsync(session, DocKinds.Incident, incident.Id, incident.Program, IncidentWorkflow.Name(incident.Status), incident.Id, incident, now, ct);

    private Task AuditAsync(WriteSession session, Actor actor, AuditAction action, Incident after, Incident? before, DateTimeOffset now,
        CancellationToken ct) =>
        audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, action,
            $"incident:{after.Program}/{after.Id}", before is null ? null : Summary(before), Summary(after)), ct);

    private Task NotifyAsync(WriteSession session, string type, Incident incident, CancellationToken ct) =>
        NotifyAsync(session, type, incident.Program, new
        {
            incident = incident.Id, status = IncidentWorkflow.Name(incident.Status), @class = incident.Class, severity = incident.Severity,
            trigger = incident.Trigger, summary = incident.Summary, last = incident.Timeline[^1],
        }, ct);

    /// <summary>What the audit row keeps of an incident: where it stands and its last entry, not the whole timeline again.</summary>
    private static string Summary(Incident i) => JsonSerializer.Serialize(new
    {
        status = IncidentWorkflow.Name(i.Status), @class = i.Class, severity = i.Severity, trigger = i.Trigger, entries = i.Timeline.Length,
        last = i.Timeline[^1],
    }, CoreJson.Options);
}
