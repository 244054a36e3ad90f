using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Ripcord.Core.Alerts;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Server.Alerts;
using Ripcord.Server.Incidents;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;
using Ripcord.Server.Revisions;
using Ripcord.Server.Streaming;

namespace Ripcord.Server.Ui;

/// <summary>
/// The dashboard's HTML, rendered on the server from the same services the API calls. Every value is
/// HTML-encoded (<see cref="E"/>); no token is ever rendered. The live parts are fragments the
/// server-sent event stream re-sends whenever they change.
/// </summary>
public sealed class DashboardViews(ProgramRegistry registry, ClientRegistry clients, KillSwitchService killSwitches, IncidentService incidents,
    FreezeService freezes, AlertService alerts, ReviewService reviews, KnownSafeStore knownSafe, Rollback.StageLocks stageLocks, TimeProvider clock)
{
    public static string E(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "—";

    public static bool IsOpen(IncidentStatus status) => status is not (IncidentStatus.Resolved or IncidentStatus.Closed);

    /// <summary>Connected SDK instances of the program, and how many of them applied the head revision.</summary>
    public (int Connected, int AtHead, long Head) Fleet(string program)
    {
        var head = registry.Current(program).Revision;
        var connected = clients.For(program).Where(c => c.Connected).ToList();
        return (connected.Count, connected.Count(c => c.AppliedRevision == head), head);
    }

    /// <summary>The overview of every program: stage, freezes, active kill switches, open incidents, the fleet, the head revision.</summary>
    public async Task<string> OverviewAsync(CancellationToken ct)
    {
        var html = new StringBuilder();
        var programs = registry.All.ToList();
        if (programs.Count == 0)
        {
            html.Append("<p class=\"empty\">No program is installed yet: apply a definition with <code>ripcord apply</code>.</p>");
        }
        foreach (var p in programs)
        {
            var program = p.Program;
            var stage = p.State.Definition.FindStage(p.State.Stage);
            var (connected, atHead, head) = Fleet(program);
            var active = await killSwitches.ListAsync(program, true, null, ct);
            var requests = await killSwitches.RequestsAsync(program, true, ct);
            var open = (await incidents.ListAsync(program, null, ct)).Where(i => IsOpen(i.Status)).ToList();
            var frozen = await freezes.ListAsync(program, false, ct);
            var firing = (await alerts.ListAsync(program, 100, ct)).Where(a => a.Status == AlertPhase.Firing).ToList();
            var openReviews = await reviews.ListAsync(true, program, null, ct);
            var safe = await knownSafe.LatestAsync(program, ct);
            var locked = await stageLocks.ActiveAsync(program, ct);
            var now = clock.GetUtcNow();
            html.Append(CultureInfo.InvariantCulture,
                $"<section class=\"program\" data-program=\"{E(program)}\"><h2>{E(program)}</h2><p><a href=\"/ui/programs/{Uri.EscapeDataString(program)}/why\">Why explorer: each flag's value for a context, and why</a></p>");
            html.Append("<dl class=\"facts\">");
            html.Append(CultureInfo.InvariantCulture, $"<div><dt>Stage</dt><dd data-test=\"stage\">{E(p.State.Stage)} {E(stage?.Name)}</dd></div>");
            html.Append(CultureInfo.InvariantCulture, $"<div><dt>Head revision</dt><dd data-test=\"head\">{head}</dd></div>");
            html.Append(CultureInfo.InvariantCulture,
                $"<div><dt>Fleet</dt><dd data-test=\"fleet\">{connected} connected, {atHead} at revision {head}</dd></div>");
            html.Append(CultureInfo.InvariantCulture,
                $"<div><dt>Stage lock</dt><dd data-test=\"stage-lock\">{(locked is null ? "none" : $"<a href=\"{IncidentPath(program, locked.IncidentId)}\">held by a rollback for {E(locked.IncidentId)}</a> since {Time(locked.LockedAt)}: stage advances refused")}</dd></div>");
            html.Append(CultureInfo.InvariantCulture,
                $"<div><dt>Freezes</dt><dd data-test=\"freezes\">{(frozen.Count == 0 ? "none" : string.Join("; ", frozen.Select(f => $"{E(f.Scope)}: {E(f.Reason)}" + (f.Until is { } u ? $" (until {Time(u)})" : ""))))}</dd></div>");
            html.Append(CultureInfo.InvariantCulture,
                $"<div><dt>Last known-safe revision</dt><dd data-test=\"known-safe\">{(safe is null ? "none tagged" : $"{safe.Revision} (stage {E(safe.Stage)}, {E(safe.Kind)})")}</dd></div>");
            html.Append("</dl>");

            html.Append(CultureInfo.InvariantCulture, $"<h3>Firing alerts <small><a href=\"{DashboardEndpoints.ProgramPath(program)}/alerts\">all alerts, acknowledge</a></small></h3>");
            if (firing.Count == 0)
            {
                html.Append("<p class=\"empty\" data-test=\"no-alerts\">No alert is firing.</p>");
            }
            else
            {
                html.Append("<table data-test=\"alerts\"><thead><tr><th>Rule</th><th>Severity</th><th>Value</th><th>Threshold</th><th>Fired</th><th>Acknowledged</th></tr></thead><tbody>");
                foreach (var a in firing)
                {
                    html.Append(CultureInfo.InvariantCulture,
                        $"<tr><td>{E(a.Rule)}</td><td>{E(Lower(a.Severity.ToString()))}</td><td>{a.LastValue:0.###}</td><td>{a.Threshold:0.###}</td><td>{Time(a.FiredAt)}</td><td>{(a.AcknowledgedBy is null ? "no" : $"by {E(a.AcknowledgedBy)}")}</td></tr>");
                }
                html.Append("</tbody></table>");
            }

            html.Append("<h3>Active kill switches</h3>");
            if (active.Count == 0)
            {
                html.Append("<p class=\"empty\" data-test=\"no-kill-switches\">None active.</p>");
            }
            else
            {
                html.Append("<table data-test=\"kill-switches\"><thead><tr><th>Level</th><th>Scope</th><th>Incident</th><th>Revision</th><th>Verification</th><th>By</th></tr></thead><tbody>");
                foreach (var a in active)
                {
                    html.Append(CultureInfo.InvariantCulture,
                        $"<tr><td>{E(a.Level)}</td><td>{E(a.Scope)}</td><td><a href=\"{IncidentPath(program, a.IncidentId)}\">{E(a.IncidentId)}</a></td><td>{a.Revision}</td><td>{Verification(a.Verification)}</td><td>{E(a.ActivatedBy)}</td></tr>");
                }
                html.Append("</tbody></table>");
            }
            if (requests.Count > 0)
            {
                html.Append("<h3>Activation requests awaiting approval</h3><ul data-test=\"requests\">");
                foreach (var r in requests)
                {
                    html.Append(CultureInfo.InvariantCulture,
                        $"<li>{E(r.Level)} at {E(r.Scope)} for <a href=\"{IncidentPath(program, r.IncidentId)}\">{E(r.IncidentId)}</a>, requested by {E(r.RequestedBy)} at {Time(r.RequestedAt)}</li>");
                }
                html.Append("</ul>");
            }

            html.Append("<h3>Open incidents</h3>");
            if (open.Count == 0)
            {
                html.Append("<p class=\"empty\" data-test=\"no-incidents\">No open incident.</p>");
            }
            else
            {
                html.Append("<table data-test=\"incidents\"><thead><tr><th>Incident</th><th>Class</th><th>Severity</th><th>Status</th><th>Trigger</th><th>Summary</th><th>Declared</th><th>Response clock</th></tr></thead><tbody>");
                foreach (var i in open)
                {
                    var clockNow = ResponseClock.For(i, now);
                    html.Append(CultureInfo.InvariantCulture,
                        $"<tr><td><a href=\"{IncidentPath(program, i.Id)}\">{E(i.Id)}</a></td><td>{E(i.Class.ToString())}</td><td>{E(Lower(i.Severity.ToString()))}</td><td>{E(IncidentWorkflow.Name(i.Status))}</td><td>{E(i.Trigger)}</td><td>{E(i.Summary)}</td><td>{Time(i.DeclaredAt)}</td><td>{ClockText(clockNow)}</td></tr>");
                }
                html.Append("</tbody></table>");
            }
            if (openReviews.Count > 0)
            {
                html.Append(CultureInfo.InvariantCulture, $"<h3>Open post-action reviews ({openReviews.Count}) <small><a href=\"{DashboardEndpoints.ProgramPath(program)}/reviews\">complete them</a></small></h3><ul data-test=\"reviews\">");
                foreach (var r in openReviews.Take(20))
                {
                    html.Append(CultureInfo.InvariantCulture, $"<li>{E(r.Action)} {E(r.Target)} by {E(r.Actor)} at {Time(r.OpenedAt)}: {E(r.Summary)}</li>");
                }
                html.Append("</ul>");
            }
            html.Append("</section>");
        }
        return html.ToString();
    }

    private static string ClockText(ResponseClock c) => c.Status switch
    {
        ResponseClockStatus.Met => $"met ({c.Elapsed.TotalMinutes:0.#} min of {c.Target.TotalMinutes:0} min)",
        ResponseClockStatus.Missed => $"<span class=\"error\">missed</span> (target {c.Target.TotalMinutes:0} min)",
        ResponseClockStatus.AtRisk => $"<span class=\"v-pending\">at risk</span>: respond by {Time(c.Deadline)}",
        _ => $"running: respond by {Time(c.Deadline)}",
    };

    /// <summary>The live part of an incident's kill-switch panel: the incident, the recommender's advice, its activations and their verification.</summary>
    public async Task<string> IncidentAsync(string program, string id, CancellationToken ct)
    {
        var incident = await incidents.LoadAsync(null, program, id, ct);
        var advice = KillSwitchAdvice.For(registry.Current(program).State, incident);
        var activations = await killSwitches.ListAsync(program, false, id, ct);
        var requests = (await killSwitches.RequestsAsync(program, false, ct)).Where(r => r.IncidentId == id).ToList();
        var (connected, atHead, head) = Fleet(program);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture,
            $"<dl class=\"facts\"><div><dt>Status</dt><dd data-test=\"incident-status\">{E(IncidentWorkflow.Name(incident.Status))}</dd></div>"
            + $"<div><dt>Class</dt><dd>{E(incident.Class.ToString())} · {E(Lower(incident.Severity.ToString()))}</dd></div>"
            + $"<div><dt>Trigger</dt><dd>{E(incident.Trigger)}</dd></div>"
            + $"<div><dt>Affected</dt><dd>{(incident.Affected.Length == 0 ? "not narrowed" : E(string.Join(", ", incident.Affected)))}</dd></div>"
            + $"<div><dt>Declared</dt><dd>{Time(incident.DeclaredAt)}</dd></div>"
            + $"<div><dt>Fleet</dt><dd data-test=\"fleet\">{connected} connected, {atHead} at revision {head}</dd></div></dl>");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"summary\">{E(incident.Summary)}</p>");
        html.Append(Milestones(incident));
        html.Append("<h3>Recommendation</h3>");
        html.Append(advice.Level is null
            ? "<p data-test=\"recommendation\">No level recommended: decide with the reasoning below.</p>"
            : $"<p data-test=\"recommendation\">Recommended: <strong>{E(advice.Level)}</strong> at scope <strong>{E(advice.Scope ?? "global")}</strong></p>");
        html.Append("<ul class=\"reasoning\">");
        foreach (var line in advice.Reasoning)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li>{E(line)}</li>");
        }
        html.Append("</ul>");
        html.Append("<h3>Activations and verification</h3>");
        if (activations.Count == 0 && requests.Count == 0)
        {
            html.Append("<p class=\"empty\" data-test=\"no-activations\">Nothing activated for this incident yet.</p>");
        }
        foreach (var a in activations)
        {
            var v = a.Verification;
            html.Append(CultureInfo.InvariantCulture,
                $"<div class=\"activation\" data-test=\"activation\"><p><strong>{E(a.Level)}</strong> at <strong>{E(a.Scope)}</strong>, revision {a.Revision}, by {E(a.ActivatedBy)} at {Time(a.ActivatedAt)}{(a.Active ? "" : $" — lifted by {E(a.DeactivatedBy)} at {Time(a.DeactivatedAt)}")}</p>");
            html.Append(CultureInfo.InvariantCulture, $"<p data-test=\"verification\">{Verification(v)}</p>");
            if (v is not null)
            {
                html.Append("<ul>");
                foreach (var line in v.Describe())
                {
                    html.Append(CultureInfo.InvariantCulture, $"<li>{E(line)}</li>");
                }
                if (v.Status == VerificationStatus.Verified && incident.DeclaredAt is var declared && v.DecidedAt is { } decided)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<li>time to mitigate: {(decided - declared).TotalSeconds:0.0} s</li>");
                }
                html.Append("</ul>");
            }
            html.Append("</div>");
        }
        foreach (var r in requests)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p data-test=\"request\">Request {E(r.Id)}: {E(r.Level)} at {E(r.Scope)} by {E(r.RequestedBy)} — {E(r.Status.ToString().ToLowerInvariant())}</p>");
        }
        html.Append("<h3>Timeline</h3><ol class=\"timeline\" data-test=\"timeline\">");
        foreach (var t in incident.Timeline.Reverse())
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<li data-kind=\"{E(t.Kind)}\"><time>{Time(t.At)}</time> <span class=\"kind\">{E(t.Kind)}</span> {E(t.Text)} <span class=\"by\">— {E(t.By)}</span></li>");
        }
        html.Append("</ol>");
        return html.ToString();
    }

    /// <summary>
    /// The incident's course as a visual timeline: declared → applied → verified → announced → resolved → closed, each
    /// reached step with its time (the first time it happened) and the minutes since declaring; the steps not reached yet greyed.
    /// </summary>
    public static string Milestones(Incident incident)
    {
        DateTimeOffset? First(string kind) => incident.Timeline.FirstOrDefault(t => t.Kind == kind)?.At;
        (string Name, DateTimeOffset? At)[] steps =
        [
            ("declared", incident.DeclaredAt),
            ("applied", First(TimelineKinds.Applied)),
            ("verified", incident.MitigatedAt ?? First(TimelineKinds.Verified)),
            ("announced", First(TimelineKinds.Announced)),
            ("resolved", incident.ResolvedAt),
            ("closed", incident.ClosedAt),
        ];
        var html = new StringBuilder("<ol class=\"milestones\" data-test=\"milestones\" aria-label=\"The incident's course\">");
        foreach (var (name, at) in steps)
        {
            var since = at is { } a ? $" <small>+{Elapsed(a - incident.DeclaredAt)}</small>" : "";
            html.Append(CultureInfo.InvariantCulture,
                $"<li class=\"{(at is null ? "todo" : "done")}\" data-step=\"{name}\"><span class=\"mark\">{(at is null ? "○" : "●")}</span> {name}<br><time>{(at is { } t ? Time(t) : "not yet")}</time>{since}</li>");
        }
        return html.Append("</ol>").ToString();
    }

    private static string Elapsed(TimeSpan d) => d.TotalSeconds < 120
        ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : d.TotalMinutes < 120 ? d.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + " min" : d.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " h";

    /// <summary>Every incident of the program, newest first, with its status, response clock and open action items.</summary>
    public async Task<string> IncidentListAsync(string program, CancellationToken ct)
    {
        registry.Current(program);
        var list = await incidents.ListAsync(program, null, ct);
        if (list.Count == 0)
        {
            return "<p class=\"empty\" data-test=\"no-incidents\">No incident has been declared in this program.</p>";
        }
        var now = clock.GetUtcNow();
        var html = new StringBuilder("<table data-test=\"incident-list\"><thead><tr><th>Incident</th><th>Class</th><th>Status</th><th>Summary</th><th>Declared</th><th>Response clock</th><th>Time to mitigate</th><th>Open items</th></tr></thead><tbody>");
        foreach (var i in list.OrderByDescending(i => i.DeclaredAt))
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr data-incident=\"{E(i.Id)}\"><td><a href=\"{IncidentPath(program, i.Id)}\">{E(i.Id)}</a></td><td>{E(i.Class.ToString())} · {E(Lower(i.Severity.ToString()))}</td><td>{E(IncidentWorkflow.Name(i.Status))}</td>"
                + $"<td>{E(i.Summary)}</td><td>{Time(i.DeclaredAt)}</td><td>{(IsOpen(i.Status) ? ClockText(ResponseClock.For(i, now)) : "—")}</td>"
                + $"<td>{(i.TimeToMitigate is { } m ? Elapsed(m) : "—")}</td><td>{i.Actions.Count(a => a.Open)}</td></tr>");
        }
        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>
    /// The "why" explorer's result: every flag's value for the context, with the layer that decided it, its scope and the
    /// source tag (the same evaluation as POST …/evaluate and the SDK, at the head revision).
    /// </summary>
    public string Why(string program, EvaluationContext context)
    {
        var compiled = registry.Current(program);
        var results = Evaluator.EvaluateAll(compiled, context, clock.GetUtcNow());
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture,
            $"<p>Revision <strong data-test=\"why-revision\">{compiled.Revision}</strong>, stage {E(compiled.State.Stage)}; workspace {E(context.WorkspaceId ?? "—")}, user {E(context.UserId ?? "—")}, tier {(context.Tier is { } t ? t.ToString(CultureInfo.InvariantCulture) : "unknown")}.</p>");
        html.Append("<table data-test=\"why\"><thead><tr><th>Flag</th><th>Value</th><th>Decided by</th><th>Scope</th><th>Trace</th></tr></thead><tbody>");
        for (var i = 0; i < results.Length; i++)
        {
            var flag = compiled.FlagAt(i);
            var r = results[i];
            html.Append(CultureInfo.InvariantCulture,
                $"<tr data-flag=\"{E(flag.Key)}\"><td>{E(flag.Key)}{(flag.Alias is null ? "" : $" <small>{E(flag.Alias)}</small>")}</td><td class=\"value\">{(r.Value ? "on" : "off")}</td>"
                + $"<td class=\"reason\">{E(r.ReasonName)}</td><td class=\"scope\">{E(r.Scope)}</td><td class=\"source\">{E(r.Source)}{(r.Conflict ? " (conflicting values at this layer: the safe value was taken)" : "")}</td></tr>");
        }
        html.Append("</tbody></table>");
        return html.ToString();
    }

    public static string IncidentPath(string program, string id) =>
        $"/ui/programs/{Uri.EscapeDataString(program)}/incidents/{Uri.EscapeDataString(id)}";

    private static string Lower(string s) => s.ToLowerInvariant();

    private static string Verification(VerificationResult? v) => v is null
        ? "waiting for verification to start"
        : $"<span class=\"v-{E(Lower(v.Status.ToString()))}\">{E(Lower(v.Status.ToString()))}</span>: {v.Applied} of {v.Total} instances at revision {v.Revision}"
          + (v.Violations.IsEmpty ? "" : $", {v.Violations.Length} violation(s)")
          + (v.Stragglers.IsEmpty ? "" : $", stragglers: {E(string.Join(", ", v.Stragglers.Take(5)))}");
}
