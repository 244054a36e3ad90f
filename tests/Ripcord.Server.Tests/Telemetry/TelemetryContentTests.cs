using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Telemetry;
using Ripcord.Server.Telemetry;

namespace Ripcord.Server.Tests.Telemetry;

/// <summary>
/// Issue 8, items 3 and 5: what a telemetry batch may carry. No field twice (only one copy would be
/// checked), nothing shaped like a key in any string — the batch's own fields included, and with
/// spaces in it — text that is valid Unicode, and what is stored is written anew from the checked
/// fields, never the text as sent.
/// </summary>
public sealed class TelemetryContentTests : IAsyncLifetime
{
    private const string At = "2030-01-01T09:00:00Z";
    private RipcordTestServer _server = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync();
        _key = await _server.TokenAsync("sdk");
    }

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Theory]
    [InlineData("""{"program":"groups","instance":"i1","instance":"i2","events":[]}""")]
    [InlineData("""{"program":"groups","instance":"i1","events":[{"type":"mode","at":"2030-01-01T09:00:00Z","workspaceId":"w1","workspaceId":"-----BEGIN PRIVATE KEY-----"}]}""")]
    [InlineData("""{"program":"groups","instance":"i1","events":[{"type":"send","at":"2030-01-01T09:00:00Z","outcome":"ok","outcome":"failed"}]}""")]
    [Invariant("TL-3", "what is stored of a telemetry event is exactly the fields validated, each once; no string looks like key material")]
    public async Task ADuplicateProperty_RefusesTheWholeBatch_AndNothingIsStored(string body)
    {
        var problem = await _server.PostTelemetryAsync(_key, body).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal("duplicate-field", problem.GetProperty("code").GetString());
        Assert.Equal(0, await _server.StoredAsync());
        Assert.Equal(1, await _server.RejectedAsync("duplicate-field"));
    }

    public static TheoryData<string, string> KeysInDisguise => new()
    {
        { "a 32-character hex token", "0123456789abcdef0123456789abcdef" },
        { "a 32-character base64url token", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi" },
        { "a key split by spaces", "QUJDREVGR0hJ SktMTU5PUFFS U1RVVldYWVph YmNkZWZn" },
        { "a PEM marker split by spaces", "- - - - - BEGIN RSA PRIVATE KEY" },
        { "an SDK key", "rc_sdk_dGhpc2lzbm90YXJlYWxrZXk" },
        { "a user token", "rc_usr_short" },
    };

    private static string Compact(string key)
    {
        var compact = key.Replace(" ", "", StringComparison.Ordinal);
        return compact[..Math.Min(TelemetrySchema.MaxIdLength, compact.Length)];
    }

    [Theory]
    [MemberData(nameof(KeysInDisguise))]
    [Invariant("TL-3", "what is stored of a telemetry event is exactly the fields validated, each once; no string looks like key material")]
    public async Task KeyMaterial_IsRefused_InEventFields_AndInTheBatchsInstance(string what, string key)
    {
        var inEvent = new { program = "groups", instance = "web-1", events = new[] { new { type = "mode", at = At, workspaceId = key } } };
        var asInstance = new { program = "groups", instance = Compact(key), events = Array.Empty<object>() };
        var asSdk = new { program = "groups", instance = "web-1", sdk = key, events = Array.Empty<object>() };

        foreach (var batch in new object[] { inEvent, asInstance, asSdk })
        {
            var problem = await _server.PostTelemetryAsync(_key, batch).ExpectAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("code").GetString() == "key-material", $"{what}: {problem}");
        }
        Assert.Equal(0, await _server.StoredAsync());
        var clients = await _server.GetAsync("/api/v1/programs/groups/clients");
        Assert.Equal(0, clients.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("sdk-3f2a1b2c4d5e6f70")] // what the .NET SDK generates
    [InlineData("web-3f2a1b2c-4d5e-6f70-8192-a3b4c5d6e7f8")]
    [InlineData("3f2a1b2c-4d5e-6f70-8192-a3b4c5d6e7f8")]
    [InlineData("payments-reconciliation-worker-7d9f8b6c5-x2k4p")]
    [InlineData("ip-10-0-12-34.eu-west-1.compute.internal")]
    [InlineData("ripcord-dotnet/1.4.0")]
    [InlineData("publish-ack-failures")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36")]
    [InlineData("a sentence of ordinary words that is rather long but has nothing secret in it")]
    public async Task OrdinaryIdentifiers_AreNotMistakenForKeys(string value)
    {
        Assert.False(TelemetrySchema.LooksLikeKeyMaterial(value), value);
        var instance = value.Length <= TelemetrySchema.MaxIdLength ? value : "web-1";
        await _server.PostTelemetryAsync(_key, new
        {
            program = "groups", instance, sdk = "ripcord-dotnet/1.4.0",
            events = new object[] { new { type = "mode", at = At, workspaceId = value }, new { type = "session-start", at = At, platform = value } },
        }).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(2, await _server.StoredAsync());
    }

    [Fact]
    [Invariant("TL-3", "what is stored of a telemetry event is exactly the fields validated, each once; no string looks like key material")]
    public async Task WhatIsStored_IsWrittenAnewFromTheCheckedFields_NotTheTextAsSent()
    {
        var sent = """
            {"program":"groups","instance":"web-1","events":[
              { "type" : "send", "at":"2030-01-01T10:00:00+01:00",  "outcome":"\u006fk", "ackLatencyMs": 12.0, "tier": null,
                "workspaceId": "w\u00e9-1" }]}
            """;
        await _server.PostTelemetryAsync(_key, sent).ExpectAsync(HttpStatusCode.Accepted);

        var stored = Assert.Single(await _server.Services.GetRequiredService<ITelemetryStore>().ReadAsync("groups", 10));
        Assert.Equal("""{"type":"send","at":"2030-01-01T10:00:00+01:00","outcome":"ok","ackLatencyMs":12,"tier":null,"workspaceId":"w\u00E9-1"}""",
            stored.PayloadJson);
    }

    [Theory]
    [InlineData("""{"program":"gr\ud800oups","instance":"i1","events":[]}""")]
    [InlineData("""{"program":"groups","instance":"\ud800","events":[]}""")]
    [InlineData("""{"program":"groups","instance":"i1","sdk":"x\udfff","events":[]}""")]
    [InlineData("""{"program":"groups","instance":"i1","events":[{"type":"\ud800","at":"2030-01-01T09:00:00Z"}]}""")]
    [InlineData("""{"program":"groups","instance":"i1","events":[{"type":"mode","at":"2030-01-01T09:00:00Z","workspaceId":"w\ud800"}]}""")]
    [InlineData("""{"program":"groups","instance":"i1","events":[{"type":"mode","at":"\ud800","workspaceId":"w1"}]}""")]
    [InlineData("""{"program":"groups","instance":"i1","events":[{"type":"mode","at":"2030-01-01T09:00:00Z","\ud800":"w1"}]}""")]
    [InlineData("""{"\ud800":"groups","instance":"i1","events":[]}""")]
    public async Task ALoneSurrogate_AnywhereInABatch_Is400_Never500(string body)
    {
        var problem = await _server.PostTelemetryAsync(_key, body).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal("Telemetry refused", problem.GetProperty("title").GetString());
        Assert.Equal(0, await _server.StoredAsync());
    }

    [Fact]
    public async Task RestBodies_RefuseADuplicateProperty_TooRatherThanKeepingTheLastCopy()
    {
        var head = await _server.HeadAsync();
        using var response = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/programs/groups/overrides",
            RipcordTestServer.AdminToken,
            RipcordTestServer.Json("""{"flag":"F3","scope":"workspace:w1","value":true,"value":false,"reason":"test"}""")));

        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("duplicate", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());
    }
}
