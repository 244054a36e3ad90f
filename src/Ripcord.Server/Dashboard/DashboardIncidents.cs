using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Ripcord.Core.Alerts;
using Ripcord.Core.Announcements;
using Ripcord.Core.Incidents;
using Ripcord.Server.Alerts;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using static Ripcord.Server.Ui.DashboardViews;

namespace Ripcord.Server.Ui;

/// <summary>
/// The incident pages (issue 12): every incident of a program, an incident's work beyond the kill-switch panel (notes,
/// action items, announcements previewed per audience and locale, its reviews, resolve and close), the post-incident
/// document, firing alerts to acknowledge and post-action reviews to complete. Each action calls the service the
/// REST endpoint for it calls, after the same role-matrix permission.
/// </summary>
public static partial class DashboardEndpoints
{
    internal static void MapIncidentPages(RouteGroupBuilder ui)
    {
        ui.MapGet("/ui/programs/{program}/incidents", IncidentListPageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapGet("/ui/programs/{program}/incidents/{id}/document", DocumentPageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapPost("/ui/programs/{program}/incidents/{id}/notes", NoteAsync).WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapPost("/ui/programs/{program}/incidents/{id}/actions", AddActionItemAsync).WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapPost("/ui/programs/{program}/incidents/{id}/actions/resolve", ResolveActionItemAsync)
            .WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapPost("/ui/programs/{program}/incidents/{id}/announce", AnnounceAsync).WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapPost("/ui/programs/{program}/incidents/{id}/resolve", ResolveIncidentAsync).WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapPost("/ui/programs/{program}/incidents/{id}/close", CloseIncidentAsync).WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapGet("/ui/programs/{program}/alerts", AlertsPageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapPost("/ui/programs/{program}/alerts/{alert}/ack", AcknowledgeAlertAsync).WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapGet("/ui/programs/{program}/reviews", ReviewsPageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapPost("/ui/programs/{program}/reviews/{review}/complete", CompleteReviewAsync)
            .WithMetadata(DashboardEndpoint.Permits(Permission.ReviewsComplete));
        Nav(30, "Incidents", p => ProgramPath(p) + "/incidents");
        Nav(32, "Alerts", p => ProgramPath(p) + "/alerts");
        Nav(50, "Reviews", p => ProgramPath(p) + "/reviews");
        Live("incidents", (http, ct) => http.RequestServices.GetRequiredService<DashboardViews>()
            .IncidentListAsync(http.Request.Query["program"].ToString(), ct));
    }

    private static async Task<IResult> IncidentListPageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DashboardViews views)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            var live = $"/ui/events?view=incidents&program={Uri.EscapeDataString(program)}";
            var body = $"""
                <h1>Incidents <small>({E(program)})</small></h1>
                <p class="note">Declare one from the <a href="/">overview</a>. Newest first; each links to its kill-switch panel, timeline and document.</p>
                <div id="incidents" data-live="{E(live)}" aria-live="polite">{await views.IncidentListAsync(program, http.RequestAborted)}</div>
                """;
            return Page(http, actor, antiforgery, $"Ripcord — incidents of {program}", body);
        });
    }

    /// <summary>
    /// The incident page's work below the kill-switch panel: resolve and close, notes, action items, announcements
    /// (each audience's template rendered now in the chosen locale, then sent with one button), and the incident's reviews.
    /// As of the page's load; the live part above (status, timeline, verification) is always current.
    /// </summary>
    private static async Task<string> IncidentWorkAsync(HttpContext http, Actor actor, IAntiforgery antiforgery, string program, Incident incident)
    {
        var ct = http.RequestAborted;
        var path = IncidentPath(program, incident.Id);
        var csrf = Csrf(http, antiforgery);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture,
            $"<p><a href=\"{path}/document\" data-test=\"document-link\">The post-incident document</a> (the same markdown as <code>ripcord incident document {E(incident.Id)}</code>)</p>");

