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
/// <para>Writes happen on a background task, off the stream loop (each one is an fsync), and
/// coalesce: while one is in progress, further revisions replace each other, and only the
/// latest is written next.</para>
/// </summary>
internal sealed class DiskCache(string? directory, string program, Uri server, TimeProvider clock, ILogger logger)
{
    private const string Format = "ripcord-lkg/1";

    private readonly Lock _gate = new();
    private (StateSnapshot Snapshot, DateTimeOffset Now)? _pending;
    private bool _writing;
    private Task _writer = Task.CompletedTask;
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
            if (!_writing)
            {
                _writing = true;
                _writer = Task.Run(WritePending);
            }
        }
    }

    /// <summary>Waits for the pending write, if any, at most <paramref name="timeout"/>; false if it did not finish.</summary>
    public async Task<bool> FlushAsync(TimeSpan timeout)
    {
        Task writer;
        lock (_gate)
        {
            writer = _writer;
        }
        try
        {
            await writer.WaitAsync(timeout, clock);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void WritePending()
    {
        while (true)
        {
            (StateSnapshot Snapshot, DateTimeOffset Now) next;
            lock (_gate)
            {
                if (_pending is not { } pending)
                {
                    // Decided under the lock, so a snapshot queued after this starts a new writer.
                    _writing = false;
                    return;
                }
                next = pending;
                _pending = null;
            }
            Save(next.Snapshot, next.Now);
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
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
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
