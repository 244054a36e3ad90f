namespace Ripcord.Testing;

/// <summary>Where tests put their throwaway data.</summary>
public static class TestPaths
{
    /// <summary>
    /// A new directory for one test's data: on tmpfs (/dev/shm) where there is one, since these
    /// tests are about behaviour and a process kill, not power loss, and fsync on a slow disk
    /// would dominate their run time. RIPCORD_TEST_TMP overrides the location.
    /// </summary>
    public static string NewDataDirectory(string prefix)
    {
        var root = Environment.GetEnvironmentVariable("RIPCORD_TEST_TMP") is { Length: > 0 } configured
            ? configured
            : Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var directory = Path.Combine(root, $"ripcord-{prefix}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A new directory on the real disk (for the crash test, which runs the real write path).</summary>
    public static string NewDiskDirectory(string prefix)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"ripcord-{prefix}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
