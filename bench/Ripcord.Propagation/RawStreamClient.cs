using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ripcord.Propagation;

/// <summary>
/// A bare SSE reader for --clients-kind raw: one socket, one HTTP/1.1 GET of the program's
/// stream, and a byte scan for "id: N" lines, time-stamped on arrival. No JSON, no digest, no
/// compile, no telemetry: what it measures is the server's fan-out alone (and the server's
/// memory for one stream connection alone).
/// </summary>
public sealed class RawStreamClient : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly CancellationTokenSource _stop = new();
    private readonly Probe _probe;
    private readonly TaskCompletionSource _live = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    private RawStreamClient(Probe probe) => _probe = probe;

    public Task Live => _live.Task;

    public static async Task<RawStreamClient> ConnectAsync(int port, string key, string instance, Probe probe, CancellationToken ct)
    {
        var client = new RawStreamClient(probe);
        await client._socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        var request = $"GET /api/v1/programs/groups/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n" +
            $"Accept: text/event-stream\r\nX-Ripcord-Instance: {instance}\r\nX-Ripcord-Sdk: raw-sse-bench\r\n\r\n";
        await client._socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, ct);
        client._loop = Task.Run(() => client.ReadLoopAsync(client._stop.Token), CancellationToken.None);
        return client;
    }

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        // Line-start state machine for "id: <digits>\n"; everything else (chunk sizes, event, data) is skipped.
        var atLineStart = true;
        var matched = 0; // bytes of "id: " matched at a line start
        long value = 0;
        var inNumber = false;
        var seenFirst = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (n == 0)
                {
                    return;
                }
                for (var i = 0; i < n; i++)
                {
                    var b = buffer[i];
                    if (inNumber)
                    {
                        if (b is >= (byte)'0' and <= (byte)'9')
                        {
                            value = (value * 10) + (b - '0');
                            continue;
                        }
                        inNumber = false;
                        // The first event after connecting is the snapshot; the rest are deltas (or resync snapshots).
                        _probe.Record(value, fromDelta: seenFirst);
                        seenFirst = true;
                        _live.TrySetResult();
                    }
                    if (atLineStart && matched < 4 && b == "id: "u8[matched])
                    {
                        matched++;
                        if (matched == 4)
                        {
                            inNumber = true;
                            value = 0;
                            matched = 0;
                            atLineStart = false;
                        }
                        continue;
                    }
                    matched = 0;
                    atLineStart = b == (byte)'\n';
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            _live.TrySetException(new IOException("the stream ended before the first event"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        _socket.Dispose();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
        _stop.Dispose();
    }
}
