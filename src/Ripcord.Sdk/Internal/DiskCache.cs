using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ripcord.Core;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;

namespace Ripcord.Sdk.Internal;

/// <summary>
/// The last-known-good revision on disk: written atomically (temp file, flush, rename) and
/// checked on load — format, program, server and the state's digest must all match, or the
/// file is ignored with a warning and never trusted.
/// <para>Writes happen off the stream loop, on one thread per process that writes every client's file
/// (<see cref="CacheWriter"/>): each write ends in an fsync, which blocks its thread, and a process
/// hosting many clients must not lose a thread-pool thread to each of them on every revision. Writes
/// coalesce: while a client's file waits or is being written, further revisions replace each other,
/// and only the latest is written next.</para>
/// </summary>
internal sealed class DiskCache(string? directory, string program, Uri server, TimeProvider clock, ILogger logger)
{
    private const string Format = "ripcord-lkg/1";

    private readonly Lock _gate = new();
    private (StateSnapshot Snapshot, DateTimeOffset Now)? _pending;
    private bool _queued;
    private TaskCompletionSource? _written;
    private long _writes;

    /// <summary>Files written so far (for tests: coalescing writes fewer than it was asked to).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    private sealed record CacheFile(string Format, string Server, string Program, long Revision, string Digest, DateTimeOffset SavedAt, ProgramState State);

    public string? Path { get; } = directory is null ? null : System.IO.Path.Combine(directory, $"ripcord-{program}.lkg.json");

    private string ServerKey => server.GetLeftPart(UriPartial.Authority);

    public StateSnapshot? Load()
    {
        if (Path is null || !File.Exists(Path))
        {
            return null;
        }
        try
        {
            var file = JsonSerializer.Deserialize<CacheFile>(File.ReadAllBytes(Path), CoreJson.Options);
            var problem = file switch
            {
                null => "empty",
                { Format: not Format } => $"unknown format '{file.Format}'",
                _ when file.Program != program => $"it holds program '{file.Program}', not '{program}'",
                _ when file.Server != ServerKey => $"it came from another server ({file.Server})",
                _ when file.State is null || file.State.Program != program => "its state is missing or foreign",
                _ when StateSync.Digest(file.State) != file.Digest => "its checksum does not match its content",
                _ => null,
            };
            if (problem is not null)
            {
                Log.CacheIgnored(logger, Path, problem);
                return null;
            }
            return new StateSnapshot(program, file!.Revision, file.Digest, file.State!);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException)
        {
            Log.CacheIgnored(logger, Path, "unreadable: " + ex.GetType().Name);
            return null;
        }
    }

    /// <summary>Queues the snapshot to be written; returns at once. A snapshot still waiting is replaced.</summary>
    public void SaveInBackground(StateSnapshot snapshot, DateTimeOffset now)
    {
        if (Path is null)
        {
            return;
        }
        lock (_gate)
        {
            _pending = (snapshot, now);
            _written ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_queued)
            {
                return;
            }
            _queued = true;
        }
        CacheWriter.Enqueue(this);
    }

    /// <summary>Waits for the pending write, if any, at most <paramref name="timeout"/>; false if it did not finish.</summary>
    public async Task<bool> FlushAsync(TimeSpan timeout)
    {
        Task written;
        lock (_gate)
        {
            written = _written?.Task ?? Task.CompletedTask;
        }
        try
        {
            await written.WaitAsync(timeout, clock);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>On the writer thread: writes the latest pending snapshot until none is left.</summary>
    private void WritePending()
    {
        while (TakePending() is { } next)
        {
            Save(next.Snapshot, next.Now);
        }
    }

    /// <summary>The snapshot to write next; or, when none is left, null — the file leaves the queue and its waiters are released.</summary>
    private (StateSnapshot Snapshot, DateTimeOffset Now)? TakePending()
    {
        TaskCompletionSource? done;
        lock (_gate)
        {
            if (_pending is { } pending)
            {
                _pending = null;
                return pending;
            }
            // Decided under the lock, so a snapshot queued after this queues the file again.
            _queued = false;
            done = _written;
            _written = null;
        }
        done?.TrySetResult();
        return null;
    }

    /// <summary>
    /// The one thread of the process that writes cache files, in the order clients queued them. A client is
    /// queued at most once at a time, so a burst of revisions across a thousand clients is a thousand files,
    /// each holding its client's latest revision.
    /// </summary>
    private static class CacheWriter
    {
        private static readonly System.Collections.Concurrent.BlockingCollection<DiskCache> Queue = StartWriter();

        public static void Enqueue(DiskCache cache) => Queue.Add(cache);

        private static System.Collections.Concurrent.BlockingCollection<DiskCache> StartWriter()
        {
            var queue = new System.Collections.Concurrent.BlockingCollection<DiskCache>();
            new Thread(() =>
            {
                foreach (var cache in queue.GetConsumingEnumerable())
                {
                    cache.WritePending();
                }
            })
            { IsBackground = true, Name = "Ripcord SDK cache writer" }.Start();
            return queue;
        }
    }

    private void Save(StateSnapshot snapshot, DateTimeOffset now)
    {
        if (Path is not { } path)
        {
            return;
        }
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(
                new CacheFile(Format, ServerKey, program, snapshot.Revision, snapshot.Digest, now, snapshot.State), CoreJson.Options);
            // One write, then one fsync before the rename: the file is whole on disk before it replaces the old one.
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            Interlocked.Increment(ref _writes);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nobody awaits this write: any failure is logged here, and the next revision tries again.
            Log.CacheWriteFailed(logger, path, ex.GetType().Name);
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
