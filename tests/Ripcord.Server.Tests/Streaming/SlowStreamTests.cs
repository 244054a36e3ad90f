using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ripcord.Server.Streaming;

namespace Ripcord.Server.Tests.Streaming;

/// <summary>
/// A stream whose client reads nothing costs the server a bounded buffer and is then cut off and
/// counted (issue 8, item 7): it does not stay "connected" holding a snapshot per connection.
/// Run on its own, after the parallel tests: it times socket stalls of half a second, which the whole suite's load
/// on two cores can stretch past what it waits for.
/// </summary>
[Collection(SlowStreamCollection.Name)]
public sealed class SlowStreamTests
{
    private const int Clients = 20;

    [Fact]
    public async Task AStreamThatNeverReads_IsDisconnectedAndCounted_AndAReadingClientResumesWithLastEventId()
    {
        await using var server = await RipcordTestServer.StartAsync(customize: o => o with { StreamWriteTimeout = TimeSpan.FromMilliseconds(500) });
        // A large state: each snapshot frame is about half a megabyte, far more than socket buffers hold.
        var members = Enumerable.Range(0, 40_000).Select(i => $"w-slow-{i:D6}").ToArray();
        var before = await server.PutCohortAsync("pilot", new { workspaces = members });
        var sdk = await server.MintTokenAsync("sdk");
        var hub = server.Services.GetRequiredService<StreamHub>();
        var registry = server.Services.GetRequiredService<ClientRegistry>();

        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(IPAddress.Loopback, server.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes(
                    $"GET /api/v1/programs/groups/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {sdk.Secret}\r\n" +
                    $"X-Ripcord-Instance: never-reads-{i}\r\n\r\n"));
                sockets.Add(socket);
            }
            // More revisions, so even a client that took the snapshot has frames waiting.
            await server.SetOverrideAsync("F1", "workspace:w-slow-1", true);
            var head = (await server.SetOverrideAsync("F1", "workspace:w-slow-2", true)).GetProperty("revision").GetInt64();

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90)); // generous: a loaded 2-core machine is slow to fill 20 sockets
            while (hub.SlowDisconnects < Clients || Enumerable.Range(0, Clients).Any(i => registry.TryGet($"never-reads-{i}", out var c) && c.Connected))
            {
                if (deadline.IsCancellationRequested)
                {
                    Assert.Fail($"after 90 s: {hub.SlowDisconnects} slow disconnects, {hub.Connections} streams connected, "
                        + $"{Enumerable.Range(0, Clients).Count(i => registry.TryGet($"never-reads-{i}", out var c) && c.Connected)} never-reading instances connected");
                }
                await Task.Delay(50, CancellationToken.None);
            }
            Assert.Equal(Clients, hub.SlowDisconnects);

            // A client that reads again resumes where it was: the deltas since its last revision, no snapshot.
            using var request = RipcordTestServer.Request(HttpMethod.Get, "/api/v1/programs/groups/stream", sdk.Secret);
            request.Headers.Add("Last-Event-ID", before.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var events = new List<string>();
            while (await reader.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    events.Add(line);
                }
                if (line == $"id: {head}")
                {
                    break;
                }
            }
            Assert.Equal(["event: delta", "event: delta"], events);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SlowStreamCollection
{
    public const string Name = "slow streams, alone";
}
