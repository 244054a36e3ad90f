using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Telemetry;

namespace Ripcord.Server.Tests.Telemetry;

/// <summary>
/// Issue 8, item 2: one SDK key cannot grow the telemetry store without limit. Its rate is capped
/// (429 with Retry-After, counted), old events are deleted, the store stops at its cap (507, never
/// 500), and the disk space reserved for the control plane is never given to telemetry — while
/// configuration writes go through all along.
/// </summary>
public sealed class TelemetryLimitsTests
{
    private static async Task OverrideAsync(RipcordTestServer server, string workspace) =>
        await server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
            new { flag = "F3", scope = $"workspace:{workspace}", value = false, reason = "incident mitigation" });

    [Fact]
    public async Task AKeyOverItsRate_Gets429WithRetryAfter_IsCounted_AndOtherKeysAreNotSlowed()
    {
        await using var server = await RipcordTestServer.StartAsync(
            customize: o => o with { Telemetry = o.Telemetry with { EventsPerSecondPerKey = 1, BurstEventsPerKey = 500 } });
        var flooding = await server.TokenAsync("sdk");
        var quiet = (await server.MintTokenAsync("sdk", "quiet fleet")).Secret;
        await server.PostTelemetryAsync(flooding, TelemetryClient.Sends(server, "web-1", 500)).ExpectAsync(HttpStatusCode.Accepted);

        using var response = await server.PostTelemetryAsync(flooding, TelemetryClient.Sends(server, "web-1", 20));

        var problem = await ApiAssert.ProblemAsync(response, (HttpStatusCode)429);
        Assert.Equal("rate-limited", problem.GetProperty("code").GetString());
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        Assert.True(await server.RejectedAsync("rate-limited") >= 1);
        Assert.Equal(500, await server.StoredAsync());
        await server.PostTelemetryAsync(quiet, TelemetryClient.Sends(server, "web-2", 500)).ExpectAsync(HttpStatusCode.Accepted);
        await OverrideAsync(server, "w1");
    }

    [Fact]
    [Invariant("TL-1", "a full, capped or reserve-limited telemetry store never blocks a configuration write")]
    public async Task Retention_DeletesOldEvents_AndAtItsCapTheStoreRefusesWith507_UntilTrimmed()
    {
        await using var server = await RipcordTestServer.StartAsync(
            customize: o => o with { Telemetry = o.Telemetry with { MaxStoredEvents = 100, Retention = TimeSpan.FromDays(7) } });
        var capacity = server.Services.GetRequiredService<TelemetryCapacity>();
        var key = await server.TokenAsync("sdk");
        await server.PostTelemetryAsync(key, TelemetryClient.Sends(server, "web-1", 60)).ExpectAsync(HttpStatusCode.Accepted);

        server.Clock.Advance(TimeSpan.FromDays(8));
        await server.PostTelemetryAsync(key, TelemetryClient.Sends(server, "web-1", 30)).ExpectAsync(HttpStatusCode.Accepted);
        await capacity.PruneAsync(default);
        Assert.Equal(30, await server.StoredAsync());

        await server.PostTelemetryAsync(key, TelemetryClient.Sends(server, "web-1", 70)).ExpectAsync(HttpStatusCode.Accepted);
        var full = await server.PostTelemetryAsync(key, TelemetryClient.Sends(server, "web-1", 1)).ExpectAsync(HttpStatusCode.InsufficientStorage);
        Assert.Equal("store-full", full.GetProperty("code").GetString());
        Assert.Equal(100, await server.StoredAsync());
        await OverrideAsync(server, "w1");

        // Trimmed to at most 90% of the cap, by whole batches, oldest first: the 30-event batch goes, the 70 stay.
        await capacity.PruneAsync(default);
        Assert.Equal(70, await server.StoredAsync());
        await server.PostTelemetryAsync(key, TelemetryClient.Sends(server, "web-1", 5)).ExpectAsync(HttpStatusCode.Accepted);
    }

    [Fact]
    [Invariant("TL-1", "a full, capped or reserve-limited telemetry store never blocks a configuration write")]
    public async Task BelowTheReservedFreeSpace_TelemetryIsRefused_AndConfigurationWritesGoThrough()
    {
        await using var server = await RipcordTestServer.StartAsync(
            customize: o => o with { Telemetry = o.Telemetry with { ReservedFreeBytes = long.MaxValue } });
        var key = await server.TokenAsync("sdk");

        using var response = await server.PostTelemetryAsync(key, TelemetryClient.Sends(server, "web-1", 5));

        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.InsufficientStorage);
        Assert.Equal("disk-reserve", problem.GetProperty("code").GetString());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(1, await server.RejectedAsync("disk-reserve"));
        Assert.Equal(0, await server.StoredAsync());
        await OverrideAsync(server, "w1");
        await server.GetAsync("/readyz");
    }
}
