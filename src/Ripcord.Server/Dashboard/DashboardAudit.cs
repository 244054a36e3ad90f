using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Revisions;
using static Ripcord.Server.Ui.DashboardViews;

namespace Ripcord.Server.Ui;

/// <summary>
/// The audit page (issue 12): the log newest first, filtered by actor, action and target, with the hash chain's
/// verification; and each program's revisions with the difference between any two, in words.
/// </summary>
public static partial class DashboardEndpoints
{
    /// <summary>Rows per audit page; "Older" pages on.</summary>
    public const int AuditPageSize = 100;

    private const int RevisionPageSize = 50;

    internal static void MapAudit(RouteGroupBuilder ui)
    {
        // The page needs AuditRead, as GET /api/v1/audit does: checked (and a refusal audited) by the handler, like an action's permission.
        ui.MapGet("/ui/audit", AuditPageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapPost("/ui/audit/verify", AuditVerifyAsync).WithMetadata(DashboardEndpoint.Permits(Permission.AuditRead));
        ui.MapGet("/ui/programs/{program}/revisions", RevisionsPageAsync).WithMetadata(DashboardEndpoint.Session);
        Nav(80, "Audit", _ => "/ui/audit");
    }

    private static async Task<IResult> AuditPageAsync(HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery, DenialAudit denials,
        IAuditLog audit, ProgramRegistry registry)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        if (await RefuseAsync(http, actor, antiforgery, denials, Permission.AuditRead, "read the audit log") is { } refused)
        {
            return refused;
        }
        return await AuditLogPageAsync(http, actor, antiforgery, audit, registry, null);
    }

