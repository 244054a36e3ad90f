using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Ripcord.Server.Tests.Webhooks;

namespace Ripcord.Server.Tests.Authorization;

/// <summary>
/// Issue 8, item 9: an sdk key reads what an SDK needs (the stream, the current revision), not the
/// configuration's history; secrets are not cacheable; the OpenAPI document does not echo the
/// request's Host; a client's mistake is not logged as the server's error.
/// </summary>
public sealed class KeyScopeTests : IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(configure: b => b.Logging.AddProvider(_logs));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/api/v1/programs/groups/revisions")]
    [InlineData("/api/v1/programs/groups/revisions/1")]
    [InlineData("/api/v1/programs/groups/overrides")]
    [InlineData("/api/v1/programs/groups/cohorts")]
    [InlineData("/api/v1/programs/groups/definition")]
    [InlineData("/api/v1/programs/groups/override-grants")]
    public async Task SdkKey_CannotReadConfigurationOrItsHistory(string path)
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        using var response = await _server.SendAsync(HttpMethod.Get, path, sdk);
        await ApiAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("/api/v1/programs/groups")]
    [InlineData("/api/v1/programs/groups/flags")]
    [InlineData("/api/v1/freezes/active?program=groups")]
    public async Task SdkKey_ReadsTheCurrentRevision_FlagKeys_AndFreezeCheck(string path)
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        await _server.GetAsync(path, sdk);
    }

    [Fact]
    public async Task TokenCreation_IsNeverCached()
    {
        using var response = await _server.SendAsync(HttpMethod.Post, "/api/v1/tokens", json: new { name = "ci", role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
    }

    [Fact]
    public async Task OpenApiDocument_DoesNotReflectTheHostHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "attacker.example";
        using var response = await _server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("attacker.example", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ClientErrors_AreNeverLoggedAsServerErrors()
    {
        foreach (var body in new[] { "{\"flag\":", "{\"stage\":true}", "[]" })
        {
            using var request = RipcordTestServer.Request(HttpMethod.Put, "/api/v1/programs/groups/stage", RipcordTestServer.AdminToken,
                new StringContent(body, Encoding.UTF8, "application/json"));
            using var response = await _server.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        Assert.DoesNotContain(_logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
    }
}
