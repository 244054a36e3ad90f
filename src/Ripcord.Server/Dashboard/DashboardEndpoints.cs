using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Server.Auth;
using Ripcord.Server.Evaluation;
using Ripcord.Server.Incidents;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;
using Ripcord.Server.Streaming;
using static Ripcord.Server.Ui.DashboardViews;

// The folder is Dashboard/; the namespace is Ui because Ripcord.Core.Telemetry.Aggregation.Dashboard (the telemetry dashboards) is a type.
namespace Ripcord.Server.Ui;

/// <summary>
/// Marks the dashboard's endpoints (pages, their form posts, the live event stream: cookie sessions, not bearer tokens)
/// and what each needs: nothing, a session (any person's role: each reads what every person may), or a permission
/// of the role matrix, checked by the handler before it acts. docs/roles.md lists them; a test holds the two together.
/// </summary>
public sealed record DashboardEndpoint(bool NeedsSession, Permission? Needs)
{
    public static readonly DashboardEndpoint Open = new(false, null);
    public static readonly DashboardEndpoint Session = new(true, null);

    public static DashboardEndpoint Permits(Permission permission) => new(true, permission);
}

/// <summary>
/// The operator's dashboard at <c>/</c> (issue 12, first slice): sign in with a token, the live overview,
/// and the kill-switch panel. Pages are server-rendered HTML; live parts are re-sent over server-sent
/// events. Every action checks the role matrix on the server (and audits a refusal) before it calls the
/// same service the API calls; the service then applies its own rules (an ops lead's request, P1 lifts).
/// </summary>
public static partial class DashboardEndpoints
{
    /// <summary>
    /// The live fragments <c>/ui/events?view=…</c> can follow, by view name: each area's Map method registers its own (a renderer
    /// reads the request's query and services and returns the fragment's HTML). Unknown views follow the overview.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Func<HttpContext, CancellationToken, Task<string>>> LiveViews =
        new(StringComparer.Ordinal);

    /// <summary>The per-program links in the header (order, label, path for a program), registered by each area's Map method.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, (string Label, Func<string, string> Path)> ProgramNav = new();

    private static void Live(string view, Func<HttpContext, CancellationToken, Task<string>> render) => LiveViews[view] = render;

    private static void Nav(int order, string label, Func<string, string> path) => ProgramNav[order] = (label, path);

    /// <summary>A program's segment in a dashboard path.</summary>
    public static string ProgramPath(string program) => "/ui/programs/" + Uri.EscapeDataString(program);

