using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Incidents;
using Ripcord.Core.Rollback;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Rollback;

/// <summary>
/// Reads rollbacks' stage locks (workflow documents of kind <c>stage-lock</c>) for what they hold: the stage
/// gate refuses an advance and guarded ramps hold while one is active. Put in place by <see cref="RollbackService"/>;
/// lifted by a forward fix's resume, or by a release manager alone (break-glass).
/// </summary>
public sealed class StageLocks(WorkflowDocs docs, IncidentService incidents, IAuditLog audit)
{
    public const string Active = "active";
    public const string Lifted = "lifted";

    public async Task<StageLock?> ActiveAsync(string program, CancellationToken ct, WriteSession? session = null) =>
        session is null
            ? (await docs.ListAsync<StageLock>(DocKinds.StageLock, ct, program, Active, limit: 1)).FirstOrDefault()
            : await ActiveInAsync(session, program, ct);

    /// <summary>Lifts <paramref name="held"/> inside a caller's write, with its incident timeline entry and audit row.</summary>
    public async Task<StageLock> LiftAsync(WriteSession session, StageLock held, string reason, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        var lifted = held.Lift(reason, actor.Name, now);
        await docs.PutAsync(session, DocKinds.StageLock, lifted.Id, lifted.Program, Lifted, lifted.IncidentId, lifted, now, ct);
        await incidents.UpdateAsync(session, lifted.Program, lifted.IncidentId, i => IncidentWorkflow.Record(i, new TimelineEntry(now, TimelineKinds.StageLockLifted,
            $"stage lock {lifted.Id} lifted: {lifted.LiftReason}", actor.Name, lifted.Id)), now, ct);
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.StageLockLift,
            $"stage-lock:{lifted.Program}/{lifted.Id}", JsonSerializer.Serialize(held, CoreJson.Options), JsonSerializer.Serialize(lifted, CoreJson.Options)), ct);
        return lifted;
    }

    private async Task<StageLock?> ActiveInAsync(WriteSession session, string program, CancellationToken ct)
    {
        var id = (await docs.ListAsync<StageLock>(DocKinds.StageLock, ct, program, Active, limit: 1)).FirstOrDefault()?.Id;
        return id is null ? null : await docs.GetAsync<StageLock>(DocKinds.StageLock, id, ct, session) is { IsActive: true } held ? held : null;
    }
}
