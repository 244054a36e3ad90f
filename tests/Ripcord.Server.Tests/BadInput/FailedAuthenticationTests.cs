using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ripcord.Server.Auth;
using Ripcord.Server.Tests.Webhooks;

namespace Ripcord.Server.Tests.BadInput;

/// <summary>
/// Issue 8, item 1: requests with made-up tokens cost the server bounded memory and bounded log,
/// and an address that keeps sending them is answered 429 — while valid tokens from the same
/// address are never held back.
/// </summary>
public sealed class FailedAuthenticationTests : IAsyncLifetime
{
    private const int Burst = 50;
    private const int Requests = 400;
    private readonly CapturedLogs _logs = new();
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(
        customize: o => o with { FailedAuthenticationsPerSecond = 1, FailedAuthenticationsBurst = Burst },
        configure: b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Information);
            b.Logging.AddProvider(_logs);
        });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string RandomToken() => "rc_usr_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    [Fact]
    public async Task RandomTokens_AreNotCached_LogNothingAtInfo_AndAreThrottledPerAddress_WhileAValidTokenStillWorks()
    {
        var tokens = _server.Services.GetRequiredService<TokenService>();
        await _server.GetAsync("/api/v1/programs"); // a valid token, cached
        var logged = _logs.Lines.Count;

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Requests; i++)
        {
            using var response = await _server.SendAsync(HttpMethod.Get, "/api/v1/programs", RandomToken());
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 carries Retry-After");
                await ApiAssert.ProblemAsync(response, HttpStatusCode.TooManyRequests);
            }
            else
            {
                await ApiAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
            }
        }

        // Unknown tokens take no room: at most the one valid token is cached.
        Assert.InRange(tokens.CachedCount, 0, 1);
        // The first failures are 401; once the burst is spent (plus what refilled meanwhile), 429.
        Assert.All(statuses.Take(Burst), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) > Requests / 2);
        // No line per failure: at most a handful at Information or above, whatever the count.
        var lines = _logs.Lines.Skip(logged).ToList();
        Assert.True(lines.Count <= 5, $"{lines.Count} log lines for {Requests} failed authentications:\n{string.Join('\n', lines.Take(10))}");
        var failures = _server.Services.GetRequiredService<FailedAuthentications>();
        Assert.Equal(Requests, failures.Failures);

        // The same address, with a valid token, is not held back — neither a cached one nor a fresh one.
        await _server.GetAsync("/api/v1/programs");
        var viewer = await _server.CreateTokenAsync("viewer");
        await _server.GetAsync("/api/v1/programs", viewer);
    }

    [Fact]
    public async Task XApiKey_IsAcceptedOnOfrepPaths_Only()
    {
        var sdk = await _server.CreateTokenAsync("sdk");
        using var client = _server.NewClient(null);
        client.DefaultRequestHeaders.Add("X-API-Key", sdk);
        using (var ofrep = await client.PostAsync("/ofrep/v1/evaluate/flags", RipcordTestServer.Json(new { context = new { targetingKey = "u-1" } })))
        {
            Assert.Equal(HttpStatusCode.OK, ofrep.StatusCode);
        }
        using var api = await client.GetAsync("/api/v1/programs/groups/stream");
        await ApiAssert.ProblemAsync(api, HttpStatusCode.Unauthorized);
    }
}
