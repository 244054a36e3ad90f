using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Evaluation;
using Ripcord.Server.Overrides;
using Ripcord.Server.Programs;
using static Ripcord.Server.Ui.DashboardViews;

namespace Ripcord.Server.Ui;

/// <summary>
/// The flags and overrides page (issue 12): every flag's value per cohort of the current stage, with its default, safe value,
/// prerequisites and the emergency marker; the overrides by scope with reason, author and expiry; forms to set and remove
/// one. Both forms call <see cref="OverrideService"/>, the REST endpoints' own write path, and need the permission those need.
/// </summary>
public static partial class DashboardEndpoints
{
    private static readonly string[] OverrideScopeKinds = ["global", "cohort", "workspace", "user"];

    internal static void MapFlags(RouteGroupBuilder ui)
    {
        ui.MapGet("/ui/programs/{program}/flags", FlagsPageAsync).WithMetadata(DashboardEndpoint.Session);
        // The REST endpoints admit the diagnostic permission and check the full one for scopes other than user (OverrideService).
        ui.MapPost("/ui/programs/{program}/overrides", SetOverrideAsync).WithMetadata(DashboardEndpoint.Permits(Permission.DiagnosticOverridesWrite));
        ui.MapPost("/ui/programs/{program}/overrides/{id}/remove", RemoveOverrideAsync)
            .WithMetadata(DashboardEndpoint.Permits(Permission.DiagnosticOverridesWrite));
        Live("flags", (http, _) => Task.FromResult(FlagsFragment(http.RequestServices.GetRequiredService<ProgramRegistry>(),
            http.RequestServices.GetRequiredService<OverrideService>(), http.Request.Query["program"].ToString(), OverrideQuery.From(http.Request.Query))));
        Nav(20, "Flags", p => ProgramPath(p) + "/flags");
    }

    private static string FlagsPath(string program) => ProgramPath(program) + "/flags";

