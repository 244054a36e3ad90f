using System.Text.Json;
using System.Text.Json.Serialization;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Webhooks;

/// <summary>
/// The transactional outbox: a write that announces something calls <see cref="EnqueueAsync"/> inside its own
/// <see cref="WriteSession"/>, which stores one delivery row per subscription that hears the event. The rows
/// commit or roll back with the change; once committed the dispatcher is woken and sends them. Enqueueing
/// never sends, so a slow or dead receiver never holds up the write.
/// </summary>
public sealed class WebhookOutbox(IWebhookStore store, WebhookDispatcher dispatcher, TimeProvider clock)
{
    /// <summary>Stores a delivery of <paramref name="evt"/> for every matching subscription, in <paramref name="session"/>'s transaction.</summary>
    /// <exception cref="ArgumentException">The type is not one of <see cref="WebhookEventTypes.All"/>, or the audience is unknown.</exception>
    public async Task EnqueueAsync(WriteSession session, WebhookEvent evt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(evt);
        if (!WebhookEventTypes.IsKnown(evt.Type))
        {
            throw new ArgumentException($"'{evt.Type}' is not a webhook event type (WebhookEventTypes.All)", nameof(evt));
        }
        if (evt.Audience is not null && !WebhookEventTypes.IsAudience(evt.Audience))
        {
            throw new ArgumentException($"'{evt.Audience}' is not an audience ({string.Join(", ", WebhookEventTypes.Audiences)})", nameof(evt));
        }
        var subscribers = (await store.ListAsync(ct, session)).Where(s => s.Accepts(evt)).ToList();
        if (subscribers.Count == 0)
        {
            return;
        }
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        foreach (var subscriber in subscribers)
        {
            var id = "dlv_" + Guid.NewGuid().ToString("N");
            var body = JsonSerializer.Serialize(new WebhookEnvelope(id, evt.Type, evt.Program, evt.At, evt.Payload), Json);
            await store.InsertDeliveryAsync(session, id, subscriber.Id, evt, body, now, ct);
        }
        session.OnCommitted(dispatcher.Wake);
    }

    /// <summary>The webhook events of a program change's domain events (kill switches activated or deactivated), enqueued in its transaction.</summary>
    public async Task EnqueueChangeAsync(WriteSession session, string program, long revision, IEnumerable<DomainEvent> events, DateTimeOffset at,
        CancellationToken ct)
    {
        foreach (var e in events)
        {
            var evt = e switch
            {
                KillSwitchActivated a => new WebhookEvent(WebhookEventTypes.KillSwitchActivated, program, null,
                    new KillSwitchData(program, revision, ActivationData.Of(a.Activation), null), at),
                KillSwitchDeactivated d => new WebhookEvent(WebhookEventTypes.KillSwitchDeactivated, program, null,
                    new KillSwitchData(program, revision, ActivationData.Of(d.Activation), d.Reason), at),
                _ => null,
            };
            if (evt is not null)
            {
                await EnqueueAsync(session, evt, ct);
            }
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web);

    /// <summary>The body every delivery POSTs; <c>data</c> is serialised as its runtime type.</summary>
    private sealed record WebhookEnvelope(string Id, string Type, string Program, DateTimeOffset At, object Data);
}

/// <summary>The <c>data</c> of <c>killswitch.activated</c> and <c>killswitch.deactivated</c>.</summary>
public sealed record KillSwitchData(string Program, long Revision, ActivationData Activation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DeactivationReason);

public sealed record ActivationData(string Id, string Level, string Scope, string? Incident, string Reason, string By, DateTimeOffset ActivatedAt)
{
    public static ActivationData Of(KillSwitchActivation a) =>
        new(a.Id, a.Level, a.Scope.ToString(), a.IncidentId, a.Reason, a.ActivatedBy, a.ActivatedAt);
}
