using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.WritePath;

/// <summary>
/// Telemetry has its own storage: while SDKs flood ingest, and even while the telemetry database's
/// write lock is held outright, configuration writes (the ones an incident needs) go through at
/// their usual speed. Before the split, both shared one SQLite write lock, and a group commit of
/// telemetry held it for as long as it took.
/// </summary>
public sealed class TelemetryIsolationTests : IAsyncLifetime
{
    /// <summary>Generous on a loaded two-core machine; the old shared lock made writes wait out the whole flood or the 10 s busy timeout.</summary>
    private static readonly TimeSpan WriteBound = TimeSpan.FromSeconds(2);

    private RipcordTestServer _server = null!;

    // The flood is one key far above its default rate: lifted here, since this test is about the lock, not the quota.
    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(
        customize: o => o with { Telemetry = o.Telemetry with { EventsPerSecondPerKey = 10_000_000, BurstEventsPerKey = 10_000_000 } });

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private static HttpContent Batch(int sender, int n, DateTimeOffset at) => RipcordTestServer.Json(new
    {
        program = "groups",
        instance = $"flood-{sender}",
        events = Enumerable.Range(0, 500).Select(i => new { type = "send", at, ackLatencyMs = i % 300, outcome = "ok", transport = "secure", workspaceId = $"w-{n % 50}", tier = i % 3 }),
    });

    /// <summary>At least <paramref name="count"/> writes, for at least 1.5 s, one after another.</summary>
    private async Task<List<TimeSpan>> ConfigWritesAsync(int count, string tag)
    {
        var latencies = new List<TimeSpan>();
        var window = Stopwatch.StartNew();
        for (var i = 0; i < count || window.Elapsed < TimeSpan.FromSeconds(1.5); i++)
        {
            var watch = Stopwatch.StartNew();
            var written = await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
                new { flag = "F3", scope = $"workspace:{tag}-{i}", value = false, reason = "incident mitigation" });
            latencies.Add(watch.Elapsed);
            Assert.True(written.GetProperty("revision").GetInt64() > 0);
        }
        return latencies;
    }

    [Fact]
    public async Task ConfigurationWrites_AreNotDelayed_ByATelemetryFlood_OrByAHeldTelemetryLock()
    {
        var sdk = (await _server.MintTokenAsync("sdk")).Secret;
        var at = _server.Clock.GetUtcNow();
        using var stop = new CancellationTokenSource();
        long accepted = 0;
        var senders = Enumerable.Range(0, 6).Select(sender => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                using var response = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/telemetry", sdk, Batch(sender, n, at)));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                Interlocked.Add(ref accepted, 500);
            }
        })).ToList();

        // 1. During a flood of 6 senders posting 500-event batches back to back (once it is under way).
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Interlocked.Read(ref accepted) < 10_000)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the flood never got going: {accepted} events accepted in 60 s");
            await Task.Delay(50);
        }
        var acceptedBefore = Interlocked.Read(ref accepted);
        var duringFlood = await ConfigWritesAsync(15, "flood");
        Assert.True(Interlocked.Read(ref accepted) > acceptedBefore, "telemetry stopped flowing while configuration was written");

        // 2. While the telemetry database's write lock is held (a telemetry commit that never ends):
        // ingest stalls, configuration does not.
        var held = new SqliteConnection(SqliteDatabase.ConnectionString(Path.Combine(_server.DataDirectory, Databases.TelemetryFile)));
        await held.OpenAsync();
        var lockTx = held.BeginTransaction(deferred: false);
        var acceptedWhileHeld = Interlocked.Read(ref accepted);
        var whileHeld = await ConfigWritesAsync(15, "held");
        var stalled = Interlocked.Read(ref accepted) - acceptedWhileHeld;
        lockTx.Rollback();
        await held.DisposeAsync();

        await stop.CancelAsync();
        await Task.WhenAll(senders);

        Assert.All(duringFlood.Concat(whileHeld), latency => Assert.True(latency < WriteBound,
            $"a configuration write took {latency.TotalMilliseconds:0} ms (flood: {string.Join(", ", duringFlood.Select(l => (int)l.TotalMilliseconds))}; "
            + $"lock held: {string.Join(", ", whileHeld.Select(l => (int)l.TotalMilliseconds))})"));
        // The telemetry lock really was in the way of telemetry: at most what was already being committed got through.
        Assert.True(stalled <= 6 * 500 * 256, $"{stalled} events were stored while the telemetry lock was held");
    }
}