    private static async Task<IResult> FlagsPageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        ProgramRegistry registry, OverrideService overrides)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, () =>
        {
            var state = registry.Current(program).State;
            var flags = state.Definition.Flags.Select(f => f.Key).ToList();
            var query = OverrideQuery.From(http.Request.Query);
            var live = $"/ui/events?view=flags&program={Uri.EscapeDataString(program)}{query.Suffix}";
            var current = query.Page(overrides.List(program)).Rows.Where(o => !o.Expired).ToList();
            var removable = new StringBuilder(current.Count == 0 ? "<p class=\"empty\">No override to remove on this page.</p>" : "");
            foreach (var o in current)
            {
                removable.Append(CultureInfo.InvariantCulture, $"""
                    <form method="post" action="{ProgramPath(program)}/overrides/{Uri.EscapeDataString(o.Id)}/remove" class="remove-override" data-override="{E(o.Id)}">{Csrf(http, antiforgery)}
                    <label>Reason for removing {E(o.Flag)} {(o.Value ? "on" : "off")} at {E(o.Scope)} <input name="reason" required maxlength="{ProgramChanges.MaxReasonLength}"></label>
                    <button type="submit">Remove {E(o.Flag)} at {E(o.Scope)}</button></form>
                    """);
            }
            var body = $"""
                <p><a href="/">← Overview</a></p>
                <h1>Flags and overrides of {E(program)}</h1>
                <form method="get" action="{FlagsPath(program)}" class="override-filter" role="search">
                <label>Find overrides <input name="q" value="{E(query.Text)}" placeholder="flag, scope, reason or author" maxlength="200"></label>
                <button type="submit">Find</button>{(query.Text.Length == 0 ? "" : $" <a href=\"{FlagsPath(program)}\">all overrides</a>")}</form>
                <div id="flags" data-live="{E(live)}" aria-live="polite">{FlagsFragment(registry, overrides, program, query)}</div>
                <section class="set-override"><h2>Set an override</h2>
                <form method="post" action="{ProgramPath(program)}/overrides" class="override">{Csrf(http, antiforgery)}
                <label>Flag <select name="flag">{Options(flags, flags.FirstOrDefault())}</select></label>
                <label>Value <select name="value"><option value="true">on</option><option value="false">off</option></select></label>
                <label>Scope <select name="scopeKind">{Options(OverrideScopeKinds, "global")}</select></label>
                <label>Scope id <input name="scopeId" placeholder="cohort, workspace or user id (empty for global)" maxlength="{ContextRules.MaxIdLength}"></label>
                <label>Reason <input name="reason" required maxlength="{ProgramChanges.MaxReasonLength}"></label>
                <label>Expires in (hours) <input name="expiresInHours" type="number" min="0.25" step="0.25" placeholder="never (user scope: at most 72)"></label>
                <button type="submit">Set override</button>
                </form>{Permitted(actor, Permission.DiagnosticOverridesWrite, "set an override")}
                {(RoleMatrix.Allows(Permission.DiagnosticOverridesWrite, actor.Role) && !RoleMatrix.Allows(Permission.OverridesWrite, actor.Role)
                    ? $"<p class=\"note\">Your role ({E(actor.Role.Name)}) may set and remove user-scope (diagnostic) overrides only.</p>" : "")}</section>
                <section class="remove"><h2>Remove an override</h2>
                <p class="note">The overrides on this page of the list above (find others with the filter), as of this page's load; the list above is always current.</p>
                {removable}{Permitted(actor, Permission.DiagnosticOverridesWrite, "remove an override")}</section>
                """;
            return Task.FromResult(Page(http, actor, antiforgery, $"Ripcord — flags ({program})", body));
        });
    }

    /// <summary>The live part: the stage's per-cohort values, then the overrides by scope with their expiry countdown.</summary>
    private static string FlagsFragment(ProgramRegistry registry, OverrideService overrides, string program, OverrideQuery query)
    {
        var compiled = registry.Current(program);
        var state = compiled.State;
        var definition = state.Definition;
        var now = overrides.Now;
        var stage = definition.FindStage(state.Stage);
        // The stage's cohorts, as its profile names them; "everyone else" is a context in none of them.
        var cohorts = (stage?.Assignments ?? []).SelectMany(a => a.Cohorts).Distinct(StringComparer.Ordinal).ToList();
        var perCohort = cohorts.Select(c => (Cohort: c, Results: Evaluator.EvaluateAllForCohort(compiled, c, now))).ToList();
        var anyone = Evaluator.EvaluateAll(compiled, EvaluationContext.Empty, now);
        var html = new StringBuilder();
        html.Append(
            $"<p>Stage <strong data-test=\"flags-stage\">{E(state.Stage)}</strong> {E(stage?.Name)}, revision <strong data-test=\"flags-revision\">{compiled.Revision}</strong>. "
            + "Each cohort column is the value a member of that cohort gets from the program-wide layers (kill switches, emergency, cohort and global overrides, the stage); "
            + "workspace and user overrides are listed below, and the <a href=\"" + ProgramPath(program) + "/why\">why explorer</a> answers for one context.</p>");
        html.Append("<div class=\"wide\"><table data-test=\"flags\"><thead><tr><th>Flag</th><th>Default</th><th>Safe</th><th>Prerequisites</th>");
        foreach (var c in cohorts)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th>cohort {E(c)}</th>");
        }
        html.Append("<th>everyone else</th></tr></thead><tbody>");
        for (var i = 0; i < compiled.FlagCount; i++)
        {
            var flag = compiled.FlagAt(i);
            var emergency = string.Equals(flag.Key, definition.EmergencyFlag, StringComparison.Ordinal);
            html.Append(CultureInfo.InvariantCulture,
                $"<tr data-flag=\"{E(flag.Key)}\"><th scope=\"row\">{E(flag.Key)}{(flag.Alias is null ? "" : $" <small>{E(flag.Alias)}</small>")}"
                + $"{(emergency ? " <span class=\"badge emergency\" data-test=\"emergency\">emergency</span>" : "")}</th>"
                + $"<td>{OnOff(flag.Default)}</td><td>{OnOff(flag.Safe)}</td><td>{(flag.Prerequisites.IsEmpty ? "—" : E(string.Join(", ", flag.Prerequisites)))}</td>");
            foreach (var (cohort, results) in perCohort)
            {
                html.Append(results is null ? "<td>—</td>" : Cell(results[i], cohort));
            }
            html.Append(Cell(anyone[i], "everyone")).Append("</tr>");
        }
        html.Append("</tbody></table></div>");

        var (rows, total, matching, first) = query.Page(overrides.List(program));
        html.Append(CultureInfo.InvariantCulture, $"<h2>Overrides</h2><p data-test=\"override-count\">{total} override(s)");
        if (query.Text.Length > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $", {matching} matching “{E(query.Text)}”");
        }
        if (matching > rows.Count)
        {
            html.Append(CultureInfo.InvariantCulture, $"; showing {first + 1}–{first + rows.Count}, by scope, flag and scope id");
        }
        html.Append(".</p>");
        foreach (var kind in OverrideScopeKinds)
        {
            var atKind = rows.Where(o => OverrideQuery.KindOf(o) == kind).ToList();
            html.Append(CultureInfo.InvariantCulture, $"<h3>{E(kind)}{(kind == "user" ? " (diagnostic)" : "")}</h3>");
            if (atKind.Count == 0)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"empty\">No {E(kind)} override{(matching > rows.Count || query.Text.Length > 0 ? " on this page" : "")}.</p>");
                continue;
            }
            html.Append(CultureInfo.InvariantCulture,
                $"<div class=\"wide\"><table data-test=\"overrides-{E(kind)}\"><thead><tr><th>Flag</th><th>Scope</th><th>Value</th><th>Reason</th><th>By</th><th>Set</th><th>Expiry</th><th>Id</th></tr></thead><tbody>");
            foreach (var o in atKind)
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr data-override=\"{E(o.Id)}\"{(o.Expired ? " class=\"expired\"" : "")}><td>{E(o.Flag)}</td><td>{E(o.Scope)}</td><td>{OnOff(o.Value)}</td><td>{E(o.Reason)}</td>"
                    + $"<td>{E(o.CreatedBy)}</td><td>{Time(o.CreatedAt)}</td><td class=\"expiry\">{Expiry(o.ExpiresAt, now)}</td><td><code>{E(o.Id)}</code></td></tr>");
            }
            html.Append("</tbody></table></div>");
        }
        if (matching > rows.Count)
        {
            html.Append("<nav class=\"pager\" aria-label=\"Override pages\">");
            if (first > 0)
            {
                html.Append(CultureInfo.InvariantCulture, $"<a href=\"{FlagsPath(program)}?{query.With(first / OverrideQuery.PageSize - 1)}\" data-test=\"previous\">← previous {OverrideQuery.PageSize}</a> ");
            }
            if (first + rows.Count < matching)
            {
                html.Append(CultureInfo.InvariantCulture, $"<a href=\"{FlagsPath(program)}?{query.With(first / OverrideQuery.PageSize + 1)}\" data-test=\"next\">next {OverrideQuery.PageSize} →</a>");
            }
            html.Append("</nav>");
        }
        return html.ToString();
    }

    private static string OnOff(bool value) => value ? "<span class=\"on\">on</span>" : "<span class=\"off\">off</span>";

    private static string Cell(FlagResult r, string cohort) =>
        $"<td data-cohort=\"{E(cohort)}\">{OnOff(r.Value)} <small class=\"source\">{E(r.Source)}</small></td>";

    /// <summary>"expires in 2 h 14 min", "expires in 40 s", "expired", or "never".</summary>
    public static string Expiry(DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresAt is not { } at)
        {
            return "never";
        }
        var left = at - now;
        if (left <= TimeSpan.Zero)
        {
            return $"<span class=\"error\">expired</span> <small>{Time(at)}</small>";
        }
        var text = left.TotalMinutes < 1 ? $"{Math.Ceiling(left.TotalSeconds):0} s"
            : left.TotalHours < 1 ? $"{(int)left.TotalMinutes} min"
            : left.TotalDays < 1 ? $"{(int)left.TotalHours} h {left.Minutes} min"
            : $"{(int)left.TotalDays} d {left.Hours} h";
        return $"expires in {text} <small>{Time(at)}</small>";
    }

    private static async Task<IResult> SetOverrideAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DenialAudit denials, OverrideService overrides) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.DiagnosticOverridesWrite, "set an override", async (actor, form) =>
        {
            var kind = form["scopeKind"].ToString().Trim();
            var scopeId = form["scopeId"].ToString().Trim();
            var scope = kind is "" or "global" ? "global" : $"{kind}:{scopeId}";
            if (!bool.TryParse(form["value"], out var value))
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "value", "choose on or off");
            }
            DateTimeOffset? expiresAt = null;
            if (form["expiresInHours"].ToString().Trim() is { Length: > 0 } hours)
            {
                if (!double.TryParse(hours, NumberStyles.Float, CultureInfo.InvariantCulture, out var h) || !double.IsFinite(h) || h <= 0 || h > 24 * 365)
                {
                    throw new ChangeRejectedException(ChangeError.Invalid, "expiresInHours", "the expiry is a number of hours greater than 0 (or empty: never)");
                }
                expiresAt = overrides.Now.AddHours(h);
            }
            var written = await overrides.SetAsync(program, new OverrideChange(form["flag"].ToString(), scope, value, form["reason"].ToString(), expiresAt),
                actor, null, http.RequestAborted);
            var notes = new StringBuilder("<ul class=\"notes\" data-test=\"notes\">");
            var o = written.Override;
            notes.Append(written.Unchanged
                ? $"<li>The same override was already set: nothing was written (revision {written.Revision}).</li>"
                : $"<li>Set {E(o.Flag)} {(o.Value ? "on" : "off")} at {E(o.Scope)} as <code>{E(o.Id)}</code>, revision {written.Revision}; {Expiry(o.ExpiresAt, overrides.Now)}.</li>");
            if (written.Replaced is { } replaced)
            {
                notes.Append(CultureInfo.InvariantCulture, $"<li>It replaced <code>{E(replaced)}</code>, the override of the same flag and scope.</li>");
            }
            foreach (var s in written.ShadowedBy)
            {
                notes.Append(CultureInfo.InvariantCulture,
                    $"<li data-test=\"shadowed\">Shadowed at {E(s.Scope)}: <code>{E(s.Id)}</code> keeps {E(s.Flag)} {(s.Value ? "on" : "off")} there (a more specific scope wins).</li>");
            }
            if (!written.Unchanged && overrides.IsEmergencyFlag(program, o.Flag))
            {
                notes.Append("<li data-test=\"review\">This is the emergency flag: a post-action review was opened (see the overview).</li>");
            }
            notes.Append("</ul>");
            return Page(http, actor, antiforgery, "Ripcord — override set",
                $"<h1>Override set</h1>{notes}<p><a href=\"{FlagsPath(program)}\" data-test=\"back\">Back to flags</a></p>");
        });

    private static async Task<IResult> RemoveOverrideAsync(string program, string id, HttpContext http, DashboardSessions sessions,
        IAntiforgery antiforgery, DenialAudit denials, OverrideService overrides) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.DiagnosticOverridesWrite, "remove an override", async (actor, form) =>
        {
            var wasEmergency = overrides.List(program).FirstOrDefault(o => o.Id == id) is { } existing && overrides.IsEmergencyFlag(program, existing.Flag);
            // Always a reason here (an empty one is refused by the command as blank); the API's is optional.
            var removed = await overrides.RemoveAsync(program, id, form["reason"].ToString(), actor, null, http.RequestAborted);
            return Page(http, actor, antiforgery, "Ripcord — override removed",
                $"<h1>Override removed</h1><ul class=\"notes\" data-test=\"notes\"><li>Removed <code>{E(removed.Id)}</code>, revision {removed.Revision}.</li>"
                + (wasEmergency ? "<li data-test=\"review\">This was the emergency flag: a post-action review was opened.</li>" : "")
                + $"</ul><p><a href=\"{FlagsPath(program)}\" data-test=\"back\">Back to flags</a></p>");
        });
}

