using System.Net.Http.Json;

namespace Ripcord.Sdk.Tests;

/// <summary>What the SDK tests do with the shared test host (Ripcord.Testing): admin writes and SDK options pointed at it.</summary>
public static class SdkTestServer
{
    /// <summary>Starts a server on a real clock (SDK tests wait for real streams and flushes).</summary>
    public static Task<RipcordTestServer> StartAsync(Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null) =>
        RipcordTestServer.StartAsync(configure: configure, clock: TimeProvider.System);

    public static async Task<long> WriteAsync(this RipcordTestServer server, HttpMethod method, string path, object body)
    {
        using var response = await server.Admin.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return long.Parse(response.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static Task<long> OverrideAsync(this RipcordTestServer server, string flag, string scope, bool value) =>
        server.WriteAsync(HttpMethod.Post, "api/v1/programs/groups/overrides", new { flag, scope, value, reason = "test" });

    public static RipcordClientOptions SdkOptions(this RipcordTestServer server, string key, string? cacheDirectory = null) => new()
    {
        ServerUrl = server.BaseAddress,
        SdkKey = key,
        CacheDirectory = cacheDirectory ?? Path.Combine(server.DataDirectory, "sdk-cache-" + Guid.NewGuid().ToString("N")[..6]),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        TelemetryFlushInterval = TimeSpan.FromMilliseconds(200),
    };
}

public static class Eventually
{
    /// <summary>Polls until the condition holds; fails with the description after the timeout.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeoutMs} ms waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeoutMs} ms waiting for: {what}");
            await Task.Delay(50);
        }
    }
}
