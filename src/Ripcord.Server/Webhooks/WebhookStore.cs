using System.Data.Common;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Webhooks;

/// <summary>A subscription: where to POST, which events (patterns), optionally one program and one audience, and the signing secret.</summary>
public sealed record WebhookSubscription(string Id, string Url, IReadOnlyList<string> Events, string? Program, string? Audience,
    string Secret, DateTimeOffset CreatedAt, string CreatedBy)
{
    /// <summary>
    /// Whether this subscription hears <paramref name="evt"/>: a pattern matches its type, the program is
    /// this one's (or it names none), and an event meant for an audience goes only to that audience (or to none named).
    /// </summary>
    public bool Accepts(WebhookEvent evt) =>
        Events.Any(p => WebhookEventTypes.Matches(p, evt.Type))
        && (Program is null || string.Equals(Program, evt.Program, StringComparison.Ordinal))
        && (evt.Audience is null || Audience is null || string.Equals(Audience, evt.Audience, StringComparison.Ordinal));
}

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    /// <summary>Its webhook was removed before it was delivered.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>One delivery of one event to one subscription, and how its attempts went.</summary>
public sealed record WebhookDelivery(string Id, string WebhookId, string Type, string Program, string Status, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, DateTimeOffset? LastAttemptAt, int? LastStatus, string? LastError,
    DateTimeOffset? DeliveredAt);

/// <summary>A delivery this node has leased to send: the body stored at enqueue time, the subscription's URL and secret.</summary>
public sealed record DueDelivery(string Id, string WebhookId, string Url, string Secret, string Type, string Body, int Attempts);

/// <summary>How an attempt ended: the row's next status, when to try again (pending), and what went wrong.</summary>
public sealed record AttemptOutcome(string Status, int Attempts, DateTimeOffset At, DateTimeOffset NextAttemptAt, int? HttpStatus, string? Error);

public interface IWebhookStore
{
    Task AddAsync(WriteSession session, WebhookSubscription webhook, CancellationToken ct);

    /// <summary>Removes a subscription and cancels its undelivered deliveries; null when there is none by that id.</summary>
    Task<WebhookSubscription?> RemoveAsync(WriteSession session, string id, CancellationToken ct);

    /// <summary>Every subscription; inside <paramref name="session"/> when given (the outbox reads what the write sees).</summary>
    Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken ct, WriteSession? session = null);

    Task InsertDeliveryAsync(WriteSession session, string id, string webhookId, WebhookEvent evt, string body, DateTimeOffset now, CancellationToken ct);

    /// <summary>Newest first; only those that gave up when <paramref name="failedOnly"/>.</summary>
    Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(bool failedOnly, int limit, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="max"/> pending deliveries due at <paramref name="now"/> (and not leased by
    /// anyone) until <paramref name="leaseUntil"/>, under <paramref name="claim"/>.
    /// </summary>
    Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, string claim, int max, CancellationToken ct);

    /// <summary>When the next pending delivery falls due (or its lease ends); null when none is pending.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken ct);

    /// <summary>Records an attempt on a delivery this claim still holds, and releases it.</summary>
    Task CompleteAsync(string id, string claim, AttemptOutcome outcome, CancellationToken ct);
}

public sealed class WebhookStore(Databases databases) : IWebhookStore
{
    private const string Columns = "id, url, events, program, audience, secret, created_at, created_by";
    private const string DeliveryColumns =
        "id, webhook_id, type, program, status, attempts, created_at, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at";

    private SqlDatabase Db => databases.Config;

    private WebhookSubscription Map(DbDataReader r) => new(r.GetString(0), r.GetString(1),
        r.GetString(2).Split(',', StringSplitOptions.RemoveEmptyEntries), r.NullableString(3), r.NullableString(4), r.GetString(5),
        Db.ReadTime(r, 6), r.GetString(7));

    private WebhookDelivery MapDelivery(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.GetString(4), Convert.ToInt32(r.GetValue(5), System.Globalization.CultureInfo.InvariantCulture), Db.ReadTime(r, 6), Db.ReadTime(r, 7),
        Db.ReadNullableTime(r, 8), r.IsDBNull(9) ? null : Convert.ToInt32(r.GetValue(9), System.Globalization.CultureInfo.InvariantCulture),
        r.NullableString(10), Db.ReadNullableTime(r, 11));

    public async Task AddAsync(WriteSession session, WebhookSubscription w, CancellationToken ct) =>
        await session.ExecAsync($"INSERT INTO webhooks ({Columns}) VALUES (@id, @url, @events, @program, @audience, @secret, @at, @by)", ct,
            ("@id", w.Id), ("@url", w.Url), ("@events", string.Join(',', w.Events)), ("@program", w.Program), ("@audience", w.Audience),
            ("@secret", w.Secret), ("@at", Db.Time(w.CreatedAt)), ("@by", w.CreatedBy));

