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
        // Port 0: the child binds a port the kernel picks and prints it. Choosing a free port here and
        // handing it over races with the other test classes, which pick ports the same way.
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "ripcord.dll"), "serve", "--data", Path.Combine(dir, "data"), "--urls", "http://127.0.0.1:0" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["RIPCORD_ADMIN_TOKEN"] = RipcordTestServer.AdminToken;
        var serving = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var server = new Process { StartInfo = psi };
        server.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }
            output.Enqueue(line);
            var match = System.Text.RegularExpressions.Regex.Match(line, @"serving on (http://127\.0\.0\.1:\d+)");
            if (match.Success)
            {
                serving.TrySetResult(new Uri(match.Groups[1].Value + "/"));
            }
        };
        server.ErrorDataReceived += (_, e) => output.Enqueue("stderr: " + e.Data);
        server.Start();
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var url = await serving.Task.WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(t => t.IsCompletedSuccessfully
                ? t.Result
                : throw new InvalidOperationException("the server process never said where it serves: " + string.Join(" | ", output)), TaskScheduler.Default);
            using var admin = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", RipcordTestServer.AdminToken);
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
}
