using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

// Telemetry ingest (issue 10): the real server (`ripcord serve`, SQLite, its own process) takes batched
// telemetry posts from several senders — each an SDK deployment with its own key and instance, 500 events a
// batch, a realistic mix of event types — as fast as it acknowledges them, for a fixed time. Reports acknowledged
// events per second (overall and per second of the run), post latency, the server's peak RSS, and then kills
// the server (SIGKILL, by its PID), starts it again on the same data and counts what it kept: every acknowledged
// event must be there.
//
//   dotnet build src/Ripcord.Cli -c Release && dotnet run -c Release --project bench/Ripcord.Ingest -- [--seconds 60] [--json]
//   options: --senders 6  --in-flight 4 (posts each sender has outstanding)  --batch 500  --warmup-seconds 5
var seconds = Arg("--seconds", 60);
var warmup = Arg("--warmup-seconds", 5);
var senders = Arg("--senders", 6);
var inFlight = Arg("--in-flight", 4);
var batchSize = Arg("--batch", 500);
var json = args.Contains("--json");
var log = json ? Console.Error : Console.Out;

var logFile = Path.Combine(Path.GetTempPath(), $"ripcord-ingest-{Guid.NewGuid():N}.log");
// Several deployments at full speed: the per-key limit (5,000 events/s by default) is raised, as an operator with a large fleet would.
// ...and the raw store's cap (10,000,000 events by default) well above what a run sends, so nothing is trimmed.
var serveArguments = new[] { "--telemetry-rate", "10000000", "--telemetry-max-events", "100000000" };
var server = await ChildServer.StartAsync(logFile, serveArguments: serveArguments);
var data = server.DataDirectory;
var pid = server.ProcessId;
log.WriteLine($"server ({server.Kind}) at {server.Url}, data {data}; {senders} senders × {inFlight} posts in flight × {batchSize}-event batches, {warmup} s warm-up then {seconds} s");

var keys = new List<string>();
for (var i = 0; i < senders; i++)
{
    keys.Add(await server.SdkKeyAsync());
}

var start = DateTimeOffset.UtcNow;
long acked = 0, posted = 0;
var statuses = new ConcurrentDictionary<int, long>();
var latenciesMs = new ConcurrentBag<double>();
var measuring = false;
using var stop = new CancellationTokenSource();

// Each sender is one deployment (its own key and instance) with several posts outstanding, as a fleet's many
// processes behind one key would have; an acknowledgement releases the next post.
var clients = Enumerable.Range(0, senders).Select(s =>
{
    var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = inFlight }) { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(60) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", keys[s]);
    return http;
}).ToList();
// Bodies made once: the sender's own CPU goes to sending, not serialising (both share the machine's two cores).
var allBodies = Enumerable.Range(0, senders)
    .Select(s => Enumerable.Range(0, 16).Select(b => Encoding.UTF8.GetBytes(Batch($"bench-{s}", s, b, batchSize, start.AddMilliseconds(b)))).ToArray())
    .ToList();
