using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ripcord.Core.Evaluation;

namespace Ripcord.Sdk.Tests;

/// <summary>
/// The server in its own process, as in production. Digests are computed there and checked
/// here, so anything whose serialisation depends on the process (hash order) breaks this test.
/// </summary>
public sealed class CrossProcessTests
{
    [Fact]
    public async Task An_sdk_in_another_process_goes_live_and_its_cache_verifies()
    {
        var dir = Directory.CreateTempSubdirectory("ripcord-xproc-").FullName;
        var port = System.Net.Sockets.TcpListener.Create(0) is var l ? Start(l) : 0;
        var url = new Uri($"http://127.0.0.1:{port}/");
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "ripcord.dll"), "serve", "--data", Path.Combine(dir, "data"), "--urls", url.ToString().TrimEnd('/') },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["RIPCORD_ADMIN_TOKEN"] = LiveServer.AdminToken;
        using var server = Process.Start(psi)!;
        try
        {
            using var admin = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", LiveServer.AdminToken);
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    return (await admin.GetAsync("healthz")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the server process to answer /healthz", 60_000);
            var created = await admin.PostAsJsonAsync("api/v1/tokens", new { name = "xproc", role = "sdk" });
            var key = (await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
            (await admin.PostAsJsonAsync("api/v1/programs/groups/overrides", new { flag = "F1", scope = "global", value = true, reason = "x" })).EnsureSuccessStatusCode();

            var options = new RipcordClientOptions { ServerUrl = url, SdkKey = key, CacheDirectory = Path.Combine(dir, "cache") };
            await using (var client = new RipcordClient(options))
            {
                Assert.True(await client.WaitUntilLiveAsync(TimeSpan.FromSeconds(15)), "the SDK never accepted the server's snapshot (digest mismatch?)");
                Assert.True(client.IsEnabled("F1", new EvaluationContext("w1")));
            }
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();

            await using var offline = new RipcordClient(options with { ReconnectMinDelay = TimeSpan.FromSeconds(5) });
            Assert.Equal(ClientState.Cached, offline.State);
            Assert.True(offline.IsEnabled("F1", new EvaluationContext("w1")));
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int Start(System.Net.Sockets.TcpListener listener)
    {
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
