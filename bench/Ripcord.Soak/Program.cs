using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ripcord.Sdk;

// Hostile-load soak (issue 8): the real server (`ripcord serve`, SQLite, its own process, logging at its
// default levels into a file) with legitimate SDK clients streaming and reporting, while at once a second SDK
// key floods telemetry past its quota, random bearer tokens hammer the API, and streams that never read keep
// connecting. Through it, an operator's writes (overrides, and a kill-switch activation and lift every tenth
// write) are timed, and so is their propagation to every legitimate client — first in a quiet phase, then
// under the abuse. Reports the server's RSS over time, write latency, 5xx count and propagation, quiet vs soak.
//
//   dotnet build src/Ripcord.Cli -c Release && dotnet run -c Release --project bench/Ripcord.Soak -- [--seconds 600] [--json]
//   options: --quiet-seconds 30  --clients 50  --flood-batches-per-second 40  --flood-batch 250
//            --random-token-rps 400  --silent-streams 100  --write-every-ms 1000  --cohort-members 20000
//   --random-burst 1000000: only N random-token requests as fast as 32 connections go; server RSS and log growth
var seconds = Arg("--seconds", 600);
var quietSeconds = Arg("--quiet-seconds", 30);
var clientsCount = Arg("--clients", 50);
var floodRate = Arg("--flood-batches-per-second", 40);
var floodBatch = Arg("--flood-batch", 250);
var randomRate = Arg("--random-token-rps", 400);
var silentCount = Arg("--silent-streams", 100);
var writeEveryMs = Arg("--write-every-ms", 1000);
var cohortMembers = Arg("--cohort-members", 20_000);
var json = args.Contains("--json");
var log = json ? Console.Error : Console.Out;

var logFile = Path.Combine(Path.GetTempPath(), $"ripcord-soak-{Guid.NewGuid():N}.log");
await using var server = await ChildServer.StartAsync(logFile);
var admin = server.Admin;
var statuses = new ConcurrentDictionary<string, long>();
void Count(string what) => statuses.AddOrUpdate(what, 1, (_, n) => n + 1);
long serverErrors = 0;
void Saw(HttpResponseMessage r, string who)
{
    Count($"{who} {(int)r.StatusCode}");
    if ((int)r.StatusCode >= 500)
    {
        Interlocked.Increment(ref serverErrors);
    }
}

// A state large enough (a cohort of 20,000 workspaces: a ~0.3 MB snapshot) that a stream which never reads stalls.
using (var cohort = await admin.PutAsJsonAsync("api/v1/programs/groups/cohorts/pilot",
    new { workspaces = Enumerable.Range(0, cohortMembers).Select(i => $"w-soak-{i:D6}").ToArray() }))
{
    cohort.EnsureSuccessStatusCode();
}
var legitKey = await KeyAsync("soak-legit");
var floodKey = await KeyAsync("soak-flood");
log.WriteLine($"server ({server.Kind}) at {server.Url}, log {logFile}; connecting {clientsCount} SDK clients…");
var clients = new List<RipcordClient>();
for (var i = 0; i < clientsCount; i++)
{
    clients.Add(new RipcordClient(new RipcordClientOptions
    {
        ServerUrl = server.Url,
        SdkKey = legitKey,
        InstanceId = $"soak-{i:D4}",
        CacheDirectory = Path.Combine(server.DataDirectory, "sdk-cache", i.ToString(CultureInfo.InvariantCulture)),
    }));
}
var head = await HeadAsync();
await Until(() => clients.All(c => c.Revision >= head), TimeSpan.FromMinutes(2), "every client at the head");

var rss = new List<(double Seconds, long Kb)>();
var slowest = new List<(string Kind, double Ms)>();
var clock = Stopwatch.StartNew();
using var stop = new CancellationTokenSource();
var sampler = Task.Run(async () =>
{
    while (!stop.IsCancellationRequested)
    {
        rss.Add((clock.Elapsed.TotalSeconds, RssKb(server.ProcessId)));
        await Task.Delay(TimeSpan.FromSeconds(5), stop.Token).ContinueWith(_ => { });
    }
});