var tasks = Enumerable.Range(0, senders * inFlight).Select(n => Task.Run(async () =>
{
    var s = n % senders;
    var http = clients[s];
    var bodies = allBodies[s];
    var next = n / senders;
    while (!stop.IsCancellationRequested)
    {
        using var content = new ByteArrayContent(bodies[next++ % bodies.Length]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await http.PostAsync("api/v1/telemetry", content, stop.Token);
            statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if ((int)response.StatusCode == 202)
            {
                Interlocked.Add(ref acked, batchSize);
                if (Volatile.Read(ref measuring))
                {
                    Interlocked.Add(ref posted, batchSize);
                    latenciesMs.Add(watch.Elapsed.TotalMilliseconds);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
})).ToList();

await Task.Delay(TimeSpan.FromSeconds(warmup));
Volatile.Write(ref measuring, true);
var perSecond = new List<long>();
var rssMb = new List<long>();
var clock = Stopwatch.StartNew();
var last = Interlocked.Read(ref posted);
for (var second = 1; second <= seconds; second++)
{
    var wait = TimeSpan.FromSeconds(second) - clock.Elapsed;
    if (wait > TimeSpan.Zero)
    {
        await Task.Delay(wait);
    }
    var now = Interlocked.Read(ref posted);
    perSecond.Add(now - last);
    last = now;
    rssMb.Add(Status(pid, "VmRSS") / 1024);
    if (!json && second % 10 == 0)
    {
        log.WriteLine($"  {second,3} s: {perSecond[^1]:N0} events/s, server RSS {rssMb[^1]} MB");
    }
}
var elapsed = clock.Elapsed;
var measured = Interlocked.Read(ref posted);
var peakRssMb = Status(pid, "VmHWM") / 1024;
await stop.CancelAsync();
await Task.WhenAll(tasks);
clients.ForEach(c => c.Dispose());
var ackedTotal = Interlocked.Read(ref acked);

// A crash, then a restart on the same data: what was acknowledged must all be there.
await server.KillAsync();
long stored, aggregated = 0;
await using (var again = await ChildServer.StartAsync(logFile, dataDirectory: data, serveArguments: serveArguments))
{
    await using var db = new SqliteConnection($"Data Source={Path.Combine(data, "telemetry.db")};Mode=ReadOnly");
    await db.OpenAsync();
    await using var count = db.CreateCommand();
    count.CommandText = "SELECT COALESCE(SUM(events), 0) FROM telemetry_batches";
    stored = Convert.ToInt64(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    // Every stored event must also be in the minute buckets exactly once (the bench sends only modes, sends,
    // fallbacks and heartbeats): what the killed server had not yet added, the restarted one reads back on start.
    count.CommandText = "SELECT COALESCE(SUM(modes + fallbacks + sends + heartbeats + late + ahead), 0) FROM telemetry_buckets WHERE resolution = 0";
    var waited = Stopwatch.StartNew();
    do
    {
        aggregated = Convert.ToInt64(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        if (aggregated == stored)
        {
            break;
        }
        await Task.Delay(200);
    }
    while (waited.Elapsed < TimeSpan.FromSeconds(60));
}

var sorted = latenciesMs.Order().ToArray();
double Pct(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
var result = new
{
    seconds,
    senders,
    inFlight,
    batchSize,
    eventsPerSecond = Math.Round(measured / elapsed.TotalSeconds),
    slowestSecond = perSecond.Min(),
    fastestSecond = perSecond.Max(),
    postLatencyMs = new { p50 = Math.Round(Pct(0.50), 1), p99 = Math.Round(Pct(0.99), 1), max = Math.Round(sorted.LastOrDefault(), 1) },
    serverRssMb = new { first = rssMb.First(), last = rssMb.Last(), peak = peakRssMb },
    statuses = statuses.OrderBy(s => s.Key).ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
    acknowledged = ackedTotal,
    storedAfterRestart = stored,
    lostAcknowledged = Math.Max(0, ackedTotal - stored),
    aggregatedAfterRestart = aggregated,
};
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
}
else
{
    log.WriteLine($"""
        ingest: {result.eventsPerSecond:N0} events/s over {seconds} s (slowest second {result.slowestSecond:N0}, fastest {result.fastestSecond:N0})
        post latency: p50 {result.postLatencyMs.p50} ms, p99 {result.postLatencyMs.p99} ms, max {result.postLatencyMs.max} ms
        server RSS: {result.serverRssMb.first} MB after 1 s, {result.serverRssMb.last} MB at the end, peak {result.serverRssMb.peak} MB
        statuses: {string.Join(", ", result.statuses.Select(s => $"{s.Key}×{s.Value}"))}
        acknowledged {ackedTotal:N0} events; after SIGKILL and restart the store holds {stored:N0}: {result.lostAcknowledged} acknowledged lost
        minute buckets after the restart count {aggregated:N0} events ({(aggregated == stored ? "each stored event once" : "NOT the stored count")})
        """);
}
File.Delete(logFile);
return result.lostAcknowledged == 0 && aggregated == stored ? 0 : 1;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static long Status(int processId, string field)
{
    foreach (var line in File.ReadLines($"/proc/{processId}/status"))
    {
        if (line.StartsWith(field + ":", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
    }
    return 0;
}

// A realistic mix: most events are operations (mode) and their sends, some fallbacks, a heartbeat per batch.
static string Batch(string instance, int sender, int variant, int size, DateTimeOffset at)
{
    var b = new StringBuilder(size * 160);
    b.Append("{\"program\":\"groups\",\"instance\":\"").Append(instance).Append("\",\"sdk\":\"bench/1\",\"events\":[");
    var when = at.ToString("O", CultureInfo.InvariantCulture);
    for (var i = 0; i < size; i++)
    {
        if (i > 0)
        {
            b.Append(',');
        }
        var workspace = $"w{(sender * 37 + variant * 11 + i) % 50}";
        var tier = i % 3;
        FormattableString line = (i % 10) switch
        {
            0 when i == 0 => $"{{\"type\":\"revision-heartbeat\",\"at\":\"{when}\",\"revision\":1,\"state\":\"live\"}}",
            < 5 => $"{{\"type\":\"mode\",\"at\":\"{when}\",\"tier\":{tier},\"workspaceId\":\"{workspace}\",\"transport\":\"{(tier == 0 ? "baseline" : "secure")}\",\"revision\":1}}",
            < 9 => $"{{\"type\":\"send\",\"at\":\"{when}\",\"ackLatencyMs\":{(i * 7 + variant) % 400},\"outcome\":\"{(i % 97 == 0 ? "failed" : "ok")}\",\"transport\":\"secure\",\"workspaceId\":\"{workspace}\",\"tier\":{tier},\"revision\":1}}",
            _ => $"{{\"type\":\"fallback\",\"at\":\"{when}\",\"decision\":\"fallback-auto\",\"reasonCode\":\"secure-unavailable\",\"tier\":{tier},\"effectiveTier\":0,\"transport\":\"baseline\",\"workspaceId\":\"{workspace}\"}}",
        };
        b.Append(FormattableString.Invariant(line));
    }
    return b.Append("]}").ToString();
}
