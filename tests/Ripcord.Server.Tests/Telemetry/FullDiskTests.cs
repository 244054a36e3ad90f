using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;
using Ripcord.Server.Storage;
using Ripcord.Server.Tests.KillSwitches;

namespace Ripcord.Server.Tests.Telemetry;

/// <summary>
/// Issue 8, item 2, on a real small disk (a tmpfs): telemetry filling the data volume never blocks
/// an emergency write, and when the configuration store itself cannot be written a write answers a
/// clear 503 — never 500 — leaves nothing behind, /readyz says not ready, and once there is room
/// again (also across a restart) writes go through.
/// </summary>
public sealed class FullDiskTests
{
    private static Task<RipcordTestServer> StartOnAsync(SmallVolume volume, long reserve) => RipcordTestServer.StartAsync(
        deleteDataDirectory: false,
        customize: o => o with
        {
            DataDirectory = volume.Path,
            ReservedSpaceBytes = ReservedSpace.DefaultBytes, // what lets a restart on a volume full to the last byte start at all
            Telemetry = o.Telemetry with { ReservedFreeBytes = reserve, EventsPerSecondPerKey = 1_000_000, BurstEventsPerKey = 1_000_000 },
        });

    private static async Task<HttpResponseMessage> OverrideAsync(RipcordTestServer server, string workspace) =>
        await server.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", json:
            new { flag = "F3", scope = $"workspace:{workspace}", value = false, reason = "incident mitigation" });

    private static async Task<long> ConfigScalarAsync(SmallVolume volume, string sql)
    {
        await using var c = new SqliteConnection(SqliteDatabase.ConnectionString(Path.Combine(volume.Path, Databases.ConfigFile)));
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    [SmallVolumeFact]
    [Invariant("TL-1", "a full, capped or reserve-limited telemetry store never blocks a configuration write")]
    public async Task TelemetryFillingTheDisk_StopsAtTheReserve_AndAKillSwitchAndAnOverrideStillGoThrough()
    {
        using var volume = SmallVolume.Mount(32);
        await using var server = await StartOnAsync(volume, reserve: 12L * 1024 * 1024);
        var key = await server.TokenAsync("sdk");

        var statuses = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < 2_000 && !statuses.ContainsKey(HttpStatusCode.InsufficientStorage); i++)
        {
            using var response = await server.PostTelemetryAsync(key, TelemetryClient.Sends(server, $"web-{i % 7}", 500));
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
        }

        Assert.True(statuses.Keys.All(s => s is HttpStatusCode.Accepted or HttpStatusCode.InsufficientStorage),
            string.Join(", ", statuses.Select(s => $"{(int)s.Key}×{s.Value}")));
        Assert.True(statuses.ContainsKey(HttpStatusCode.InsufficientStorage), "telemetry never reached the reserve");
        Assert.Equal(1, await server.RejectedAsync("disk-reserve"));
        await ApiAssert.SuccessJsonAsync(await OverrideAsync(server, "w1"));
        var incident = await server.DeclareAsync();
        var (status, body) = await server.ActivateAsync("KS3", "global", incident);
        Assert.True(status == HttpStatusCode.Created, $"{(int)status}: {body}");
        await server.GetAsync("/readyz");
    }

    [SmallVolumeFact]
    [Invariant("TL-2", "a configuration write the store cannot take answers 503 and leaves nothing; /readyz is not ready until it can")]
    public async Task AConfigurationStoreWithNoRoom_Answers503AndKeepsNothing_ThenWritesOnceThereIsRoom_AcrossARestart()
    {
        using var volume = SmallVolume.Mount(16);
        await using var server = await StartOnAsync(volume, reserve: 0);
        await ApiAssert.SuccessJsonAsync(await OverrideAsync(server, "before"));
        var incident = await server.DeclareAsync();
        var viewer = await server.TokenAsync("viewer");
        var head = await server.HeadAsync();
        var audit = await ConfigScalarAsync(volume, "SELECT COUNT(*) FROM audit");
        // An emptied write-ahead log: the next commit has to grow a file, as on a disk that filled up over time.
        Assert.Equal(0, await ConfigScalarAsync(volume, "PRAGMA wal_checkpoint(TRUNCATE)"));

        for (var run = 0; run < 2; run++)
        {
            // Kept full: SQLite closing idle pooled connections checkpoints and frees a few pages, which a busy
            // disk's other writers would take at once.
            volume.Fill();
            using (var ready = await server.SendAsync(HttpMethod.Get, "/readyz", token: null))
            {
                var notReady = await ApiAssert.ProblemAsync(ready, HttpStatusCode.ServiceUnavailable);
                Assert.Contains("configuration store", notReady.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
            using (var refused = await OverrideAsync(server, $"full-{run}"))
            {
                var problem = await ApiAssert.ProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
                Assert.Contains("nothing", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
            var (status, body) = await server.ActivateAsync("KS3", "global", incident);
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"activation on a full disk: {(int)status} {body}");
            using (var declared = await server.SendAsync(HttpMethod.Post, KillSwitchHarness.IncidentsPath, json:
                new { @class = "P3", severity = "high", trigger = "publish-ack-failures", summary = "acks failing", affected = Array.Empty<string>() }))
            {
                await ApiAssert.ProblemAsync(declared, HttpStatusCode.ServiceUnavailable);
            }
            using (var denied = await server.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", viewer,
                new { flag = "F3", scope = "workspace:w1", value = false, reason = "not mine to set" }))
            {
                // Refused either way; its denial's audit row has no room, which must not make it a 500.
                Assert.True(denied.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.ServiceUnavailable,
                    $"a denied write on a full disk: {(int)denied.StatusCode} {await denied.Content.ReadAsStringAsync()}");
            }
            Assert.Equal(head, await ConfigScalarAsync(volume, "SELECT MAX(revision) FROM revisions WHERE program = 'groups'"));
            Assert.Equal(audit, await ConfigScalarAsync(volume, "SELECT COUNT(*) FROM audit"));
            if (run == 0)
            {
                await server.StopAsync();
                await server.StartAgainAsync(); // a restart does not make room
            }
        }

        volume.Free();
        await server.GetAsync("/readyz");
        var written = await ApiAssert.SuccessJsonAsync(await OverrideAsync(server, "after"));
        Assert.Equal(head + 1, written.GetProperty("revision").GetInt64());
    }
}
