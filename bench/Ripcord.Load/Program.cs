using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Ripcord.Testing;

// OFREP load figure: starts a Ripcord server in this process on 127.0.0.1 (kernel-chosen port,
// SQLite in a temp directory), creates an SDK key, and drives
// POST /ofrep/v1/evaluate/flags/{flag} from N concurrent keep-alive connections for a fixed
// time after a warm-up. Every bound is explicit and capped; traffic never leaves loopback.
//
//   dotnet run -c Release --project bench/Ripcord.Load -- [--connections 50] [--warmup 5] [--duration 20] [--flag groups.routes.enabled]

var connections = Arg("--connections", 50, 1, 200);
var warmup = TimeSpan.FromSeconds(Arg("--warmup", 5, 0, 60));
var duration = TimeSpan.FromSeconds(Arg("--duration", 20, 1, 120));
var flag = ArgText("--flag", "groups.routes.enabled");
const string AdminToken = "load-admin-token-0123456789abcdef";
const string Body = """{"context":{"targetingKey":"u-17","workspaceId":"w-pilot-1","tier":1,"platform":"android"}}""";

var directory = Path.Combine(Path.GetTempPath(), "ripcord-load-" + Guid.NewGuid().ToString("N")[..12]);
Directory.CreateDirectory(directory);
// The shared test host (tests/Ripcord.Testing) on the real clock, its data on the real disk.
var host = await RipcordTestServer.StartAsync(customize: o => o with { DataDirectory = directory, AdminToken = AdminToken }, clock: TimeProvider.System);
try
{
    var baseUri = host.BaseAddress;
    if (!IPAddress.IsLoopback(IPAddress.Parse(baseUri.Host)))
    {
        throw new InvalidOperationException($"refusing to load {baseUri}: not loopback");
    }

    using var handler = new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseProxy = false,
    };
    using var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);

    // A realistic stage-1 configuration: the context is in the pilot cohort, so the flag is a
    // cohort-scoped stage value (TARGETING_MATCH), not a constant.
    (await http.PutAsJsonAsync("api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w-pilot-1", "w-pilot-2" } })).EnsureSuccessStatusCode();
    (await http.PutAsJsonAsync("api/v1/programs/groups/stage", new { stage = 1 })).EnsureSuccessStatusCode();
    var created = await (await http.PostAsJsonAsync("api/v1/tokens", new { name = "load sdk", role = "sdk" })).EnsureSuccessStatusCode()
        .Content.ReadFromJsonAsync<JsonObject>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)created!["token"]!);

    var path = "ofrep/v1/evaluate/flags/" + flag;
    using (var probe = await http.PostAsync(path, new StringContent(Body, Encoding.UTF8, "application/json")))
    {
        Console.WriteLine($"probe: {(int)probe.StatusCode} {await probe.Content.ReadAsStringAsync()}");
        probe.EnsureSuccessStatusCode();
    }

    Console.WriteLine($"warm-up {warmup.TotalSeconds:0} s, then {duration.TotalSeconds:0} s measured, {connections} connections, POST /{path}");
    await RunAsync(http, path, connections, warmup, record: false);
    var run = await RunAsync(http, path, connections, duration, record: true);

    var all = run.Latencies;
    all.Sort();
    double Percentile(double p) => all.Count == 0 ? double.NaN : all[Math.Min(all.Count - 1, (int)Math.Ceiling(p / 100 * all.Count) - 1)] * 1000.0 / Stopwatch.Frequency;
    var seconds = run.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"requests: {run.Ok + run.Failed} in {seconds:0.0} s ({run.Ok} ok, {run.Failed} failed)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"throughput: {run.Ok / seconds:0} requests/s"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"latency ms: p50 {Percentile(50):0.000}  p90 {Percentile(90):0.000}  p99 {Percentile(99):0.000}  max {Percentile(100):0.000}"));
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, " +
        $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC; client and server share this process");
    return run.Failed == 0 ? 0 : 1;
}
finally
{
    await host.DisposeAsync(); // stops the server and deletes its data directory
}

static async Task<Run> RunAsync(HttpClient http, string path, int connections, TimeSpan length, bool record)
{
    var stop = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
    var payload = Encoding.UTF8.GetBytes(Body);
    var started = Stopwatch.GetTimestamp();
    var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
    {
        var latencies = new List<long>(record ? 1 << 16 : 0);
        long ok = 0, failed = 0;
        while (Stopwatch.GetTimestamp() < stop)
        {
            using var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsync(path, content);
                await response.Content.LoadIntoBufferAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ok++;
                }
                else
                {
                    failed++;
                }
            }
            catch (HttpRequestException)
            {
                failed++;
            }
            catch (TaskCanceledException)
            {
                failed++;
            }
            if (record)
            {
                latencies.Add(Stopwatch.GetTimestamp() - t0);
            }
        }
        return (latencies, ok, failed);
    })).ToArray();
    var results = await Task.WhenAll(workers);
    var elapsed = Stopwatch.GetElapsedTime(started);
    var merged = new List<long>(results.Sum(r => r.latencies.Count));
    foreach (var r in results)
    {
        merged.AddRange(r.latencies);
    }
    return new Run(merged, results.Sum(r => r.ok), results.Sum(r => r.failed), elapsed);
}

int Arg(string name, int fallback, int min, int max)
{
    var i = Array.IndexOf(args, name);
    if (i < 0 || i + 1 >= args.Length)
    {
        return fallback;
    }
    return int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
        ? v
        : throw new ArgumentException($"{name} must be a whole number from {min} to {max}");
}

string ArgText(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

internal sealed record Run(List<long> Latencies, long Ok, long Failed, TimeSpan Elapsed);
