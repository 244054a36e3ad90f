using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.CrashSafety;

/// <summary>
/// A write the server acknowledged survives a kill -9 (SQLite, WAL, synchronous=FULL): the real
/// CLI's <c>serve</c> runs as its own process on a data directory on disk, takes writes (some
/// still in flight when it is killed), is SIGKILLed, and is started again on the same directory.
/// </summary>
public sealed class CrashSafetyTests : IAsyncLifetime
{
    private const string AdminToken = "rc_crash_admin_token_0123456789abcdef";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _data = TestPaths.NewDiskDirectory("crash");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        TestPaths.TryDelete(_data);
        return Task.CompletedTask;
    }

    private static HttpClient Client(Uri server) => new()
    {
        BaseAddress = server,
        Timeout = TimeSpan.FromSeconds(15),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", AdminToken) },
    };

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        using (response)
        {
            return await ApiAssert.SuccessJsonAsync(response);
        }
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, string path, object body) =>
        http.PostAsync(path, RipcordTestServer.Json(body));

    private static Task<HttpResponseMessage> Put(HttpClient http, string path, object body) =>
        http.PutAsync(path, RipcordTestServer.Json(body));

    [Fact]
    public async Task EveryAcknowledgedWrite_SurvivesKill9_AndTheAuditChainStillVerifies()
    {
        var ackedOverrides = new Dictionary<string, long>(StringComparer.Ordinal); // id → revision
        string deletedId;
        string viewerSecret;
        long lastAck;
        long inFlightAcks = 0;

        await using (var first = await ServerProcess.StartAsync(_data, AdminToken, StartTimeout))
        {
            using var http = Client(first.BaseAddress);
            lastAck = (await Ok(await Put(http, "/api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w-1", "w-2" } }))).GetProperty("revision").GetInt64();
            lastAck = (await Ok(await Put(http, "/api/v1/programs/groups/stage", new { stage = 1, reason = "test setup: break-glass to stage 1" }))).GetProperty("revision").GetInt64();
            for (var i = 0; i < 8; i++)
            {
                var o = await Ok(await Post(http, "/api/v1/programs/groups/overrides", new { flag = "F3", scope = $"workspace:w-{i}", value = true, reason = "before the crash" }));
                lastAck = o.GetProperty("revision").GetInt64();
                ackedOverrides[o.GetProperty("override").GetProperty("id").GetString()!] = lastAck;
            }
            deletedId = ackedOverrides.Keys.First();
            lastAck = (await Ok(await http.DeleteAsync($"/api/v1/programs/groups/overrides/{deletedId}"))).GetProperty("revision").GetInt64();
            ackedOverrides.Remove(deletedId);
            viewerSecret = (await Ok(await Post(http, "/api/v1/tokens", new { name = "survivor", role = "viewer" }))).GetProperty("token").GetString()!;

            // Writes in flight while the process dies: whatever was acknowledged must survive.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var fiveAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writer = Task.Run(async () =>
            {
                for (var i = 0; i < 500 && !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var response = await Post(http, "/api/v1/programs/groups/overrides",
                            new { flag = "F2", scope = $"workspace:burst-{i}", value = true, reason = "in flight" });
                        if (response.StatusCode != HttpStatusCode.Created)
                        {
                            return;
                        }
                        var o = await ApiAssert.SuccessJsonAsync(response);
                        lock (ackedOverrides)
                        {
                            var revision = o.GetProperty("revision").GetInt64();
                            ackedOverrides[o.GetProperty("override").GetProperty("id").GetString()!] = revision;
                            lastAck = Math.Max(lastAck, revision);
                        }
                        if (Interlocked.Increment(ref inFlightAcks) == 5)
                        {
                            fiveAcked.TrySetResult();
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the server is gone: this write was never acknowledged
                    }
                }
            });
            await fiveAcked.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await first.KillAsync();
            await writer.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.True(inFlightAcks >= 5);
        await using var second = await ServerProcess.StartAsync(_data, AdminToken, StartTimeout);
        using var after = Client(second.BaseAddress);

        var head = (await Ok(await after.GetAsync("/api/v1/programs/groups"))).GetProperty("revision").GetInt64();
        Assert.True(head >= lastAck, $"head {head} is behind the last acknowledged revision {lastAck}");
        var revisions = (await Ok(await after.GetAsync("/api/v1/programs/groups/revisions?limit=500"))).EnumerateArray()
            .Select(r => r.GetProperty("revision").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (long)i).Reverse(), revisions);

        var overrides = (await Ok(await after.GetAsync("/api/v1/programs/groups/overrides"))).EnumerateArray()
            .Select(o => o.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
        var lost = ackedOverrides.Keys.Where(id => !overrides.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"acknowledged overrides lost in the crash: {string.Join(", ", lost)}");
        Assert.DoesNotContain(deletedId, overrides);
        foreach (var (id, revision) in ackedOverrides)
        {
            var state = (await Ok(await after.GetAsync($"/api/v1/programs/groups/revisions/{revision}"))).GetProperty("state");
            Assert.Contains(state.GetProperty("overrides").EnumerateArray(), o => o.GetProperty("id").GetString() == id);
        }

        var stage = await Ok(await after.GetAsync("/api/v1/programs/groups/stage"));
        Assert.Equal("1", stage.GetProperty("stage").GetString());
        var pilot = (await Ok(await after.GetAsync("/api/v1/programs/groups/cohorts"))).EnumerateArray().Single(c => c.GetProperty("id").GetString() == "pilot");
        Assert.Equal(["w-1", "w-2"], pilot.GetProperty("workspaces").EnumerateArray().Select(w => w.GetString()));

        using (var viewer = new HttpRequestMessage(HttpMethod.Get, "/api/v1/programs"))
        {
            viewer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", viewerSecret);
            using var response = await after.SendAsync(viewer);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var verify = await Ok(await after.GetAsync("/api/v1/audit/verify"));
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
        Assert.True(verify.GetProperty("checked").GetInt64() >= head + 2, verify.GetRawText());

        // And the restarted server carries on from where it was.
        var next = await Ok(await Post(after, "/api/v1/programs/groups/overrides", new { flag = "F3", scope = "workspace:after", value = true, reason = "after the crash" }));
        Assert.Equal(head + 1, next.GetProperty("revision").GetInt64());
    }
}
