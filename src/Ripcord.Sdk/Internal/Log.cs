using Microsoft.Extensions.Logging;

namespace Ripcord.Sdk.Internal;

/// <summary>The SDK's log messages, with stable event ids. Never logs keys, contexts or flag values.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Ripcord: applied revision {Revision} of {Program} ({How})")]
    public static partial void Applied(ILogger logger, string program, long revision, string how);

    [LoggerMessage(2, LogLevel.Warning, "Ripcord: stream to {Server} failed ({Error}); reconnecting in {DelayMs} ms")]
    public static partial void StreamFailed(ILogger logger, string server, string error, long delayMs);

    [LoggerMessage(3, LogLevel.Error, "Ripcord: the server refused the SDK key ({Status}); check the key's role is sdk")]
    public static partial void Unauthorized(ILogger logger, int status);

    [LoggerMessage(4, LogLevel.Warning, "Ripcord: ignoring the cache file {Path}: {Problem}")]
    public static partial void CacheIgnored(ILogger logger, string path, string problem);

    [LoggerMessage(5, LogLevel.Warning, "Ripcord: could not write the cache file {Path}: {Error}")]
    public static partial void CacheWriteFailed(ILogger logger, string path, string error);

    [LoggerMessage(6, LogLevel.Warning, "Ripcord: a delta from revision {From} did not fit revision {Have}; re-synchronising")]
    public static partial void Resync(ILogger logger, long from, long have);

    [LoggerMessage(7, LogLevel.Warning, "Ripcord: telemetry batch not delivered ({Error}); {Count} events re-queued")]
    public static partial void TelemetryFailed(ILogger logger, string error, int count);

    [LoggerMessage(8, LogLevel.Warning, "Ripcord: no configuration for {Program} (no server, no cache): every flag holds its safe value")]
    public static partial void SafeDefaults(ILogger logger, string program);

    [LoggerMessage(9, LogLevel.Warning, "Ripcord: rejected a snapshot of {Program} whose digest does not match its content; asking again")]
    public static partial void SnapshotRejected(ILogger logger, string program);

    [LoggerMessage(10, LogLevel.Warning, "Ripcord: the cache file {Path} was still being written {TimeoutMs} ms into dispose; it finishes in the background")]
    public static partial void CacheWriteUnfinished(ILogger logger, string path, long timeoutMs);

    [LoggerMessage(11, LogLevel.Warning, "Ripcord: no tier-2 override: the server could not be reached or could not record it (status {Status}); the action stays held")]
    public static partial void OverrideUnavailable(ILogger logger, int status);
}
