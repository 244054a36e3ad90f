using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Webhooks;

/// <summary>Body of POST /webhooks: an http(s) URL, event patterns (<c>killswitch.activated</c>, <c>incident.*</c>, <c>*</c>), optionally a program and an audience.</summary>
public sealed record WebhookBody(string? Url, IReadOnlyList<string>? Events, string? Program, string? Audience);

/// <summary>A subscription as listed: never its secret.</summary>
public sealed record WebhookView(string Id, string Url, IReadOnlyList<string> Events, string? Program, string? Audience,
    DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>The secret appears in this response only; every delivery is signed with it.</summary>
public sealed record WebhookCreated(string Id, string Url, IReadOnlyList<string> Events, string? Program, string? Audience,
    DateTimeOffset CreatedAt, string CreatedBy, string Secret);

public sealed record DeliveryView(string Id, string WebhookId, string Type, string Program, string Status, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? LastAttemptAt, int? LastStatus, string? LastError,
    DateTimeOffset? DeliveredAt);

/// <summary>Webhooks: subscriptions to events, and what was delivered to them.</summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooks(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").WithTags("Webhooks").RequireAuthorization(RoleMatrix.PolicyName(Permission.WebhooksManage));

        webhooks.MapGet("", async (IWebhookStore store, CancellationToken ct) =>
                TypedResults.Ok((await store.ListAsync(ct)).Select(View).ToList()))
            .Read("ListWebhooks", "Every webhook subscription (never its secret)");

        webhooks.MapPost("", AddAsync)
            .Write("AddWebhook", "Subscribe a URL to events; the signing secret is in this response only");

        webhooks.MapDelete("/{id}", async Task<Results<Ok<WebhookView>, ProblemHttpResult>> (string id, HttpContext context, WebhookService service) =>
                await service.RemoveAsync(id, context.Actor(), context.RequestAborted) is { } removed
                    ? TypedResults.Ok(View(removed))
                    : Problems.NotFound($"no webhook '{id}'"))
            .Write("RemoveWebhook", "Remove a subscription; its undelivered deliveries are cancelled");

        webhooks.MapGet("/deliveries", async Task<Results<Ok<List<DeliveryView>>, ProblemHttpResult>> (bool? failed, int? limit,
                IWebhookStore store, CancellationToken ct) =>
            {
                if (limit is < 1 or > 1000)
                {
                    return Problems.BadRequest("limit must be between 1 and 1000", "limit");
                }
                var deliveries = await store.DeliveriesAsync(failed ?? false, limit ?? 100, ct);
                return TypedResults.Ok(deliveries.Select(View).ToList());
            })
            .Read("ListWebhookDeliveries", "Deliveries, newest first: status, attempts, last error, next attempt (failed=true: those that gave up)");
        return api;
    }

    private static async Task<Results<Created<WebhookCreated>, ProblemHttpResult>> AddAsync(WebhookBody body, HttpContext context,
        WebhookService service, ProgramRegistry registry)
    {
        if (body.Url is null || !Uri.TryCreate(body.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
            || body.Url.Length > 2000)
        {
            return Problems.BadRequest("url must be an absolute http or https URL (at most 2,000 characters)", "url");
        }
        var events = (body.Events ?? []).Select(e => e?.Trim() ?? "").Where(e => e.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var invalid = events.Where(e => !WebhookEventTypes.IsPattern(e)).ToList();
        if (events.Count == 0 || invalid.Count > 0)
        {
            var which = events.Count == 0 ? "events is required" : $"'{invalid[0]}' is not an event pattern";
            return Problems.BadRequest(
                $"{which}: give event names ({string.Join(", ", WebhookEventTypes.All)}), 'area.*' (e.g. incident.*) or '*'", "events");
        }
        if (body.Program is not null && !registry.TryGet(body.Program, out _))
        {
            return Problems.BadRequest($"no program '{body.Program}'", "program");
        }
        if (body.Audience is not null && !WebhookEventTypes.IsAudience(body.Audience))
        {
            return Problems.BadRequest($"audience must be one of: {string.Join(", ", WebhookEventTypes.Audiences)}", "audience");
        }
        var w = await service.AddAsync(url.AbsoluteUri, events, body.Program, body.Audience, context.Actor(), context.RequestAborted);
        return TypedResults.Created($"/api/v1/webhooks/{w.Id}",
            new WebhookCreated(w.Id, w.Url, w.Events, w.Program, w.Audience, w.CreatedAt, w.CreatedBy, w.Secret));
    }

    private static WebhookView View(WebhookSubscription w) => new(w.Id, w.Url, w.Events, w.Program, w.Audience, w.CreatedAt, w.CreatedBy);

    private static DeliveryView View(WebhookDelivery d) => new(d.Id, d.WebhookId, d.Type, d.Program, d.Status, d.Attempts, d.CreatedAt,
        d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null, d.LastAttemptAt, d.LastStatus, d.LastError, d.DeliveredAt);
}
