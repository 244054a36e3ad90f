using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Ripcord.Testing;

namespace Ripcord.Bench.Shared;

/// <summary>
/// A real Ripcord server hosted in this process on a 127.0.0.1 port, with a throw-away SQLite
/// directory on the real disk (writes pay a real fsync, as in production), on the real clock: the
/// shared test host of tests/Ripcord.Testing, as the harnesses use it. Shared by
/// bench/Ripcord.Propagation and bench/Ripcord.Sdk.Bench (linked source).
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    public const string AdminToken = RipcordTestServer.AdminToken;

    private readonly RipcordTestServer _host;

    private LoopbackServer(RipcordTestServer host) => _host = host;

    public WebApplication App => _host.App;
    public string DataDirectory => _host.DataDirectory;
    public int Port => _host.Port;
    public Uri Url => _host.BaseAddress;

    /// <summary>Builds, initialises and starts a server; <paramref name="beforeStart"/> may map extra (bench-only) endpoints.</summary>
    public static async Task<LoopbackServer> StartAsync(int port = 0, Action<WebApplication>? beforeStart = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var dir = Directory.CreateTempSubdirectory("ripcord-bench-").FullName;
        var host = await RipcordTestServer.StartAsync(
            customize: o => o with { DataDirectory = dir, Urls = $"http://127.0.0.1:{port}" },
            configure: configure, clock: TimeProvider.System, beforeStart: beforeStart);
        return new LoopbackServer(host);
    }

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}

/// <summary>The admin REST calls the benchmarks need: mint a token, write an override.</summary>
public sealed class AdminApi : IDisposable
{
    private readonly HttpClient _http;

    public AdminApi(Uri server, string adminToken)
    {
        _http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
    }

    public async Task<string> CreateTokenAsync(string role, string name, CancellationToken ct = default)
    {
        using var response = await _http.PostAsJsonAsync("api/v1/tokens", new { name, role }, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return body!["token"]!.GetValue<string>();
    }

    /// <summary>
    /// POST …/overrides. Returns the new revision (from the ETag) with Stopwatch timestamps of
    /// the send and of the acknowledgement (the whole response received).
    /// </summary>
    public async Task<OverrideAck> SetOverrideAsync(string program, string flag, string scope, bool value, string reason, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/programs/{program}/overrides")
        {
            Content = JsonContent.Create(new { flag, scope, value, reason }),
        };
        var sentAt = Stopwatch.GetTimestamp();
        using var response = await _http.SendAsync(request, ct);
        var ackAt = Stopwatch.GetTimestamp();
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException($"POST overrides: {(int)response.StatusCode} {text}");
        }
        return new OverrideAck(long.Parse(response.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture), sentAt, ackAt);
    }

    /// <summary>POST …/programs/{program}/definition (YAML); returns the new revision.</summary>
    public async Task<long> ApplyDefinitionAsync(string program, string yaml, CancellationToken ct = default)
    {
        using var content = new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml");
        using var response = await _http.PostAsync($"api/v1/programs/{program}/definition", content, ct);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException($"POST definition: {(int)response.StatusCode} {text}");
        }
        return long.Parse(response.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A write's new revision, and when it was sent and acknowledged (Stopwatch timestamps).</summary>
public readonly record struct OverrideAck(long Revision, long SentAt, long AckAt);