var burst = Arg("--random-burst", 0);
if (burst > 0)
{
    // Issue 8, item 1: N requests with random bearer tokens as fast as 32 connections go; RSS and log growth.
    // --burst-warmup N (default 20,000) random-token requests first, over the same 32 connections, not counted: they open
    // the connections and JIT the refusal path, which costs the same once whatever N is. RSS is then measured from there
    // (and reported from the cold start too).
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = server.Url };
    var rssCold = RssKb(server.ProcessId);
    var burstWarmup = Arg("--burst-warmup", 20_000);
    await Parallel.ForAsync(0, burstWarmup, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (_, ct) => await RandomTokenOnceAsync(http, ct));
    await Task.Delay(TimeSpan.FromSeconds(2));
    var rssBefore = RssKb(server.ProcessId);
    var logBefore = new FileInfo(logFile).Length;
    var burstWatch = Stopwatch.StartNew();
    long done = 0;
    var rssMax = rssBefore;
    await Parallel.ForAsync(0, burst, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (_, ct) =>
    {
        await RandomTokenOnceAsync(http, ct);
        if (Interlocked.Increment(ref done) % 50_000 == 0)
        {
            var now = RssKb(server.ProcessId);
            InterlockedMax(ref rssMax, now);
            if (done % 100_000 == 0)
            {
                log.WriteLine($"  {done} random-token requests, server RSS {now / 1024} MB");
            }
        }
    });
    await Task.Delay(TimeSpan.FromSeconds(5));
    GC.KeepAlive(http);
    var burstResult = new
    {
        requests = burst,
        seconds = burstWatch.Elapsed.TotalSeconds,
        warmupRequests = burstWarmup,
        rssKbCold = rssCold,
        rssKbBefore = rssBefore,
        rssKbMax = rssMax,
        rssKbAfter = RssKb(server.ProcessId),
        logBytesAdded = new FileInfo(logFile).Length - logBefore,
        statuses = statuses.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key, s => s.Value),
        serverErrors = Interlocked.Read(ref serverErrors),
    };
    Console.WriteLine(JsonSerializer.Serialize(burstResult, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    foreach (var c in clients)
    {
        await c.DisposeAsync();
    }
    File.Delete(logFile);
    return 0;
}

// Warm-up, not counted: the first kill-switch activations and overrides JIT both processes' write paths.
log.WriteLine("warm-up: 20 writes");
await WritesAsync(TimeSpan.FromSeconds(4), -1, 200);
log.WriteLine($"quiet phase: {quietSeconds}s of writes");
var quiet = await WritesAsync(TimeSpan.FromSeconds(quietSeconds), 0, writeEveryMs);
var rssAtAbuse = RssKb(server.ProcessId);
var abuseClock = Stopwatch.StartNew();

log.WriteLine($"soak: {seconds}s — flood {floodRate}×{floodBatch} events/s on one key, {randomRate} random-token requests/s, {silentCount} streams that never read");
using var abuse = new CancellationTokenSource();
var flood = Paced(floodRate, 8, abuse.Token, FloodOnceAsync);
var randoms = Paced(randomRate, 16, abuse.Token, RandomTokenOnceAsync);
var silent = Task.Run(() => SilentStreamsAsync(abuse.Token));
var soak = await WritesAsync(TimeSpan.FromSeconds(seconds), 1, writeEveryMs);
abuse.Cancel();
await Task.WhenAll(flood, randoms, silent);
var rssAfterAbuse = RssKb(server.ProcessId);
stop.Cancel();
await sampler;

var clientsView = await admin.GetFromJsonAsync<JsonElement>("api/v1/programs/groups/clients");
var slowDisconnects = clientsView.TryGetProperty("slowDisconnects", out var slow) ? slow.GetInt64() : -1;
var logBytes = new FileInfo(logFile).Length;
var summary = new
{
    seconds,
    clients = clientsCount,
    rssKb = new
    {
        beforeAbuse = rssAtAbuse,
        max = rss.Where(r => r.Seconds >= quietSeconds).Select(r => r.Kb).DefaultIfEmpty(0).Max(),
        afterAbuse = rssAfterAbuse,
        perMinuteMax = rss.GroupBy(r => (int)(r.Seconds / 60)).Select(g => g.Max(r => r.Kb)).ToArray(),
    },
    writes = new { quiet = quiet.Writes.Count, soak = soak.Writes.Count },
    writeMs = new { quiet = Stats(quiet.Writes.Select(w => w.Ms)), soak = Stats(soak.Writes.Select(w => w.Ms)),
        soakOverride = Stats(soak.Writes.Where(w => w.Kind == "override").Select(w => w.Ms)),
        soakKillSwitch = Stats(soak.Writes.Where(w => w.Kind != "override").Select(w => w.Ms)) },
    propagationMs = new { quiet = Stats(quiet.Propagation), soak = Stats(soak.Propagation) },
    serverErrors = Interlocked.Read(ref serverErrors),
    slowStreamDisconnects = slowDisconnects,
    serverLogBytes = logBytes,
    statuses = statuses.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key, s => s.Value),
};
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(summary, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
}
else
{
    Console.WriteLine();
    Console.WriteLine($"server RSS: {rssAtAbuse / 1024} MB before the abuse, max {summary.rssKb.max / 1024} MB during, {rssAfterAbuse / 1024} MB after");
    Console.WriteLine($"  per minute (max MB): {string.Join(" ", summary.rssKb.perMinuteMax.Select(k => k / 1024))}");
    Console.WriteLine($"writes under abuse ({soak.Writes.Count}): {Line(soak.Writes.Select(w => w.Ms))}   (quiet: {Line(quiet.Writes.Select(w => w.Ms))})");
    Console.WriteLine($"  overrides {Line(soak.Writes.Where(w => w.Kind == "override").Select(w => w.Ms))}; kill switch {Line(soak.Writes.Where(w => w.Kind != "override").Select(w => w.Ms))}");
    Console.WriteLine($"propagation to all {clientsCount} clients: soak {Line(soak.Propagation)}   quiet {Line(quiet.Propagation)}");
    Console.WriteLine($"slowest propagations: {string.Join(", ", slowest.OrderByDescending(x => x.Ms).Take(5).Select(x => $"{x.Kind} {x.Ms:0} ms"))}");
    Console.WriteLine($"5xx answers: {summary.serverErrors}; slow streams cut: {slowDisconnects}; server log: {logBytes / 1024} KB");
    foreach (var (what, n) in summary.statuses)
    {
        Console.WriteLine($"  {what}: {n}");
    }
}
foreach (var c in clients)
{
    await c.DisposeAsync();
}
File.Delete(logFile);
return 0;

