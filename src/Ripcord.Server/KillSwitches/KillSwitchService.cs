using System.Collections.Immutable;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Governance;
using Ripcord.Core.Incidents;
using Ripcord.Core.KillSwitches;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Streaming;

namespace Ripcord.Server.KillSwitches;

/// <summary>What an activation request asks for.</summary>
public sealed record ActivationInput(string Level, string Scope, string IncidentId, string Reason, int VerifyWithinSeconds);

/// <summary>An activation applied (with its revision), or an ops lead's request waiting for approval.</summary>
public sealed record ActivationOutcome(KillSwitchRecord? Activation, ActivationRequest? Request);

/// <summary>
/// The kill-switch workflow at the edge (SPEC §5, §9): activation through the one writer, with the
/// incident's timeline entry, the activation record and its post-action review in the revision's
/// transaction; verification handed to <see cref="VerificationTracker"/> once committed.
/// </summary>
public sealed class KillSwitchService(ProgramWriter writer, ProgramRegistry registry, WorkflowDocs docs, IncidentService incidents,
    ReviewService reviews, ClientRegistry clients, VerificationTracker tracker, Databases databases, IAuditLog audit, TimeProvider clock)
{
    public const int DefaultVerifySeconds = 60;
    public const int MaxVerifySeconds = 3600;

    /// <summary>Roles that may lift a kill switch pulled for a P1 (confidentiality) incident.</summary>
    public static readonly ImmutableArray<Role> P1Deactivators = [Role.SecurityLead, Role.Admin];

    public async Task<ActivationOutcome> ActivateAsync(string program, ActivationInput input, Actor actor, CancellationToken ct)
    {
        var verify = ValidVerifySeconds(input.VerifyWithinSeconds);
        var state = Current(program).State;
        // Validate level and scope before anything is stored, for a request as for an activation.
        ProgramChanges.Apply(state, Command("ks_check", input, actor.Principal), clock.GetUtcNow());
        var incident = await incidents.LoadAsync(null, program, input.IncidentId, ct);
        if (incident.Status == IncidentStatus.Closed)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "incident", $"incident {incident.Id} is closed");
        }
        if (actor.Role == Role.OpsLead)
        {
            return new ActivationOutcome(null, await RequestAsync(program, input with { VerifyWithinSeconds = verify }, actor, ct));
        }
        return new ActivationOutcome(await ApplyAsync(program, input with { VerifyWithinSeconds = verify }, actor, null, ct), null);
    }

    /// <summary>Approves an ops lead's request: the approver activates it (and is the actor its review reviews).</summary>
    public async Task<ActivationOutcome> ApproveAsync(string program, string requestId, Actor approver, CancellationToken ct)
    {
        var request = await docs.GetAsync<ActivationRequest>(DocKinds.Request, requestId, ct);
        if (request is null || !string.Equals(request.Program, program, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.NotFound, "request", $"no activation request '{requestId}' in program '{program}'");
        }
        request.Approve(approver.Principal, "check", clock.GetUtcNow()); // refuses early: decided already, or the requester approving
        var input = new ActivationInput(request.Level, request.Scope, request.IncidentId, request.Reason, request.VerifyWithinSeconds);
        return new ActivationOutcome(await ApplyAsync(program, input, approver, request, ct), null);
    }

    private async Task<ActivationRequest> RequestAsync(string program, ActivationInput input, Actor actor, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var request = new ActivationRequest
        {
            Id = IncidentService.NewId("req_"), Program = program, Level = input.Level, Scope = input.Scope, IncidentId = input.IncidentId,
            Reason = input.Reason.Trim(), VerifyWithinSeconds = input.VerifyWithinSeconds, RequestedBy = actor.Name,
            RequestedByPrincipal = actor.Principal.Id, RequestedAt = now,
        };
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await docs.PutAsync(session, DocKinds.Request, request.Id, program, "pending", request.IncidentId, request, now, ct);
        await incidents.UpdateAsync(session, program, request.IncidentId, i => IncidentWorkflow.Mitigating(i, new TimelineEntry(now,
            TimelineKinds.ActivationRequested, $"{actor.Name} requested {request.Level} at {request.Scope}: {request.Reason} (awaiting approval)",
            actor.Name, request.Id)), now, ct);
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.KillSwitchRequest,
            $"kill-switch-request:{program}/{request.Id}", null, JsonSerializer.Serialize(request, CoreJson.Options)), ct);
        await incidents.NotifyAsync(session, "killswitch.requested", program, request, ct);
        await session.CommitAsync(ct);
        return request;
    }

    private async Task<KillSwitchRecord> ApplyAsync(string program, ActivationInput input, Actor actor, ActivationRequest? request, CancellationToken ct)
    {
        var id = IncidentService.NewId("ks_");
        // The instances connected now are the ones verification waits for.
        var connected = clients.For(program).Where(c => c.Connected).Select(c => c.Instance).ToImmutableArray();
        KillSwitchRecord? record = null;
        await writer.ExecuteAsync(program, Command(id, input, actor.Principal), actor, null, ct, async (session, result, ct) =>
        {
            var now = result.Change.State.KillSwitches.First(k => k.Id == id).ActivatedAt;
            var incident = await incidents.LoadAsync(session, program, input.IncidentId, ct);
            record = new KillSwitchRecord
            {
                Id = id, Program = program, Level = input.Level, Scope = Core.Evaluation.Scope.Parse(input.Scope).ToString(),
                IncidentId = input.IncidentId, IncidentClass = incident.Class, Reason = input.Reason.Trim(), Revision = result.Revision,
                ActivatedAt = now, ActivatedBy = actor.Name, ActivatedByPrincipal = actor.Principal.Id, RequestId = request?.Id,
                VerifyWithinSeconds = input.VerifyWithinSeconds, InstancesAtActivation = connected,
                Operations = Watched(result.Change.State.Definition, input.Level),
            };
            if (request is not null)
            {
                var approved = request.Approve(actor.Principal, id, now);
                await docs.PutAsync(session, DocKinds.Request, approved.Id, program, "approved", approved.IncidentId, approved, now, ct);
            }
            var text = $"{input.Level} applied at {record.Scope} in revision {result.Revision}: {record.Reason}"
                + (request is null ? "" : $" (approved request {request.Id} by {request.RequestedBy})")
                + $"; verifying {connected.Length} connected instances within {input.VerifyWithinSeconds}s";
            await incidents.UpdateAsync(session, program, input.IncidentId,
                i => IncidentWorkflow.Mitigating(i, new TimelineEntry(now, TimelineKinds.Applied, text, actor.Name, id)), now, ct);
            var review = await reviews.OpenAsync(session, program, AuditAction.KillSwitchActivate, $"kill-switch:{program}/{id}",
                $"{input.Level} at {input.Scope}" + (request is null ? "" : $" (requested by {request.RequestedBy})"), input.IncidentId, actor.Principal, now, ct);
            record = record with { ReviewId = review.Id };
            await docs.PutAsync(session, DocKinds.Activation, id, program, "active", input.IncidentId, record, now, ct);
        });
        tracker.Track(record!);
        return record!;
    }

    public async Task<KillSwitchRecord> DeactivateAsync(string program, string level, string id, string reason, Actor actor, CancellationToken ct)
    {
        var record = await GetAsync(program, level, id, ct);
        if (!record.Active)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "id", $"kill switch {id} was already deactivated by {record.DeactivatedBy}");
        }
        if (record.IncidentClass == IncidentClass.P1 && !P1Deactivators.Contains(actor.Role))
        {
            throw new ForbiddenActionException($"{id} was activated for a P1 (confidentiality) incident: only a security lead or an admin may lift it");
        }
        KillSwitchRecord? ended = null;
        await writer.ExecuteAsync(program, new DeactivateKillSwitch(id, reason), actor, null, ct, async (session, result, ct) =>
        {
            var now = SqlDatabase.Storable(clock.GetUtcNow());
            var current = await docs.GetAsync<KillSwitchRecord>(DocKinds.Activation, id, ct, session) ?? record;
            ended = current with
            {
                Active = false, DeactivatedRevision = result.Revision, DeactivatedAt = now, DeactivatedBy = actor.Name, DeactivationReason = reason.Trim(),
            };
            await docs.PutAsync(session, DocKinds.Activation, id, program, "ended", record.IncidentId, ended, now, ct);
            await incidents.UpdateAsync(session, program, record.IncidentId, i => IncidentWorkflow.Record(i, new TimelineEntry(now,
                TimelineKinds.Deactivated, $"{record.Level} at {record.Scope} lifted in revision {result.Revision}: {reason.Trim()}", actor.Name, id)), now, ct);
            await reviews.OpenAsync(session, program, AuditAction.KillSwitchDeactivate, $"kill-switch:{program}/{id}",
                $"lifting {record.Level} at {record.Scope}", record.IncidentId, actor.Principal, now, ct);
        });
        await tracker.StopAsync(id, ct);
        return ended!;
    }

    public async Task<KillSwitchRecord> GetAsync(string program, string level, string id, CancellationToken ct)
    {
        var record = await docs.GetAsync<KillSwitchRecord>(DocKinds.Activation, id, ct);
        if (record is null || !string.Equals(record.Program, program, StringComparison.Ordinal) || !string.Equals(record.Level, level, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.NotFound, "id", $"no {level} activation '{id}' in program '{program}'");
        }
        return WithLive(record);
    }

    public async Task<List<KillSwitchRecord>> ListAsync(string program, bool activeOnly, string? incidentId, CancellationToken ct) =>
        [.. (await docs.ListAsync<KillSwitchRecord>(DocKinds.Activation, ct, program, activeOnly ? "active" : null, incidentId)).Select(WithLive)];

    public Task<List<ActivationRequest>> RequestsAsync(string program, bool pendingOnly, CancellationToken ct) =>
        docs.ListAsync<ActivationRequest>(DocKinds.Request, ct, program, pendingOnly ? "pending" : null);

    private KillSwitchRecord WithLive(KillSwitchRecord r) => tracker.Current(r.Id) is { } live ? r with { Verification = live } : r;

    private Core.Evaluation.CompiledProgram Current(string program) =>
        registry.TryGet(program, out var compiled) ? compiled : throw new UnknownProgramException(program);

    private static ActivateKillSwitch Command(string id, ActivationInput input, Principal by) =>
        new(id, input.Level, input.Scope, input.IncidentId, input.Reason, by);

    private static int ValidVerifySeconds(int seconds) => seconds switch
    {
        0 => DefaultVerifySeconds,
        < 1 or > MaxVerifySeconds => throw new ChangeRejectedException(ChangeError.Invalid, "verifyWithinSeconds",
            $"verifyWithinSeconds is 1 to {MaxVerifySeconds} (default {DefaultVerifySeconds})"),
        _ => seconds,
    };

    /// <summary>The operations a level disables, with the telemetry that would show them still happening.</summary>
    public static ImmutableArray<WatchedOperation> Watched(ProgramDefinition definition, string level) =>
        [.. LevelOperations.DisabledOperations(definition, level)
            .Select(op => new WatchedOperation(op, definition.Operations.TryGetValue(op, out var o) ? o.Telemetry : null))];
}

/// <summary>The role matrix admits the endpoint, but not this use of it (lifting a P1 kill switch): 403, audited.</summary>
public sealed class ForbiddenActionException(string message) : Exception(message);
