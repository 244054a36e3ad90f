namespace Ripcord.Server.Storage;

/// <summary>
/// A few megabytes of the SQLite data volume held back in a preallocated file, for one moment: a start on a
/// volume something else has filled to the last byte. Opening a database in WAL mode creates its shared-memory
/// and log files, so with no byte free the server could not even start and say it is not ready. With the
/// reserve released it starts, reads everything, and answers writes it cannot store with 503 until there is room;
/// the reserve is made again at a start that has room for it.
/// </summary>
public static class ReservedSpace
{
    public const string FileName = "reserved-space";
    public const long DefaultBytes = 4L * 1024 * 1024;

    /// <summary>
    /// Releases the reserve when the volume has less than <paramref name="bytes"/> free, or makes it when there is
    /// room for it twice over; returns the bytes released. With <paramref name="bytes"/> 0 there is no reserve.
    /// </summary>
    public static long Prepare(string dataDirectory, long bytes)
    {
        if (bytes <= 0)
        {
            return 0;
        }
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        long free;
        try
        {
            free = new DriveInfo(Path.GetFullPath(dataDirectory)).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0; // cannot tell: leave things as they are
        }
        var exists = File.Exists(path);
        if (exists && free < bytes)
        {
            var released = new FileInfo(path).Length;
            File.Delete(path);
            return released;
        }
        if (!exists && free >= 2 * bytes)
        {
            try
            {
                // Preallocated (fallocate), not sparse: the blocks are really taken, without writing them.
                using var reserve = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, bytes);
            }
            catch (IOException)
            {
                File.Delete(path); // a race with another writer for the last space: try again at the next start
            }
        }
        return 0;
    }
}