    private static async Task<IResult> AuditVerifyAsync(HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery, DenialAudit denials,
        IAuditLog audit, ProgramRegistry registry) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.AuditRead, "verify the audit chain", async (actor, _) =>
            await AuditLogPageAsync(http, actor, antiforgery, audit, registry, await AuditApi.VerifyAsync(audit, http.RequestAborted)));

    private static async Task<IResult> AuditLogPageAsync(HttpContext http, Actor actor, IAntiforgery antiforgery, IAuditLog audit, ProgramRegistry registry,
        AuditVerification? verified)
    {
        var q = http.Request.Query;
        var filter = new AuditFilter(Trimmed(q["actor"]), Trimmed(q["action"]), Trimmed(q["target"]));
        long? before = long.TryParse(q["before"], NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : null;
        var rows = await audit.SearchAsync(filter, before, AuditPageSize, http.RequestAborted);
        var query = $"actor={Uri.EscapeDataString(filter.Actor ?? "")}&action={Uri.EscapeDataString(filter.Action ?? "")}&target={Uri.EscapeDataString(filter.Target ?? "")}";
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <p><a href="/">← Overview</a> · Revisions: {string.Join(" · ", registry.All.Select(p => $"<a href=\"{ProgramPath(p.Program)}/revisions\">{E(p.Program)}</a>"))}</p>
            <h1>Audit log</h1>
            <section class="verify"><form method="post" action="/ui/audit/verify?{E(query)}">{Csrf(http, antiforgery)}
            <button type="submit">Verify chain</button> <span class="note">recomputes every entry's hash from the first.</span></form>
            {(verified is null ? "" : VerificationHtml(verified))}</section>
            <form method="get" action="/ui/audit" class="filters">
            <label>Actor <input name="actor" value="{E(filter.Actor)}" placeholder="a name, exactly"></label>
            <label>Action <select name="action">{Options(["", .. AuditAction.All.Select(a => a.Name).Order(StringComparer.Ordinal)], filter.Action ?? "")}</select></label>
            <label>Target <input name="target" value="{E(filter.Target)}" placeholder="its beginning: revision:groups/, freeze:groups"></label>
            <button type="submit">Filter</button> <a href="/ui/audit">Clear</a>
            </form>
            """);
        if (rows.Count == 0)
        {
            html.Append("<p class=\"empty\" data-test=\"no-audit\">No audit entry matches.</p>");
        }
        else
        {
            html.Append("<div class=\"scroll\"><table class=\"audit\" data-test=\"audit\"><thead><tr><th>#</th><th>At</th><th>Actor</th><th>Action</th><th>Target</th><th>Outcome</th></tr></thead><tbody>");
            foreach (var e in rows)
            {
                html.Append(CultureInfo.InvariantCulture, $"""
                    <tr data-seq="{e.Seq}"><td>{e.Seq}</td><td>{Time(e.At)}</td><td>{E(e.Actor)} <small>({E(e.Role)})</small></td><td class="action">{E(e.Action)}</td><td class="target">{E(e.Target)}</td><td>{(e.Outcome == "ok" ? "ok" : $"<strong>{E(e.Outcome)}</strong>")}</td></tr>
                    """);
            }
            html.Append("</tbody></table></div>");
            if (rows.Count == AuditPageSize)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"/ui/audit?{E(query)}&amp;before={rows[^1].Seq}\" data-test=\"older\">Older →</a></p>");
            }
        }
        return Page(http, actor, antiforgery, "Ripcord — audit log", html.ToString());
    }

    private static string? Trimmed(Microsoft.Extensions.Primitives.StringValues value) => value.ToString().Trim() is { Length: > 0 } v ? v : null;

    private static string VerificationHtml(AuditVerification v) => v.Ok
        ? $"<p data-test=\"verify-result\"><span class=\"pass\">✓ Intact</span>: {v.Checked} entries checked, every hash links to the one before.</p>"
        : $"<p data-test=\"verify-result\" role=\"alert\"><span class=\"fail\">✗ Broken</span> at entry #{v.FirstBrokenSeq}: {E(v.Problem)} ({v.Checked} entries checked before it).</p>";

    /// <summary>A program's revisions, newest first, and the difference between any two (the service behind GET …/revisions/diff and the CLI).</summary>
    private static async Task<IResult> RevisionsPageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        ProgramRegistry registry, IRevisionStore store, KnownSafeStore knownSafe, RevisionService revisions)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            var head = registry.Current(program).Revision;
            var ct = http.RequestAborted;
            var q = http.Request.Query;
            long? Number(string name) => long.TryParse(q[name], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
            var (from, to, before) = (Number("from"), Number("to"), Number("before"));
            var html = new StringBuilder();
            html.Append(CultureInfo.InvariantCulture, $"""
                <p><a href="/">← Overview</a> · <a href="{StagePath(program)}">Stage</a> · <a href="/ui/audit?target={Uri.EscapeDataString("revision:" + program + "/")}">Audit of its revisions</a></p>
                <h1>Revisions of {E(program)}</h1>
                <section class="diff"><h2>Difference between two revisions</h2>
                <form method="get" action="{ProgramPath(program)}/revisions" class="inline">
                <label>From <input name="from" type="number" min="1" max="{head}" value="{from ?? Math.Max(1, head - 1)}" required></label>
                <label>To <input name="to" type="number" min="1" max="{head}" value="{to ?? head}" required></label>
                <button type="submit">Show difference</button></form>
                """);
            if (q.ContainsKey("from") || q.ContainsKey("to"))
            {
                try
                {
                    var diff = await revisions.DiffAsync(program, from ?? 0, to ?? 0, ct);
                    html.Append(CultureInfo.InvariantCulture, $"<h3>From revision {diff.From} to {diff.To}</h3>");
                    html.Append(diff.Changes.Count == 0
                        ? "<p class=\"empty\" data-test=\"diff\">No difference: the two revisions hold the same configuration.</p>"
                        : "<div class=\"scroll\"><table data-test=\"diff\"><thead><tr><th>What</th><th>Change</th><th>In words</th></tr></thead><tbody>"
                            + string.Concat(diff.Changes.Select(c =>
                                $"<tr data-subject=\"{E(c.Subject)}\"><td>{E(Area(c.Area))} {E(c.Subject)}</td><td>{E(Kind(c.Kind))}</td><td>{(c.Warning ? "<strong>⚠</strong> " : "")}{E(c.Words)}</td></tr>"))
                            + "</tbody></table></div>");
                }
                catch (ChangeRejectedException ex)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\" data-test=\"error\">{E(ex.Message)}</p>");
                }
            }
            html.Append("</section>");

            var rows = await store.ListAsync(program, before, RevisionPageSize, ct);
            var tags = (await knownSafe.KnownSafeAsync(program, ct)).ToDictionary(k => k.Revision);
            html.Append("<section><h2>Revisions, newest first</h2><div class=\"scroll\"><table data-test=\"revisions\"><thead><tr><th>#</th><th>At</th><th>By</th><th>What</th><th>Known-safe</th></tr></thead><tbody>");
            foreach (var r in rows)
            {
                var tag = tags.GetValueOrDefault(r.Revision);
                html.Append(CultureInfo.InvariantCulture, $"""
                    <tr data-revision="{r.Revision}"><td>{r.Revision}</td><td>{Time(r.CreatedAt)}</td><td>{E(r.Actor)}</td><td>{E(r.Summary)}</td><td>{(tag is null ? "" : $"✓ {E(tag.Kind)}: {E(tag.Reason)}")}</td></tr>
                    """);
            }
            html.Append("</tbody></table></div>");
            if (rows.Count == RevisionPageSize)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{ProgramPath(program)}/revisions?before={rows[^1].Revision}\">Older →</a></p>");
            }
            html.Append("</section>");
            return Page(http, actor, antiforgery, $"Ripcord — revisions ({program})", html.ToString());
        });
    }

    private static string Area(DiffArea area) => area switch
    {
        DiffArea.Flag => "flag",
        DiffArea.Cohort => "cohort",
        DiffArea.Stage => "stage",
        DiffArea.Override => "override",
        DiffArea.KillSwitch => "kill switch",
        DiffArea.KillSwitchLevel => "kill-switch level",
        DiffArea.Template => "template",
        DiffArea.Grant => "grant",
        _ => "definition",
    };

    private static string Kind(DiffKind kind) => kind switch { DiffKind.Added => "added", DiffKind.Removed => "removed", _ => "changed" };
}
