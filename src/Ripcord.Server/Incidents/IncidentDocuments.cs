using Ripcord.Core.Announcements;
using Ripcord.Core.Incidents;
using Ripcord.Core.Rollback;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Incidents;

/// <summary>
/// An incident's timeline as a markdown document (seed §13): the definition's <c>post-incident</c> template rendered
/// as its summary (<see cref="Announcer.Model"/>), then <see cref="IncidentDocument"/> — rendered from what is stored now.
/// </summary>
public sealed class IncidentDocuments(IncidentService incidents, WorkflowDocs docs, ProgramRegistry registry, TimeProvider clock)
{
    public async Task<string> RenderAsync(string program, string id, CancellationToken ct)
    {
        var compiled = registry.Current(program);
        var incident = await incidents.LoadAsync(null, program, id, ct);
        var now = clock.GetUtcNow();
        var activations = await docs.ListAsync<KillSwitchRecord>(DocKinds.Activation, ct, program, incidentId: id);
        var model = Announcer.Model(compiled.State.Definition, compiled.Revision, incident, activations.FirstOrDefault(), now);
        var summary = AnnouncementTemplates.Render(compiled.State.Definition, AnnouncementAudiences.PostIncident, AnnouncementTemplates.FallbackLocale, model);
        var rollbacks = await docs.ListAsync<RollbackRun>(DocKinds.Rollback, ct, program, incidentId: id);
        rollbacks.Reverse(); // oldest first, as the timeline reads
        return IncidentDocument.Render(incident, summary.Text, rollbacks, now);
    }
}
