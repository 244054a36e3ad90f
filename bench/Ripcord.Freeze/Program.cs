using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// The deploy-freeze check under load (issue 11: ≤ 5 ms p99): `GET /api/v1/freezes/active?program=…&scope=…`
// is what every deploy pipeline run calls. The real server (`ripcord serve`, SQLite, its own process) holds
// two active freezes (cohort:pilot and workspace:acme); several pipelines (callers, each with an SDK key, the
// least a caller needs) ask about scopes that are frozen and scopes that are not, back to back, for a fixed
// time after a warm-up. Reports requests per second and latency (client-side, per request) p50/p99/max.
//
//   dotnet build src/Ripcord.Cli -c Release && dotnet run -c Release --project bench/Ripcord.Freeze -- [--seconds 30] [--callers 4] [--json]
var seconds = Arg("--seconds", 30);
var warmup = Arg("--warmup-seconds", 5);
var callers = Arg("--callers", 4);
var json = args.Contains("--json");
var log = json ? Console.Error : Console.Out;

await using var server = await ChildServer.StartAsync();
log.WriteLine($"server ({server.Kind}) at {server.Url}; {callers} callers, {warmup} s warm-up then {seconds} s");
foreach (var scope in new[] { "cohort:pilot", "workspace:acme" })
{
    using var started = await server.Admin.PostAsJsonAsync("api/v1/programs/groups/freezes", new { scope, reason = "freeze bench" });
    started.EnsureSuccessStatusCode();
}
var key = await server.SdkKeyAsync();
string[] scopes = ["workspace:acme", "workspace:initech", "cohort:pilot", "workspace:globex", ""];

var latencies = new ConcurrentBag<double>();
var statuses = new ConcurrentDictionary<int, long>();
var blocked = 0L;
var measuring = false;
using var stop = new CancellationTokenSource();
var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
{
    using var http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(10) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    for (var n = c; !stop.IsCancellationRequested; n++)
    {
        var scope = scopes[n % scopes.Length];
        var path = "api/v1/freezes/active?program=groups" + (scope.Length > 0 ? "&scope=" + scope : "");
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        watch.Stop();
        if (!Volatile.Read(ref measuring))
        {
            continue;
        }
        latencies.Add(watch.Elapsed.TotalMilliseconds);
        statuses.AddOrUpdate((int)response.StatusCode, 1, (_, v) => v + 1);
        if (response.IsSuccessStatusCode && !JsonDocument.Parse(body).RootElement.GetProperty("deploysMayProceed").GetBoolean())
        {
            Interlocked.Increment(ref blocked);
        }
    }
})).ToList();

await Task.Delay(TimeSpan.FromSeconds(warmup));
Volatile.Write(ref measuring, true);
var clock = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(seconds));
Volatile.Write(ref measuring, false);
var elapsed = clock.Elapsed;
await stop.CancelAsync();
await Task.WhenAll(tasks);

var sorted = latencies.Order().ToArray();
double Pct(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
var result = new
{
    seconds,
    callers,
    requests = sorted.Length,
    requestsPerSecond = Math.Round(sorted.Length / elapsed.TotalSeconds),
    latencyMs = new { p50 = Math.Round(Pct(0.50), 2), p99 = Math.Round(Pct(0.99), 2), max = Math.Round(sorted.LastOrDefault(), 2) },
    statuses = statuses.OrderBy(s => s.Key).ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
    blocked = Interlocked.Read(ref blocked),
};
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
}
else
{
    log.WriteLine($"""
        freeze check: {result.requestsPerSecond:N0} requests/s over {seconds} s ({result.requests:N0} requests, {result.blocked:N0} answered "frozen")
        latency: p50 {result.latencyMs.p50} ms, p99 {result.latencyMs.p99} ms, max {result.latencyMs.max} ms
        statuses: {string.Join(", ", result.statuses.Select(s => $"{s.Key}×{s.Value}"))}
        """);
}
return result.statuses.Keys.All(k => k == "200") ? 0 : 1;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
