using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Incidents;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Incidents;

public sealed record DeclareIncidentBody(IncidentClass Class, IncidentSeverity Severity, string Trigger, string Summary,
    IReadOnlyList<string>? Affected = null, string? Operation = null);

public sealed record NoteBody(string Text);

public sealed record ActionItemBody(string Text, string? Owner = null);

public sealed record ResolveIncidentBody(string Summary);

public sealed record AnnounceBody(string Audience, string? Locale = null);

public sealed record IncidentCreated(string Id, string Program, string Status);

/// <summary>An incident with what hangs off it: its response clock, activations, requests and reviews.</summary>
public sealed record IncidentView(Incident Incident, ResponseClock ResponseClock, double? TimeToMitigateMs,
    IReadOnlyList<KillSwitchRecord> Activations, IReadOnlyList<ActivationRequest> Requests, IReadOnlyList<PostActionReview> Reviews);

public sealed record IncidentSummary(string Id, string Program, IncidentClass Class, IncidentSeverity Severity, string Trigger, string Summary,
    IncidentStatus Status, DateTimeOffset DeclaredAt, ResponseClock ResponseClock, int OpenActions);

public sealed record Recommendation(string? Level, string? Scope, IReadOnlyList<string> Reasoning);

/// <summary>Incidents (SPEC §5): declare, follow, annotate, resolve and close; the recommender's advice for one.</summary>
public static class IncidentsApi
{
    public static RouteGroupBuilder MapIncidents(this RouteGroupBuilder api)
    {
        var incidents = api.MapGroup("/programs/{program}/incidents").WithTags("Incidents");
        var read = RoleMatrix.PolicyName(Permission.IncidentsRead);
        var write = RoleMatrix.PolicyName(Permission.IncidentsWrite);

        incidents.MapPost("", DeclareAsync)
            .Write("DeclareIncident", "Declare an incident: class, severity, trigger, affected scopes, summary")
            .RequireAuthorization(write);
        incidents.MapGet("", ListAsync)
            .Read("ListIncidents", "The program's incidents, newest first, with their response clocks")
            .RequireAuthorization(read);
        incidents.MapGet("/{id}", GetAsync)
            .Read("GetIncident", "An incident with its timeline, action items, activations, requests and reviews")
            .RequireAuthorization(read);
        incidents.MapGet("/{id}/document", async (string program, string id, IncidentDocuments documents, CancellationToken ct) =>
                TypedResults.Text(await documents.RenderAsync(program, id, ct), "text/markdown; charset=utf-8"))
            .Read("GetIncidentDocument", "The incident's timeline as a markdown document: the post-incident template, each action with who and when, time-to-mitigate, verification, open action items")
            .Produces<string>(StatusCodes.Status200OK, "text/markdown")
            .RequireAuthorization(read);
        incidents.MapGet("/{id}/recommendation", RecommendAsync)
            .Read("RecommendKillSwitch", "The minimal effective kill-switch level and smallest covering scope for the incident, with the reasoning")
            .RequireAuthorization(read);
        incidents.MapPost("/{id}/notes", (string program, string id, NoteBody body, HttpContext http, IncidentService service) =>
                Ok(service.NoteAsync(program, id, body.Text, http.Actor(), http.RequestAborted)))
            .Write("AddIncidentNote", "Add a note to the incident's timeline")
            .RequireAuthorization(write);
        incidents.MapPost("/{id}/actions", (string program, string id, ActionItemBody body, HttpContext http, IncidentService service) =>
                Ok(service.AddActionAsync(program, id, body.Text, body.Owner, http.Actor(), http.RequestAborted)))
            .Write("AddIncidentAction", "Add an action item (open, with an optional owner)")
            .RequireAuthorization(write);
        incidents.MapPost("/{id}/actions/{action}/resolve", (string program, string id, string action, HttpContext http, IncidentService service) =>
                Ok(service.ResolveActionAsync(program, id, action, http.Actor(), http.RequestAborted)))
            .Write("ResolveIncidentAction", "Resolve an action item")
            .RequireAuthorization(write);
        incidents.MapPost("/{id}/resolve", (string program, string id, ResolveIncidentBody body, HttpContext http, IncidentService service) =>
                Ok(service.ResolveAsync(program, id, body.Summary, http.Actor(), http.RequestAborted)))
            .Write("ResolveIncident", "Mark the incident resolved, with a summary")
            .RequireAuthorization(write);
        incidents.MapPost("/{id}/close", (string program, string id, HttpContext http, IncidentService service) =>
                Ok(service.CloseAsync(program, id, http.Actor(), http.RequestAborted)))
            .Write("CloseIncident", "Close a resolved incident whose action items are all resolved")
            .RequireAuthorization(write);
        incidents.MapPost("/{id}/announcements", async (string program, string id, AnnounceBody body, HttpContext http, Announcer announcer) =>
                TypedResults.Ok(await announcer.AnnounceAsync(program, id, body.Audience ?? "", body.Locale, http.Actor(), http.RequestAborted)))
            .Write("AnnounceIncident", "Render the definition's template for an audience (internal, operator, user, post-incident) and locale, record it, deliver it to that audience's webhooks")
            .RequireAuthorization(write);
        return api;
    }

    private static async Task<Results<Created<IncidentCreated>, ProblemHttpResult>> DeclareAsync(string program, DeclareIncidentBody body,
        HttpContext http, IncidentService service)
    {
        var incident = await service.DeclareAsync(program, new IncidentDeclaration(body.Class, body.Severity, body.Trigger ?? "",
            body.Affected ?? [], body.Summary ?? "", body.Operation), http.Actor(), http.RequestAborted);
        return TypedResults.Created($"/api/v1/programs/{program}/incidents/{incident.Id}",
            new IncidentCreated(incident.Id, program, IncidentWorkflow.Name(incident.Status)));
    }

    private static async Task<Ok<List<IncidentSummary>>> ListAsync(string program, IncidentStatus? status, ProgramRegistry registry,
        IncidentService service, TimeProvider clock, CancellationToken ct)
    {
        registry.Current(program);
        var now = clock.GetUtcNow();
        var list = await service.ListAsync(program, status, ct);
        return TypedResults.Ok(list.Select(i => new IncidentSummary(i.Id, i.Program, i.Class, i.Severity, i.Trigger, i.Summary, i.Status,
            i.DeclaredAt, ResponseClock.For(i, now), i.Actions.Count(a => a.Open))).ToList());
    }

    private static async Task<Ok<IncidentView>> GetAsync(string program, string id, IncidentService service, KillSwitchService killSwitches,
        ReviewService reviews, TimeProvider clock, CancellationToken ct)
    {
        var incident = await service.LoadAsync(null, program, id, ct);
        return TypedResults.Ok(new IncidentView(incident, ResponseClock.For(incident, clock.GetUtcNow()), incident.TimeToMitigate?.TotalMilliseconds,
            await killSwitches.ListAsync(program, false, id, ct),
            (await killSwitches.RequestsAsync(program, false, ct)).Where(r => r.IncidentId == id).ToList(),
            await reviews.ListAsync(null, program, id, ct)));
    }

    private static async Task<Ok<Recommendation>> RecommendAsync(string program, string id, IncidentService service, ProgramRegistry registry,
        CancellationToken ct)
    {
        var incident = await service.LoadAsync(null, program, id, ct);
        return TypedResults.Ok(KillSwitchAdvice.For(registry.Current(program).State, incident));
    }

    private static async Task<Ok<Incident>> Ok(Task<Incident> step) => TypedResults.Ok(await step);
}