async Task<(List<(string Kind, double Ms)> Writes, List<double> Propagation)> WritesAsync(TimeSpan duration, int phase, int everyMs)
{
    var writes = new List<(string, double)>();
    var propagation = new List<double>();
    var watch = Stopwatch.StartNew();
    var n = 0;
    while (watch.Elapsed < duration)
    {
        var next = watch.Elapsed + TimeSpan.FromMilliseconds(everyMs);
        n++;
        if (n % 10 == (phase < 0 ? 1 : 0))
        {
            using var declared = await admin.PostAsJsonAsync("api/v1/programs/groups/incidents",
                new { @class = "P3", severity = "high", trigger = "publish-ack-failures", summary = $"soak {phase}.{n}" });
            Saw(declared, "incident");
            var incident = (await declared.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            var activate = Stopwatch.StartNew();
            using var activated = await admin.PostAsJsonAsync("api/v1/programs/groups/kill-switches/KS3/activations",
                new { scope = "workspace:w-soak-000001", incident, reason = "soak", verifyWithinSeconds = 30 });
            writes.Add(("kill-switch", activate.Elapsed.TotalMilliseconds));
            Saw(activated, "kill-switch activate");
            var created = await activated.Content.ReadFromJsonAsync<JsonElement>();
            propagation.Add(await PropagatedAsync(created.GetProperty("revision").GetInt64()));
            slowest.Add(("kill switch", propagation[^1]));
            var lift = Stopwatch.StartNew();
            using var lifted = await admin.DeleteAsync($"api/v1/programs/groups/kill-switches/KS3/activations/{created.GetProperty("id").GetString()}?reason=soak");
            writes.Add(("kill-switch lift", lift.Elapsed.TotalMilliseconds));
            Saw(lifted, "kill-switch lift");
            propagation.Add(await PropagatedAsync(long.Parse(lifted.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture)));
            slowest.Add(("kill-switch lift", propagation[^1]));
        }
        else
        {
            var write = Stopwatch.StartNew();
            using var set = await admin.PostAsJsonAsync("api/v1/programs/groups/overrides",
                new { flag = "F1", scope = $"workspace:w-soak-{n % 7:D6}", value = n / 7 % 2 == 0, reason = "soak" });
            writes.Add(("override", write.Elapsed.TotalMilliseconds));
            Saw(set, "override");
            propagation.Add(await PropagatedAsync((await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64()));
            slowest.Add(("override", propagation[^1]));
        }
        if (next > watch.Elapsed)
        {
            await Task.Delay(next - watch.Elapsed);
        }
    }
    return (writes, propagation);
}

async Task<double> PropagatedAsync(long revision)
{
    var watch = Stopwatch.StartNew();
    while (!clients.All(c => c.Revision >= revision))
    {
        if (watch.Elapsed > TimeSpan.FromSeconds(30))
        {
            Count("propagation timed out (30 s)");
            break;
        }
        await Task.Delay(1);
    }
    return watch.Elapsed.TotalMilliseconds;
}

async Task FloodOnceAsync(HttpClient http, CancellationToken ct)
{
    var at = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
    var events = Enumerable.Range(0, floodBatch).Select(_ => new Dictionary<string, object> { ["type"] = "session-start", ["at"] = at, ["state"] = "live" });
    using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/telemetry")
    {
        Content = JsonContent.Create(new { program = "groups", instance = "soak-flood", events }),
    };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", floodKey);
    using var response = await http.SendAsync(request, ct);
    Saw(response, "flood telemetry");
}

async Task RandomTokenOnceAsync(HttpClient http, CancellationToken ct)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/programs/groups");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "rc_usr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
    using var response = await http.SendAsync(request, ct);
    Saw(response, "random token");
}

async Task SilentStreamsAsync(CancellationToken ct)
{
    // Streams that never read: a population of silentCount, replaced every 30 s (the server cuts them well before).
    var request = Encoding.ASCII.GetBytes($"GET /api/v1/programs/groups/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {legitKey}\r\n\r\n");
    var open = new List<Socket>();
    try
    {
        while (!ct.IsCancellationRequested)
        {
            open.ForEach(s => s.Dispose());
            open.Clear();
            for (var i = 0; i < silentCount; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(IPAddress.Loopback, server.Url.Port, ct);
                await socket.SendAsync(request, ct);
                open.Add(socket);
                Count("silent stream opened");
            }
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
        }
    }
    catch (OperationCanceledException)
    {
    }
    finally
    {
        open.ForEach(s => s.Dispose());
    }
}

Task Paced(int perSecond, int inFlight, CancellationToken ct, Func<HttpClient, CancellationToken, Task> once) => Task.Run(async () =>
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = inFlight }) { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(30) };
    using var gate = new SemaphoreSlim(inFlight);
    var interval = TimeSpan.FromSeconds(1.0 / perSecond);
    var watch = Stopwatch.StartNew();
    long sent = 0;
    var running = new List<Task>();
    try
    {
        while (!ct.IsCancellationRequested)
        {
            // Catch up to the rate in small bursts (Task.Delay's resolution is about a millisecond).
            while (sent < watch.Elapsed / interval && !ct.IsCancellationRequested)
            {
                await gate.WaitAsync(ct);
                sent++;
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await once(http, ct);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                    {
                        if (!ct.IsCancellationRequested)
                        {
                            Count(ex.GetType().Name);
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, CancellationToken.None));
                if (running.Count > 1000)
                {
                    running.RemoveAll(t => t.IsCompleted);
                }
            }
            await Task.Delay(5, ct);
        }
    }
    catch (OperationCanceledException)
    {
    }
    await Task.WhenAll(running);
});

