using System.CommandLine;
using System.CommandLine.Parsing;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Webhooks;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord webhook</c>: subscriptions that POST signed events (incidents, kill switches) to a URL, and how delivery went.</summary>
public static class WebhookCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var url = new Option<string>("--url") { Description = "Where to POST events: an http or https URL", Required = true };
        var events = new Option<string>("--events")
        {
            Description = "Comma-separated event patterns: names (killswitch.activated), areas (incident.*) or *",
            Required = true,
        };
        var audience = new Option<string?>("--audience") { Description = "Only events meant for this audience (internal, operator, user, post-incident) or for none" };
        var failed = new Option<bool>("--failed") { Description = "Only deliveries that gave up after every retry" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (newest first; default 100)" };
        var webhookId = new Argument<string>("id") { Description = "Webhook id (from 'webhook list')" };

        return verbs.Group("webhook", "Webhooks: signed POSTs of incident and kill-switch events (release-manager, security-lead, admin)",
            ["ripcord webhook add --url https://hooks.example.com/ripcord --events incident.*,killswitch.*", "ripcord webhook deliveries --failed"],
            verbs.Verb("add", "Subscribe a URL to events; the signing secret is printed once",
                [
                    "ripcord webhook add --url https://hooks.example.com/ripcord --events incident.*,killswitch.*",
                    "ripcord webhook add --url https://status.example.com/hook --events incident.announced --audience user --program groups",
                    "ripcord webhook add --url https://hooks.example.com/all --events '*' --json",
                ],
                async (context, ct) =>
                {
                    // --program is global (default groups); a subscription is limited to a program only when it is given.
                    var program = context.Parse.Tokens.Any(t => t.Type == TokenType.Option && verbs.Options.Program.Aliases.Append(verbs.Options.Program.Name)
                        .Contains(t.Value, StringComparer.Ordinal)) ? context.Program : null;
                    var patterns = context.Get(events).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var created = await context.Api.AddWebhookAsync(new WebhookBody(context.Get(url), patterns, program, context.Get(audience)), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(created.Raw);
                        return ExitCodes.Success;
                    }
                    var w = created.Value;
                    var scope = (w.Program is null ? "" : $" of {w.Program}") + (w.Audience is null ? "" : $" for {w.Audience}");
                    context.Terminal.Line($"Webhook {w.Id}: {Words.List(w.Events)}{scope} → {w.Url}. Signing secret, shown once:");
                    context.Terminal.Line(w.Secret);
                    return ExitCodes.Success;
                }, url, events, audience),
            verbs.Verb("list", "List webhooks (never their secrets)",
                ["ripcord webhook list", "ripcord webhook list --json"],
                async (context, ct) =>
                {
                    var webhooks = await context.Api.ListWebhooksAsync(ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(webhooks.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "URL", "EVENTS", "PROGRAM", "AUDIENCE", "CREATED")
                        .AddRows(webhooks.Value, w =>
                        [
                            w.Id, w.Url, Words.List(w.Events), w.Program ?? "any", w.Audience ?? "any", Words.Time(w.CreatedAt),
                        ]));
                    return ExitCodes.Success;
                }),
            verbs.Verb("remove", "Remove a webhook; its undelivered deliveries are cancelled",
                ["ripcord webhook remove whk_0123456789abcdef"],
                async (context, ct) =>
                {
                    var removed = await context.Api.RemoveWebhookAsync(context.Get(webhookId), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(removed.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Removed {removed.Value.Id}.");
                    return ExitCodes.Success;
                }, webhookId),
            verbs.Verb("deliveries", "Deliveries, newest first: status, attempts, last error, next attempt",
                ["ripcord webhook deliveries", "ripcord webhook deliveries --failed", "ripcord webhook deliveries --limit 20 --json"],
                async (context, ct) =>
                {
                    var deliveries = await context.Api.ListWebhookDeliveriesAsync(context.Get(failed), context.Get(limit), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(deliveries.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "WEBHOOK", "EVENT", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR")
                        .AddRows(deliveries.Value, d =>
                        [
                            d.Id, d.WebhookId, d.Type, new Cell(d.Status, Tone(d.Status)), Words.Number(d.Attempts), Words.Time(d.NextAttemptAt),
                            d.LastError ?? "",
                        ]));
                    return ExitCodes.Success;
                }, failed, limit));
    }

    private static Tone Tone(string status) => status switch
    {
        DeliveryStatus.Delivered => Rendering.Tone.Good,
        DeliveryStatus.Failed => Rendering.Tone.Bad,
        DeliveryStatus.Pending => Rendering.Tone.Warning,
        _ => Rendering.Tone.Dim,
    };
}
