using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Ripcord.Server.Tests.Infrastructure;

/// <summary>The real <c>ripcord</c> CLI (ripcord.dll, copied next to the tests by the project reference), run as a process.</summary>
public static partial class RipcordCli
{
    private static readonly Lazy<string> Dll = new(Locate);

    public static string DllPath => Dll.Value;

    private static string Locate()
    {
        static bool Runnable(string dir) =>
            File.Exists(Path.Combine(dir, "ripcord.dll")) && File.Exists(Path.Combine(dir, "ripcord.runtimeconfig.json"));

        if (Runnable(AppContext.BaseDirectory))
        {
            return Path.Combine(AppContext.BaseDirectory, "ripcord.dll");
        }
        // Otherwise the CLI project's own build output, same configuration as the tests if possible.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var bin = Path.Combine(dir.FullName, "src", "Ripcord.Cli", "bin");
            if (!Directory.Exists(bin))
            {
                continue;
            }
            var candidates = Directory.GetFiles(bin, "ripcord.dll", SearchOption.AllDirectories)
                .Where(f => Runnable(Path.GetDirectoryName(f)!))
                .OrderByDescending(f => f.Contains(Path.DirectorySeparatorChar + configuration + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .ThenByDescending(File.GetLastWriteTimeUtc)
                .ToList();
            if (candidates.Count > 0)
            {
                return candidates[0];
            }
        }
        throw new FileNotFoundException(
            $"ripcord.dll was not found next to the tests ({AppContext.BaseDirectory}) or under src/Ripcord.Cli/bin: build src/Ripcord.Cli first");
    }

    /// <summary>The dotnet host that runs the tests (so the CLI runs on the same runtime).</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

    /// <summary>The environment for a CLI process: none of the caller's RIPCORD_* settings leak in.</summary>
    public static Dictionary<string, string?> ProcessEnvironment(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["RIPCORD_SERVER"] = null,
            ["RIPCORD_TOKEN"] = null,
            ["RIPCORD_ADMIN_TOKEN"] = null,
            ["RIPCORD_PROFILE"] = null,
            // Never the machine's own profiles (~/.config/ripcord): a directory that does not exist, unless a test names one.
            ["RIPCORD_CONFIG_DIR"] = NoProfiles,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            env[k] = v;
        }
        return env;
    }

    private static readonly string NoProfiles = Path.Combine(Path.GetTempPath(), "ripcord-tests-no-profiles-" + Environment.ProcessId);

    /// <summary>Runs the CLI with RIPCORD_* variables set and <paramref name="standardInput"/> piped in.</summary>
    public static Task<ProcessResult> RunWithInputAsync(IReadOnlyDictionary<string, string?> environment, string standardInput, params string[] args) =>
        ProcessRunner.RunAsync(DotnetHost, [DllPath, .. args], TimeSpan.FromSeconds(90), ProcessEnvironment(environment), standardInput: standardInput);

    public static Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync(DotnetHost, [DllPath, .. args], TimeSpan.FromSeconds(90), ProcessEnvironment());

    /// <summary>Runs the CLI with some RIPCORD_* variables set (the caller's own never leak in).</summary>
    public static Task<ProcessResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        ProcessRunner.RunAsync(DotnetHost, [DllPath, .. args], TimeSpan.FromSeconds(90), ProcessEnvironment(environment));

    [GeneratedRegex(@"serving on (http://127\.0\.0\.1:\d+)")]
    internal static partial Regex ServingOn();
}

/// <summary>
/// <c>ripcord serve</c> as a separate process on a data directory, on a loopback port the OS
/// picks (read back from the server's own start-up line). Kill() is a kill -9.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;
    public int Pid => _process.Id;
    public string Output => string.Join('\n', _output);

    public static async Task<ServerProcess> StartAsync(string dataDirectory, string adminToken, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(RipcordCli.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        foreach (var arg in new[] { RipcordCli.DllPath, "serve", "--data", dataDirectory, "--urls", "http://127.0.0.1:0" })
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var (k, v) in RipcordCli.ProcessEnvironment(new Dictionary<string, string?> { ["RIPCORD_ADMIN_TOKEN"] = adminToken }))
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start ripcord serve");
        var server = new ServerProcess(process);
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            server._output.Enqueue(e.Data);
            if (RipcordCli.ServingOn().Match(e.Data) is { Success: true } m)
            {
                address.TrySetResult(new Uri(m.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                server._output.Enqueue("stderr: " + e.Data);
            }
        };
        process.Exited += (_, _) => address.TrySetException(new InvalidOperationException("ripcord serve exited before it was serving"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        try
        {
            server.BaseAddress = await address.Task.WaitAsync(timeout);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"ripcord serve did not come up within {timeout.TotalSeconds:0} s: {ex.Message}\n{server.Output}", ex);
        }
        return server;
    }

    /// <summary>SIGKILL, no shutdown: what a crash or the OOM killer does.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
