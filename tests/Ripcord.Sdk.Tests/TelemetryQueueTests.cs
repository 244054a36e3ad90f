using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ripcord.Sdk.Internal;

namespace Ripcord.Sdk.Tests;

/// <summary>The telemetry ring and the events in it: bounded, drop-oldest, thread-safe, and the same JSON as ever.</summary>
public sealed class TelemetryQueueTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 11, 24, 9, 30, 15, TimeSpan.Zero).AddTicks(1_234_567);

    private static TelemetryEvent Numbered(int n) => TelemetryEvent.Divergence(At.UtcTicks, "p", n, null);

    private static int NumberOf(TelemetryEvent e) => JsonNode.Parse(JsonSerializer.Serialize(e))!["count"]!.GetValue<int>();

    [Fact]
    public void The_telemetry_queue_is_bounded_and_drops_the_oldest()
    {
        var queue = new TelemetryQueue(3);
        for (var i = 0; i < 5; i++)
        {
            queue.Enqueue(Numbered(i));
        }
        Assert.Equal(2, queue.Dropped);
        Assert.Equal(5, queue.Queued);
        Assert.Equal([2, 3, 4], queue.Take(10).Select(NumberOf));
        queue.Requeue([Numbered(7), Numbered(8)]);
        queue.Enqueue(Numbered(9));
        queue.Enqueue(Numbered(10));
        Assert.Equal([8, 9, 10], queue.Take(10).Select(NumberOf));
        Assert.Equal(3, queue.Dropped);
    }

    [Fact]
    public void A_requeued_batch_goes_in_front_and_being_oldest_is_what_overflows()
    {
        var queue = new TelemetryQueue(4);
        queue.Enqueue(Numbered(1));
        queue.Enqueue(Numbered(2));
        queue.Enqueue(Numbered(3));
        var batch = queue.Take(2);
        queue.Enqueue(Numbered(4));
        queue.Enqueue(Numbered(5));
        queue.Requeue(batch); // 1, 2 back in front of 3, 4, 5: one too many, and 1 is the oldest
        Assert.Equal(1, queue.Dropped);
        Assert.Equal([2, 3], queue.Take(2).Select(NumberOf));
        Assert.Equal([4, 5], queue.Take(10).Select(NumberOf));
    }

    [Fact]
    public void The_ring_grows_past_its_first_size_in_order()
    {
        var queue = new TelemetryQueue(1_000);
        for (var i = 0; i < 700; i++)
        {
            queue.Enqueue(Numbered(i));
            if (i % 3 == 0)
            {
                Assert.Equal(i / 3, NumberOf(queue.Take(1).Single())); // the head moves while the ring grows
            }
        }
        var rest = queue.Take(1_000).Select(NumberOf).ToList();
        Assert.Equal(Enumerable.Range(700 - rest.Count, rest.Count), rest);
        Assert.Equal(0, queue.Dropped);
    }

    [Fact]
    public async Task Concurrent_writers_and_a_reader_lose_nothing_uncounted()
    {
        var queue = new TelemetryQueue(500);
        const int Writers = 4, PerWriter = 50_000;
        var taken = 0L;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                taken += queue.Take(100).Count;
                await Task.Yield();
            }
        });
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                queue.Enqueue(Numbered(i));
            }
        })));
        await done.CancelAsync();
        await reader;
        taken += queue.Take(int.MaxValue).Count;
        Assert.Equal(Writers * PerWriter, queue.Queued);
        Assert.Equal(Writers * PerWriter, taken + queue.Dropped);
    }

    // ---- the wire format -----------------------------------------------------------------------

    /// <summary>
    /// What the SDK sent before events became structs (RipcordClient.Record, until 2026-11): a
    /// dictionary of the fields, then "type" and "at", serialised with HttpClient's JSON defaults.
    /// The server stores each event's JSON as received, so the bytes must not change.
    /// </summary>
    private static string Before(string type, Dictionary<string, object?> fields)
    {
        fields["type"] = type;
        fields["at"] = At.ToString("O", CultureInfo.InvariantCulture);
        return JsonSerializer.Serialize(fields, JsonSerializerOptions.Web);
    }

    private static string Now(TelemetryEvent e) => JsonSerializer.Serialize(e, JsonSerializerOptions.Web);

    public static TheoryData<string, string> SameBytes()
    {
        var t = At.UtcTicks;
        const string Odd = "Zoë's <ws> & \"co\" \u2028";
        return new()
        {
            {
                Before("fallback", new() { ["decision"] = "fallback-prompt", ["reasonCode"] = "relay-unsupported", ["tier"] = 1, ["effectiveTier"] = 1,
                    ["capability"] = "relay-unsupported", ["transport"] = "baseline", ["action"] = "send", ["workspaceId"] = Odd, ["grantId"] = null }),
                Now(TelemetryEvent.Fallback(t, "fallback-prompt", "relay-unsupported", 1, 1, "relay-unsupported", "baseline", "send", Odd, null))
            },
            {
                Before("fallback", new() { ["decision"] = "blocked", ["reasonCode"] = "secure-disabled", ["tier"] = null, ["effectiveTier"] = 2,
                    ["capability"] = "ok", ["transport"] = null, ["action"] = "send", ["workspaceId"] = null, ["grantId"] = "grt_1" }),
                Now(TelemetryEvent.Fallback(t, "blocked", "secure-disabled", null, 2, "ok", null, "send", null, "grt_1"))
            },
            {
                Before("mode", new() { ["tier"] = 0, ["workspaceId"] = "w1", ["transport"] = "secure", ["revision"] = 3 }),
                Now(TelemetryEvent.Mode(t, 0, "w1", "secure", 3))
            },
            {
                Before("send", new() { ["ackLatencyMs"] = 42.125, ["outcome"] = "timeout", ["transport"] = "baseline", ["workspaceId"] = "w1", ["tier"] = null, ["revision"] = 3 }),
                Now(TelemetryEvent.Send(t, 42.125, "timeout", "baseline", "w1", null, 3))
            },
            {
                Before("send", new() { ["ackLatencyMs"] = 0.1 + 0.2, ["outcome"] = "ok", ["transport"] = "secure", ["workspaceId"] = null, ["tier"] = 2 }),
                Now(TelemetryEvent.Send(t, 0.1 + 0.2, "ok", "secure", null, 2, 0))
            },
            {
                Before("divergence", new() { ["projection"] = "members", ["count"] = 3, ["workspaceId"] = "w1" }),
                Now(TelemetryEvent.Divergence(t, "members", 3, "w1"))
            },
            {
                Before("security-signal", new() { ["kind"] = "replay", ["severity"] = "high", ["workspaceId"] = null }),
                Now(TelemetryEvent.SecuritySignal(t, "replay", "high", null))
            },
            {
                Before("session-start", new() { ["sdkVersion"] = "ripcord-dotnet/0.1", ["state"] = "safe-defaults" }),
                Now(TelemetryEvent.SessionStart(t, "ripcord-dotnet/0.1", "safe-defaults"))
            },
            {
                Before("session-crash", new() { ["kind"] = "oom", ["platform"] = null, ["appVersion"] = "1.2.3" }),
                Now(TelemetryEvent.SessionCrash(t, "oom", null, "1.2.3"))
            },
            {
                Before("revision-heartbeat", new() { ["revision"] = 9_007_199_254_740_993L, ["state"] = "live" }),
                Now(TelemetryEvent.RevisionHeartbeat(t, 9_007_199_254_740_993L, "live"))
            },
        };
    }

    [Theory]
    [MemberData(nameof(SameBytes))]
    public void Each_event_type_serialises_to_the_same_bytes_as_before(string before, string now) => Assert.Equal(before, now);
}