/// <summary>
/// Which overrides the flags page lists: those matching <see cref="Text"/> (a case-insensitive part of the flag, alias, scope,
/// reason, author or id), ordered by scope kind, flag and scope, <see cref="PageSize"/> at a time. A program may hold tens of
/// thousands of overrides; a page (and its live re-render) stays small whatever their number.
/// </summary>
internal sealed record OverrideQuery(string Text, int PageNumber)
{
    public const int PageSize = 100;

    private static readonly string[] Kinds = ["global", "cohort", "workspace", "user"];

    public static OverrideQuery From(IQueryCollection query)
    {
        var text = query["q"].ToString().Trim();
        var page = int.TryParse(query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? Math.Min(p, 1_000_000) : 0;
        return new OverrideQuery(text.Length > 200 ? text[..200] : text, page);
    }

    /// <summary>The query string of this filter at another page (empty parts left out).</summary>
    public string With(int page) => string.Join("&", new[]
    {
        Text.Length > 0 ? "q=" + Uri.EscapeDataString(Text) : null,
        page > 0 ? "page=" + page.ToString(CultureInfo.InvariantCulture) : null,
    }.Where(p => p is not null));

    /// <summary>What the live stream's URL adds to follow the same page.</summary>
    public string Suffix => With(PageNumber) is { Length: > 0 } q ? "&" + q : "";

    public static string KindOf(OverrideView o) => o.Scope switch
    {
        "global" => "global",
        _ when o.Scope.StartsWith("cohort:", StringComparison.Ordinal) => "cohort",
        _ when o.Scope.StartsWith("workspace:", StringComparison.Ordinal) => "workspace",
        _ => "user",
    };

    public (List<OverrideView> Rows, int Total, int Matching, int First) Page(IReadOnlyList<OverrideView> all)
    {
        var matching = Text.Length == 0 ? all : all.Where(Matches).ToList();
        var first = Math.Min(PageNumber, Math.Max(0, (matching.Count - 1) / PageSize)) * PageSize;
        var rows = matching.OrderBy(o => Array.IndexOf(Kinds, KindOf(o))).ThenBy(o => o.Flag, StringComparer.Ordinal).ThenBy(o => o.Scope, StringComparer.Ordinal)
            .Skip(first).Take(PageSize).ToList();
        return (rows, all.Count, matching.Count, first);
    }

    private bool Matches(OverrideView o) =>
        o.Flag.Contains(Text, StringComparison.OrdinalIgnoreCase) || (o.Alias?.Contains(Text, StringComparison.OrdinalIgnoreCase) ?? false)
        || o.Scope.Contains(Text, StringComparison.OrdinalIgnoreCase) || o.Reason.Contains(Text, StringComparison.OrdinalIgnoreCase)
        || o.CreatedBy.Contains(Text, StringComparison.OrdinalIgnoreCase) || o.Id.Contains(Text, StringComparison.OrdinalIgnoreCase);
}
