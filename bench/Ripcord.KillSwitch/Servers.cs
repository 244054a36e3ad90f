using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Ripcord.Testing;

/// <summary>The server the harness measures, behind what the harness needs of it.</summary>
internal interface IBenchServer : IAsyncDisposable
{
    string Kind { get; }
    Uri Url { get; }
    string DataDirectory { get; }
    HttpClient Admin { get; }
    Task<string> SdkKeyAsync();
    Task<long> HeadAsync();
}

/// <summary>`ripcord serve` from the CLI's Release build, in a child process on 127.0.0.1; ended by its PID.</summary>
internal sealed class ChildServer : IBenchServer
{
    private const string Token = "rc_bench_admin_token_0123456789abcdef";
    private readonly Process _process;

    private ChildServer(Process process, Uri url, string data)
    {
        _process = process;
        Url = url;
        DataDirectory = data;
        Admin = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public string Kind => $"child process {_process.Id}";
    public int ProcessId => _process.Id;
    public Uri Url { get; }
    public string DataDirectory { get; }
    public HttpClient Admin { get; }

    /// <summary>
    /// Starts the server; with <paramref name="logFile"/>, it logs at its default levels into that file (otherwise warnings only, discarded).
    /// With <paramref name="dataDirectory"/> it serves that directory (a restart) instead of a new one; <paramref name="serveArguments"/> go
    /// to <c>ripcord serve</c> as they are.
    /// </summary>
    public static async Task<ChildServer> StartAsync(string? logFile = null, string? dataDirectory = null, IReadOnlyList<string>? serveArguments = null)
    {
        var root = RipcordTestServer.RepositoryRoot();
        var dll = Path.Combine(root, "src", "Ripcord.Cli", "bin", "Release", "net10.0", "ripcord.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"build the CLI first: dotnet build src/Ripcord.Cli -c Release ({dll} is missing)");
        }
        var data = dataDirectory ?? Path.Combine(Path.GetTempPath(), "ripcord-ks-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var url = new Uri($"http://127.0.0.1:{port}/");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "serve", "--data", data, "--urls", url.ToString().TrimEnd('/') }.Concat(serveArguments ?? []))
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["RIPCORD_ADMIN_TOKEN"] = Token;
        StreamWriter? log = null;
        if (logFile is null)
        {
            info.Environment["Logging__LogLevel__Default"] = "Warning";
        }
        else
        {
            log = new StreamWriter(logFile) { AutoFlush = true };
        }
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (process) { log?.WriteLine(line); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (process) { log?.WriteLine(line); } } };
        process.Exited += (_, _) => { lock (process) { log?.Dispose(); log = null; } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ChildServer(process, url, data);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var ready = await server.Admin.GetAsync("readyz");
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(60) || process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException("the server did not become ready");
            }
            await Task.Delay(100);
        }
    }

    public async Task<string> SdkKeyAsync()
    {
        using var created = await Admin.PostAsJsonAsync("api/v1/tokens", new { name = "ks-bench", role = "sdk" });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    public async Task<long> HeadAsync() =>
        (await Admin.GetFromJsonAsync<JsonElement>("api/v1/programs/groups")).GetProperty("revision").GetInt64();

    /// <summary>Ends the process at once (SIGKILL, by its PID), as a crash would, and keeps its data directory for a restart.</summary>
    public async Task KillAsync()
    {
        Admin.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The shared test host in this process (server and clients share the process and its cores).</summary>
internal sealed class InProcess(RipcordTestServer server) : IBenchServer
{
    public static async Task<InProcess> StartAsync() => new(await RipcordTestServer.StartAsync(clock: TimeProvider.System));

    public string Kind => "in-process";
    public Uri Url => server.BaseAddress;
    public string DataDirectory => server.DataDirectory;
    public HttpClient Admin => server.Admin;
    public Task<string> SdkKeyAsync() => server.CreateTokenAsync("sdk");
    public Task<long> HeadAsync() => server.HeadAsync("groups");
    public ValueTask DisposeAsync() => server.DisposeAsync();
}
