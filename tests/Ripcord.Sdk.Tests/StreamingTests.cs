using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;
using Ripcord.Sdk.Internal;

namespace Ripcord.Sdk.Tests;

public sealed class StreamingTests
{
    private static readonly EvaluationContext PilotUser = new("w1", "u1", 1);

    [Fact]
    public async Task An_override_made_through_the_api_reaches_a_connected_sdk()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        await server.WriteAsync(HttpMethod.Put, "api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w1" } });
        await server.SetStageAsync(1);
        await using var client = new RipcordClient(server.SdkOptions(key));
        Assert.True(await client.WaitUntilLiveAsync(TimeSpan.FromSeconds(10)));
        Assert.False(client.IsEnabled("F3", PilotUser));

        var revision = await server.OverrideAsync("F3", "workspace:w1", true);

        await Eventually.TrueAsync(() => client.Revision == revision, $"the SDK to apply revision {revision}");
        var detail = client.Evaluate("F3", PilotUser);
        Assert.Equal(new EvaluationDetail(true, "override", "workspace:w1", "override@workspace:w1", revision, false), detail);
        Assert.False(client.IsEnabled("F3", new EvaluationContext("w2")));
    }

    [Fact]
    public async Task Sdk_evaluation_equals_server_evaluation_for_every_flag()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        await server.WriteAsync(HttpMethod.Put, "api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w1", "w2" } });
        await server.WriteAsync(HttpMethod.Put, "api/v1/programs/groups/cohorts/pilot-secure", new { workspaces = new[] { "w2" } });
        await server.SetStageAsync(1);
        await server.OverrideAsync("groups.send.enabled", "workspace:w2", false);
        var head = await server.OverrideAsync("F3", "cohort:pilot", true);
        await using var client = new RipcordClient(server.SdkOptions(key));
        await Eventually.TrueAsync(() => client.Revision == head, "the SDK to reach the head");

        foreach (var context in new[] { new EvaluationContext("w1", "u1", 0), new EvaluationContext("w2", "u2", 2), new EvaluationContext("w9"), EvaluationContext.Empty })
        {
            var response = await server.Admin.PostAsJsonAsync("api/v1/programs/groups/evaluate",
                new { context = new { workspaceId = context.WorkspaceId, userId = context.UserId, tier = context.Tier } });
            var flags = (await response.Content.ReadFromJsonAsync<JsonObject>())!["flags"]!.AsObject();
            var sdk = client.EvaluateAll(context);
            Assert.Equal(flags.Count, sdk.Count);
            foreach (var (key2, value) in flags)
            {
                Assert.Equal(value!["value"]!.GetValue<bool>(), sdk[key2].Value);
                Assert.Equal(value["source"]!.GetValue<string>(), sdk[key2].Source);
            }
        }
    }

    [Fact]
    public async Task Sdks_keep_evaluating_through_an_outage_and_catch_up_without_a_gap()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        await server.WriteAsync(HttpMethod.Put, "api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w1" } });
        var head = await server.SetStageAsync(1);
        var clients = Enumerable.Range(0, 5).Select(_ => new RipcordClient(server.SdkOptions(key))).ToList();
        var applied = clients.ToDictionary(c => c, _ => new ConcurrentQueue<long>());
        foreach (var c in clients)
        {
            c.RevisionApplied += (_, e) => applied[c].Enqueue(e.Revision);
        }
        try
        {
            await Eventually.TrueAsync(() => clients.All(c => c.Revision == head), "every SDK at the head");

            await server.StopAsync();
            for (var i = 0; i < 20; i++)
            {
                Assert.All(clients, c => Assert.True(c.IsEnabled("F1", PilotUser)));
                await Task.Delay(25);
            }
            Assert.All(clients, c => Assert.Equal(head, c.Revision));

            await server.StartAgainAsync();
            var r1 = await server.OverrideAsync("F3", "workspace:w1", true);
            var r2 = await server.OverrideAsync("groups.send.enabled", "workspace:w1", false);
            await Eventually.TrueAsync(() => clients.All(c => c.Revision == r2), "every SDK to catch up after the restart", 15_000);

            Assert.All(clients, c =>
            {
                Assert.True(c.IsEnabled("F3", PilotUser));
                Assert.False(c.IsEnabled("groups.send.enabled", PilotUser));
                // After the head (which a client may apply before the test subscribes), the revisions
                // written during and after the restart arrive one by one: no gap, no replay.
                var afterHead = applied[c].Where(r => r > head).ToList();
                Assert.Equal([r1, r2], afterHead);
            });
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_client_started_with_the_server_down_uses_its_disk_cache()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        await server.WriteAsync(HttpMethod.Put, "api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w1" } });
        await server.SetStageAsync(1);
        var head = await server.OverrideAsync("F3", "workspace:w1", true);
        var options = server.SdkOptions(key);
        await using (var first = new RipcordClient(options))
        {
            await Eventually.TrueAsync(() => first.Revision == head, "the first client to reach the head");
        }
        await server.StopAsync();

        await using var second = new RipcordClient(options);
        Assert.Equal(ClientState.Cached, second.State);
        Assert.Equal(head, second.Revision);
        Assert.True(second.IsEnabled("F3", PilotUser));
        Assert.Equal("override@workspace:w1", second.Evaluate("F3", PilotUser).Source);
    }

    private static long RevisionOnDisk(string cacheDirectory)
    {
        var file = Path.Combine(cacheDirectory, "ripcord-groups.lkg.json");
        try
        {
            return JsonNode.Parse(File.ReadAllText(file))!["revision"]!.GetValue<long>();
        }
        catch (IOException)
        {
            return 0; // not written yet
        }
    }

    [Fact]
    public async Task Rapid_successive_revisions_end_with_the_latest_on_disk()
    {
        await using var server = await SdkTestServer.StartAsync();
        var options = server.SdkOptions(await server.CreateTokenAsync("sdk"));
        var head = 0L;
        await using (var client = new RipcordClient(options))
        {
            Assert.True(await client.WaitUntilLiveAsync(TimeSpan.FromSeconds(10)));
            for (var i = 0; i < 15; i++)
            {
                head = await server.OverrideAsync("F1", "workspace:w" + i, i % 2 == 0);
            }
            await Eventually.TrueAsync(() => client.Revision == head, "the SDK to apply the last revision");
            // Written in the background, while the client runs: the last revision wins.
            await Eventually.TrueAsync(() => RevisionOnDisk(options.CacheDirectory!) == head, "the last revision on disk");
        }
        await server.StopAsync();

        await using var offline = new RipcordClient(options with { ReconnectMinDelay = TimeSpan.FromSeconds(5) });
        Assert.Equal(ClientState.Cached, offline.State);
        Assert.Equal(head, offline.Revision);
        Assert.Equal(new EvaluationDetail(true, "override", "workspace:w14", "override@workspace:w14", head, false), offline.Evaluate("F1", new EvaluationContext("w14")));
    }

    [Fact]
    public async Task Cache_writes_coalesce_and_the_latest_snapshot_is_the_one_kept()
    {
        var dir = Directory.CreateTempSubdirectory("ripcord-cache-").FullName;
        try
        {
            var state = ProgramState.Initial(BuiltInPrograms.Find("groups")!);
            var digest = StateSync.Digest(state);
            var server = new Uri("http://127.0.0.1:9/");
            var cache = new DiskCache(dir, "groups", server, TimeProvider.System, NullLogger.Instance);
            for (var revision = 1; revision <= 200; revision++)
            {
                cache.SaveInBackground(new StateSnapshot("groups", revision, digest, state), DateTimeOffset.UtcNow);
            }
            Assert.True(await cache.FlushAsync(TimeSpan.FromSeconds(10)));

            // Each write is an fsync: the 200 calls returned long before they could all be written.
            Assert.InRange(cache.Writes, 1, 199);
            Assert.Equal(200, new DiskCache(dir, "groups", server, TimeProvider.System, NullLogger.Instance).Load()!.Revision);
            Assert.Equal(["ripcord-groups.lkg.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"format\":\"ripcord-lkg/1\",\"server\":\"http://127.0.0.1:1\",\"program\":\"groups\",\"revision\":5,\"digest\":\"00\",\"savedAt\":\"2026-01-01T00:00:00Z\",\"state\":null}")]
    public async Task A_corrupt_or_foreign_cache_is_ignored_and_every_flag_is_safe(string content)
    {
        var dir = Directory.CreateTempSubdirectory("ripcord-cache-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "ripcord-groups.lkg.json"), content);
            var options = new RipcordClientOptions
            {
                ServerUrl = new Uri("http://127.0.0.1:9/"), // nothing listens on the discard port
                SdkKey = "rc_sdk_unused_key_000000000000",
                CacheDirectory = dir,
                ReconnectMinDelay = TimeSpan.FromSeconds(5),
            };
            await using var client = new RipcordClient(options);
            Assert.Equal(ClientState.SafeDefaults, client.State);
            var all = client.EvaluateAll(new EvaluationContext("w1", "u1", 1));
            Assert.Equal(8, all.Count);
            Assert.All(all, kv => Assert.Equal("no-configuration", kv.Value.Reason));
            Assert.False(all["groups.routes.enabled"].Value);
            Assert.False(all["groups.send.enabled"].Value);
            Assert.True(all["groups.emergency.disableAll"].Value);
            Assert.True(all["groups.policy.strictTierEnforcement"].Value);
            Assert.True(all["groups.state.readonly"].Value);
            Assert.Equal("flag-not-found", client.Evaluate("no.such.flag", EvaluationContext.Empty).Reason);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_tampered_cache_from_a_real_server_is_not_trusted()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        var head = await server.OverrideAsync("F1", "global", true);
        var options = server.SdkOptions(key);
        await using (var first = new RipcordClient(options))
        {
            await Eventually.TrueAsync(() => first.Revision == head, "the head");
        }
        await server.StopAsync();
        var file = Path.Combine(options.CacheDirectory!, "ripcord-groups.lkg.json");
        // Flip the override to off without updating the checksum.
        var text = await File.ReadAllTextAsync(file);
        Assert.Contains("\"value\":true", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(file, text.Replace("\"value\":true", "\"value\":false", StringComparison.Ordinal));

        await using var second = new RipcordClient(options with { ReconnectMinDelay = TimeSpan.FromSeconds(5) });
        Assert.Equal(ClientState.SafeDefaults, second.State);
        Assert.Equal("no-configuration", second.Evaluate("F1", PilotUser).Reason);
    }

    [Fact]
    public async Task Evaluation_never_throws_on_bad_input()
    {
        await using var server = await SdkTestServer.StartAsync();
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")));
        await client.WaitUntilLiveAsync(TimeSpan.FromSeconds(10));
        Assert.False(client.IsEnabled("", EvaluationContext.Empty));
        Assert.False(client.IsEnabled("F1", null!));
        Assert.Equal("flag-not-found", client.Evaluate("nope", new EvaluationContext(new string('x', 10_000))).Reason);
    }
}
