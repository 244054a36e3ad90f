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

    private readonly HttpClient? _telemetry;
    private readonly string _instance;
    private int _telemetryFailures;

    private readonly int _jitterMs;

    private RawStreamClient(Probe probe, HttpClient? telemetry, string instance, int jitterMs)
    {
        _jitterMs = jitterMs;
        _probe = probe;
        _telemetry = telemetry;
        _instance = instance;
    }

    public int TelemetryFailures => Volatile.Read(ref _telemetryFailures);

    public Task Live => _live.Task;

    /// <summary>
    /// Connects and sends the GET. With <c>telemetry</c> set, every frame is answered with one
    /// revision-heartbeat POST, as the SDK does after each applied revision (Apply → Heartbeat →
    /// FlushSoon): the server's load of a real fleet, without the SDK's client-side apply cost.
    /// <c>jitterMs</c> &gt; 0 delays each POST by a uniform random 0..jitterMs (a jittered SDK flush).
    /// </summary>
    public static async Task<RawStreamClient> ConnectAsync(int port, string key, string instance, Probe probe, HttpClient? telemetry,
        int jitterMs, CancellationToken ct)
    {
        var client = new RawStreamClient(probe, telemetry, instance, jitterMs);
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
                        if (_telemetry is not null)
                        {
                            _ = HeartbeatAsync(value);
                        }
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

    private async Task HeartbeatAsync(long revision)
    {
        if (_jitterMs > 0)
        {
            try
            {
                await Task.Delay(Random.Shared.Next(_jitterMs), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var at = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var json = $$"""{"program":"groups","instance":"{{_instance}}","sdk":"raw-sse-bench","dropped":0,"events":[{"type":"revision-heartbeat","at":"{{at}}","revision":{{revision}},"state":"live"}]}""";
        try
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await _telemetry!.PostAsync("api/v1/telemetry", content, _stop.Token);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _telemetryFailures);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            Interlocked.Increment(ref _telemetryFailures);
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
