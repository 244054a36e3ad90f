using System.Diagnostics;

namespace Ripcord.Server.Tests.Telemetry;

/// <summary>A fact that needs to mount a tmpfs (root on Linux); skipped, and says so, elsewhere.</summary>
public sealed class SmallVolumeFactAttribute : FactAttribute
{
    public SmallVolumeFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess || !File.Exists("/bin/mount"))
        {
            Skip = "needs root on Linux to mount a small tmpfs";
        }
    }
}

/// <summary>
/// A real, small filesystem (a tmpfs of a few megabytes) to run a server's data directory on, so a
/// test sees what a full disk does — ENOSPC from the kernel, not a simulated error.
/// </summary>
public sealed class SmallVolume : IDisposable
{
    private SmallVolume(string path) => Path = path;

    public string Path { get; }

    private string Ballast => System.IO.Path.Combine(Path, "ballast");

    public static SmallVolume Mount(int megabytes)
    {
        var path = TestPaths.NewDiskDirectory("volume");
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return new SmallVolume(path);
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Writes a file until the kernel says the disk is full, in ever smaller blocks so not one byte is left.</summary>
    public void Fill()
    {
        using var file = new FileStream(Ballast, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        foreach (var size in new[] { 64 * 1024, 4096, 512, 1 })
        {
            var block = new byte[size];
            try
            {
                while (true)
                {
                    file.Write(block);
                }
            }
            catch (IOException)
            {
                // ENOSPC for a block this size; a smaller one may still fit.
            }
        }
    }

    public void Free() => File.Delete(Ballast);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        TestPaths.TryDelete(Path);
    }

    private static void Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
        }
    }
}
