using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Ripcord.Sdk;

// Kill-switch verification with N connected SDK clients (issue 7's speed target): for each round,
// declare an incident, activate a level globally, and wait until the server's own verification says
// every connected client applied it; then lift it and wait for every client to apply that too.
// Reports, over the rounds: activation → verified as the server measured it (decided at − activated at),
// the same as a script sees it (POST sent → GET shows verified, polled every 5 ms), and the whole
// drill declare → activate → verified.
//
//   dotnet build src/Ripcord.Cli -c Release && dotnet run -c Release --project bench/Ripcord.KillSwitch -- [--clients 1000] [--rounds 25] [--warmup 5] [--pause-ms 1000] [--jitter-ms 200] [--in-process] [--json]
var clientsCount = Arg("--clients", 1000);
var rounds = Arg("--rounds", 25);
var json = args.Contains("--json");
// Activations in an incident are not back to back: let the previous round's heartbeats land first.
var pauseMs = Arg("--pause-ms", 1000);
// The first rounds JIT both processes' kill-switch paths; they run the same way and are reported, not counted.
var warmup = Arg("--warmup", 5);
// The SDK's default spreads the fleet's revision heartbeats over 200 ms; --jitter-ms sets another spread.
var jitterMs = Arg("--jitter-ms", -1);
var log = json ? Console.Error : Console.Out;

// The server under test is the real one, `ripcord serve` from the CLI's Release build, in a process of
// its own (SQLite in a temp directory); --in-process hosts it in this process instead.
await using IBenchServer server = args.Contains("--in-process") ? await InProcess.StartAsync() : await ChildServer.StartAsync();
var key = await server.SdkKeyAsync();
var admin = server.Admin;
log.WriteLine($"server ({server.Kind}) at {server.Url}; connecting {clientsCount} SDK clients…");
var clients = new List<RipcordClient>(clientsCount);
var connectWatch = Stopwatch.StartNew();
for (var i = 0; i < clientsCount; i++)
{
    clients.Add(new RipcordClient(new RipcordClientOptions
    {
        ServerUrl = server.Url,
        SdkKey = key,
        InstanceId = $"bench-{i:D5}",
        CacheDirectory = Path.Combine(server.DataDirectory, "sdk-cache", i.ToString(CultureInfo.InvariantCulture)),
    } is var options && jitterMs >= 0 ? options with { HeartbeatJitter = TimeSpan.FromMilliseconds(jitterMs) } : options));
}
var head = await server.HeadAsync();
await UntilAsync2(() => clients.All(c => c.Revision >= head), TimeSpan.FromMinutes(3), "every client at the head");
// Every client must be known to the server as connected, or the verification would not wait for it.
// (The list is paged; its count covers every instance.)
await UntilAsync(async () => (await admin.GetFromJsonAsync<JsonElement>("api/v1/programs/groups/clients?limit=1")).GetProperty("connected")
    .GetInt32() >= clientsCount, TimeSpan.FromMinutes(1), "every client registered");
log.WriteLine($"{clientsCount} clients live in {connectWatch.Elapsed.TotalSeconds:0.0}s");

