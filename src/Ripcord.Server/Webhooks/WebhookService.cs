using System.Security.Cryptography;
using System.Text.Json;
using Ripcord.Core.Audit;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Webhooks;

/// <summary>Adds and removes subscriptions, each with its audit row in the same transaction.</summary>
public sealed class WebhookService(IWebhookStore store, IAuditLog audit, Databases databases, TimeProvider clock)
{
    /// <summary>Stores a subscription and returns it with its new secret (the only time the secret leaves the server).</summary>
    public async Task<WebhookSubscription> AddAsync(string url, IReadOnlyList<string> events, string? program, string? audience, Actor by,
        CancellationToken ct)
    {
        var webhook = new WebhookSubscription("whk_" + Guid.NewGuid().ToString("N")[..16], url, events, program, audience,
            "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), SqlDatabase.Storable(clock.GetUtcNow()), by.Name);
        // The audit row names where events go and which: never the secret.
        var after = JsonSerializer.Serialize(new { webhook.Id, webhook.Url, webhook.Events, webhook.Program, webhook.Audience }, JsonSerializerOptions.Web);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await store.AddAsync(session, webhook, ct);
        await audit.AppendAsync(session, new AuditDraft(webhook.CreatedAt, by.Principal.Id, by.Name, by.Role.Name, AuditAction.WebhookCreate,
            "webhook:" + webhook.Id, null, after), ct);
        await session.CommitAsync(ct);
        return webhook;
    }

    /// <summary>Removes a subscription (its undelivered deliveries are cancelled); null when there is none by that id.</summary>
    public async Task<WebhookSubscription?> RemoveAsync(string id, Actor by, CancellationToken ct)
    {
        await using var session = await databases.Config.BeginWriteAsync(ct);
        var removed = await store.RemoveAsync(session, id, ct);
        if (removed is null)
        {
            return null;
        }
        var before = JsonSerializer.Serialize(new { removed.Id, removed.Url, removed.Events, removed.Program, removed.Audience }, JsonSerializerOptions.Web);
        await audit.AppendAsync(session, new AuditDraft(SqlDatabase.Storable(clock.GetUtcNow()), by.Principal.Id, by.Name, by.Role.Name,
            AuditAction.WebhookDelete, "webhook:" + id, before, null), ct);
        await session.CommitAsync(ct);
        return removed;
    }
}
