using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Webhooks;

namespace Ripcord.Server.Tests.Webhooks;

/// <summary>
/// Webhooks through the real server and a real receiver: a kill switch activated through the one
/// write path is delivered signed, with an idempotency id; a receiver that is down does not hold up
/// the write and gets the delivery once it is back; one that never answers ends in <c>failed</c>; a
/// write that rolls back leaves no delivery; the secret is shown once and never logged.
/// </summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private readonly FailingStep _faults = new();
    private readonly CapturedLogs _logs = new();
    private RipcordTestServer _server = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _server = await RipcordTestServer.StartAsync(configure: b =>
        {
            b.Services.AddSingleton<IWriteObserver>(_faults);
            b.Logging.AddProvider(_logs);
            b.Logging.SetMinimumLevel(LogLevel.Trace);
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private sealed class FailingStep : IWriteObserver
    {
        public WriteStep? FailAt { get; set; }

        public ValueTask OnStepAsync(WriteStep step, CancellationToken ct) =>
            step == FailAt ? throw new InvalidOperationException($"injected failure at {step}") : ValueTask.CompletedTask;
    }

    private static readonly Actor Operator = new(new Principal("prn_test", "test operator"), Role.Operator, "tok_test");

    private async Task<(string Id, string Secret)> SubscribeAsync(string url, string[] events, string? program = null, string? audience = null)
    {
        var created = await _server.OkAsync(HttpMethod.Post, "/api/v1/webhooks", new { url, events, program, audience });
        return (created.GetProperty("id").GetString()!, created.GetProperty("secret").GetString()!);
    }

    private Task<WriteResult> ActivateAsync(string id, string level = "KS2", string scope = "workspace:acme") =>
        _server.Services.GetRequiredService<ProgramWriter>().ExecuteAsync("groups",
            new ActivateKillSwitch(id, level, scope, "inc_7", "payments down", Operator.Principal), Operator, null, CancellationToken.None);

    private async Task<List<JsonElement>> DeliveriesAsync(bool failed = false) =>
        [.. (await _server.GetAsync("/api/v1/webhooks/deliveries" + (failed ? "?failed=true" : ""))).EnumerateArray()];

    /// <summary>Polls the deliveries (advancing the fake clock by <paramref name="advance"/> between looks) until <paramref name="done"/>.</summary>
    private async Task<List<JsonElement>> EventuallyAsync(Func<List<JsonElement>, bool> done, TimeSpan advance, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var deliveries = await DeliveriesAsync();
            if (done(deliveries))
            {
                return deliveries;
            }
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}: {string.Join(", ", deliveries.Select(d => d.GetRawText()))}");
            if (advance > TimeSpan.Zero)
            {
                _server.Clock.Advance(advance);
            }
            await Task.Delay(25);
        }
    }

    private static string Expected(string secret, string t, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body)));

    [Fact]
    public async Task AKillSwitchActivated_IsDelivered_SignedAndWithItsIdempotencyId()
    {
        var (hook, secret) = await SubscribeAsync(_receiver.Url, ["killswitch.*"]);
        await SubscribeAsync(_receiver.Url, ["incident.*"]); // hears nothing of this

        var written = await ActivateAsync("ks_hook");
        var delivery = Assert.Single(await EventuallyAsync(d => d.Count == 1 && d[0].GetProperty("status").GetString() == "delivered",
            TimeSpan.Zero, "the delivery"));
        Assert.Equal(hook, delivery.GetProperty("webhookId").GetString());
        var received = Assert.Single(_receiver.Requests);
        Assert.Equal(delivery.GetProperty("id").GetString(), received.Delivery);
        Assert.Equal("killswitch.activated", received.Event);
        Assert.StartsWith("application/json", received.ContentType, StringComparison.Ordinal);
        var body = ApiAssert.Parse(received.Body);
        Assert.Equal(received.Delivery, body.GetProperty("id").GetString());
        Assert.Equal("killswitch.activated", body.GetProperty("type").GetString());
        Assert.Equal("groups", body.GetProperty("program").GetString());
        Assert.Equal(RipcordTestServer.Epoch, body.GetProperty("at").GetDateTimeOffset());
        var data = body.GetProperty("data");
        Assert.Equal(written.Revision, data.GetProperty("revision").GetInt64());
        var activation = data.GetProperty("activation");
        Assert.Equal(("ks_hook", "KS2", "workspace:acme", "inc_7", "payments down", "test operator"), (
            activation.GetProperty("id").GetString(), activation.GetProperty("level").GetString(), activation.GetProperty("scope").GetString(),
            activation.GetProperty("incident").GetString(), activation.GetProperty("reason").GetString(), activation.GetProperty("by").GetString()));

        // The signature, checked the way docs/webhooks.md tells a receiver to.
        var parts = received.Signature!.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(RipcordTestServer.Epoch.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), parts["t"]);
        Assert.Equal(Expected(secret, parts["t"], received.Body), parts["v1"]);
        Assert.True(WebhookSignature.Verify(secret, received.Signature, received.Body, _server.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(secret, received.Signature, received.Body + " ", _server.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)));

        // Deactivation is announced too.
        await _server.Services.GetRequiredService<ProgramWriter>().ExecuteAsync("groups", new DeactivateKillSwitch("ks_hook", "recovered"),
            Operator, null, CancellationToken.None);
        await EventuallyAsync(d => d.Count(x => x.GetProperty("type").GetString() == "killswitch.deactivated"
            && x.GetProperty("status").GetString() == "delivered") == 1, TimeSpan.Zero, "the deactivation");
        var deactivated = _receiver.Requests.First(r => r.Event == "killswitch.deactivated");
        Assert.Equal("recovered", ApiAssert.Parse(deactivated.Body).GetProperty("data").GetProperty("deactivationReason").GetString());
    }

    [Fact]
    public async Task TheIncidentWorkflow_IsAnnounced_DeclaredActivatedReviewedAndTheOperatorUpdate()
    {
        await SubscribeAsync(_receiver.Url, ["incident.declared", "killswitch.activated", "review.opened"]);
        await SubscribeAsync(_receiver.Url, ["incident.announced"], audience: "operator");
        await SubscribeAsync(_receiver.Url, ["incident.announced"], audience: "user"); // hears nothing: the update is for operators

        var incident = (await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/incidents",
            new { @class = "P3", severity = "high", trigger = "publish-ack-failures", summary = "acks failing" })).GetProperty("id").GetString()!;
        await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/kill-switches/KS3/activations",
            new { scope = "global", incident, reason = "acks failing everywhere" });
        var update = await _server.OkAsync(HttpMethod.Post, $"/api/v1/programs/groups/incidents/{incident}/announcements", new { audience = "operator" });

        await EventuallyAsync(d => d.Count == 4 && d.All(x => x.GetProperty("status").GetString() == "delivered"), TimeSpan.Zero, "four deliveries");
        Assert.Equal(["incident.announced", "incident.declared", "killswitch.activated", "review.opened"],
            _receiver.Requests.Select(r => r.Event!).Order(StringComparer.Ordinal));
        var announced = ApiAssert.Parse(_receiver.Requests.Single(r => r.Event == "incident.announced").Body).GetProperty("data");
        Assert.Equal(update.GetProperty("text").GetString(), announced.GetProperty("text").GetString());
        Assert.Equal(incident, announced.GetProperty("incident").GetString());
    }

    [Fact]
    public async Task AReceiverThatIsDown_DoesNotHoldUpTheWrite_AndGetsTheSameDeliveryWithBackoffOnceItIsUp()
    {
        var (hook, _) = await SubscribeAsync(_receiver.Url, ["killswitch.activated"]);
        _receiver.Status = 500;

        var written = await ActivateAsync("ks_retry");
        Assert.Equal(written.Revision, await _server.HeadAsync()); // committed, whatever the receiver says

        var first = (await EventuallyAsync(d => d.Count == 1 && d[0].GetProperty("attempts").GetInt32() == 1, TimeSpan.Zero, "the first attempt"))[0];
        Assert.Equal("pending", first.GetProperty("status").GetString());
        Assert.Equal(500, first.GetProperty("lastStatus").GetInt32());
        Assert.Contains("500", first.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        var next = first.GetProperty("nextAttemptAt").GetDateTimeOffset();
        var now = _server.Clock.GetUtcNow();
        Assert.InRange(next - now, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1));

        // Not retried before the backoff has passed on the server's clock.
        await Task.Delay(300);
        Assert.Equal(1, (await DeliveriesAsync())[0].GetProperty("attempts").GetInt32());

        // Second failure, then the backoff doubles.
        _server.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = (await EventuallyAsync(d => d[0].GetProperty("attempts").GetInt32() == 2, TimeSpan.Zero, "the second attempt"))[0];
        Assert.InRange(second.GetProperty("nextAttemptAt").GetDateTimeOffset() - _server.Clock.GetUtcNow(), TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2));

        _receiver.Status = 204;
        var delivered = (await EventuallyAsync(d => d[0].GetProperty("status").GetString() == "delivered", TimeSpan.FromSeconds(1), "delivery"))[0];
        Assert.Equal(3, delivered.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, delivered.GetProperty("nextAttemptAt").ValueKind);
        Assert.Equal(hook, delivered.GetProperty("webhookId").GetString());
        var ids = _receiver.Requests.Select(r => r.Delivery).ToList();
        Assert.Equal(3, ids.Count);
        Assert.All(ids, id => Assert.Equal(delivered.GetProperty("id").GetString(), id));
    }

    [Fact]
    public async Task AReceiverThatNeverAnswers_EndsFailed_AfterTheMaximumAttempts_AndIsListedAsFailed()
    {
        // Nothing listens on port 1.
        await SubscribeAsync("http://127.0.0.1:1/hook", ["*"]);
        await ActivateAsync("ks_dead");

        var failed = (await EventuallyAsync(d => d.Count == 1 && d[0].GetProperty("status").GetString() == "failed",
            TimeSpan.FromMinutes(5), "the delivery to give up"))[0];
        Assert.Equal(WebhookDispatcher.MaxAttempts, failed.GetProperty("attempts").GetInt32());
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("lastError").GetString()));
        Assert.Equal(JsonValueKind.Null, failed.GetProperty("lastStatus").ValueKind);
        var listed = Assert.Single(await DeliveriesAsync(failed: true));
        Assert.Equal(failed.GetProperty("id").GetString(), listed.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData(WriteStep.AfterEvents)]
    [InlineData(WriteStep.AfterAudit)]
    [InlineData(WriteStep.BeforeCommit)]
    public async Task AWriteThatRollsBack_LeavesNoDelivery(WriteStep step)
    {
        await SubscribeAsync(_receiver.Url, ["killswitch.*"]);
        _faults.FailAt = step;
        await Assert.ThrowsAsync<InvalidOperationException>(() => ActivateAsync("ks_rolled_back"));
        _faults.FailAt = null;

        Assert.Empty(await DeliveriesAsync());
        _server.Clock.Advance(TimeSpan.FromSeconds(10)); // a poll finds nothing either
        await Task.Delay(200);
        Assert.Empty(_receiver.Requests);
        Assert.Empty(await DeliveriesAsync());

        await ActivateAsync("ks_committed");
        await EventuallyAsync(d => d.Count == 1 && d[0].GetProperty("status").GetString() == "delivered", TimeSpan.Zero, "the committed write's delivery");
    }

    [Fact]
    public async Task TheSecret_IsInTheCreateResponseOnly_NeverListedAuditedOrLogged()
    {
        _receiver.Status = 500; // so the dispatcher logs failed attempts too
        var (id, secret) = await SubscribeAsync(_receiver.Url, ["killswitch.*"], program: "groups", audience: "operator");
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        await ActivateAsync("ks_secret");
        await EventuallyAsync(d => d.Count == 1 && d[0].GetProperty("attempts").GetInt32() >= 2, TimeSpan.FromSeconds(1), "two attempts");

        using (var list = await _server.SendAsync(HttpMethod.Get, "/api/v1/webhooks"))
        {
            var text = await list.Content.ReadAsStringAsync();
            Assert.Contains(id, text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        }
        using (var audit = await _server.SendAsync(HttpMethod.Get, "/api/v1/audit?limit=1000"))
        {
            var text = await audit.Content.ReadAsStringAsync();
            Assert.Contains("webhook.create", text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
        using (var removed = await _server.SendAsync(HttpMethod.Delete, $"/api/v1/webhooks/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
            Assert.DoesNotContain(secret, await removed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal("cancelled", (await DeliveriesAsync())[0].GetProperty("status").GetString());
        Assert.Contains(_logs.Lines, l => l.Contains("attempt", StringComparison.Ordinal)); // the failures were logged …
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(secret, StringComparison.Ordinal)); // … without the secret
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("payments down", StringComparison.Ordinal)); // nor the body
    }

    [Theory]
    [InlineData("ftp://example.com/hook", "url")]
    [InlineData("file:///etc/passwd", "url")]
    [InlineData("/relative", "url")]
    [InlineData("http://example.com/hook", "events", "killswitch.exploded")]
    [InlineData("http://example.com/hook", "events", "kill*")]
    [InlineData("http://example.com/hook", "audience", "*", "everyone")]
    [InlineData("http://example.com/hook", "program", "*", null, "nope")]
    public async Task BadSubscriptions_Are400ProblemDetails_NamingTheField(string url, string field, string events = "*", string? audience = null,
        string? program = null)
    {
        using var response = await _server.SendAsync(HttpMethod.Post, "/api/v1/webhooks", json: new { url, events = new[] { events }, audience, program });
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Empty((await _server.GetAsync("/api/v1/webhooks")).EnumerateArray());
    }

    [Fact]
    public async Task TheOutbox_DeliversAnEventWithAnAudience_OnlyToThatAudienceOrToSubscriptionsNamingNone()
    {
        var (anyone, _) = await SubscribeAsync(_receiver.Url, ["incident.*"]);
        var (operators, _) = await SubscribeAsync(_receiver.Url, ["incident.declared"], audience: "operator");
        await SubscribeAsync(_receiver.Url, ["incident.*"], audience: "user");
        await SubscribeAsync(_receiver.Url, ["*"], program: "groups", audience: "post-incident");
        await SubscribeAsync(_receiver.Url, ["review.*"]);

        var databases = _server.Services.GetRequiredService<Databases>();
        var outbox = _server.Services.GetRequiredService<WebhookOutbox>();
        await using (var session = await databases.Config.BeginWriteAsync(CancellationToken.None))
        {
            await outbox.EnqueueAsync(session, new WebhookEvent(WebhookEventTypes.IncidentDeclared, "groups", "operator",
                new { incident = "inc_9", title = "payments down" }, _server.Clock.GetUtcNow()), CancellationToken.None);
            await session.CommitAsync(CancellationToken.None);
        }
        var deliveries = await EventuallyAsync(d => d.Count == 2 && d.All(x => x.GetProperty("status").GetString() == "delivered"),
            TimeSpan.Zero, "the operator deliveries");
        Assert.Equal(new[] { anyone, operators }.Order(StringComparer.Ordinal),
            deliveries.Select(d => d.GetProperty("webhookId").GetString()!).Order(StringComparer.Ordinal));
        var body = ApiAssert.Parse(_receiver.Requests.First().Body);
        Assert.Equal("inc_9", body.GetProperty("data").GetProperty("incident").GetString());

        // A subscription limited to a program hears only that program's events.
        await using (var session = await databases.Config.BeginWriteAsync(CancellationToken.None))
        {
            await outbox.EnqueueAsync(session, new WebhookEvent(WebhookEventTypes.ReviewOpened, "elsewhere", null, new { review = "rv_1" },
                _server.Clock.GetUtcNow()), CancellationToken.None);
            await session.CommitAsync(CancellationToken.None);
        }
        deliveries = await EventuallyAsync(d => d.Count == 3 && d.All(x => x.GetProperty("status").GetString() == "delivered"),
            TimeSpan.Zero, "the review delivery");
        Assert.Single(deliveries, d => d.GetProperty("type").GetString() == "review.opened");

        await using var unknown = await databases.Config.BeginWriteAsync(CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => outbox.EnqueueAsync(unknown,
            new WebhookEvent("incident.exploded", "groups", null, new { }, _server.Clock.GetUtcNow()), CancellationToken.None));
    }

    [Theory]
    [InlineData("*", "incident.declared", true)]
    [InlineData("incident.*", "incident.declared", true)]
    [InlineData("incident.*", "killswitch.activated", false)]
    [InlineData("killswitch.verification-failed", "killswitch.verification-failed", true)]
    [InlineData("killswitch.verified", "killswitch.verification-failed", false)]
    public void Patterns_MatchExactNamesAreasOrEverything(string pattern, string type, bool matches)
    {
        Assert.True(WebhookEventTypes.IsPattern(pattern));
        Assert.Equal(matches, WebhookEventTypes.Matches(pattern, type));
    }

    [Fact]
    public void Backoff_DoublesFromOneSecond_IsCappedAtFiveMinutes_AndJittersDownwardByAtMostAFifth()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), WebhookDispatcher.Backoff(1, 0));
        Assert.Equal(TimeSpan.FromSeconds(2), WebhookDispatcher.Backoff(2, 0));
        Assert.Equal(TimeSpan.FromSeconds(256), WebhookDispatcher.Backoff(9, 0));
        Assert.Equal(TimeSpan.FromMinutes(5), WebhookDispatcher.Backoff(10, 0));
        Assert.Equal(TimeSpan.FromMinutes(5), WebhookDispatcher.Backoff(40, 0));
        Assert.Equal(TimeSpan.FromSeconds(3.2), WebhookDispatcher.Backoff(3, 1));
    }
}