var serverMs = new List<double>();
var observedMs = new List<double>();
var drillMs = new List<double>();
var appliedMs = new List<double>();
var applied = new List<int>();
for (var round = 1 - warmup; round <= rounds; round++)
{
    await Task.Delay(pauseMs);
    var level = round % 2 == 0 ? "KS2" : "KS3";
    var drill = Stopwatch.StartNew();
    using var declared = await admin.PostAsJsonAsync("api/v1/programs/groups/incidents",
        new { @class = "P3", severity = "high", trigger = "publish-ack-failures", summary = $"bench round {round}" });
    var incident = (await declared.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    var activation = Stopwatch.StartNew();
    using var activated = await admin.PostAsJsonAsync($"api/v1/programs/groups/kill-switches/{level}/activations",
        new { scope = "global", incident, reason = "bench", verifyWithinSeconds = 30 });
    var created = await activated.Content.ReadFromJsonAsync<JsonElement>();
    var id = created.GetProperty("id").GetString()!;
    var revision = created.GetProperty("revision").GetInt64();
    double? allAppliedAt = null;
    JsonElement view;
    while (true)
    {
        if (allAppliedAt is null && clients.All(c => c.Revision >= revision))
        {
            allAppliedAt = activation.Elapsed.TotalMilliseconds;
        }
        view = await admin.GetFromJsonAsync<JsonElement>($"api/v1/programs/groups/kill-switches/{level}/activations/{id}");
        var status = view.GetProperty("verification").ValueKind == JsonValueKind.Object
            ? view.GetProperty("verification").GetProperty("status").GetString() : "pending";
        if (status != "pending")
        {
            if (status != "verified")
            {
                throw new InvalidOperationException($"round {round}: verification {status}: {view}");
            }
            break;
        }
        await Task.Delay(5);
    }
    var measured = (Observed: activation.Elapsed.TotalMilliseconds, Applied: allAppliedAt ?? activation.Elapsed.TotalMilliseconds,
        Drill: drill.Elapsed.TotalMilliseconds, Server: view.GetProperty("activationToVerifiedMs").GetDouble(),
        On: view.GetProperty("verification").GetProperty("applied").GetInt32());
    if (round >= 1)
    {
        observedMs.Add(measured.Observed);
        appliedMs.Add(measured.Applied);
        drillMs.Add(measured.Drill);
        serverMs.Add(measured.Server);
        applied.Add(measured.On);
    }
    using var lift = await admin.DeleteAsync($"api/v1/programs/groups/kill-switches/{level}/activations/{id}?reason=bench");
    var lifted = long.Parse(lift.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
    await UntilAsync2(() => clients.All(c => c.Revision >= lifted), TimeSpan.FromSeconds(30), "every client at the lifting revision");
    log.WriteLine($"{(round >= 1 ? $"round {round,2}" : "warm-up ")}: {level} verified on {measured.On} of {clientsCount} — every client applied {measured.Applied,6:0} ms, server {measured.Server,6:0} ms, script {measured.Observed,6:0} ms, drill {measured.Drill,6:0} ms");
}

var summary = new
{
    clients = clientsCount,
    rounds,
    everyRoundVerifiedOnAll = applied.All(a => a == clientsCount),
    activationToAllAppliedMs = Stats(appliedMs),
    activationToVerifiedServerMs = Stats(serverMs),
    activationToVerifiedObservedMs = Stats(observedMs),
    declareToVerifiedDrillMs = Stats(drillMs),
};
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(summary, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
}
else
{
    Console.WriteLine();
    Console.WriteLine($"{clientsCount} SDK clients, {rounds} activations, every one verified on all: {summary.everyRoundVerifiedOnAll}");
    Console.WriteLine($"activation → every client applied: {Line(appliedMs)}");
    Console.WriteLine($"activation → verified (server):    {Line(serverMs)}");
    Console.WriteLine($"activation → verified (script):    {Line(observedMs)}");
    Console.WriteLine($"declare → activate → verified:     {Line(drillMs)}");
}
foreach (var c in clients)
{
    await c.DisposeAsync();
}
return 0;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static object Stats(List<double> values) => new { p50 = Percentile(values, 0.50), p99 = Percentile(values, 0.99), max = values.Max(), min = values.Min() };

static string Line(List<double> values) =>
    $"p50 {Percentile(values, 0.50),6:0} ms   p99 {Percentile(values, 0.99),6:0} ms   max {values.Max(),6:0} ms";

static double Percentile(List<double> values, double q)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(q * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
{
    var watch = Stopwatch.StartNew();
    while (!await condition())
    {
        if (watch.Elapsed > timeout)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
        await Task.Delay(20);
    }
}

static Task UntilAsync2(Func<bool> condition, TimeSpan timeout, string what) => UntilAsync(() => Task.FromResult(condition()), timeout, what);
