using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Ripcord.Sdk.Tests;

/// <summary>
/// Every wait of the client's background work — reconnect backoff, the telemetry flush interval,
/// WaitUntilLiveAsync's timeout — runs on the injected clock: with a fake one, nothing happens
/// in real time, and moving the clock is what makes it happen.
/// </summary>
public sealed class BackgroundWaitTests
{
    /// <summary>A server that refuses the stream (503) and accepts telemetry, counting both.</summary>
    private sealed class RefusingServer : HttpMessageHandler
    {
        private int _streamAttempts;

        public int StreamAttempts => Volatile.Read(ref _streamAttempts);
        public ConcurrentQueue<string> TelemetryBodies { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path.EndsWith("/stream", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _streamAttempts);
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }
            if (path == "/api/v1/telemetry")
            {
                TelemetryBodies.Enqueue(await request.Content!.ReadAsStringAsync(ct));
                return new HttpResponseMessage(HttpStatusCode.Accepted);
            }
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        }
    }

    private static RipcordClientOptions Options(RefusingServer server, TimeProvider clock) => new()
    {
        ServerUrl = new Uri("http://127.0.0.1:9/"),
        SdkKey = "rc_sdk_unused_key_000000000000",
        CacheDirectory = null,
        HttpHandler = server,
        Clock = clock,
        // Short in real time: were any of these waits on the system clock, they would pass many times over below.
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        TelemetryFlushInterval = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task Reconnect_backoff_waits_on_the_injected_clock()
    {
        using var server = new RefusingServer();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var client = new RipcordClient(Options(server, clock));
        await Eventually.TrueAsync(() => server.StreamAttempts == 1, "the first stream attempt");

        await Task.Delay(1_000);
        Assert.Equal(1, server.StreamAttempts);

        // The first backoff is at most 1.5 × ReconnectMinDelay.
        clock.Advance(TimeSpan.FromMilliseconds(75));
        await Eventually.TrueAsync(() => server.StreamAttempts == 2, "a second attempt once the clock passed the backoff");
        Assert.Equal(ClientState.SafeDefaults, client.State);
    }

    [Fact]
    public async Task The_telemetry_flush_interval_runs_on_the_injected_clock()
    {
        using var server = new RefusingServer();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var client = new RipcordClient(Options(server, clock));

        await Task.Delay(1_000);
        Assert.Empty(server.TelemetryBodies); // the session-start event waits for the interval

        clock.Advance(TimeSpan.FromMilliseconds(100));
        await Eventually.TrueAsync(() => !server.TelemetryBodies.IsEmpty, "a flush once the clock passed the interval");
        Assert.Contains("\"type\":\"session-start\"", server.TelemetryBodies.Single(), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => client.Telemetry.Sent == 1, "the batch counted as sent");
    }

    [Fact]
    public async Task WaitUntilLive_times_out_on_the_injected_clock()
    {
        using var server = new RefusingServer();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var client = new RipcordClient(Options(server, clock));

        var wait = client.WaitUntilLiveAsync(TimeSpan.FromSeconds(1));
        await Task.Delay(1_500);
        Assert.False(wait.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
