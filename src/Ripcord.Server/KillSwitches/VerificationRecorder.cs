using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Incidents;
using Ripcord.Server.Audit;
using Ripcord.Server.Incidents;
using Ripcord.Server.Storage;

namespace Ripcord.Server.KillSwitches;

/// <summary>Stores a verification's decision: on the activation, on the incident's timeline, in the audit log (as the server), in one transaction.</summary>
public sealed class VerificationRecorder(Databases databases, WorkflowDocs docs, IncidentService incidents, IAuditLog audit, Metrics.ServerMetrics metrics)
{
    public async Task RecordAsync(KillSwitchRecord record, VerificationResult result, CancellationToken ct)
    {
        var at = SqlDatabase.Storable(result.DecidedAt ?? record.Deadline);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var current = await docs.GetAsync<KillSwitchRecord>(DocKinds.Activation, record.Id, ct, session) ?? record;
        var updated = current with { Verification = result };
        await docs.PutAsync(session, DocKinds.Activation, updated.Id, updated.Program, updated.Active ? "active" : "ended", updated.IncidentId, updated, at, ct);
        var verified = result.Status == VerificationStatus.Verified;
        var text = $"{record.Level} at {record.Scope} " + (verified ? "verified" : "verification failed") + ": " + string.Join("; ", result.Describe());
        var entry = new TimelineEntry(at, verified ? TimelineKinds.Verified : TimelineKinds.VerificationFailed, text, "ripcord", record.Id);
        await incidents.UpdateAsync(session, record.Program, record.IncidentId,
            i => verified ? IncidentWorkflow.Verified(i, entry) : IncidentWorkflow.Record(i, entry), at, ct);
        await audit.AppendAsync(session, new AuditDraft(at, "system", "ripcord", "system", AuditAction.KillSwitchVerify,
            $"kill-switch:{record.Program}/{record.Id}", null,
            JsonSerializer.Serialize(new { status = result.Status, result.Applied, result.Total, stragglers = result.Stragglers.Length,
                unreachable = result.Unreachable.Length, violations = result.Violations.Length }, CoreJson.Options),
            verified ? "ok" : "failed"), ct);
        await incidents.NotifyAsync(session, verified ? "killswitch.verified" : "killswitch.verification-failed", record.Program,
            new { activation = record.Id, record.Level, record.Scope, incident = record.IncidentId, verification = result }, ct);
        await session.CommitAsync(ct);
        metrics.Verified(verified);
    }
}
