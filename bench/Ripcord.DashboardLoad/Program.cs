using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ripcord.Sdk;

// The dashboard's speed targets (issue 12): a page's first load ≤ 300 ms server time with 10,000 overrides and
// 1,000 connected SDK instances, and a change made elsewhere reaching an open page ≤ 1 s.
//
// The real server (`ripcord serve`, SQLite, its own process) gets --overrides overrides through the API (a
// quarter of them expiring), then --clients SDK instances connect and apply the head (see below). A
// person signs in through the sign-in form (antiforgery and all) and then:
//   * each page in --pages is loaded once cold (its first load since the server started) and then --loads
//     times; the time is the client's, request sent → last byte read, on loopback: an upper bound of the
//     server's time;
//   * an open overview follows its live stream (/ui/events?view=overview) while --changes overrides are
//     written through the API, one every --pause-ms; each change's time is API answered → the stream's
//     update showing the new head revision.
//
//   dotnet build src/Ripcord.Cli -c Release && dotnet run -c Release --project bench/Ripcord.DashboardLoad -- [--overrides 10000] [--clients 1000] [--sdk-clients 10] [--loads 30] [--changes 30] [--json]
var overrideCount = Arg("--overrides", 10_000);
var clientsCount = Arg("--clients", 1000);
var loads = Arg("--loads", 30);
var changes = Arg("--changes", 30);
var pauseMs = Arg("--pause-ms", 500);
var json = args.Contains("--json");
var log = json ? Console.Error : Console.Out;
var pages = ArgText("--pages", "/,/ui/programs/groups/flags,/ui/programs/groups/why?workspace=ws-00042&tier=2,/ui/programs/groups/incidents,"
    + "/ui/programs/groups/stage,/ui/programs/groups/charts,/ui/audit,/ui/programs/groups/alerts,/ui/programs/groups/reviews").Split(',');

await using var server = await ChildServer.StartAsync();
var admin = server.Admin;
log.WriteLine($"server ({server.Kind}) at {server.Url}; writing {overrideCount} overrides…");

// ---- 10,000 overrides, through the API (4 writers) ------------------------------------------------------------------
string[] flags = ["F1", "F2", "F3", "F4"];
var written = 0;
var setup = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
{
    for (var i = w; i < overrideCount; i += 4)
    {
        var body = new
        {
            flag = flags[i % flags.Length],
            scope = $"workspace:ws-{i / flags.Length:D5}",
            value = i % 3 != 0,
            reason = $"bench override {i}",
            expiresAt = i % 4 == 0 ? DateTimeOffset.UtcNow.AddHours(1 + i % 48) : (DateTimeOffset?)null,
        };
        for (var attempt = 0; ; attempt++)
        {
            using var response = await admin.PostAsJsonAsync("api/v1/programs/groups/overrides", body);
            if (response.IsSuccessStatusCode)
            {
                break;
            }
            if (response.StatusCode != HttpStatusCode.Conflict || attempt > 20)
            {
                throw new InvalidOperationException($"override {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        if (Interlocked.Increment(ref written) % 2000 == 0)
        {
            log.WriteLine($"  {written} overrides ({setup.Elapsed.TotalSeconds:0} s)");
        }
    }
})));
var listed = (await admin.GetFromJsonAsync<JsonElement>("api/v1/programs/groups/overrides")).GetArrayLength();
log.WriteLine($"{listed} overrides in {setup.Elapsed.TotalSeconds:0} s; connecting {clientsCount} SDK clients…");

