using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Ripcord.Server.Tests.Authorization;

/// <summary>SPEC §9: tokens are stored hashed; the secret is shown once, at creation, and never again.</summary>
public sealed class TokenStorageTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TokenSecret_IsShownOnceAndStoredOnlyAsItsHash()
    {
        var token = await _server.MintTokenAsync("operator", "hash check");
        Assert.StartsWith("rc_usr_", token.Secret, StringComparison.Ordinal);
        var sdk = await _server.MintTokenAsync("sdk", "sdk hash check");
        Assert.StartsWith("rc_sdk_", sdk.Secret, StringComparison.Ordinal);

        var listing = (await _server.GetAsync("/api/v1/tokens")).GetRawText();
        Assert.DoesNotContain(token.Secret, listing, StringComparison.Ordinal);
        Assert.DoesNotContain(RipcordTestServer.AdminToken, listing, StringComparison.Ordinal);
        Assert.Contains(token.Id, listing, StringComparison.Ordinal);

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token.Secret)));
        var files = Directory.GetFiles(_server.DataDirectory).Select(f => File.ReadAllBytes(f)).ToList();
        Assert.NotEmpty(files);
        bool Stored(string text) => files.Any(bytes => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0);
        Assert.True(Stored(hash), "the token's SHA-256 hash is what is stored");
        Assert.False(Stored(token.Secret), "the operator token's secret is in the database files");
        Assert.False(Stored(sdk.Secret), "the sdk token's secret is in the database files");
        Assert.False(Stored(RipcordTestServer.AdminToken), "the admin token is in the database files");
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/openapi/v1.json")]
    public async Task HealthAndOpenApi_NeedNoToken(string path)
    {
        using var response = await _server.SendAsync(HttpMethod.Get, path, token: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
