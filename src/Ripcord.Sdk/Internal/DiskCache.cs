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
/// </summary>
internal sealed class DiskCache(string? directory, string program, Uri server, ILogger logger)
{
    private const string Format = "ripcord-lkg/1";

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

    public void Save(StateSnapshot snapshot, DateTimeOffset now)
    {
        if (Path is null)
        {
            return;
        }
        var temp = Path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(
                new CacheFile(Format, ServerKey, program, snapshot.Revision, snapshot.Digest, now, snapshot.State), CoreJson.Options);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, Path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CacheWriteFailed(logger, Path, ex.GetType().Name);
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
            }
        }
    }
}
