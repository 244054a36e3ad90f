using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Ripcord.Core;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;

namespace Ripcord.Sdk.Bench;

/// <summary>
/// The revision stream's framing and parsing, hand-written (as of f17e861) against
/// System.Net.ServerSentEvents. Server: one frame per revision, shared by every connection
/// (StreamHub.Frame), for a groups snapshot and a one-override delta. SDK: reading one delta event
/// from the stream and deserialising it (the old SseReader + string, against SseParser + UTF-8).
/// </summary>
[MemoryDiagnoser]
public class StreamFramingBenchmarks
{
    private StateSnapshot _snapshot = null!;
    private StateDelta _delta = null!;
    private byte[] _deltaFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        var state = ProgramState.Initial(BuiltInPrograms.Groups);
        var next = ProgramChanges.AddOverride(state, new OverrideRequest("F3", "workspace:ws-a", true, "bench", null), "ovr_000000000001", "bench", now).State;
        _snapshot = StateSync.Snapshot(state, 41);
        _delta = StateSync.Compute(state, 41, next, 42);
        _deltaFrame = SseFormatterFrame(42, "delta", _delta);
        Console.WriteLine($"// frame bytes: snapshot {SseFormatterFrame(41, "snapshot", _snapshot).Length}, delta {_deltaFrame.Length}");
        // The same three fields, in another order: id, event, data before; event, data, id now.
        if (HandWrittenFrame(42, "delta", _delta).Length != _deltaFrame.Length)
        {
            throw new InvalidOperationException("the two framers disagree on the frame's size");
        }
    }

    [Benchmark]
    public byte[] Server_HandWritten_Snapshot() => HandWrittenFrame(41, "snapshot", _snapshot);

    [Benchmark]
    public byte[] Server_SseFormatter_Snapshot() => SseFormatterFrame(41, "snapshot", _snapshot);

    [Benchmark]
    public byte[] Server_HandWritten_Delta() => HandWrittenFrame(42, "delta", _delta);

    [Benchmark]
    public byte[] Server_SseFormatter_Delta() => SseFormatterFrame(42, "delta", _delta);

    [Benchmark]
    public async Task<StateDelta?> Sdk_SseReader_Delta()
    {
        var e = await new HandWrittenSseReader(new MemoryStream(_deltaFrame)).ReadAsync(CancellationToken.None);
        return JsonSerializer.Deserialize<StateDelta>(e!.Value.Data, CoreJson.Options);
    }

    [Benchmark]
    public async Task<StateDelta?> Sdk_SseParser_Delta()
    {
        await foreach (var e in SseParser.Create(new MemoryStream(_deltaFrame),
            static (_, data) => JsonSerializer.Deserialize<StateDelta>(data, CoreJson.Options)).EnumerateAsync())
        {
            return e.Data;
        }
        return null;
    }

    /// <summary>StreamHub.Frame as of f17e861.</summary>
    private static byte[] HandWrittenFrame<T>(long revision, string type, T payload)
    {
        var json = JsonSerializer.Serialize(payload, CoreJson.Options);
        return Encoding.UTF8.GetBytes($"id: {revision.ToString(CultureInfo.InvariantCulture)}\nevent: {type}\ndata: {json}\n\n");
    }

    /// <summary>StreamHub.Frame now.</summary>
    private static byte[] SseFormatterFrame<T>(long revision, string type, T payload)
    {
        var item = new SseItem<byte[]>(JsonSerializer.SerializeToUtf8Bytes(payload, CoreJson.Options), type)
        {
            EventId = revision.ToString(CultureInfo.InvariantCulture),
        };
        using var frame = new MemoryStream(item.Data.Length + 64);
        SseFormatter.WriteAsync(new[] { item }.ToAsyncEnumerable(), frame, static (e, buffer) => buffer.Write(e.Data)).GetAwaiter().GetResult();
        return frame.ToArray();
    }

    /// <summary>The SDK's Internal/SseReader as of f17e861.</summary>
    private sealed class HandWrittenSseReader(Stream stream)
    {
        private readonly StreamReader _reader = new(stream, Encoding.UTF8, false, 16 * 1024);

        public async Task<(string? Id, string Event, string Data)?> ReadAsync(CancellationToken ct)
        {
            string? id = null;
            var type = "message";
            StringBuilder? data = null;
            while (true)
            {
                var line = await _reader.ReadLineAsync(ct);
                if (line is null)
                {
                    return null;
                }
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        return (id, type, data.ToString());
                    }
                    id = null;
                    type = "message";
                    continue;
                }
                if (line[0] == ':')
                {
                    continue;
                }
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        type = value;
                        break;
                    case "data":
                        (data ??= new StringBuilder()).Append(data.Length > 0 ? "\n" : "").Append(value);
                        break;
                }
            }
        }
    }
}
