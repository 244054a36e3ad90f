using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Ripcord.EndToEnd.Tests;

/// <summary>
/// The bulk ETag changes exactly when what the client holds is no longer current: after a
/// configuration change, and after an override expires (no new revision, but other values).
/// Its own server, with a clock the test moves.
/// </summary>
public sealed class OfrepETagTests : IAsyncLifetime
{
    private const string Body = """{"context":{"targetingKey":"u-diag","workspaceId":"w-1"}}""";

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private RipcordTestServer? _server;
    private HttpClient? _sdk;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync(clock: _clock);
        _sdk = _server.NewClient(await _server.CreateTokenAsync("sdk"));
    }

    public async Task DisposeAsync()
    {
        _sdk?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task<(HttpStatusCode Status, EntityTagHeaderValue? ETag, JsonObject? Body)> BulkAsync(EntityTagHeaderValue? ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "ofrep/v1/evaluate/flags")
        {
            Content = new StringContent(Body, Encoding.UTF8, "application/json"),
        };
        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(ifNoneMatch);
        }
        using var response = await _sdk!.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.ETag, text.Length == 0 ? null : E2eHttp.Parse(text));
    }

    private static bool Routes(JsonObject body) =>
        (bool)body["flags"]!.AsArray().Single(f => (string?)f!["key"] == "groups.routes.enabled")!["value"]!;

    [Fact]
    public async Task The_tag_follows_configuration_changes_and_override_expiry()
    {
        var (status, first, body) = await BulkAsync(null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(Routes(body!));
        Assert.Equal(HttpStatusCode.NotModified, (await BulkAsync(first)).Status);

        // A diagnostic override for this user: a new revision, a new tag, routes on.
        await _server!.PostJsonAsync("api/v1/programs/groups/overrides", new
        {
            flag = "groups.routes.enabled",
            scope = "user:u-diag",
            value = true,
            reason = "diagnose u-diag",
            expiresAt = _clock.GetUtcNow().AddHours(1),
        });
        var (changed, second, changedBody) = await BulkAsync(first);
        Assert.Equal(HttpStatusCode.OK, changed);
        Assert.NotEqual(first, second);
        Assert.True(Routes(changedBody!));
        Assert.Equal(HttpStatusCode.NotModified, (await BulkAsync(second)).Status);

        // Two hours on the override has expired: same revision, other values, so another tag.
        _clock.Advance(TimeSpan.FromHours(2));
        var (expired, third, expiredBody) = await BulkAsync(second);
        Assert.Equal(HttpStatusCode.OK, expired);
        Assert.NotEqual(second, third);
        Assert.False(Routes(expiredBody!));
        Assert.Equal(
            (long)changedBody!["flags"]![0]!["metadata"]!["revision"]!,
            (long)expiredBody!["flags"]![0]!["metadata"]!["revision"]!);
        Assert.Equal(HttpStatusCode.NotModified, (await BulkAsync(third)).Status);
    }
}
