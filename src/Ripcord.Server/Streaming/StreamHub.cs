using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;
using Ripcord.Core;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Streaming;

/// <summary>One SDK connection's queue of frames. Bounded: a client that cannot keep up is cut off and resyncs.</summary>
public sealed class StreamSubscriber
{
    internal StreamSubscriber() { }

    internal Channel<byte[]> Frames { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(32)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ChannelReader<byte[]> Reader => Frames.Reader;
}

/// <summary>
/// Fans each new revision out to every connected SDK stream. A revision is serialised once
/// (one frame shared by all connections): a delta when it follows the previous revision, a
/// snapshot otherwise. Reconnecting clients get the deltas they missed from the
/// <see cref="DeltaCache"/>, or one snapshot when the gap is too old.
/// </summary>
public sealed class StreamHub : IDisposable
{
    private readonly ProgramRegistry _registry;
    private readonly ConcurrentDictionary<string, Feed> _feeds = new(StringComparer.Ordinal);

    public StreamHub(ProgramRegistry registry)
    {
        _registry = registry;
        registry.Published += OnPublished;
    }

    private sealed class Feed
    {
        public readonly Lock Gate = new();
        public readonly DeltaCache Deltas = new(256);
        public readonly List<StreamSubscriber> Subscribers = [];
        public CompiledProgram? Head;
        public byte[]? HeadSnapshot;
    }

    public int Connections => _feeds.Values.Sum(f => { lock (f.Gate) { return f.Subscribers.Count; } });

    private long _slowDisconnects;

    /// <summary>Streams ended because their client fell behind: its queue overflowed, or a write waited too long for it to read.</summary>
    public long SlowDisconnects => Interlocked.Read(ref _slowDisconnects);

    /// <summary>Counts one stream cut off for not reading.</summary>
    public void CountSlowDisconnect() => Interlocked.Increment(ref _slowDisconnects);

    private void OnPublished(PublishedRevision published)
    {
        var compiled = published.Compiled;
        var feed = _feeds.GetOrAdd(compiled.Program, _ => new Feed());
        lock (feed.Gate)
        {
            Advance(feed, compiled, published.Delta);
        }
    }

    /// <summary>
    /// Moves the feed to <paramref name="compiled"/> (under its lock): the frame for it — a delta from the feed's head when it
    /// is the revision before, kept for clients that resume, else a snapshot — goes to every subscriber. Called by the
    /// publisher and also by a subscriber that finds the registry ahead of the feed (a revision published a moment ago
    /// whose event has not reached the feed yet), so neither the delta nor the frame to those already subscribed is lost.
    /// </summary>
    private void Advance(Feed feed, CompiledProgram compiled, StateDelta? written)
    {
        if (feed.Head is { } head && head.Revision >= compiled.Revision)
        {
            return;
        }
        byte[] frame;
        if (feed.Head is { } previous && previous.Revision == compiled.Revision - 1)
        {
            // The writer already computed this delta for the revision row: reuse it when it starts where this feed is.
            var delta = written is { } d && d.FromRevision == previous.Revision && d.ToRevision == compiled.Revision
                ? d
                : StateSync.Compute(previous.State, previous.Revision, compiled.State, compiled.Revision);
            frame = Frame(compiled.Revision, "delta", delta);
            feed.Deltas.Add(compiled.Revision, frame);
        }
        else
        {
            frame = SnapshotFrame(compiled);
        }
        feed.Head = compiled;
        feed.HeadSnapshot = null;
        foreach (var subscriber in feed.Subscribers)
        {
            if (!subscriber.Frames.Writer.TryWrite(frame) && subscriber.Frames.Writer.TryComplete())
            {
                // Too slow to keep up: end its stream; it reconnects with Last-Event-ID and catches up.
                CountSlowDisconnect();
            }
        }
    }

    /// <summary>Subscribes a connection; returns the frames that bring a client at <paramref name="lastRevision"/> to the head.</summary>
    public (StreamSubscriber Subscriber, IReadOnlyList<byte[]> CatchUp, long Head) Subscribe(string program, long? lastRevision)
    {
        var current = _registry.Current(program);
        var feed = _feeds.GetOrAdd(program, _ => new Feed());
        lock (feed.Gate)
        {
            if (feed.Head is null || feed.Head.Revision < current.Revision)
            {
                Advance(feed, current, null);
            }
            var head = feed.Head!;
            IReadOnlyList<byte[]> catchUp;
            if (lastRevision is long r && r == head.Revision)
            {
                catchUp = [];
            }
            else if (lastRevision is long from && from < head.Revision && feed.Deltas.Since(from, head.Revision) is { } deltas)
            {
                catchUp = deltas;
            }
            else
            {
                catchUp = [feed.HeadSnapshot ??= SnapshotFrame(head)];
            }
            var subscriber = new StreamSubscriber();
            feed.Subscribers.Add(subscriber);
            return (subscriber, catchUp, head.Revision);
        }
    }

    public void Unsubscribe(string program, StreamSubscriber subscriber)
    {
        if (_feeds.TryGetValue(program, out var feed))
        {
            lock (feed.Gate)
            {
                feed.Subscribers.Remove(subscriber);
            }
        }
    }

    private static byte[] SnapshotFrame(CompiledProgram compiled) =>
        Frame(compiled.Revision, "snapshot", StateSync.Snapshot(compiled.State, compiled.Revision));

    private static byte[] Frame<T>(long revision, string type, T payload)
    {
        // Framed by the library (event, data, id = revision for Last-Event-ID resumption), once per
        // revision: every connection writes these same bytes, so fan-out costs no framing per stream.
        var item = new SseItem<byte[]>(JsonSerializer.SerializeToUtf8Bytes(payload, CoreJson.Options), type)
        {
            EventId = revision.ToString(CultureInfo.InvariantCulture),
        };
        using var frame = new MemoryStream(item.Data.Length + 64);
        // Every write to a MemoryStream completes at once, so this returns completed: it never blocks the feed's lock.
        var written = SseFormatter.WriteAsync(new[] { item }.ToAsyncEnumerable(), frame, static (e, buffer) => buffer.Write(e.Data));
        Debug.Assert(written.IsCompleted, "SseFormatter into a MemoryStream completes synchronously");
        written.GetAwaiter().GetResult();
        return frame.ToArray();
    }

    public void Dispose() => _registry.Published -= OnPublished;
}
