using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Incidents;

/// <summary>
/// Deployment freezes: started (an emergency action: it opens a post-action review, and goes on its
/// incident's timeline), lifted, and asked about by deploy pipelines — each write in one transaction
/// with its audit row and webhook deliveries.
/// </summary>
public sealed class FreezeService(Databases databases, WorkflowDocs docs, IncidentService incidents, ReviewService reviews, ProgramRegistry registry,
    IAuditLog audit, TimeProvider clock)
{
    public async Task<Freeze> StartAsync(string program, string scope, string reason, string? incidentId, TimeSpan? duration, Actor actor,
        CancellationToken ct)
    {
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var freeze = await StartAsync(session, program, scope, reason, incidentId, duration, actor, ct);
        await session.CommitAsync(ct);
        return freeze;
    }

    /// <summary>Starts a freeze inside a caller's write (a rollback run's freeze step), with its audit row, review and webhook.</summary>
    public async Task<Freeze> StartAsync(WriteSession session, string program, string scope, string reason, string? incidentId, TimeSpan? duration,
        Actor actor, CancellationToken ct)
    {
        var state = registry.Current(program).State;
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var freeze = Freeze.Start(IncidentService.NewId("frz_"), state, scope, reason, incidentId, duration, actor.Name, actor.Principal.Id, now);
        await docs.PutAsync(session, DocKinds.Freeze, freeze.Id, program, "active", incidentId, freeze, now, ct);
        if (incidentId is not null)
        {
            await incidents.UpdateAsync(session, program, incidentId, i => IncidentWorkflow.Mitigating(i, new TimelineEntry(now, TimelineKinds.Freeze,
                $"deploy freeze {freeze.Id} at {freeze.Scope}" + (freeze.Until is { } u ? $" until {u:u}" : "") + $": {freeze.Reason}", actor.Name, freeze.Id)),
                now, ct);
        }
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.FreezeStart,
            $"freeze:{program}/{freeze.Id}", null, JsonSerializer.Serialize(freeze, CoreJson.Options)), ct);
        await reviews.OpenAsync(session, program, AuditAction.FreezeStart, $"freeze:{program}/{freeze.Id}", $"deploy freeze at {freeze.Scope}",
            incidentId, actor.Principal, now, ct);
        await incidents.NotifyAsync(session, "freeze.started", program, freeze, ct);
        return freeze;
    }

    public async Task<Freeze> LiftAsync(string program, string id, string reason, Actor actor, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var freeze = await docs.GetAsync<Freeze>(DocKinds.Freeze, id, ct, session);
        if (freeze is null || !string.Equals(freeze.Program, program, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no freeze '{id}' in program '{program}'");
        }
        var lifted = await LiftAsync(session, freeze, reason, actor, now, ct);
        await session.CommitAsync(ct);
        return lifted;
    }

    /// <summary>Lifts <paramref name="freeze"/> inside a caller's write (a forward fix's resume), with its audit row, timeline entry and webhook.</summary>
    public async Task<Freeze> LiftAsync(WriteSession session, Freeze freeze, string reason, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        var lifted = freeze.Lift(reason, actor.Name, now);
        await docs.PutAsync(session, DocKinds.Freeze, freeze.Id, freeze.Program, "lifted", lifted.IncidentId, lifted, now, ct);
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.FreezeLift,
            $"freeze:{freeze.Program}/{freeze.Id}", JsonSerializer.Serialize(freeze, CoreJson.Options), JsonSerializer.Serialize(lifted, CoreJson.Options)), ct);
        if (lifted.IncidentId is { } incidentId)
        {
            await incidents.UpdateAsync(session, freeze.Program, incidentId, i => IncidentWorkflow.Record(i, new TimelineEntry(now, TimelineKinds.FreezeLifted,
                $"deploy freeze {freeze.Id} lifted: {lifted.LiftReason}", actor.Name, freeze.Id)), now, ct);
        }
        await incidents.NotifyAsync(session, "freeze.lifted", freeze.Program, lifted, ct);
        return lifted;
    }

    /// <summary>Freezes of the program, newest first: active ones only unless <paramref name="all"/>.</summary>
    public async Task<List<Freeze>> ListAsync(string program, bool all, CancellationToken ct)
    {
        registry.Current(program);
        var now = clock.GetUtcNow();
        var list = await docs.ListAsync<Freeze>(DocKinds.Freeze, ct, program, all ? null : "active");
        return all ? list : [.. list.Where(f => f.IsActive(now))];
    }

    public async Task<DeployDecision> DecideAsync(string program, string? scope, CancellationToken ct)
    {
        var compiled = registry.Current(program);
        Scope? deploy = null;
        if (scope is not null)
        {
            deploy = Scope.TryParse(scope, out var parsed, out var error) && parsed.Kind != ScopeKind.User
                ? parsed
                : throw new ChangeRejectedException(ChangeError.Invalid, "scope", error ?? "a deploy scope is global, workspace:ID or cohort:ID");
        }
        return Freezes.Decide(await docs.ListAsync<Freeze>(DocKinds.Freeze, ct, program, "active"), compiled, deploy, clock.GetUtcNow());
    }
}
