using Microsoft.Extensions.Time.Testing;
using Ripcord.Core.Evaluation;

namespace Ripcord.Sdk.Tests;

/// <summary>Evaluation reads the injected clock when, and only when, an override can expire.</summary>
public sealed class ClockTests
{
    private static readonly EvaluationContext Bob = new("w1", "u1", 1);

    private sealed class CountingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private long _reads;

        public long Reads => Interlocked.Read(ref _reads);

        public override DateTimeOffset GetUtcNow()
        {
            Interlocked.Increment(ref _reads);
            return base.GetUtcNow();
        }
    }

    private static Task<long> UserOverrideAsync(RipcordTestServer server, string flag, string user, bool value, DateTimeOffset expiresAt) =>
        server.WriteAsync(HttpMethod.Post, "api/v1/programs/groups/overrides",
            new { flag, scope = "user:" + user, value, reason = "diagnosis", expiresAt });

    /// <summary>OV-1 (docs/invariants.md) through the SDK: an expired override never decides a value.</summary>
    [Fact]
    public async Task A_user_override_stops_applying_when_the_injected_clock_passes_its_expiry()
    {
        await using var server = await SdkTestServer.StartAsync();
        var expiresAt = DateTimeOffset.UtcNow.AddHours(1);
        var head = await UserOverrideAsync(server, "F1", "u1", true, expiresAt);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")) with { Clock = clock });
        await Eventually.TrueAsync(() => client.Revision == head, "the head");

        var before = client.Evaluate("F1", Bob);
        Assert.True(before.Value);
        Assert.Equal(("override", "user:u1"), (before.Reason, before.Scope));

        clock.SetUtcNow(expiresAt.AddTicks(-1));
        Assert.True(client.IsEnabled("F1", Bob));

        // No new revision arrives: only the clock moves past the expiry.
        clock.SetUtcNow(expiresAt);
        var after = client.Evaluate("F1", Bob);
        Assert.False(after.Value);
        Assert.NotEqual("override", after.Reason);
        Assert.Equal(head, client.Revision);
        Assert.False(client.EvaluateAll(Bob)["groups.routes.enabled"].Value);
    }

    [Fact]
    public async Task Evaluation_reads_the_clock_only_when_an_override_can_expire()
    {
        await using var server = await SdkTestServer.StartAsync();
        await server.WriteAsync(HttpMethod.Put, "api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w1" } });
        await server.SetStageAsync(1);
        var noExpiry = await server.OverrideAsync("F3", "workspace:w1", true);
        var clock = new CountingClock(DateTimeOffset.UtcNow);
        await using var client = new RipcordClient(server.SdkOptions(await server.CreateTokenAsync("sdk")) with { Clock = clock });
        await Eventually.TrueAsync(() => client.Revision == noExpiry, "the revision without expiring overrides");

        // Background work (telemetry, heartbeats) reads the clock now and then: allow a few reads.
        long ReadsDuring(string flag)
        {
            var start = clock.Reads;
            for (var i = 0; i < 1_000; i++)
            {
                client.IsEnabled(flag, Bob);
            }
            return clock.Reads - start;
        }

        Assert.True(client.IsEnabled("F3", Bob));
        Assert.InRange(ReadsDuring("F3"), 0, 10);

        var expiring = await UserOverrideAsync(server, "F2", "u9", true, DateTimeOffset.UtcNow.AddHours(1));
        await Eventually.TrueAsync(() => client.Revision == expiring, "the revision with an expiring override");
        Assert.InRange(ReadsDuring("F2"), 1_000, 1_100);
        Assert.InRange(ReadsDuring("F3"), 0, 10); // F3 needs F1, not F2: the expiring override cannot reach it
        Assert.Equal("stage", client.Evaluate("F4", Bob).Reason);
        Assert.InRange(ReadsDuring("F4"), 0, 10); // constant-folded: no override can reach it
    }
}
