using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ripcord.Bench.Shared;
using Ripcord.Server.Streaming;

namespace Ripcord.Propagation;

/// <summary>What the server process reports about its memory, after a full, compacting, blocking GC.</summary>
public sealed record ServerMemory(
    long GcTotalBytes, long GcHeapSizeBytes, long GcCommittedBytes, long WorkingSetBytes, long RssAnonBytes,
    int Streams, int ThreadPoolThreads);

/// <summary>GC and thread-pool counters of one process, read without forcing a collection.</summary>
public sealed record RuntimeCounters(long AllocatedBytes, double GcPauseMs, int Gen0, int Gen1, int Gen2, int ThreadPoolThreads, long PendingWorkItems)
{
    public static RuntimeCounters Read() => new(GC.GetTotalAllocatedBytes(false), GC.GetTotalPauseDuration().TotalMilliseconds,
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount);
}

/// <summary>The server under test: a child process (default) or hosted in this process.</summary>
public interface IServerHandle : IAsyncDisposable
{
    string Kind { get; }
    Uri Url { get; }
    int Port { get; }
    int? ProcessId { get; }
    /// <summary>Forces a full GC in the server process and reads its memory.</summary>
    Task<ServerMemory> MemoryAsync(CancellationToken ct);
    Task<RuntimeCounters> CountersAsync(CancellationToken ct);
    /// <summary>CPU time the server process has used so far (null when it shares this process).</summary>
    TimeSpan? CpuTime();
}

/// <summary>The bench-only endpoint the server process exposes on 127.0.0.1: GET /bench/memory.</summary>
public static class MemoryEndpoint
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/bench/memory", (StreamHub hub) => TypedResults.Ok(Measure(hub)));
        app.MapGet("/bench/counters", () => TypedResults.Ok(RuntimeCounters.Read()));
    }

    public static ServerMemory Measure(StreamHub hub)
    {
        // Twice, so objects freed by finalizers in the first pass are gone in the second.
        for (var i = 0; i < 2; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        using var self = Process.GetCurrentProcess();
        return new ServerMemory(GC.GetTotalMemory(false), info.HeapSizeBytes, info.TotalCommittedBytes, self.WorkingSet64,
            ReadRssAnon(), hub.Connections, ThreadPool.ThreadCount);
    }

    /// <summary>RssAnon from /proc/self/status: resident memory that is not file-backed (heap, stacks, JIT code).</summary>
    private static long ReadRssAnon()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    var kb = line["RssAnon:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }
}

/// <summary>The child side: `Ripcord.Propagation serve-child` hosts the server until "quit" or EOF on stdin.</summary>
public static class ServeChild
{
    public static async Task<int> RunAsync(string telemetryStore)
    {
        await using var server = await LoopbackServer.StartAsync(0, MemoryEndpoint.Map, b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            TelemetryStoreVariants.Register(b, telemetryStore);
        });
        Console.WriteLine($"READY {server.Port.ToString(CultureInfo.InvariantCulture)} {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        await Task.Run(() =>
        {
            string? line;
            while ((line = Console.ReadLine()) is not null && line != "quit")
            {
            }
        });
        return 0;
    }
}

/// <summary>The parent side of a server child process.</summary>
public sealed class ChildServer : IServerHandle
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly Queue<string> _tail = new();

    private ChildServer(Process process, int port)
    {
        _process = process;
        Port = port;
        Url = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Kind => "child process";
    public Uri Url { get; }
    public int Port { get; }
    public int? ProcessId => _process.Id;

    public static async Task<ChildServer> StartAsync(TimeSpan timeout, string telemetryStore)
    {
        // Same binary, "serve-child" verb: through the dotnet host when this is `dotnet X.dll`.
        var self = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(ChildServer).Assembly.Location;
        var viaHost = Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (viaHost)
        {
            start.ArgumentList.Add(dll);
        }
        // The server runs with the runtime's defaults, whatever GC knobs the harness itself was given.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("COMPlus_GC", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }
        start.ArgumentList.Add("serve-child");
        start.ArgumentList.Add(telemetryStore);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server child process");
        var ready = new TaskCompletionSource<(int Port, int Pid)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tail = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 40)
                {
                    tail.Dequeue();
                }
            }
        }
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("READY ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                ready.TrySetResult((int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture)));
            }
            else
            {
                Keep(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the server child exited before it was ready"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var (port, _) = await ready.Task.WaitAsync(timeout);
            var child = new ChildServer(process, port);
            lock (tail)
            {
                foreach (var line in tail)
                {
                    child._tail.Enqueue(line);
                }
            }
            return child;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            string lines;
            lock (tail)
            {
                lines = string.Join(Environment.NewLine, tail);
            }
            if (!process.HasExited)
            {
                process.Kill(); // only the child this harness started, by its handle
            }
            process.Dispose();
            throw new InvalidOperationException($"server child failed to start: {ex.Message}{Environment.NewLine}{lines}", ex);
        }
    }

    public async Task<ServerMemory> MemoryAsync(CancellationToken ct) =>
        (await _http.GetFromJsonAsync<ServerMemory>("bench/memory", ct))!;

    public async Task<RuntimeCounters> CountersAsync(CancellationToken ct) =>
        (await _http.GetFromJsonAsync<RuntimeCounters>("bench/counters", ct))!;

    public TimeSpan? CpuTime()
    {
        _process.Refresh();
        return _process.HasExited ? null : _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(); // only the child this harness started, by its handle
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        _process.Dispose();
    }
}

/// <summary>The server hosted in this process: simpler, but it shares the heap and thread pool with the clients.</summary>
public sealed class InProcessServer(LoopbackServer server) : IServerHandle
{
    public string Kind => "in-process";
    public Uri Url => server.Url;
    public int Port => server.Port;
    public int? ProcessId => null;

    public static async Task<InProcessServer> StartAsync(string telemetryStore) =>
        new(await LoopbackServer.StartAsync(0, MemoryEndpoint.Map, b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            TelemetryStoreVariants.Register(b, telemetryStore);
        }));

    public Task<ServerMemory> MemoryAsync(CancellationToken ct) =>
        Task.FromResult(MemoryEndpoint.Measure(server.App.Services.GetRequiredService<StreamHub>()));

    public Task<RuntimeCounters> CountersAsync(CancellationToken ct) => Task.FromResult(RuntimeCounters.Read());

    public TimeSpan? CpuTime() => null;

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