    public async Task<WebhookSubscription?> RemoveAsync(WriteSession session, string id, CancellationToken ct)
    {
        var existing = (await session.QueryAsync($"SELECT {Columns} FROM webhooks WHERE id = @id", Map, ct, ("@id", id))).FirstOrDefault();
        if (existing is null)
        {
            return null;
        }
        await session.ExecAsync("DELETE FROM webhooks WHERE id = @id", ct, ("@id", id));
        await session.ExecAsync("UPDATE webhook_deliveries SET status = @cancelled, locked_until = NULL, locked_by = NULL WHERE webhook_id = @id AND status = @pending",
            ct, ("@cancelled", DeliveryStatus.Cancelled), ("@id", id), ("@pending", DeliveryStatus.Pending));
        return existing;
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken ct, WriteSession? session = null)
    {
        const string sql = $"SELECT {Columns} FROM webhooks ORDER BY created_at, id";
        return session is null ? await Db.QueryAsync(sql, Map, ct) : await session.QueryAsync(sql, Map, ct);
    }

    public async Task InsertDeliveryAsync(WriteSession session, string id, string webhookId, WebhookEvent evt, string body, DateTimeOffset now,
        CancellationToken ct) =>
        await session.ExecAsync("""
            INSERT INTO webhook_deliveries (id, webhook_id, type, program, body, status, attempts, created_at, next_attempt_at)
            VALUES (@id, @webhook, @type, @program, @body, @pending, 0, @now, @now)
            """, ct, ("@id", id), ("@webhook", webhookId), ("@type", evt.Type), ("@program", evt.Program), ("@body", body),
            ("@pending", DeliveryStatus.Pending), ("@now", Db.Time(now)));

    public async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(bool failedOnly, int limit, CancellationToken ct) =>
        await Db.QueryAsync($"""
            SELECT {DeliveryColumns} FROM webhook_deliveries {(failedOnly ? "WHERE status = @failed" : "")}
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """, MapDelivery, ct, ("@failed", DeliveryStatus.Failed), ("@limit", limit));

    public async Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, string claim, int max,
        CancellationToken ct)
    {
        await using var c = await Db.OpenAsync(ct);
        var candidates = await Sql.QueryAsync(c, null, """
            SELECT id FROM webhook_deliveries
            WHERE status = @pending AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until <= @now)
            ORDER BY next_attempt_at, id LIMIT @max
            """, r => r.GetString(0), ct, ("@pending", DeliveryStatus.Pending), ("@now", Db.Time(now)), ("@max", max));
        var claimed = new List<DueDelivery>(candidates.Count);
        foreach (var id in candidates)
        {
            // One statement per row is its own atomic compare-and-set on both databases: whichever node
            // updates first holds the lease, and the other's WHERE no longer matches (PostgreSQL
            // re-checks it once the first commits). No write lock is needed, so sending never waits
            // for configuration writes, nor they for it.
            var won = await Sql.ExecAsync(c, null, """
                UPDATE webhook_deliveries SET locked_until = @until, locked_by = @claim
                WHERE id = @id AND status = @pending AND (locked_until IS NULL OR locked_until <= @now)
                """, ct, ("@until", Db.Time(leaseUntil)), ("@claim", claim), ("@id", id), ("@pending", DeliveryStatus.Pending),
                ("@now", Db.Time(now)));
            if (won == 1)
            {
                claimed.AddRange(await Sql.QueryAsync(c, null, """
                    SELECT d.id, d.webhook_id, w.url, w.secret, d.type, d.body, d.attempts
                    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = @id
                    """, r => new DueDelivery(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                    Convert.ToInt32(r.GetValue(6), System.Globalization.CultureInfo.InvariantCulture)), ct, ("@id", id)));
            }
        }
        return claimed;
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken ct) =>
        (await Db.QueryAsync("""
            SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > next_attempt_at THEN locked_until ELSE next_attempt_at END)
            FROM webhook_deliveries WHERE status = @pending
            """, r => Db.ReadNullableTime(r, 0), ct, ("@pending", DeliveryStatus.Pending))).FirstOrDefault();

    public async Task CompleteAsync(string id, string claim, AttemptOutcome o, CancellationToken ct)
    {
        await using var c = await Db.OpenAsync(ct);
        await Sql.ExecAsync(c, null, """
            UPDATE webhook_deliveries SET status = @status, attempts = @attempts, last_attempt_at = @at, last_status = @http,
                last_error = @error, next_attempt_at = @next, delivered_at = @delivered, locked_until = NULL, locked_by = NULL
            WHERE id = @id AND locked_by = @claim AND status = @pending
            """, ct, ("@status", o.Status), ("@attempts", o.Attempts), ("@at", Db.Time(o.At)), ("@http", o.HttpStatus), ("@error", o.Error),
            ("@next", Db.Time(o.NextAttemptAt)), ("@delivered", o.Status == DeliveryStatus.Delivered ? Db.Time(o.At) : null),
            ("@id", id), ("@claim", claim), ("@pending", DeliveryStatus.Pending));
    }
}
