using System.Net;

namespace Ripcord.Server.Tests.Streaming;

/// <summary>The SDK stream keeps an idle connection alive with comment frames, before and after revisions.</summary>
public sealed class StreamHeartbeatTests
{
    [Fact]
    public async Task AnIdleStream_GetsHeartbeats_AndKeepsGettingThemAfterARevision()
    {
        await using var server = await RipcordTestServer.StartAsync(customize: o => o with { StreamHeartbeat = TimeSpan.FromMilliseconds(150) });
        var sdk = await server.MintTokenAsync("sdk");
        using var request = RipcordTestServer.Request(HttpMethod.Get, "/api/v1/programs/groups/stream", sdk.Secret);
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        async Task<int> HeartbeatsUntil(Func<string, bool> stop)
        {
            var heartbeats = 0;
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line == ": heartbeat")
                {
                    heartbeats++;
                }
                if (stop(line))
                {
                    return heartbeats;
                }
            }
            throw new InvalidOperationException("the stream ended");
        }

        var head = await server.HeadAsync();
        await HeartbeatsUntil(line => line == $"id: {head}"); // the snapshot
        var seen = 0;
        await HeartbeatsUntil(line => line == ": heartbeat" && ++seen == 3);

        var revision = (await server.SetOverrideAsync("F1", "workspace:w-hb", true)).GetProperty("revision").GetInt64();
        await HeartbeatsUntil(line => line == $"id: {revision}");
        seen = 0;
        // Fails by the 20 s timeout if the heartbeat timer is not re-armed after a frame.
        await HeartbeatsUntil(line => line == ": heartbeat" && ++seen == 3);
    }
}