        var open = IsOpen(incident.Status);
        html.Append("<section class=\"work\"><h2>Notes and action items</h2>");
        var actions = incident.Actions;
        if (actions.IsEmpty)
        {
            html.Append("<p class=\"empty\">No action items yet.</p>");
        }
        else
        {
            html.Append("<table data-test=\"action-items\"><thead><tr><th>Item</th><th>What</th><th>Owner</th><th>State</th><th></th></tr></thead><tbody>");
            foreach (var a in actions)
            {
                var resolve = a.Open && incident.Status != IncidentStatus.Closed
                    ? $"<form method=\"post\" action=\"{path}/actions/resolve\">{csrf}<input type=\"hidden\" name=\"action\" value=\"{E(a.Id)}\"><button type=\"submit\">Resolve {E(a.Id)}</button></form>"
                    : "";
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr data-action=\"{E(a.Id)}\"><td>{E(a.Id)}</td><td>{E(a.Text)}</td><td>{E(a.Owner ?? "—")}</td><td>{(a.Open ? "open" : $"resolved by {E(a.ResolvedBy)} at {Time(a.ResolvedAt)}")}</td><td>{resolve}</td></tr>");
            }
            html.Append("</tbody></table>");
        }
        if (incident.Status != IncidentStatus.Closed)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <form method="post" action="{path}/actions" class="inline">{csrf}
                <label>Action item <input name="text" required maxlength="2000"></label>
                <label>Owner (optional) <input name="owner" maxlength="200"></label>
                <button type="submit">Add action item</button></form>
                <form method="post" action="{path}/notes" class="inline">{csrf}
                <label>Note <input name="text" required maxlength="2000"></label>
                <button type="submit">Add note</button></form>
                """);
        }
        html.Append(Permitted(actor, Permission.IncidentsWrite, "change an incident")).Append("</section>");

        html.Append(await AnnouncementsAsync(http, csrf, program, incident, ct));
        html.Append(await IncidentReviewsAsync(http, actor, csrf, program, incident.Id, ct));

        if (open)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <section class="work"><h2>Resolve</h2>
                <form method="post" action="{path}/resolve">{csrf}
                <label>Summary <input name="summary" required maxlength="2000" placeholder="what was wrong, what fixed it"></label>
                <button type="submit">Resolve incident</button></form></section>
                """);
        }
        else if (incident.Status == IncidentStatus.Resolved)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <section class="work"><h2>Close</h2><p class="note">Closing is the last step: every action item must be resolved first.</p>
                <form method="post" action="{path}/close">{csrf}<button type="submit">Close incident</button></form></section>
                """);
        }
        return html.ToString();
    }

    /// <summary>Each audience's template rendered now for the chosen locale (the definition's locales; English when a template has none in it).</summary>
    private static async Task<string> AnnouncementsAsync(HttpContext http, string csrf, string program, Incident incident, CancellationToken ct)
    {
        var announcer = http.RequestServices.GetRequiredService<Announcer>();
        var definition = http.RequestServices.GetRequiredService<ProgramRegistry>().Current(program).State.Definition;
        var locales = definition.Templates.Values.SelectMany(l => l.Keys).Append(AnnouncementTemplates.FallbackLocale)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var wanted = http.Request.Query["locale"].ToString();
        var locale = locales.Contains(wanted, StringComparer.Ordinal) ? wanted : AnnouncementTemplates.FallbackLocale;
        var path = IncidentPath(program, incident.Id);
        var html = new StringBuilder("<section class=\"work announcements\"><h2>Announcements</h2>");
        html.Append(CultureInfo.InvariantCulture, $"""
            <form method="get" action="{path}" class="inline"><label>Locale <select name="locale">{Options(locales, locale)}</select></label>
            <button type="submit">Show</button></form>
            """);
        var sent = incident.Timeline.Where(t => t.Kind == TimelineKinds.Announced).ToList();
        foreach (var audience in AnnouncementAudiences.All)
        {
            var rendered = await announcer.PreviewAsync(program, incident.Id, audience, locale, ct);
            var last = sent.LastOrDefault(t => t.Text.StartsWith($"announced to {audience} ", StringComparison.Ordinal));
            html.Append(CultureInfo.InvariantCulture, $"<article class=\"announcement\" data-audience=\"{E(audience)}\"><h3>{E(audience)}</h3>");
            if (!rendered.IsSuccess)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"empty\">{E(rendered.Error)}</p></article>");
                continue;
            }
            html.Append(CultureInfo.InvariantCulture, $"""
                <p class="note">Rendered now in {E(rendered.Locale)}{(rendered.Locale == locale ? "" : $" (no {E(locale)} template)")}; {(last is null ? "not sent yet" : $"last sent {Time(last.At)} by {E(last.By)}")}.</p>
                <pre data-test="announcement">{E(rendered.Text)}</pre>
                """);
            if (incident.Status != IncidentStatus.Closed)
            {
                html.Append(CultureInfo.InvariantCulture, $"""
                    <form method="post" action="{path}/announce">{csrf}<input type="hidden" name="audience" value="{E(audience)}">
                    <input type="hidden" name="locale" value="{E(rendered.Locale)}"><button type="submit">Send to {E(audience)} ({E(rendered.Locale)})</button></form>
                    """);
            }
            html.Append("</article>");
        }
        return html.Append("</section>").ToString();
    }

    private static async Task<string> IncidentReviewsAsync(HttpContext http, Actor actor, string csrf, string program, string? incidentId, CancellationToken ct)
    {
        var reviews = await http.RequestServices.GetRequiredService<ReviewService>().ListAsync(incidentId is null ? true : null, program, incidentId, ct);
        var html = new StringBuilder("<section class=\"work\"><h2>Post-action reviews</h2>");
        if (reviews.Count == 0)
        {
            html.Append(incidentId is null
                ? "<p class=\"empty\" data-test=\"no-reviews\">No review is open: every emergency action so far has been reviewed.</p>"
                : "<p class=\"empty\" data-test=\"no-reviews\">No emergency action of this incident needs a review.</p>");
        }
        foreach (var r in reviews)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<article class=\"review\" data-review=\"{E(r.Id)}\"><p><strong>{E(r.Action)}</strong> {E(r.Target)} by {E(r.Actor)} at {Time(r.OpenedAt)}: {E(r.Summary)}");
            if (r.IncidentId is not null && incidentId is null)
            {
                html.Append(CultureInfo.InvariantCulture, $" — incident <a href=\"{IncidentPath(program, r.IncidentId)}\">{E(r.IncidentId)}</a>");
            }
            html.Append("</p>");
            if (!r.Open)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p data-test=\"review-done\">Completed by {E(r.CompletedBy)} at {Time(r.CompletedAt)}: {E(r.Findings)}</p>");
            }
            else if (r.ActorPrincipal == actor.Principal.Id)
            {
                html.Append("<p class=\"note\">You took this action: someone else reviews it.</p>");
            }
            else
            {
                html.Append(CultureInfo.InvariantCulture, $"""
                    <form method="post" action="{ProgramPath(program)}/reviews/{Uri.EscapeDataString(r.Id)}/complete">{csrf}
                    <input type="hidden" name="back" value="{E(incidentId is null ? "" : IncidentPath(program, incidentId))}">
                    <label>Findings <input name="findings" required maxlength="2000"></label>
                    <button type="submit">Complete review</button></form>
                    """);
            }
            html.Append("</article>");
        }
        return html.Append(Permitted(actor, Permission.ReviewsComplete, "complete a post-action review")).Append("</section>").ToString();
    }

    private static async Task<IResult> DocumentPageAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        IncidentDocuments documents)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            var markdown = await documents.RenderAsync(program, id, http.RequestAborted);
            var body = $"""
                <p><a href="{IncidentPath(program, id)}">← Incident {E(id)}</a></p>
                <h1>Post-incident document</h1>
                <p class="note">Markdown, as <code>ripcord incident document {E(id)}</code> prints it: copy it into the post-incident review.</p>
                <pre class="document" data-test="document">{E(markdown)}</pre>
                """;
            return Page(http, actor, antiforgery, $"Ripcord — incident {id} document", body);
        });
    }

    private static async Task<IResult> AlertsPageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        AlertService alerts, ProgramRegistry registry)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            registry.Current(program);
            var list = await alerts.ListAsync(program, 100, http.RequestAborted);
            var csrf = Csrf(http, antiforgery);
            var html = new StringBuilder($"<h1>Alerts <small>({E(program)})</small></h1>");
            html.Append("<p class=\"note\">The rules are data in the program's definition (docs/telemetry.md, \"Alerts\"). Firing first, then the latest 100.</p>");
            if (list.Count == 0)
            {
                html.Append("<p class=\"empty\" data-test=\"no-alerts\">No alert has fired.</p>");
            }
            else
            {
                html.Append("<table data-test=\"alert-list\"><thead><tr><th>Rule</th><th>Severity</th><th>Status</th><th>Value / threshold</th><th>Fired</th><th>Incident</th><th>Acknowledged</th></tr></thead><tbody>");
                foreach (var a in list.OrderBy(a => a.Status == AlertPhase.Firing ? 0 : 1).ThenByDescending(a => a.FiredAt))
                {
                    var ack = a.AcknowledgedBy is not null
                        ? $"by {E(a.AcknowledgedBy)} at {Time(a.AcknowledgedAt)}: {E(a.AcknowledgeReason)}"
                        : a.Status != AlertPhase.Firing
                            ? "no"
                            : $"<form method=\"post\" action=\"{ProgramPath(program)}/alerts/{Uri.EscapeDataString(a.Id)}/ack\">{csrf}<label>Reason <input name=\"reason\" required maxlength=\"500\"></label><button type=\"submit\">Acknowledge</button></form>";
                    html.Append(CultureInfo.InvariantCulture,
                        $"<tr data-alert=\"{E(a.Id)}\"><td>{E(a.Rule)}</td><td>{E(a.Severity.ToString().ToLowerInvariant())}</td><td>{E(a.Status.ToString().ToLowerInvariant())}</td>"
                        + $"<td>{a.LastValue:0.###} / {a.Threshold:0.###}</td><td>{Time(a.FiredAt)}</td>"
                        + $"<td>{(a.IncidentId is null ? "—" : $"<a href=\"{IncidentPath(program, a.IncidentId)}\">{E(a.IncidentId)}</a>")}</td><td>{ack}</td></tr>");
                }
                html.Append("</tbody></table>");
            }
            html.Append(Permitted(actor, Permission.IncidentsWrite, "acknowledge an alert"));
            return Page(http, actor, antiforgery, $"Ripcord — alerts of {program}", html.ToString());
        });
    }

    private static async Task<IResult> ReviewsPageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        ProgramRegistry registry)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            registry.Current(program);
            var body = $"""
                <h1>Open post-action reviews <small>({E(program)})</small></h1>
                <p class="note">Every emergency action (a kill switch, an emergency override, a break-glass move, a grant) opens one; someone other than the actor completes it with findings.</p>
                {await IncidentReviewsAsync(http, actor, Csrf(http, antiforgery), program, null, http.RequestAborted)}
                """;
            return Page(http, actor, antiforgery, $"Ripcord — reviews of {program}", body);
        });
    }

    private static Task<IResult> NoteAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        IncidentService incidents, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.IncidentsWrite, "change an incident", async (actor, form) =>
        {
            await incidents.NoteAsync(program, id, form["text"].ToString(), actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });

    private static Task<IResult> AddActionItemAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        IncidentService incidents, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.IncidentsWrite, "change an incident", async (actor, form) =>
        {
            var owner = form["owner"].ToString().Trim();
            await incidents.AddActionAsync(program, id, form["text"].ToString(), owner.Length == 0 ? null : owner, actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });

    private static Task<IResult> ResolveActionItemAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        IncidentService incidents, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.IncidentsWrite, "change an incident", async (actor, form) =>
        {
            await incidents.ResolveActionAsync(program, id, form["action"].ToString(), actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });

    private static Task<IResult> AnnounceAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        Announcer announcer, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.IncidentsWrite, "announce an incident", async (actor, form) =>
        {
            var locale = form["locale"].ToString();
            await announcer.AnnounceAsync(program, id, form["audience"].ToString(), locale.Length == 0 ? null : locale, actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id) + (locale.Length == 0 ? "" : "?locale=" + Uri.EscapeDataString(locale)));
        });

    private static Task<IResult> ResolveIncidentAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        IncidentService incidents, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.IncidentsWrite, "resolve an incident", async (actor, form) =>
        {
            await incidents.ResolveAsync(program, id, form["summary"].ToString(), actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });

    private static Task<IResult> CloseIncidentAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        IncidentService incidents, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.IncidentsWrite, "close an incident", async (actor, _) =>
        {
            await incidents.CloseAsync(program, id, actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });

    private static Task<IResult> AcknowledgeAlertAsync(string program, string alert, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        AlertService alerts, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.IncidentsWrite, "acknowledge an alert", async (actor, form) =>
        {
            await alerts.AcknowledgeAsync(program, alert, form["reason"].ToString(), actor, http.RequestAborted);
            return Results.Redirect(ProgramPath(program) + "/alerts");
        });

    private static Task<IResult> CompleteReviewAsync(string program, string review, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        ReviewService reviews, DenialAudit denials) =>
        ActionAsync(http, sessions, antiforgery, denials, Permission.ReviewsComplete, "complete a post-action review", async (actor, form) =>
        {
            await reviews.CompleteAsync(review, form["findings"].ToString(), actor, http.RequestAborted);
            var back = form["back"].ToString();
            // Only a dashboard path of this program: never an open redirect.
            return Results.Redirect(back.StartsWith(ProgramPath(program) + "/incidents/", StringComparison.Ordinal) && !back.Contains("//", StringComparison.Ordinal)
                ? back
                : ProgramPath(program) + "/reviews");
        });
}
