using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Core.Telemetry;
using Ripcord.Sdk.Internal;
using Ripcord.Server.Telemetry;

namespace Ripcord.Sdk.Tests;

/// <summary>The SDK writes telemetry by the schema in Core, and the server accepts everything it writes.</summary>
public sealed class TelemetrySchemaTests
{
    private static readonly long At = new DateTimeOffset(2026, 11, 24, 9, 30, 15, TimeSpan.Zero).UtcTicks;

    private static JsonObject Written(TelemetryEvent e) => JsonNode.Parse(JsonSerializer.Serialize(e, JsonSerializerOptions.Web))!.AsObject();

    private static TelemetryRejection? Rejection(params TelemetryEvent[] events)
    {
        var body = JsonSerializer.Serialize(new { program = "groups", instance = "i1", events }, JsonSerializerOptions.Web);
        using var document = JsonDocument.Parse(body);
        return TelemetryValidator.Validate(document.RootElement).Rejection;
    }

    [Fact]
    public void Text_is_cut_to_the_schema_limit_and_key_material_is_sent_as_null()
    {
        var long200 = string.Join(" ", Enumerable.Repeat("very high", 20));
        var pem = "-----BEGIN PRIVATE KEY-----";
        var base64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqaw==";
        var sha1 = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"; // a hex digest used as an id: 40 characters, a key's shape

        var e = TelemetryEvent.SecuritySignal(At, pem, long200, base64);
        var json = Written(e);
        Assert.Null(json[TelemetryFields.Kind]);
        Assert.Equal(long200[..TelemetrySchema.MaxTextLength], json[TelemetryFields.Severity]!.GetValue<string>());
        Assert.Null(json[TelemetryFields.WorkspaceId]);
        Assert.Null(Written(TelemetryEvent.Mode(At, 1, sha1, TelemetryValues.Secure, 0))[TelemetryFields.WorkspaceId]);
        Assert.Null(Rejection(e, TelemetryEvent.Mode(At, 1, sha1, TelemetryValues.Secure, 0)));

        // Sent as given, the digest would have made the server refuse the whole batch.
        using var raw = JsonDocument.Parse($$"""
            {"program":"groups","instance":"i1","events":[{"type":"mode","at":"2026-11-24T00:00:00Z","workspaceId":"{{sha1}}"}]}
            """);
        Assert.Equal("key-material", TelemetryValidator.Validate(raw.RootElement).Rejection?.Code);
    }

    [Fact]
    public void Tiers_outside_the_schema_and_negative_numbers_are_not_sent()
    {
        var send = Written(TelemetryEvent.Send(At, -5, TelemetryValues.Ok, TelemetryValues.Baseline, "w1", 7, 0));
        Assert.Null(send[TelemetryFields.Tier]);
        Assert.Equal(0, send[TelemetryFields.AckLatencyMs]!.GetValue<double>());
        Assert.Null(Written(TelemetryEvent.Mode(At, -1, "w1", TelemetryValues.Secure, 0))[TelemetryFields.Tier]);
        Assert.Equal(0, Written(TelemetryEvent.Divergence(At, "members", -3, null))[TelemetryFields.Count]!.GetValue<int>());
        Assert.Equal(2, Written(TelemetryEvent.Mode(At, 2, "w1", TelemetryValues.Secure, 0))[TelemetryFields.Tier]!.GetValue<int>());
    }

    // ---- everything the SDK can write, through its public API, against the server's validator --------------

