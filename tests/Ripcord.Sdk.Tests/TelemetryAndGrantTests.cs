using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ripcord.Core.Audit;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Server.Audit;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;

namespace Ripcord.Sdk.Tests;

public sealed class TelemetryAndGrantTests
{
    private static async Task<long> StoredAsync(RipcordTestServer server, string? type = null) =>
        await server.Services.GetRequiredService<ITelemetryStore>().CountAsync("groups", type);

    [Fact]
    public async Task Telemetry_reaches_the_server_and_heartbeats_show_each_instance_revision()
    {
        await using var server = await SdkTestServer.StartAsync();
        var head = await server.OverrideAsync("F1", "global", true);
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")));
        await Eventually.TrueAsync(() => client.Revision == head, "the head");
        var context = new EvaluationContext("w1", "u1", 0);
        client.RecordSend(context, Transport.Secure, TimeSpan.FromMilliseconds(42), SendOutcome.Ok);
        client.RecordMode(context, Transport.Baseline);
        client.Decide(context, "relay-unsupported");
        client.RecordDivergence(context, "members", 2);
        client.RecordSecuritySignal(context, "replay", "high");
        client.RecordCrash("oom", "linux", "1.2.3");

        // The server refuses a whole batch if any field is outside its type's schema: every type arrives.
        string[] types = ["send", "mode", "fallback", "divergence", "security-signal", "session-crash", "session-start", "revision-heartbeat"];
        await Eventually.TrueAsync(async () =>
        {
            foreach (var type in types)
            {
                if (await StoredAsync(server, type) == 0)
                {
                    return false;
                }
            }
            return true;
        }, "an event of every type stored");
        Assert.Equal(1, await StoredAsync(server, "fallback"));
        Assert.Equal(0, client.Telemetry.Failed);
        await Eventually.TrueAsync(async () =>
        {
            var view = await server.Admin.GetFromJsonAsync<JsonObject>("api/v1/programs/groups/clients");
            return view!["clients"]!.AsArray().Any(c => c!["instance"]!.GetValue<string>() == client.InstanceId
                && c["connected"]!.GetValue<bool>() && c["appliedRevision"]!.GetValue<long>() == head);
        }, "the client listed as connected at the head");
    }

    [Fact]
    public async Task A_client_disposed_while_the_server_is_answering_a_batch_does_not_send_that_batch_again()
    {
        await using var server = await SdkTestServer.StartAsync();
        // The server stores each batch and answers; the answers reach the client only when the test lets them. Disposing the
        // client in between must not cancel that POST and send its batch again (the server would count it twice).
        using var held = new HeldTelemetryAnswers { InnerHandler = new SocketsHttpHandler() };
        var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")) with { HttpHandler = held });
        var context = new EvaluationContext("w1", "u1", 0);
        for (var i = 0; i < 30; i++)
        {
            client.RecordSend(context, Transport.Secure, TimeSpan.FromMilliseconds(20), SendOutcome.Ok);
        }
        await Eventually.TrueAsync(async () => held.Holding > 0 && await StoredAsync(server, "send") == 30, "the 30 sends stored, their answer held");
        var disposed = client.DisposeAsync().AsTask();
        await Task.Delay(200);
        held.Release();
        await disposed;
        await Task.Delay(200); // anything the dispose flush sent again would be stored by now
        Assert.Equal(30, await StoredAsync(server, "send"));
    }

    /// <summary>Holds every telemetry answer the server gave until <see cref="Release"/>, as a stalled network would.</summary>
    private sealed class HeldTelemetryAnswers : DelegatingHandler
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _holding;

        public int Holding => Volatile.Read(ref _holding);

