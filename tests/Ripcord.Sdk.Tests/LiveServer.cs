using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Ripcord.Server;

namespace Ripcord.Sdk.Tests;

/// <summary>
/// A real Ripcord server on a loopback port with its own SQLite directory. It can be stopped
/// and started again on the same port and data, as an outage would.
/// </summary>
public sealed class LiveServer : IAsyncDisposable
{
    public const string AdminToken = "rc_test_admin_0123456789abcdef0123456789";
    private WebApplication? _app;
    private readonly Action<WebApplicationBuilder>? _configure;

    private LiveServer(string dataDirectory, Action<WebApplicationBuilder>? configure)
    {
        DataDirectory = dataDirectory;
        _configure = configure;
    }

    public string DataDirectory { get; }
    /// <summary>Chosen by the kernel at the first start (port 0, so parallel tests never race for one), kept for restarts.</summary>
    public int Port { get; private set; }
    public Uri Url => new($"http://127.0.0.1:{Port}/");
    public HttpClient Admin { get; private set; } = null!;
    public bool Running => _app is not null;

    public static async Task<LiveServer> StartAsync(Action<WebApplicationBuilder>? configure = null)
    {
        var dir = Directory.CreateTempSubdirectory("ripcord-sdk-test-").FullName;
        var server = new LiveServer(dir, configure);
        await server.StartAgainAsync();
        server.Admin = server.Client(AdminToken);
        return server;
    }

    public async Task StartAgainAsync()
    {
        var app = RipcordServer.Build(new ServerOptions
        {
            DataDirectory = DataDirectory,
            Urls = $"http://127.0.0.1:{Port}",
            AdminToken = AdminToken,
        }, _configure);
        await RipcordServer.InitializeAsync(app);
        await app.StartAsync();
        if (Port == 0)
        {
            Port = new Uri(app.Urls.Single()).Port;
        }
        _app = app;
    }

    /// <summary>Takes the server down: every SDK stream drops.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(cts.Token);
            await app.DisposeAsync();
        }
    }

    public IServiceProvider Services => _app!.Services;

    public HttpClient Client(string token)
    {
        var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    public async Task<string> TokenAsync(string role)
    {
        var response = await Admin.PostAsJsonAsync("api/v1/tokens", new { name = "test " + role, role });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    public async Task<long> WriteAsync(HttpMethod method, string path, object body)
    {
        using var response = await Admin.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return long.Parse(response.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<long> OverrideAsync(string flag, string scope, bool value) =>
        WriteAsync(HttpMethod.Post, "api/v1/programs/groups/overrides", new { flag, scope, value, reason = "test" });

    public RipcordClientOptions SdkOptions(string key, string? cacheDirectory = null) => new()
    {
        ServerUrl = Url,
        SdkKey = key,
        CacheDirectory = cacheDirectory ?? Path.Combine(DataDirectory, "sdk-cache-" + Guid.NewGuid().ToString("N")[..6]),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        TelemetryFlushInterval = TimeSpan.FromMilliseconds(200),
    };

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Admin.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
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
