using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Announcements;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Incidents;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Incidents;

/// <summary>An announcement as rendered, recorded and delivered.</summary>
public sealed record Announcement(string Incident, string Audience, string Locale, string Text, DateTimeOffset At);

/// <summary>
/// Announces an incident (seed §18): renders the definition's template for the audience and locale
/// (Fluid, <see cref="AnnouncementTemplates"/>), puts it on the timeline and hands it to the webhooks
/// of that audience — in one transaction, with its audit row.
/// </summary>
public sealed class Announcer(Databases databases, IncidentService incidents, WorkflowDocs docs, ProgramRegistry registry, IAuditLog audit,
    TimeProvider clock)
{
    public async Task<Announcement> AnnounceAsync(string program, string id, string audience, string? locale, Actor actor, CancellationToken ct)
    {
        var compiled = registry.Current(program);
        if (!AnnouncementAudiences.All.Contains(audience, StringComparer.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "audience", $"audience is one of: {string.Join(", ", AnnouncementAudiences.All)}");
        }
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var incident = await incidents.LoadAsync(session, program, id, ct);
        var activations = await docs.ListAsync<KillSwitchRecord>(DocKinds.Activation, ct, program, incidentId: id);
        var model = Model(compiled.State.Definition, compiled.Revision, incident, activations.FirstOrDefault(), now);
        var rendered = AnnouncementTemplates.Render(compiled.State.Definition, audience, locale ?? AnnouncementTemplates.FallbackLocale, model);
        if (!rendered.IsSuccess)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "audience", rendered.Error!);
        }
        var announcement = new Announcement(id, audience, rendered.Locale!, rendered.Text!, now);
        await incidents.UpdateAsync(session, program, id, i => IncidentWorkflow.Record(i, new TimelineEntry(now, TimelineKinds.Announced,
            $"announced to {audience} ({announcement.Locale}): {Excerpt(announcement.Text)}", actor.Name)), now, ct);
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.IncidentAnnounce,
            $"incident:{program}/{id}", null, JsonSerializer.Serialize(new { audience, locale = announcement.Locale }, CoreJson.Options)), ct);
        await incidents.NotifyAsync(session, "incident.announced", program, announcement, ct, audience);
        await session.CommitAsync(ct);
        return announcement;
    }

    /// <summary>
    /// The announcement as <see cref="AnnounceAsync"/> would render it now (same model, template and locale fallback),
    /// without recording or delivering it: what the dashboard previews per audience and locale.
    /// </summary>
    public async Task<AnnouncementResult> PreviewAsync(string program, string id, string audience, string? locale, CancellationToken ct)
    {
        var compiled = registry.Current(program);
        var incident = await incidents.LoadAsync(null, program, id, ct);
        var activations = await docs.ListAsync<KillSwitchRecord>(DocKinds.Activation, ct, program, incidentId: id);
        var model = Model(compiled.State.Definition, compiled.Revision, incident, activations.FirstOrDefault(), clock.GetUtcNow());
        return AnnouncementTemplates.Render(compiled.State.Definition, audience, locale ?? AnnouncementTemplates.FallbackLocale, model);
    }

    public static AnnouncementModel Model(Core.Definitions.ProgramDefinition definition, long revision, Incident incident, KillSwitchRecord? activation,
        DateTimeOffset now) => new()
        {
            Program = incident.Program,
            Revision = revision,
            Now = now,
            Incident = new AnnouncementIncident
            {
                Id = incident.Id, Class = incident.Class.ToString(), Severity = Name(incident.Severity),
                Trigger = incident.Trigger, Summary = incident.Summary, Status = IncidentWorkflow.Name(incident.Status), DeclaredAt = incident.DeclaredAt,
                Affected = incident.Affected,
            },
            KillSwitch = activation is null ? null : new AnnouncementKillSwitch
            {
                Level = activation.Level, Scope = activation.Scope, ActivatedAt = activation.ActivatedAt, Reason = activation.Reason,
                Meaning = definition.KillSwitchLevels.FirstOrDefault(l => l.Id == activation.Level)?.Meaning ?? "",
            },
            Verification = activation?.Verification is not { } v ? null : new AnnouncementVerification
            {
                Status = Name(v.Status), Applied = v.Applied, Total = v.Total, TimeToMitigate = incident.TimeToMitigate,
            },
        };

    private static string Name<T>(T value) where T : struct, Enum => JsonSerializer.Serialize(value).Trim('"');

    private static string Excerpt(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