async Task<string> KeyAsync(string name)
{
    using var created = await admin.PostAsJsonAsync("api/v1/tokens", new { name, role = "sdk" });
    created.EnsureSuccessStatusCode();
    return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
}

async Task<long> HeadAsync() => (await admin.GetFromJsonAsync<JsonElement>("api/v1/programs/groups")).GetProperty("revision").GetInt64();

static void InterlockedMax(ref long target, long value)
{
    var seen = Interlocked.Read(ref target);
    while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
    {
        seen = was;
    }
}

static long RssKb(int pid) =>
    File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).First();

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static object Stats(IEnumerable<double> values)
{
    var list = values.ToList();
    return list.Count == 0 ? new { p50 = 0.0, p99 = 0.0, max = 0.0 } : new { p50 = Percentile(list, 0.50), p99 = Percentile(list, 0.99), max = list.Max() };
}

static string Line(IEnumerable<double> values)
{
    var list = values.ToList();
    return list.Count == 0 ? "none" : $"p50 {Percentile(list, 0.50):0} ms, p99 {Percentile(list, 0.99):0} ms, max {list.Max():0} ms";
}

static double Percentile(List<double> values, double q)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}

static async Task Until(Func<bool> condition, TimeSpan timeout, string what)
{
    var watch = Stopwatch.StartNew();
    while (!condition())
    {
        if (watch.Elapsed > timeout)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
        await Task.Delay(20);
    }
}