        public void Release() => _released.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith("/telemetry", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _holding);
                try
                {
                    await _released.Task.WaitAsync(cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _holding);
                }
            }
            return response;
        }
    }

    [Fact]
    public async Task A_client_whose_instance_id_another_key_owns_drops_its_refused_batches_instead_of_retrying_them()
    {
        await using var server = await SdkTestServer.StartAsync();
        var head = await server.OverrideAsync("F1", "global", true);
        await using var owner = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")) with { InstanceId = "web-1" });
        await Eventually.TrueAsync(async () =>
        {
            var view = await server.Admin.GetFromJsonAsync<JsonObject>("api/v1/programs/groups/clients");
            return view!["clients"]!.AsArray().Any(c => c!["instance"]!.GetValue<string>() == "web-1" && c["tokenId"] is not null);
        }, "web-1 bound to the first key");

        await using var impostor = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")) with { InstanceId = "web-1" });
        impostor.RecordMode(new EvaluationContext("w1"), Transport.Secure);

        // Queued counts every event ever queued: all of them were refused once and dropped, none sent again. (Its
        // stream is refused too — the instance is bound to the other key — so it reports no revision: session start and mode.)
        await Eventually.TrueAsync(() => impostor.Telemetry.Failed >= 2 && impostor.Telemetry.Failed == impostor.Telemetry.Queued,
            "the refused batch dropped, not requeued");
        Assert.True((await server.Admin.GetFromJsonAsync<JsonObject>("api/v1/telemetry/stats"))!["rejectedBy"]!["instance-bound"]!.GetValue<long>() >= 1);
        Assert.Equal(0, await StoredAsync(server, "mode"));
        Assert.Equal(head, owner.Revision);
    }

    /// <summary>Client-side sockets connected to the server's port (any process in this network namespace).</summary>
    private static int ConnectionsTo(RipcordTestServer server) => IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpConnections()
        .Count(c => c.State == TcpState.Established && c.RemoteEndPoint.Port == server.Port);

    [Fact]
    public async Task Between_flushes_a_client_keeps_only_its_stream_connection_open()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        var before = ConnectionsTo(server); // the test's own admin connection
        await using var client = new RipcordClient(server.SdkOptions(key));
        Assert.True(await client.WaitUntilLiveAsync(TimeSpan.FromSeconds(10)));
        client.RecordMode(new EvaluationContext("w1"), Transport.Secure);
        await Eventually.TrueAsync(async () => await StoredAsync(server, "mode") == 1, "the mode event stored");

        // The telemetry POST needed a second connection; idle, it is closed within seconds (the
        // pool's default would keep it a minute), and the stream's stays.
        await Eventually.TrueAsync(() => ConnectionsTo(server) == before + 1, "the idle telemetry connection to close");
        Assert.Equal(ClientState.Live, client.State);
    }

    public static TheoryData<string, string, int> BadBatches() => new()
    {
        { "malformed", "{\"program\":\"groups\",", 400 },
        { "unknown-type", Batch("{\"type\":\"keystroke\",\"at\":\"2026-11-24T00:00:00Z\"}"), 400 },
        { "forbidden-field", Batch("{\"type\":\"send\",\"at\":\"2026-11-24T00:00:00Z\",\"message\":\"hello there\"}"), 400 },
        { "key-material", Batch("{\"type\":\"security-signal\",\"at\":\"2026-11-24T00:00:00Z\",\"kind\":\"-----BEGIN PRIVATE KEY-----\"}"), 400 },
        { "key-material", Batch("{\"type\":\"mode\",\"at\":\"2026-11-24T00:00:00Z\",\"workspaceId\":\"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqaw==\"}"), 400 },
        { "bad-value", Batch("{\"type\":\"send\",\"at\":\"2026-11-24T00:00:00Z\",\"ackLatencyMs\":\"fast\"}"), 400 },
        { "too-large", Batch(string.Join(",", Enumerable.Repeat("{\"type\":\"mode\",\"at\":\"2026-11-24T00:00:00Z\"}", 501))), 400 },
        { "oversized-body", Batch(string.Join(",", Enumerable.Repeat("{\"type\":\"mode\",\"at\":\"2026-11-24T00:00:00Z\",\"workspaceId\":\"" + new string('w', 120) + "\"}", 2500))), 413 },
    };

    private static string Batch(string events) =>
        $"{{\"program\":\"groups\",\"instance\":\"i1\",\"events\":[{{\"type\":\"mode\",\"at\":\"2026-11-24T00:00:00Z\",\"tier\":1}},{events}]}}";

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task Bad_telemetry_is_refused_whole_and_counted(string code, string body, int status)
    {
        await using var server = await SdkTestServer.StartAsync();
        using var sdk = server.NewClient(await server.CreateTokenAsync("sdk"));
        using var response = await sdk.PostAsync("api/v1/telemetry", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await StoredAsync(server));
        if (status == 400)
        {
            var stats = await server.Admin.GetFromJsonAsync<JsonObject>("api/v1/telemetry/stats");
            Assert.Equal(1, stats!["rejectedBy"]![code]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task A_full_queue_never_slows_evaluation_and_counts_its_drops()
    {
        await using var client = new RipcordClient(new RipcordClientOptions
        {
            ServerUrl = new Uri("http://127.0.0.1:9/"), SdkKey = "rc_sdk_unused_key_000000000000", CacheDirectory = null,
            TelemetryQueueCapacity = 100, ReconnectMinDelay = TimeSpan.FromSeconds(5),
        });
        var context = new EvaluationContext("w1", "u1", 0);
        for (var i = 0; i < 10_000; i++)
        {
            client.RecordSend(context, Transport.Secure, TimeSpan.FromMilliseconds(1), SendOutcome.Ok);
        }
        Assert.True(client.Telemetry.Dropped >= 9_900, $"dropped {client.Telemetry.Dropped}");
        Assert.False(client.IsEnabled("F1", context));
    }

    [Fact]
    public async Task Decide_keeps_its_telemetry_event_without_allocating_for_it()
    {
        await using var client = new RipcordClient(new RipcordClientOptions
        {
            ServerUrl = new Uri("http://127.0.0.1:9/"), SdkKey = "rc_sdk_unused_key_000000000000", CacheDirectory = null,
            ReconnectMinDelay = TimeSpan.FromSeconds(5),
        });
        var catalog = FallbackCatalog.For(BuiltInPrograms.Find("groups")!); // what a client without configuration uses
        var request = new FallbackRequest { Tier = 1, Capability = "relay-unsupported", SecureEnabled = true, BaselineEnabled = true, WorkspaceId = "w1" };
        for (var i = 0; i < 20_000; i++)
        {
            client.Decide(request); // fills the 10,000-event queue: from here on every event drops the oldest
        }
        var engine = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            FallbackEngine.Decide(request, catalog, DateTimeOffset.UtcNow);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        engine = before - engine;
        for (var i = 0; i < 1_000; i++)
        {
            client.Decide(request);
        }
        var sdk = GC.GetAllocatedBytesForCurrentThread() - before;

        // The decision itself allocates (its records); recording it adds nothing (it was ~1.1 KB per call).
        Assert.True(sdk <= engine + 1_000 * 8, $"Decide allocated {sdk / 1_000} B per call, the engine alone {engine / 1_000} B");
        Assert.True(client.Telemetry.Dropped >= 11_000, $"dropped {client.Telemetry.Dropped}");
    }

    private static async Task<(RipcordTestServer Server, long Head)> WithBaselineAsync(Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null)
    {
        var server = await SdkTestServer.StartAsync(configure);
        await server.OverrideAsync("F1", "global", true);
        return (server, await server.OverrideAsync("F2", "global", true));
    }

    [Fact]
    public async Task A_security_lead_grant_reaches_a_connected_sdk_through_the_stream_and_stops_at_its_expiry()
    {
        var (server, head) = await WithBaselineAsync();
        await using var _ = server;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")) with { Clock = clock });
        await Eventually.TrueAsync(() => client.Revision == head, "the head");
        var context = new EvaluationContext("w1", "u1", 2);
        var blocked = client.Decide(context, "key-unavailable");
        Assert.Equal(FallbackOutcome.Blocked, blocked.Outcome);
        Assert.Equal(IntentDisposition.Held, blocked.Intent);

        // The security lead grants it from the API (the CLI's `ripcord grant create`); the app holds no token but its SDK key.
        using var security = server.NewClient(await server.CreateTokenAsync("security-lead"));
        using var response = await security.PostAsJsonAsync("api/v1/programs/groups/override-grants",
            new { workspaceId = "w1", action = "send", reason = "incident 12", ttlMinutes = 10 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await response.Content.ReadFromJsonAsync<JsonObject>();
        var grantId = issued!["grant"]!["id"]!.GetValue<string>();
        var expiresAt = issued["grant"]!["expiresAt"]!.GetValue<DateTimeOffset>();
        await Eventually.TrueAsync(() => client.Revision == head + 1, "the grant's revision on the stream");

        // No extra call: Decide finds the grant in the revision it holds.
        var allowed = client.Decide(context, "key-unavailable");
        Assert.Equal(FallbackOutcome.FallbackPrompt, allowed.Outcome);
        Assert.Equal(IntentDisposition.ReplayAfterConfirmation, allowed.Intent);
        Assert.Equal(grantId, allowed.Telemetry.GrantId);
        Assert.Equal(FallbackOutcome.Blocked, client.Decide(new EvaluationContext("w2", "u1", 2), "key-unavailable").Outcome);
        Assert.Equal(FallbackOutcome.Blocked, client.Decide(context, "key-unavailable", action: "create").Outcome);

        // At its expiry it stops applying by itself, without a new revision.
        clock.SetUtcNow(expiresAt);
        Assert.Equal(FallbackOutcome.Blocked, client.Decide(context, "key-unavailable").Outcome);
        Assert.Equal(head + 1, client.Revision);
    }

    [Fact]
    public async Task A_revoked_grant_stops_applying_when_its_revision_arrives()
    {
        var (server, head) = await WithBaselineAsync();
        await using var _ = server;
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")));
        await Eventually.TrueAsync(() => client.Revision == head, "the head");
        var issued = await server.Admin.PostAsJsonAsync("api/v1/programs/groups/override-grants", new { workspaceId = "w1", action = "send", reason = "r" });
        var id = (await issued.Content.ReadFromJsonAsync<JsonObject>())!["grant"]!["id"]!.GetValue<string>();
        var context = new EvaluationContext("w1", "u1", 2);
        await Eventually.TrueAsync(() => client.Decide(context, "key-unavailable").Outcome == FallbackOutcome.FallbackPrompt, "the grant applies");
        using var revoke = await server.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"api/v1/programs/groups/override-grants/{id}")
        {
            Content = JsonContent.Create(new { reason = "relay restored" }),
        });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        await Eventually.TrueAsync(() => client.Decide(context, "key-unavailable").Outcome == FallbackOutcome.Blocked, "the revocation applies");
    }

    [Fact]
    public async Task An_in_app_override_is_asked_with_the_sdks_own_key_for_a_role_the_definition_allows()
    {
        var (server, head) = await WithBaselineAsync();
        await using var _ = server;
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")));
        await Eventually.TrueAsync(() => client.Revision == head, "the head");
        var context = new EvaluationContext("w1", "u1", 2);

        // A role the definition does not list is refused by the server, and nothing is granted.
        var refused = await Assert.ThrowsAsync<OverrideRefusedException>(() => client.RequestOverrideAsync("w1", "send", "confirmed", "member"));
        Assert.Equal(403, refused.Status);
        Assert.Equal(FallbackOutcome.Blocked, client.Decide(context, "key-unavailable").Outcome);

        var grant = await client.RequestOverrideAsync("w1", "send", "the group admin confirmed", "group-admin");
        Assert.NotNull(grant);
        Assert.Equal("group-admin", grant.InAppRole);
        // Honoured at once (before its revision arrives), then from the revision like any grant.
        Assert.Equal(FallbackOutcome.FallbackPrompt, client.Decide(context, "key-unavailable").Outcome);
        await Eventually.TrueAsync(() => client.Revision == head + 1, "the grant's revision");
        Assert.Equal(FallbackOutcome.FallbackPrompt, client.Decide(context, "key-unavailable").Outcome);
        Assert.Equal(FallbackOutcome.Blocked, client.Decide(new EvaluationContext("w2", "u1", 2), "key-unavailable").Outcome);

        var audit = await server.Admin.GetFromJsonAsync<JsonObject>("api/v1/audit?limit=1000");
        Assert.Contains(audit!["entries"]!.AsArray(), e => e!["action"]!.GetValue<string>() == "tier2-override.grant"
            && e["role"]!.GetValue<string>() == "sdk" && e["after"]!.GetValue<string>().Contains(grant.Id, StringComparison.Ordinal));
    }

    private sealed class FailingAudit(IAuditLog inner) : IAuditLog
    {
        public Task<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken ct = default) => inner.AppendAsync(draft, ct);

        public Task<AuditEntry> AppendAsync(WriteSession session, AuditDraft draft, CancellationToken ct = default) =>
            draft.Action == AuditAction.Tier2OverrideGrant ? throw new IOException("disk full") : inner.AppendAsync(session, draft, ct);

        public Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSeq, int limit, CancellationToken ct = default) => inner.ReadAsync(afterSeq, limit, ct);

        public Task<IReadOnlyList<AuditEntry>> ReadLatestAsync(int limit, DateTimeOffset? since, CancellationToken ct = default) =>
            inner.ReadLatestAsync(limit, since, ct);

        public Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditFilter filter, long? beforeSeq, int limit, CancellationToken ct = default) =>
            inner.SearchAsync(filter, beforeSeq, limit, ct);
    }

    [Fact]
    public async Task No_audit_event_means_no_grant_and_the_sdk_gets_no_override()
    {
        var (server, head) = await WithBaselineAsync(builder =>
            builder.Services.AddSingleton<IAuditLog>(sp => new FailingAudit(new AuditStore(sp.GetRequiredService<Databases>()))));
        await using var _ = server;
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")));
        await Eventually.TrueAsync(() => client.Revision == head, "the head");

        Assert.Null(await client.RequestOverrideAsync("w1", "send", "confirmed", "group-admin"));
        Assert.Equal(FallbackOutcome.Blocked, client.Decide(new EvaluationContext("w1", "u1", 2), "key-unavailable").Outcome);

        using var security = server.NewClient(await server.CreateTokenAsync("security-lead"));
        using var response = await security.PostAsJsonAsync("api/v1/programs/groups/override-grants",
            new { workspaceId = "w1", action = "send", reason = "incident 12" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.DoesNotContain("grt_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(head, await server.HeadAsync());
    }

    [Fact]
    public async Task With_the_server_down_the_sdk_gets_no_override()
    {
        var (server, head) = await WithBaselineAsync();
        await using var _ = server;
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")));
        await Eventually.TrueAsync(() => client.Revision == head, "the head");
        await server.StopAsync();

        Assert.Null(await client.RequestOverrideAsync("w1", "send", "confirmed", "group-admin"));
        Assert.Equal(FallbackOutcome.Blocked, client.Decide(new EvaluationContext("w1", "u1", 2), "key-unavailable").Outcome);
    }
}