    /// <summary>Refuses the stream and keeps every telemetry body, as the server would receive it.</summary>
    private sealed class TelemetryRecorder : HttpMessageHandler
    {
        public ConcurrentQueue<string> Bodies { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri!.AbsolutePath != "/api/v1/telemetry")
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }
            Bodies.Enqueue(await request.Content!.ReadAsStringAsync(ct));
            return new HttpResponseMessage(HttpStatusCode.Accepted);
        }
    }

    private static readonly Gen<string?> Texts = Gen.OneOf<string?>(
        Gen.Elements<string?>(null, "", "w1", "relay-unsupported", "Zoë's <ws> & \"co\" \u2028", "😀"),
        ArbMap.Default.GeneratorFor<string?>(),
        // Longer than the limit, a surrogate pair around where it is cut.
        Gen.Choose(120, 130).Select(n => (string?)(string.Concat(Enumerable.Repeat("ab cd ", 30))[..n] + "😀 and more")),
        Gen.Elements<string?>("-----BEGIN PRIVATE KEY-----", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqaw==",
            "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "rc_sdk_0123456789abcdef0123456789abcdef01"));

    private static readonly Gen<int?> Tiers = Gen.OneOf(Gen.Elements<int?>(null, 0, 1, 2, 3, -1, int.MaxValue), ArbMap.Default.GeneratorFor<int?>());

    private static readonly Gen<EvaluationContext> Contexts =
        from workspace in Texts
        from user in Texts
        from tier in Tiers
        select new EvaluationContext(workspace, user, tier);

    private static readonly Gen<Transport> Transports = Gen.Elements(Transport.Secure, Transport.Baseline, (Transport)7);

    /// <summary>One call of the SDK's public API that records telemetry.</summary>
    private static readonly Gen<Action<RipcordClient>> Calls = Gen.OneOf(
        from c in Contexts from t in Transports select (Action<RipcordClient>)(client => client.RecordMode(c, t)),
        from c in Contexts
        from t in Transports
        from ticks in Gen.OneOf(ArbMap.Default.GeneratorFor<long>(), Gen.Elements(TimeSpan.MaxValue.Ticks, TimeSpan.MinValue.Ticks, 0L))
        from outcome in Gen.Elements(SendOutcome.Ok, SendOutcome.Failed, SendOutcome.Timeout, (SendOutcome)9)
        select (Action<RipcordClient>)(client => client.RecordSend(c, t, TimeSpan.FromTicks(ticks), outcome)),
        from c in Contexts from projection in Texts from count in ArbMap.Default.GeneratorFor<int>()
        select (Action<RipcordClient>)(client => client.RecordDivergence(c, projection!, count)),
        from c in Contexts from kind in Texts from severity in Texts
        select (Action<RipcordClient>)(client => client.RecordSecuritySignal(c, kind!, severity!)),
        from kind in Texts from platform in Texts from version in Texts
        select (Action<RipcordClient>)(client => client.RecordCrash(kind!, platform, version)),
        from c in Contexts from capability in Texts from action in Texts from t in Transports
        select (Action<RipcordClient>)(client => client.Decide(c, capability!, action!, t)),
        from tier in Tiers
        from capability in Texts
        from workspace in Texts
        from action in Texts
        from flags in Gen.Choose(0, 7)
        from grantId in Texts
        select (Action<RipcordClient>)(client => client.Decide(new FallbackRequest
        {
            Tier = tier, Capability = capability!, Action = action!, WorkspaceId = workspace,
            SecureEnabled = (flags & 1) != 0, BaselineEnabled = (flags & 2) != 0, StrictTierEnforcement = (flags & 4) != 0,
            Grant = new OverrideGrant(grantId!, "groups", workspace!, action!, DateTimeOffset.UtcNow.AddHours(1), "sec"),
        })));

    private static RipcordClientOptions RecorderOptions(TelemetryRecorder recorder) => new()
    {
        ServerUrl = new Uri("http://127.0.0.1:9/"), SdkKey = "rc_sdk_unused_key_000000000000", CacheDirectory = null,
        HttpHandler = recorder, ReconnectMinDelay = TimeSpan.FromSeconds(5), TelemetryBatchSize = 7,
    };

    [Property(MaxTest = 150)]
    public Property Every_event_the_sdk_writes_passes_the_server_validator() => Prop.ForAll(Calls.ListOf().ToArbitrary(), calls =>
    {
        using var recorder = new TelemetryRecorder();
        var client = new RipcordClient(RecorderOptions(recorder));
        foreach (var call in calls)
        {
            call(client);
        }
        client.Dispose(); // flushes what is queued
        var events = 0;
        foreach (var body in recorder.Bodies)
        {
            using var document = JsonDocument.Parse(body);
            var (batch, rejection) = TelemetryValidator.Validate(document.RootElement);
            Assert.True(rejection is null, $"{rejection?.Code}: {rejection?.Message}\n{body}");
            events += batch!.Events.Count;
        }
        Assert.Equal(calls.Count + 1, events); // and the session-start
        Assert.Equal(new TelemetryCounters(calls.Count + 1, calls.Count + 1, 0, 0), client.Telemetry);
    });

    [Fact]
    public async Task The_sdk_writes_every_event_type_of_the_schema()
    {
        using var recorder = new TelemetryRecorder();
        await using (var client = new RipcordClient(RecorderOptions(recorder) with
        {
            TelemetryFlushInterval = TimeSpan.FromMilliseconds(20), HeartbeatInterval = TimeSpan.Zero,
        }))
        {
            var context = new EvaluationContext("w1", "u1", 1);
            client.RecordMode(context, Transport.Secure);
            client.RecordSend(context, Transport.Secure, TimeSpan.FromMilliseconds(3), SendOutcome.Ok);
            client.RecordDivergence(context, "members", 1);
            client.RecordSecuritySignal(context, "replay", "high");
            client.RecordCrash("oom");
            client.Decide(context, "relay-unsupported");
            await Eventually.TrueAsync(() => recorder.Bodies.Any(b => b.Contains("\"revision-heartbeat\"", StringComparison.Ordinal)), "a revision heartbeat");
        }
        var written = recorder.Bodies
            .SelectMany(b => JsonNode.Parse(b)![TelemetryBatchFields.Events]!.AsArray())
            .Select(e => e![TelemetryFields.Type]!.GetValue<string>())
            .ToHashSet();
        Assert.Equal(TelemetrySchema.Events.Keys.Order(), written.Order());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(TelemetrySchema.MaxIdLength + 1)]
    public void An_instance_id_the_server_would_refuse_is_refused_at_construction(int length)
    {
        var instance = new string('i', length);
        var options = new RipcordClientOptions { ServerUrl = new Uri("http://127.0.0.1:9/"), SdkKey = "rc_sdk_unused_key_000000000000", InstanceId = instance };
        Assert.Throws<ArgumentException>(() => new RipcordClient(options));
    }

    [Theory]
    [InlineData("rc_sdk_dGhpc2lzbm90YXJlYWxrZXk")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    public void An_instance_id_shaped_like_a_key_is_refused_at_construction(string instance)
    {
        var options = new RipcordClientOptions { ServerUrl = new Uri("http://127.0.0.1:9/"), SdkKey = "rc_sdk_unused_key_000000000000", InstanceId = instance };
        Assert.Throws<ArgumentException>(() => new RipcordClient(options));
    }
}