// ---- 1,000 connected SDK instances ------------------------------------------------------------------------------------
// --sdk-clients real Ripcord.Sdk clients; the rest are raw instances, as the server sees an SDK: a stream read to the
// end (each one's snapshot carries the 10,000 overrides) and a revision heartbeat for the head. A thousand real SDK
// clients in one process would each compile the 10,000-override program; in production each runs in its own process.
var key = await server.SdkKeyAsync();
var sdkClients = Math.Min(Arg("--sdk-clients", 10), clientsCount);
var clients = new List<RipcordClient>(sdkClients);
for (var i = 0; i < sdkClients; i++)
{
    clients.Add(new RipcordClient(new RipcordClientOptions
    {
        ServerUrl = server.Url,
        SdkKey = key,
        InstanceId = $"dash-{i:D5}",
        CacheDirectory = Path.Combine(server.DataDirectory, "sdk-cache", i.ToString(CultureInfo.InvariantCulture)),
    }));
}
var head = await server.HeadAsync();
using var raw = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4096 }) { BaseAddress = server.Url, Timeout = Timeout.InfiniteTimeSpan };
using var rawStop = new CancellationTokenSource();
var rawReaders = new List<Task>();
for (var i = sdkClients; i < clientsCount; i++)
{
    var id = $"dash-{i:D5}";
    var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/programs/groups/stream");
    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
    request.Headers.Add("X-Ripcord-Instance", id);
    var response = await raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    response.EnsureSuccessStatusCode();
    rawReaders.Add(Task.Run(async () =>
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(rawStop.Token);
            await body.CopyToAsync(Stream.Null, rawStop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
    }));
    var heartbeat = new HttpRequestMessage(HttpMethod.Post, "api/v1/telemetry")
    {
        Content = JsonContent.Create(new
        {
            program = "groups", instance = id, sdk = "bench-raw/1", dropped = 0,
            events = new[] { new { type = "revision-heartbeat", at = DateTimeOffset.UtcNow, revision = head, state = "live" } },
        }),
    };
    heartbeat.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
    using var posted = await raw.SendAsync(heartbeat);
    posted.EnsureSuccessStatusCode();
}
await Until(async () => await Task.FromResult(clients.All(c => c.Revision >= head)), TimeSpan.FromMinutes(3), "every SDK client at the head");
await Until(async () => (await admin.GetFromJsonAsync<JsonElement>("api/v1/programs/groups/clients?limit=1")).GetProperty("connected").GetInt32() >= clientsCount,
    TimeSpan.FromMinutes(1), "every instance registered");
log.WriteLine($"{clientsCount} instances connected at revision {head} ({sdkClients} of them Ripcord.Sdk clients)");

// ---- a person signs in ----------------------------------------------------------------------------------------------
using var tokenResponse = await admin.PostAsJsonAsync("api/v1/tokens", new { name = "dana", role = "release-manager" });
var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
var cookies = new CookieContainer();
using var browser = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server.Url };
var signIn = await browser.GetStringAsync("/");
var csrf = Regex.Match(signIn, "name=\"__csrf\" value=\"([^\"]+)\"").Groups[1].Value;
using (var session = await browser.PostAsync("/session", new FormUrlEncodedContent([new("__csrf", csrf), new("token", token)])))
{
    if (session.StatusCode != HttpStatusCode.Redirect)
    {
        throw new InvalidOperationException($"sign-in answered {(int)session.StatusCode}");
    }
}

// ---- page loads -----------------------------------------------------------------------------------------------------
// An incident with a kill switch verified on the fleet, so its panel (recommendation, verification, timeline, the four
// audiences' announcements rendered) is among the pages.
using var declared = await admin.PostAsJsonAsync("api/v1/programs/groups/incidents",
    new { @class = "P3", severity = "high", trigger = "publish-ack-failures", summary = "dashboard bench incident" });
