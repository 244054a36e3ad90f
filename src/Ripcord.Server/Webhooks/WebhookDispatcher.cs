using System.Text;

namespace Ripcord.Server.Webhooks;

/// <summary>
/// Sends what the outbox stored, at least once. Woken when a write that enqueued deliveries commits,
/// it otherwise sleeps on the injected clock until the next delivery is due (or a poll interval, for
/// rows other nodes enqueued). Each due row is leased (see <see cref="IWebhookStore.ClaimDueAsync"/>)
/// so two nodes never send it at once; a 2xx marks it delivered, anything else schedules a retry with
/// exponential backoff and jitter, and after <see cref="MaxAttempts"/> it is <c>failed</c>.
/// </summary>
public sealed partial class WebhookDispatcher(IWebhookStore store, IHttpClientFactory http, TimeProvider clock, ILogger<WebhookDispatcher> log)
    : BackgroundService
{
    public const string HttpClientName = "ripcord-webhooks";
    public const int MaxAttempts = 12;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a node holds a row while sending it: longer than the HTTP timeout, so a live sender is never overtaken.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private const int BatchSize = 16;
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Look for due deliveries now (called when a write that enqueued some has committed).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already due to wake.
        }
    }

    /// <summary>
    /// The wait before attempt <paramref name="failedAttempts"/> + 1: 1 s, 2 s, 4 s … capped at 5 min, less up to
    /// a fifth at random (<paramref name="random"/> in [0, 1)) so receivers that fail together are not retried together.
    /// </summary>
    public static TimeSpan Backoff(int failedAttempts, double random)
    {
        var full = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(failedAttempts - 1, 20)));
        return full * (1 - random / 5);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    if (await SendDueAsync(stoppingToken) > 0)
                    {
                        continue;
                    }
                    var next = await store.NextDueAsync(stoppingToken);
                    wait = next is { } due ? Clamp(due - clock.GetUtcNow()) : PollInterval;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogStorageFailed(ex.GetType().Name, ex.Message);
                    wait = PollInterval;
                }
                if (wait > TimeSpan.Zero)
                {
                    await SleepAsync(wait, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > PollInterval ? PollInterval : wait;

    private async Task SleepAsync(TimeSpan wait, CancellationToken ct)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(wait, clock, either.Token);
        var woken = _wake.WaitAsync(either.Token);
        await Task.WhenAny(delay, woken);
        await either.CancelAsync();
        // Observe both (one is now cancelled); a wake that raced the cancel is taken, harmlessly.
        await Task.WhenAll(delay, woken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Leases and sends one batch of due deliveries; returns how many it leased.</summary>
    internal async Task<int> SendDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var claim = "lease_" + Guid.NewGuid().ToString("N");
        var due = await store.ClaimDueAsync(now, now + Lease, claim, BatchSize, ct);
        await Task.WhenAll(due.Select(d => SendAsync(d, claim, ct)));
        return due.Count;
    }

    private async Task SendAsync(DueDelivery d, string claim, CancellationToken ct)
    {
        int? status = null;
        string? error;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, d.Url)
            {
                Content = new StringContent(d.Body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Ripcord-Delivery", d.Id);
            request.Headers.Add("Ripcord-Event", d.Type);
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(d.Secret, clock.GetUtcNow().ToUnixTimeSeconds(), d.Body));
            using var client = http.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            status = (int)response.StatusCode;
            error = response.IsSuccessStatusCode ? null : $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
        }
        catch (HttpRequestException ex)
        {
            error = ex.HttpRequestError is HttpRequestError.Unknown ? ex.Message : $"{ex.HttpRequestError}: {ex.Message}";
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"no answer within {Timeout.TotalSeconds:0} s";
        }
        var at = clock.GetUtcNow();
        var attempts = d.Attempts + 1;
        var outcome = error is null
            ? new AttemptOutcome(DeliveryStatus.Delivered, attempts, at, at, status, null)
            : attempts >= MaxAttempts
                ? new AttemptOutcome(DeliveryStatus.Failed, attempts, at, at, status, error)
                : new AttemptOutcome(DeliveryStatus.Pending, attempts, at, at + Backoff(attempts, Random.Shared.NextDouble()), status, error);
        if (error is not null)
        {
            LogAttemptFailed(d.Id, d.WebhookId, d.Type, attempts, outcome.Status, error);
        }
        // Recorded even when the host is stopping: the attempt happened.
        await store.CompleteAsync(d.Id, claim, outcome, CancellationToken.None);
    }

    // Ids and the event type only: never the URL (it may carry a token), the body or the secret.
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning,
        Message = "Webhook delivery {DeliveryId} to {WebhookId} ({EventType}) attempt {Attempt} failed, now {Status}: {Error}")]
    private partial void LogAttemptFailed(string deliveryId, string webhookId, string eventType, int attempt, string status, string error);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Webhook dispatch could not read the outbox ({ErrorType}: {Error}); retrying")]
    private partial void LogStorageFailed(string errorType, string error);
}