    /// <summary>How often a live page re-renders when no event woke it (incidents and verification decisions, changes on other nodes).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static WebApplication MapDashboard(this WebApplication app)
    {
        // Not API endpoints: no bearer token, not in the OpenAPI document. Sessions are checked by each handler (a page without one
        // answers the sign-in page or a redirect to it, never a 401 problem), and each action checks its permission itself.
        var ui = app.MapGroup("").ExcludeFromDescription().AllowAnonymous();
        ui.MapGet("/", HomeAsync).WithMetadata(DashboardEndpoint.Open);
        ui.MapPost("/session", SignInAsync).WithMetadata(DashboardEndpoint.Open);
        ui.MapPost("/session/end", SignOutAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapGet("/ui/events", EventsAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapGet("/ui/dashboard.js", () => Asset(DashboardAssets.Script, "text/javascript; charset=utf-8")).WithMetadata(DashboardEndpoint.Open);
        ui.MapGet("/ui/dashboard.css", () => Asset(DashboardAssets.Style, "text/css; charset=utf-8")).WithMetadata(DashboardEndpoint.Open);
        ui.MapPost("/ui/programs/{program}/incidents", DeclareAsync).WithMetadata(DashboardEndpoint.Permits(Permission.IncidentsWrite));
        ui.MapGet("/ui/programs/{program}/incidents/{id}", IncidentPageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapGet("/ui/programs/{program}/why", WhyPageAsync).WithMetadata(DashboardEndpoint.Session);
        Nav(10, "Why", p => ProgramPath(p) + "/why");
        MapIncidentPages(ui);
        MapFlags(ui);
        MapCharts(ui);
        ui.MapPost("/ui/programs/{program}/incidents/{id}/activate", ActivateAsync).WithMetadata(DashboardEndpoint.Permits(Permission.KillSwitchActivate));
        ui.MapPost("/ui/programs/{program}/incidents/{id}/deactivate", DeactivateAsync).WithMetadata(DashboardEndpoint.Permits(Permission.KillSwitchDeactivate));
        ui.MapPost("/ui/programs/{program}/incidents/{id}/approve", ApproveAsync).WithMetadata(DashboardEndpoint.Permits(Permission.KillSwitchApprove));
        MapStage(ui);
        MapAudit(ui);
        return app;
    }

    private static IResult Asset(string text, string type) => Results.Text(text, type);

    private static async Task<IResult> HomeAsync(HttpContext http, DashboardSessions sessions, DashboardViews views, ProgramRegistry registry,
        IAntiforgery antiforgery)
    {
        var actor = await sessions.ResolveAsync(http, http.RequestAborted);
        if (actor is null)
        {
            return SignInPage(http, antiforgery, null, StatusCodes.Status200OK);
        }
        var body = new StringBuilder();
        body.Append("<h1>Overview</h1>");
        body.Append(CultureInfo.InvariantCulture,
            $"<div id=\"overview\" data-live=\"/ui/events?view=overview\" aria-live=\"polite\">{await views.OverviewAsync(http.RequestAborted)}</div>");
        var csrf = Csrf(http, antiforgery);
        foreach (var p in registry.All)
        {
            var triggers = p.State.Definition.Triggers.Keys;
            body.Append(CultureInfo.InvariantCulture, $"""
                <section class="declare"><h2>Declare an incident in {E(p.Program)}</h2>
                <form method="post" action="/ui/programs/{Uri.EscapeDataString(p.Program)}/incidents">{csrf}
                <label>Class <select name="class">{Options(["P1", "P2", "P3", "P4", "P5"], "P3")}</select></label>
                <label>Severity <select name="severity">{Options(["critical", "high", "medium", "low"], "high")}</select></label>
                <label>Trigger <select name="trigger">{Options(triggers, triggers.FirstOrDefault())}</select></label>
                <label>Affected scopes <input name="affected" placeholder="workspace:w-1, cohort:pilot (empty: not narrowed)"></label>
                <label>Summary <input name="summary" required maxlength="500"></label>
                <button type="submit">Declare incident</button>
                </form>{Permitted(actor, Permission.IncidentsWrite, "declare an incident")}</section>
                """);
        }
        return Page(http, actor, antiforgery, "Ripcord — overview", body.ToString());
    }

    private static async Task<IResult> SignInAsync(HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery)
    {
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return SignInPage(http, antiforgery, "The form expired: sign in again.", StatusCodes.Status400BadRequest);
        }
        var (result, wait) = await sessions.SignInAsync(http, form["token"].ToString());
        return result switch
        {
            SignInResult.SignedIn => Results.Redirect("/", permanent: false, preserveMethod: false),
            SignInResult.NotAPerson => SignInPage(http, antiforgery,
                "That is an SDK key: it is for code, not people. Sign in with a person's token.", StatusCodes.Status403Forbidden),
            SignInResult.Throttled => SignInPage(http, antiforgery,
                $"Too many tokens that are not valid came from this address: wait {Math.Ceiling(wait!.Value.TotalSeconds):0} s.", StatusCodes.Status429TooManyRequests),
            _ => SignInPage(http, antiforgery,
                "That token is not valid: it is unknown or was revoked. An admin makes tokens with 'ripcord token create'.", StatusCodes.Status401Unauthorized),
        };
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery)
    {
        await sessions.ResolveAsync(http, http.RequestAborted);
        if (await FormAsync(http, antiforgery) is null)
        {
            return Message(http, null, antiforgery, "Form expired", "The form expired: reload the page and try again.", StatusCodes.Status400BadRequest);
        }
        await sessions.SignOutAsync(http);
        return Results.Redirect("/");
    }

    private static async Task<IResult> DeclareAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        IncidentService incidents, DenialAudit denials)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Message(http, actor, antiforgery, "Form expired", "The form expired: reload the page and try again.", StatusCodes.Status400BadRequest);
        }
        if (await RefuseAsync(http, actor, antiforgery, denials, Permission.IncidentsWrite, "declare an incident") is { } refused)
        {
            return refused;
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            if (!Enum.TryParse<IncidentClass>(form["class"], out var @class) || !Enum.TryParse<IncidentSeverity>(form["severity"], true, out var severity))
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "class", "choose a class (P1–P5) and a severity");
            }
            var affected = form["affected"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var incident = await incidents.DeclareAsync(program, new IncidentDeclaration(@class, severity, form["trigger"].ToString(), affected,
                form["summary"].ToString()), actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, incident.Id));
        });
    }

    private static async Task<IResult> IncidentPageAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DashboardViews views, IncidentService incidents, ProgramRegistry registry, KillSwitchService killSwitches)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            var incident = await incidents.LoadAsync(null, program, id, http.RequestAborted);
            var compiled = registry.Current(program);
            var advice = KillSwitchAdvice.For(compiled.State, incident);
            var levels = compiled.State.Definition.KillSwitchLevels.Select(l => l.Id).ToList();
            var live = $"/ui/events?view=incident&program={Uri.EscapeDataString(program)}&incident={Uri.EscapeDataString(id)}";
            var body = $"""
                <p><a href="/">← Overview</a></p>
                <h1>Incident {E(id)} <small>({E(program)})</small></h1>
                <div id="incident" data-live="{E(live)}" aria-live="polite">{await views.IncidentAsync(program, id, http.RequestAborted)}</div>
                <section class="activate"><h2>Activate a kill switch</h2>
                <form method="post" action="{IncidentPath(program, id)}/activate">{Csrf(http, antiforgery)}
                <label>Level <select name="level">{Options(levels, advice.Level ?? levels.FirstOrDefault())}</select></label>
                <label>Scope <input name="scope" value="{E(advice.Scope ?? "global")}" required></label>
                <label>Reason <input name="reason" required maxlength="500" value="{E(incident.Summary)}"></label>
                <label>Verify within (s) <input name="verifyWithinSeconds" type="number" min="1" max="{KillSwitchService.MaxVerifySeconds}" value="{KillSwitchService.DefaultVerifySeconds}"></label>
                <button type="submit" name="step" value="review">Review activation…</button>
                </form>{Permitted(actor, Permission.KillSwitchActivate, "activate a kill switch")}</section>
                {await LiftAndApproveAsync(http, actor, antiforgery, killSwitches, program, id)}
                {await IncidentWorkAsync(http, actor, antiforgery, program, incident)}
                """;
            return Page(http, actor, antiforgery, $"Ripcord — incident {id}", body);
        });
    }

    /// <summary>
    /// Two steps: <c>step=review</c> answers a confirmation naming the level, the scope and how many connected instances
    /// apply it; <c>step=confirm</c> (the confirmation's own button) activates. The role is checked at both.
    /// </summary>
    private static async Task<IResult> ActivateAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DashboardViews views, KillSwitchService killSwitches, IncidentService incidents, ProgramRegistry registry, DenialAudit denials)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Message(http, actor, antiforgery, "Form expired", "The form expired: reload the page and try again.", StatusCodes.Status400BadRequest);
        }
        if (await RefuseAsync(http, actor, antiforgery, denials, Permission.KillSwitchActivate, "activate a kill switch") is { } refused)
        {
            return refused;
        }
        var level = form["level"].ToString().Trim();
        var scope = form["scope"].ToString().Trim();
        var reason = form["reason"].ToString().Trim();
        var verify = int.TryParse(form["verifyWithinSeconds"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 0;
        return await Guard(http, actor, antiforgery, async () =>
        {
            var incident = await incidents.LoadAsync(null, program, id, http.RequestAborted);
            if (form["step"] != "confirm")
            {
                var (connected, _, head) = views.Fleet(program);
                registry.Current(program);
                var meaning = registry.Current(program).State.Definition.KillSwitchLevels.FirstOrDefault(l => l.Id == level)?.Meaning;
                var body = $"""
                    <p><a href="{IncidentPath(program, id)}">← Incident {E(id)}</a></p>
                    <h1>Confirm activation</h1>
                    <div class="confirm" data-test="confirm">
                    <p>Activate <strong>{E(level)}</strong>{(string.IsNullOrEmpty(meaning) ? "" : $" ({E(meaning)})")} at scope <strong>{E(scope)}</strong>
                    for incident {E(incident.Id)} ({E(incident.Class.ToString())}, {E(incident.Summary)}).</p>
                    <p data-test="affected">It affects scope <strong>{E(scope)}</strong>: <strong>{connected}</strong> connected SDK instance(s) of {E(program)} will apply the new revision (after {head}); verification waits for each.</p>
                    {(actor.Role == Core.Governance.Role.OpsLead ? "<p>As an ops lead, this makes a request that a release manager or security lead approves.</p>" : "")}
                    <form method="post" action="{IncidentPath(program, id)}/activate">{Csrf(http, antiforgery)}
                    <input type="hidden" name="level" value="{E(level)}"><input type="hidden" name="scope" value="{E(scope)}">
                    <input type="hidden" name="reason" value="{E(reason)}"><input type="hidden" name="verifyWithinSeconds" value="{verify}">
                    <button type="submit" name="step" value="confirm" class="danger">Activate {E(level)} at {E(scope)} now</button>
                    <a href="{IncidentPath(program, id)}">Cancel</a>
                    </form></div>
                    """;
                return Page(http, actor, antiforgery, "Ripcord — confirm activation", body);
            }
            await killSwitches.ActivateAsync(program, new ActivationInput(level, scope, id, reason, verify), actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });
    }

    /// <summary>The forms to lift the incident's active kill switches and to approve its pending requests (as the page loaded; reload for newer ones).</summary>
    private static async Task<string> LiftAndApproveAsync(HttpContext http, Actor actor, IAntiforgery antiforgery, KillSwitchService killSwitches,
        string program, string id)
    {
        var html = new StringBuilder();
        var path = IncidentPath(program, id);
        var active = await killSwitches.ListAsync(program, true, id, http.RequestAborted);
        if (active.Count > 0)
        {
            html.Append("<section class=\"lift\"><h2>Lift a kill switch</h2>");
            foreach (var a in active)
            {
                html.Append(CultureInfo.InvariantCulture, $"""
                    <form method="post" action="{path}/deactivate">{Csrf(http, antiforgery)}
                    <input type="hidden" name="level" value="{E(a.Level)}"><input type="hidden" name="activation" value="{E(a.Id)}">
                    <label>Reason for lifting {E(a.Level)} at {E(a.Scope)} <input name="reason" required maxlength="500"></label>
                    <button type="submit">Lift {E(a.Level)} at {E(a.Scope)}</button></form>
                    """);
            }
            html.Append(Permitted(actor, Permission.KillSwitchDeactivate, "lift a kill switch")).Append("</section>");
        }
        var pending = (await killSwitches.RequestsAsync(program, true, http.RequestAborted)).Where(r => r.IncidentId == id).ToList();
        if (pending.Count > 0)
        {
            html.Append("<section class=\"approve\"><h2>Requests awaiting approval</h2>");
            foreach (var r in pending)
            {
                html.Append(CultureInfo.InvariantCulture, $"""
                    <form method="post" action="{path}/approve">{Csrf(http, antiforgery)}<input type="hidden" name="request" value="{E(r.Id)}">
                    <p>{E(r.RequestedBy)} asks for {E(r.Level)} at {E(r.Scope)}: {E(r.Reason)}</p>
                    <button type="submit" class="danger">Approve and activate {E(r.Level)} at {E(r.Scope)}</button></form>
                    """);
            }
            html.Append(Permitted(actor, Permission.KillSwitchApprove, "approve an activation request")).Append("</section>");
        }
        return html.ToString();
    }

    private static async Task<IResult> DeactivateAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        KillSwitchService killSwitches, DenialAudit denials) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.KillSwitchDeactivate, "lift a kill switch", async (actor, form) =>
        {
            await killSwitches.DeactivateAsync(program, form["level"].ToString(), form["activation"].ToString(), form["reason"].ToString(), actor,
                http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });

    private static async Task<IResult> ApproveAsync(string program, string id, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        KillSwitchService killSwitches, DenialAudit denials) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.KillSwitchApprove, "approve an activation request", async (actor, form) =>
        {
            await killSwitches.ApproveAsync(program, form["request"].ToString(), actor, http.RequestAborted);
            return Results.Redirect(IncidentPath(program, id));
        });

    /// <summary>An action's steps: a session (else the sign-in page), a valid antiforgery token, the permission (else 403, audited), then the service.</summary>
    private static async Task<IResult> ActionAsync(HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery, DenialAudit denials,
        Permission permission, string what, Func<Actor, IFormCollection, Task<IResult>> action)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        if (await FormAsync(http, antiforgery) is not { } form)
        {
            return Message(http, actor, antiforgery, "Form expired", "The form expired: reload the page and try again.", StatusCodes.Status400BadRequest);
        }
        if (await RefuseAsync(http, actor, antiforgery, denials, permission, what) is { } refused)
        {
            return refused;
        }
        return await Guard(http, actor, antiforgery, () => action(actor, form));
    }

    /// <summary>The "why" explorer: a context in, every flag's value and the layer that decided it out; live, so a change (an override, a kill switch) shows at once.</summary>
    private static async Task<IResult> WhyPageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DashboardViews views, ProgramRegistry registry)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, () =>
        {
            registry.Current(program);
            var q = http.Request.Query;
            var (context, error) = WhyContext(q);
            var asked = q.ContainsKey("workspace") || q.ContainsKey("user") || q.ContainsKey("tier") || q.ContainsKey("attributes");
            var live = $"/ui/events?view=why&program={Uri.EscapeDataString(program)}&workspace={Uri.EscapeDataString(q["workspace"].ToString())}"
                + $"&user={Uri.EscapeDataString(q["user"].ToString())}&tier={Uri.EscapeDataString(q["tier"].ToString())}&attributes={Uri.EscapeDataString(q["attributes"].ToString())}";
            var result = error is not null
                ? $"<p class=\"error\" role=\"alert\" data-test=\"error\">{E(error)}</p>"
                : asked ? $"<div id=\"why\" data-live=\"{E(live)}\" aria-live=\"polite\">{views.Why(program, context!)}</div>"
                : "<p class=\"empty\">Enter a context and press Explain: every flag's value for it, and the layer that decided it.</p>";
            var body = $"""
                <p><a href="/">← Overview</a></p>
                <h1>Why: flags of {E(program)}</h1>
                <form method="get" action="/ui/programs/{Uri.EscapeDataString(program)}/why" class="why">
                <label>Workspace <input name="workspace" value="{E(q["workspace"])}" maxlength="{ContextRules.MaxIdLength}"></label>
                <label>User <input name="user" value="{E(q["user"])}" maxlength="{ContextRules.MaxIdLength}"></label>
                <label>Tier <select name="tier">{Options(["", "0", "1", "2"], q["tier"].ToString())}</select></label>
                <label>Attributes <input name="attributes" value="{E(q["attributes"])}" placeholder="region=eu, seats=40, beta=true"></label>
                <button type="submit">Explain</button>
                </form>
                <p class="note">Layers, in evaluation order, the first that applies decides: kill switch (<code>kill-switch:KSn@scope</code>),
                emergency, override (user &gt; cohort &gt; workspace &gt; global), stage (<code>stage:N[@cohort:…]</code>), default; a prerequisite
                that is off turns its flag off (<code>prerequisite:F1</code>).</p>
                {result}
                """;
            return Task.FromResult(Page(http, actor, antiforgery, $"Ripcord — why ({program})", body));
        });
    }

    /// <summary>The explorer's context from the query: workspace, user, tier (0–2 or empty) and <c>name=value</c> attributes (numbers and true/false typed).</summary>
    private static (EvaluationContext? Context, string? Error) WhyContext(IQueryCollection q)
    {
        var workspace = q["workspace"].ToString().Trim();
        var user = q["user"].ToString().Trim();
        if ((ContextRules.CheckId(workspace, "workspace") ?? ContextRules.CheckId(user, "user")) is { } badId)
        {
            return (null, badId);
        }
        int? tier = null;
        if (q["tier"].ToString() is { Length: > 0 } t)
        {
            if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || ContextRules.CheckTier(parsed) is not null)
            {
                return (null, "tier must be 0, 1 or 2 (or empty when unknown)");
            }
            tier = parsed;
        }
        var attributes = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var pair in q["attributes"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return (null, $"attribute '{pair}' must read name=value");
            }
            var value = pair[(eq + 1)..].Trim();
            attributes[pair[..eq].Trim()] = value switch
            {
                "true" => AttributeValue.Of(true),
                "false" => AttributeValue.Of(false),
                _ when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) => AttributeValue.Of(n),
                _ => AttributeValue.Of(value),
            };
        }
        if (attributes.Count > ContextRules.MaxAttributes)
        {
            return (null, ContextRules.TooManyAttributes);
        }
        return (new EvaluationContext(workspace, user, tier, attributes), null);
    }

    /// <summary>The live stream of a page's fragment: re-rendered when a revision is published or an SDK instance changes, and every <see cref="PollInterval"/>; sent only when it changed.</summary>
    private static async Task EventsAsync(HttpContext http, DashboardSessions sessions, DashboardViews views, ProgramRegistry registry, ClientRegistry clients,
        IHostApplicationLifetime lifetime)
    {
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        response.ContentType = "text/event-stream";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var ct = stop.Token;
        var view = http.Request.Query["view"].ToString();
        var program = http.Request.Query["program"].ToString();
        var incident = http.Request.Query["incident"].ToString();
        // Not disposed: a publisher that captured the handler just before it was removed may still release it (no wait handle is ever made).
        var wake = new SemaphoreSlim(0);
        void Wake() { if (wake.CurrentCount == 0) { wake.Release(); } }
        void OnPublished(PublishedRevision _) => Wake();
        void OnChanged(string _) => Wake();
        void OnApplied(string a, string b, long c) => Wake();
        registry.Published += OnPublished;
        clients.Changed += OnChanged;
        clients.RevisionApplied += OnApplied;
        try
        {
            await response.StartAsync(ct);
            string? last = null;
            var quietSince = DateTime.UtcNow;
            while (!ct.IsCancellationRequested)
            {
                if (await sessions.ResolveAsync(http, ct) is null)
                {
                    await response.WriteAsync("event: signed-out\ndata: \n\n", ct);
                    await response.Body.FlushAsync(ct);
                    return;
                }
                string html;
                try
                {
                    html = view switch
                    {
                        "incident" => await views.IncidentAsync(program, incident, ct),
                        "why" => WhyContext(http.Request.Query) is { Context: { } context } ? views.Why(program, context) : "",
                        _ when LiveViews.TryGetValue(view, out var render) => await render(http, ct),
                        _ => await views.OverviewAsync(ct),
                    };
                }
                catch (Exception ex) when (ex is ChangeRejectedException or UnknownProgramException)
                {
                    html = $"<p class=\"error\">{E(ex.Message)}</p>";
                }
                if (html != last)
                {
                    last = html;
                    var frame = new StringBuilder("event: update\n");
                    foreach (var line in html.Split('\n'))
                    {
                        frame.Append("data: ").Append(line.TrimEnd('\r')).Append('\n');
                    }
                    frame.Append('\n');
                    await response.WriteAsync(frame.ToString(), ct);
                    await response.Body.FlushAsync(ct);
                    quietSince = DateTime.UtcNow;
                }
                else if (DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(15))
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    quietSince = DateTime.UtcNow;
                }
                await wake.WaitAsync(PollInterval, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the page closed, or the server is stopping
        }
        catch (IOException)
        {
            // the connection went away mid-write
        }
        finally
        {
            registry.Published -= OnPublished;
            clients.Changed -= OnChanged;
            clients.RevisionApplied -= OnApplied;
        }
    }

    /// <summary>Refuses (403, audited as denied like the API's refusals) when the actor's role lacks the permission; says why.</summary>
    private static async Task<IResult?> RefuseAsync(HttpContext http, Actor actor, IAntiforgery antiforgery, DenialAudit denials, Permission permission,
        string what)
    {
        if (RoleMatrix.Allows(permission, actor.Role))
        {
            return null;
        }
        await denials.RecordAsync(http, actor, $"{http.Request.Method} {http.Request.Path}");
        return Message(http, actor, antiforgery, "Refused",
            $"Refused: role '{actor.Role.Name}' may not {what}; it needs one of: {string.Join(", ", RoleMatrix.RoleNames(permission))}.",
            StatusCodes.Status403Forbidden);
    }

    /// <summary>Runs an action; a refusal from the service (a rule, a conflict, an unknown program or incident) is shown, with the status the API would answer.</summary>
    private static async Task<IResult> Guard(HttpContext http, Actor actor, IAntiforgery antiforgery, Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (ChangeRejectedException ex)
        {
            var status = ex.Kind switch
            {
                ChangeError.NotFound => StatusCodes.Status404NotFound,
                ChangeError.Conflict => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status422UnprocessableEntity,
            };
            return Message(http, actor, antiforgery, "Not done", ex.Message, status);
        }
        catch (UnknownProgramException ex)
        {
            return Message(http, actor, antiforgery, "Not found", ex.Message, StatusCodes.Status404NotFound);
        }
        catch (ForbiddenActionException ex)
        {
            await http.RequestServices.GetRequiredService<DenialAudit>().RecordAsync(http, actor, $"{http.Request.Method} {http.Request.Path}");
            return Message(http, actor, antiforgery, "Refused", "Refused: " + ex.Message, StatusCodes.Status403Forbidden);
        }
        catch (Revisions.RevisionConflictException ex)
        {
            return Message(http, actor, antiforgery, "Not done", ex.Message + " Try again.", StatusCodes.Status409Conflict);
        }
    }

    private static async Task<IFormCollection?> FormAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (!http.Request.HasFormContentType)
        {
            return null;
        }
        try
        {
            await antiforgery.ValidateRequestAsync(http);
            return await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (AntiforgeryValidationException)
        {
            return null;
        }
    }

    private static string Csrf(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    private static string Options(IEnumerable<string> values, string? selected) =>
        string.Concat(values.Select(v => $"<option{(v == selected ? " selected" : "")}>{E(v)}</option>"));

    private static string Permitted(Actor actor, Permission permission, string what) =>
        RoleMatrix.Allows(permission, actor.Role)
            ? ""
            : $"<p class=\"note\">Your role ({E(actor.Role.Name)}) may not {E(what)}: the server will refuse it.</p>";

    private static IResult SignInPage(HttpContext http, IAntiforgery antiforgery, string? error, int status)
    {
        var body = $"""
            <h1>Sign in</h1>
            {(error is null ? "" : $"<p class=\"error\" role=\"alert\" data-test=\"error\">{E(error)}</p>")}
            <form method="post" action="/session" autocomplete="off">{Csrf(http, antiforgery)}
            <label>Token <input type="password" name="token" required autofocus></label>
            <button type="submit">Sign in</button>
            </form>
            <p class="note">Use the same token as the API and the CLI (<code>ripcord token create</code>). The browser keeps only a session id.</p>
            """;
        return Page(http, null, antiforgery, "Ripcord — sign in", body, status);
    }

    private static IResult Message(HttpContext http, Actor? actor, IAntiforgery antiforgery, string title, string text, int status)
    {
        var back = http.Request.Headers.Referer.ToString();
        var link = Uri.TryCreate(back, UriKind.Absolute, out var uri) && uri.Authority == http.Request.Host.Value ? uri.PathAndQuery : "/";
        return Page(http, actor, antiforgery, "Ripcord — " + title,
            $"<h1>{E(title)}</h1><p class=\"error\" role=\"alert\" data-test=\"error\">{E(text)}</p><p><a href=\"{E(link)}\">Back</a></p>", status);
    }

    /// <summary>The header's links: for each program, each area registered with <see cref="Nav"/>, in order.</summary>
    private static string NavLinks(HttpContext http)
    {
        var programs = http.RequestServices.GetRequiredService<ProgramRegistry>().All.Select(p => p.Program).ToList();
        var html = new StringBuilder("<nav aria-label=\"Programs\">");
        foreach (var program in programs)
        {
            html.Append(CultureInfo.InvariantCulture, $"<span class=\"nav-program\">{E(program)}:</span>");
            foreach (var (_, (label, path)) in ProgramNav.OrderBy(n => n.Key))
            {
                html.Append(CultureInfo.InvariantCulture, $" <a href=\"{E(path(program))}\">{E(label)}</a>");
            }
        }
        return html.Append("</nav>").ToString();
    }

    private static IResult Page(HttpContext http, Actor? actor, IAntiforgery antiforgery, string title, string body, int status = StatusCodes.Status200OK)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        var who = actor is null ? "" : $"""
            <div class="who"><span data-test="who">{E(actor.Name)} · {E(actor.Role.Name)}</span>
            <form method="post" action="/session/end">{Csrf(http, antiforgery)}<button type="submit">Sign out</button></form></div>
            """;
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)}</title><link rel="stylesheet" href="/ui/dashboard.css"><script src="/ui/dashboard.js" defer></script></head>
            <body><header><a class="brand" href="/">Ripcord</a>{(actor is null ? "" : NavLinks(http))}{who}</header><main>
            {body}
            </main></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }
}