var incident = (await declared.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
using (var activated = await admin.PostAsJsonAsync("api/v1/programs/groups/kill-switches/KS2/activations",
    new { scope = "global", incident, reason = "dashboard bench", verifyWithinSeconds = 30 }))
{
    activated.EnsureSuccessStatusCode();
}
if (!args.Contains("--pages"))
{
    pages = [.. pages, $"/ui/programs/groups/incidents/{incident}"];
}
var pageResults = new List<object>();
foreach (var path in pages)
{
    var (firstMs, firstStatus, bytes) = await LoadAsync(browser, path);
    if (firstStatus != HttpStatusCode.OK)
    {
        log.WriteLine($"{path,-60} {(int)firstStatus}: skipped");
        pageResults.Add(new { path, status = (int)firstStatus });
        continue;
    }
    var times = new List<double>();
    for (var i = 0; i < loads; i++)
    {
        times.Add((await LoadAsync(browser, path)).Ms);
    }
    log.WriteLine($"{path,-60} first {firstMs,6:0.0} ms, then p50 {Percentile(times, 0.5),6:0.0} / p99 {Percentile(times, 0.99),6:0.0} / max {times.Max(),6:0.0} ms ({bytes / 1024.0:0} KB)");
    pageResults.Add(new { path, status = 200, firstMs = Math.Round(firstMs, 1), p50 = Math.Round(Percentile(times, 0.5), 1), p99 = Math.Round(Percentile(times, 0.99), 1),
        max = Math.Round(times.Max(), 1), kilobytes = Math.Round(bytes / 1024.0) });
}

// ---- a change reaching an open page ---------------------------------------------------------------------------------
var frames = new List<(long At, string Data)>();
var frameLock = new Lock();
using var streamStop = new CancellationTokenSource();
using var stream = await browser.GetAsync("/ui/events?view=overview", HttpCompletionOption.ResponseHeadersRead);
var reader = Task.Run(async () =>
{
    using var body = new StreamReader(await stream.Content.ReadAsStreamAsync(streamStop.Token));
    var data = new System.Text.StringBuilder();
    while (await body.ReadLineAsync(streamStop.Token) is { } line)
    {
        if (line.StartsWith("data: ", StringComparison.Ordinal))
        {
            data.Append(line, 6, line.Length - 6).Append('\n');
        }
        else if (line.Length == 0 && data.Length > 0)
        {
            lock (frameLock)
            {
                frames.Add((Stopwatch.GetTimestamp(), data.ToString()));
            }
            data.Clear();
        }
    }
});
await Task.Delay(1000);
var reach = new List<double>();
for (var i = 0; i < changes; i++)
{
    await Task.Delay(pauseMs);
    using var response = await admin.PostAsJsonAsync("api/v1/programs/groups/overrides",
        new { flag = "F2", scope = $"workspace:live-{i:D3}", value = true, reason = "dashboard bench: a change made elsewhere" });
    var answered = Stopwatch.GetTimestamp();
    var revision = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64();
    var needle = $"data-test=\"head\">{revision}<";
    long? seen = null;
    var wait = Stopwatch.StartNew();
    while (seen is null && wait.Elapsed < TimeSpan.FromSeconds(5))
    {
        lock (frameLock)
        {
            seen = frames.FirstOrDefault(f => f.Data.Contains(needle, StringComparison.Ordinal)).At is var at && at != 0 ? at : null;
        }
        if (seen is null)
        {
            await Task.Delay(1);
        }
    }
    var ms = seen is { } s ? Math.Max(0, Stopwatch.GetElapsedTime(answered, s).TotalMilliseconds) : double.PositiveInfinity;
    reach.Add(ms);
}
await streamStop.CancelAsync();
try { await reader; } catch (OperationCanceledException) { } catch (IOException) { }
log.WriteLine($"change → open page: p50 {Percentile(reach, 0.5):0.0} / p99 {Percentile(reach, 0.99):0.0} / max {reach.Max():0.0} ms over {reach.Count} changes");

var result = new
{
    overrides = listed,
    clients = clientsCount,
    pages = pageResults,
    changeToOpenPageMs = new { p50 = Math.Round(Percentile(reach, 0.5), 1), p99 = Math.Round(Percentile(reach, 0.99), 1), max = Math.Round(reach.Max(), 1), changes = reach.Count },
};
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
}
foreach (var c in clients)
{
    await c.DisposeAsync();
}
await rawStop.CancelAsync();
await Task.WhenAll(rawReaders);
return 0;

static async Task<(double Ms, HttpStatusCode Status, long Bytes)> LoadAsync(HttpClient http, string path)
{
    var watch = Stopwatch.StartNew();
    using var response = await http.GetAsync(path);
    var body = await response.Content.ReadAsByteArrayAsync();
    return (watch.Elapsed.TotalMilliseconds, response.StatusCode, body.LongLength);
}

static double Percentile(List<double> values, double q)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}

static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
{
    var watch = Stopwatch.StartNew();
    while (!await condition())
    {
        if (watch.Elapsed > timeout)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
        await Task.Delay(50);
    }
}

int Arg(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

string ArgText(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
