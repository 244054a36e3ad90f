using System.Text.Json;
using System.Text.Json.Nodes;
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
        Assert.Null(Written(TelemetryEvent.Mode(At, 1, sha1, TelemetryValues.Secure))[TelemetryFields.WorkspaceId]);
        Assert.Null(Rejection(e, TelemetryEvent.Mode(At, 1, sha1, TelemetryValues.Secure)));

        // Sent as given, the digest would have made the server refuse the whole batch.
        using var raw = JsonDocument.Parse($$"""
            {"program":"groups","instance":"i1","events":[{"type":"mode","at":"2026-11-24T00:00:00Z","workspaceId":"{{sha1}}"}]}
            """);
        Assert.Equal("key-material", TelemetryValidator.Validate(raw.RootElement).Rejection?.Code);
    }

    [Fact]
    public void Tiers_outside_the_schema_and_negative_numbers_are_not_sent()
    {
        var send = Written(TelemetryEvent.Send(At, -5, TelemetryValues.Ok, TelemetryValues.Baseline, "w1", 7));
        Assert.Null(send[TelemetryFields.Tier]);
        Assert.Equal(0, send[TelemetryFields.AckLatencyMs]!.GetValue<double>());
        Assert.Null(Written(TelemetryEvent.Mode(At, -1, "w1", TelemetryValues.Secure))[TelemetryFields.Tier]);
        Assert.Equal(0, Written(TelemetryEvent.Divergence(At, "members", -3, null))[TelemetryFields.Count]!.GetValue<int>());
        Assert.Equal(2, Written(TelemetryEvent.Mode(At, 2, "w1", TelemetryValues.Secure))[TelemetryFields.Tier]!.GetValue<int>());
    }
}
