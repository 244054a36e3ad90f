using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Ripcord.Core.Definitions;
using Ripcord.Bench.Shared;
using Ripcord.Sdk;
using static Ripcord.Propagation.Units;

namespace Ripcord.Propagation;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["serve-child", var store])
        {
            return await ServeChild.RunAsync(store);
        }
        if (args is ["summarize", .. var files])
        {
            return Summary.Run(files, Console.Out);
        }
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(HarnessOptions.Usage);
            return 0;
        }
        HarnessOptions options;
        try
        {
            options = HarnessOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine();
            Console.Error.WriteLine(HarnessOptions.Usage);
            return 2;
        }
        var progress = options.Json ? Console.Error : Console.Out;
        var result = await new Harness(options, progress).RunAsync();
        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(result, JsonOut.Options));
        }
        else
        {
            Report.Print(result, Console.Out);
        }
        return result.Aborted is null ? 0 : 1;
    }
}

internal static class JsonOut
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

public sealed record RoundResult(int Round, long Revision, double AckMs, int Reached, int Missed, int Skipped,
    double FirstAppliedMs, double P50Ms, double P99Ms, double MaxMs)
{
    /// <summary>Server thread-pool threads when the round completed (growth = blocked threads).</summary>
    public int ServerThreads { get; set; }
}

/// <summary>Per-round averages of one process's runtime counters over the rounds phase.</summary>
public sealed record CountersPerRound(double AllocatedMb, double GcPauseMs, double Gen0, double Gen1, double Gen2, int ThreadsBefore, int ThreadsAfter)
{
    public static CountersPerRound Of(RuntimeCounters a, RuntimeCounters b, int rounds) => new(
        (b.AllocatedBytes - a.AllocatedBytes) / (1024.0 * 1024.0) / rounds, (b.GcPauseMs - a.GcPauseMs) / rounds,
        (b.Gen0 - a.Gen0) / (double)rounds, (b.Gen1 - a.Gen1) / (double)rounds, (b.Gen2 - a.Gen2) / (double)rounds,
        a.ThreadPoolThreads, b.ThreadPoolThreads);
}

public sealed record MemorySample(string Phase, ServerMemory Server, int ServerTcpConnections, long ClientGcBytes);

public sealed record RunResult
{
    public required HarnessOptions Options { get; init; }
    public required string Server { get; init; }
    public int? ServerPid { get; init; }
    public int ProcessorCount { get; init; } = Environment.ProcessorCount;
    public string Runtime { get; init; } = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
    public string HarnessGc { get; init; } = (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation") +
        (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Interactive ? ", concurrent" : "") +
        string.Concat(Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Select(k => $", {k}={Environment.GetEnvironmentVariable(k)}"));
    public string? Aborted { get; set; }
    public bool MessagesStripped { get; set; }
    public int Live { get; set; }
    public double ConnectSeconds { get; set; }
    public long HeadBeforeRounds { get; set; }
    public List<RoundResult> Rounds { get; } = [];
    public Distribution? AppliedMinusAckMs { get; set; }
    public Distribution? AppliedMinusSentMs { get; set; }
    public Distribution? AckMs { get; set; }
    public int Samples { get; set; }
    public int MissedClientRounds { get; set; }
    public int ClientsThatMissedARound { get; set; }
    public int SkippedClientRounds { get; set; }
    public int AppliedBeforeAck { get; set; }
    public int ResyncSnapshots { get; set; }
    public int ProbeOverflow { get; set; }
    public int RawTelemetryFailures { get; set; }
    public List<MemorySample> Memory { get; } = [];
    public double? ServerBytesPerStreamGcHeap { get; set; }
    public double? ServerBytesPerStreamWorkingSet { get; set; }
    public double? ServerBytesPerStreamRssAnon { get; set; }
    public double? ClientBytesPerSdkGcHeap { get; set; }
    public double? ServerCpuMsPerRound { get; set; }
    public double? HarnessCpuMsPerRound { get; set; }
    public CountersPerRound? ServerCounters { get; set; }
    public CountersPerRound? HarnessCounters { get; set; }
    public double DisposeSeconds { get; set; }
    public double TotalSeconds { get; set; }
}

/// <summary>One run: server up, clients live, K rounds of write → fan-out, memory at each phase, clean shutdown.</summary>
public sealed class Harness(HarnessOptions o, TextWriter progress)
{
    private const string ProgramKey = "groups";
    private const string Workspace = "ws-propagation";
    private readonly List<RipcordClient> _clients = [];
    private readonly List<RawStreamClient> _raw = [];
    private int Connected => _clients.Count + _raw.Count;
    private readonly List<Probe> _probes = [];
    private readonly List<OverrideAck> _acks = [];
    private readonly Stopwatch _total = Stopwatch.StartNew();

    private readonly List<HttpMessageHandler> _ownHandlers = [];

    /// <summary>What the SDK would make itself (PooledConnectionLifetime 5 min), plus --client-idle-timeout-ms if given.</summary>
    private SocketsHttpHandler NewHandler()
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (o.ClientIdleTimeoutMs > 0)
        {
            handler.PooledConnectionIdleTimeout = TimeSpan.FromMilliseconds(o.ClientIdleTimeoutMs);
        }
        return handler;
    }

    private HttpMessageHandler Own(HttpMessageHandler handler)
    {
        lock (_ownHandlers)
        {
            _ownHandlers.Add(handler);
        }
        return handler;
    }

    private void Say(string line) => progress.WriteLine($"[{_total.Elapsed.TotalSeconds,6:F1}s] {line}");

    public async Task<RunResult> RunAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(o.MaxSeconds));
        var ct = deadline.Token;
        Say($"server: starting ({o.Server}); {o.Clients} clients, {o.Rounds} rounds every {o.IntervalMs} ms, {Environment.ProcessorCount} cores");
        IServerHandle server = o.Server == "child"
            ? await ChildServer.StartAsync(TimeSpan.FromSeconds(90), o.ServerTelemetry)
            : await InProcessServer.StartAsync(o.ServerTelemetry);
        var result = new RunResult { Options = o, Server = server.Kind, ServerPid = server.ProcessId };
        using var loggers = o.Verbose
            ? LoggerFactory.Create(b => b.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
                .AddFilter("Ripcord", LogLevel.Warning))
            : null;
        using var shared = o.SharedHandler ? NewHandler() : null;
        var cacheRoot = o.DiskCache ? Directory.CreateTempSubdirectory("ripcord-prop-cache-").FullName : null;
        try
        {
            Say($"server: {server.Url} ({server.Kind}{(server.ProcessId is { } pid ? $", pid {pid}" : "")})");
            using var admin = new AdminApi(server.Url, LoopbackServer.AdminToken);
            var key = await admin.CreateTokenAsync("sdk", "propagation bench", ct);
            if (o.Server == "child" && !o.KeepMessages)
            {
                // Optional since the digest fix (messages are sorted now): the
                // same built-in definition minus its locale catalog, whose ImmutableDictionary
                // serialises in per-process hash order.
                var stripped = BuiltInPrograms.Groups with { Messages = ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty };
                var rev = await admin.ApplyDefinitionAsync(ProgramKey, DefinitionWriter.Write(stripped), ct);
                result.MessagesStripped = true;
                Say($"definition: re-applied built-in groups without `messages` (revision {rev}); --strip-messages was given");
            }

            RipcordClientOptions ClientOptions(int i) => WithJitter(new()
            {
                ServerUrl = server.Url,
                SdkKey = key,
                InstanceId = $"prop-{i:D5}",
                CacheDirectory = cacheRoot is null ? null : Path.Combine(cacheRoot, i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)),
                HttpHandler = shared ?? (o.ClientIdleTimeoutMs > 0 ? Own(NewHandler()) : null),
                LoggerFactory = loggers,
            });

            RipcordClientOptions WithJitter(RipcordClientOptions options) =>
                o.HeartbeatJitterMs is { } jitter ? options with { HeartbeatJitter = TimeSpan.FromMilliseconds(jitter) } : options;

            await WarmUpAsync(admin, server, ClientOptions, ct);
            await SampleAsync(result, server, "0 streams (after warm-up)", ct);

            if (o.ClientsKind == "raw")
            {
                await ConnectRawAsync(result, server.Port, key, ct);
            }
            else
            {
                await ConnectAsync(result, ClientOptions, ct);
            }
            await SampleAsync(result, server, $"{Connected} streams (connected)", ct);

            await WarmupRoundsAsync(admin, ct);
            await RoundsAsync(result, server, admin, ct);
            await SampleAsync(result, server, $"{Connected} streams (after {result.Rounds.Count} rounds)", ct);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            result.Aborted = $"--max-seconds {o.MaxSeconds} reached";
            Say("aborted: " + result.Aborted);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or IOException)
        {
            result.Aborted = ex.GetType().Name + ": " + ex.Message;
            Say("aborted: " + result.Aborted);
        }
        finally
        {
            var disposing = Stopwatch.StartNew();
            Say($"disconnect: disposing {Connected} clients");
            await DisposeClientsAsync();
            result.DisposeSeconds = disposing.Elapsed.TotalSeconds;
            if (result.Aborted is null)
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    await SampleAsync(result, server, "0 streams (after disconnect)", bound.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
                {
                    Say("memory after disconnect: " + ex.GetType().Name);
                }
            }
            Say("server: stopping");
            await server.DisposeAsync();
            if (cacheRoot is not null)
            {
                try
                {
                    Directory.Delete(cacheRoot, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
        Analyse(result);
        result.TotalSeconds = _total.Elapsed.TotalSeconds;
        Say($"done in {result.TotalSeconds:F1} s");
        return result;
    }

    /// <summary>JIT, the stream and write paths, the delta cache: exercised once before the 0-stream sample.</summary>
    private async Task WarmUpAsync(AdminApi admin, IServerHandle server, Func<int, RipcordClientOptions> options, CancellationToken ct)
    {
        var cpu0 = server.CpuTime();
        var clock = Stopwatch.StartNew();
        var warm = Enumerable.Range(0, 8).Select(i => new RipcordClient(options(90_000 + i))).ToList();
        try
        {
            foreach (var c in warm)
            {
                if (!await c.WaitUntilLiveAsync(TimeSpan.FromSeconds(20), ct))
                {
                    var cpu = server.CpuTime() - cpu0;
                    throw new InvalidOperationException($"warm-up: {warm.Count(x => x.State == ClientState.Live)}/8 clients live after 20 s; " +
                        $"server CPU in that time {(cpu is { } t ? F(t.TotalMilliseconds, 0) + " ms" : "n/a")} over {F(clock.Elapsed.TotalMilliseconds, 0)} ms wall");
                }
            }
            var rev = (await admin.SetOverrideAsync(ProgramKey, o.Flag, "workspace:ws-warmup", true, "propagation warm-up", ct)).Revision;
            var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
            while (warm.Any(c => c.Revision < rev) && Stopwatch.GetTimestamp() < until)
            {
                await Task.Delay(10, ct);
            }
        }
        finally
        {
            await Task.WhenAll(warm.Select(c => c.DisposeAsync().AsTask()));
        }
        Say("warm-up: 8 clients connected, applied one write, disconnected");
    }

    private async Task SampleAsync(RunResult result, IServerHandle server, string phase, CancellationToken ct)
    {
        if (o.SettleMs > 0)
        {
            await Task.Delay(o.SettleMs, ct);
        }
        var memory = await server.MemoryAsync(ct);
        var tcp = TcpConnections.EstablishedOnLocalPort(server.Port);
        long clientHeap = 0;
        if (o.Server == "child")
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            clientHeap = GC.GetTotalMemory(false);
        }
        result.Memory.Add(new MemorySample(phase, memory, tcp, clientHeap));
        Say($"memory: {phase}: server GC heap {Mb(memory.GcTotalBytes)} MB, working set {Mb(memory.WorkingSetBytes)} MB, " +
            $"hub streams {memory.Streams}, server-side TCP connections {tcp}");
    }

    private async Task ConnectAsync(RunResult result, Func<int, RipcordClientOptions> options, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var capacity = o.Rounds + 64;
        for (var from = 0; from < o.Clients; from += o.Batch)
        {
            ct.ThrowIfCancellationRequested();
            var batchClock = Stopwatch.StartNew();
            var batch = new List<RipcordClient>();
            for (var i = from; i < Math.Min(o.Clients, from + o.Batch); i++)
            {
                var probe = new Probe(capacity);
                var client = new RipcordClient(options(i));
                client.RevisionApplied += probe.OnApplied;
                _clients.Add(client);
                _probes.Add(probe);
                batch.Add(client);
            }
            var live = await Task.WhenAll(batch.Select(c => c.WaitUntilLiveAsync(TimeSpan.FromSeconds(30), ct)));
            result.Live += live.Count(x => x);
            Say($"connect: {result.Live,5}/{o.Clients} live (+{batch.Count} in {batchClock.Elapsed.TotalSeconds:F2} s, {started.Elapsed.TotalSeconds:F1} s so far)");
        }
        result.ConnectSeconds = started.Elapsed.TotalSeconds;
        if (result.Live < o.Clients)
        {
            throw new InvalidOperationException($"only {result.Live}/{o.Clients} clients went live within 30 s of their batch");
        }
    }

    private HttpClient? _rawTelemetry;
    private int _rawTelemetryFailures;

    private async Task ConnectRawAsync(RunResult result, int port, string key, CancellationToken ct)
    {
        if (o.RawTelemetry)
        {
            _rawTelemetry = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
                Timeout = TimeSpan.FromSeconds(30),
            };
            _rawTelemetry.DefaultRequestHeaders.Authorization = new("Bearer", key);
        }
        var started = Stopwatch.StartNew();
        var capacity = o.Rounds + 64;
        for (var from = 0; from < o.Clients; from += o.Batch)
        {
            ct.ThrowIfCancellationRequested();
            var batchClock = Stopwatch.StartNew();
            var batch = new List<RawStreamClient>();
            for (var i = from; i < Math.Min(o.Clients, from + o.Batch); i++)
            {
                var probe = new Probe(capacity);
                var client = await RawStreamClient.ConnectAsync(port, key, $"raw-{i:D5}", probe, _rawTelemetry, o.RawTelemetryJitterMs, ct);
                _raw.Add(client);
                _probes.Add(probe);
                batch.Add(client);
            }
            var live = await Task.WhenAll(batch.Select(async c =>
            {
                try
                {
                    await c.Live.WaitAsync(TimeSpan.FromSeconds(30), ct);
                    return true;
                }
                catch (Exception ex) when (ex is TimeoutException or IOException)
                {
                    return false;
                }
            }));
            result.Live += live.Count(x => x);
            Say($"connect: {result.Live,5}/{o.Clients} raw streams live (+{batch.Count} in {batchClock.Elapsed.TotalSeconds:F2} s, {started.Elapsed.TotalSeconds:F1} s so far)");
        }
        result.ConnectSeconds = started.Elapsed.TotalSeconds;
        if (result.Live < o.Clients)
        {
            throw new InvalidOperationException($"only {result.Live}/{o.Clients} raw streams received their first event within 30 s");
        }
    }

    /// <summary>Writes the whole fleet applies but nobody measures: the first deltas run tier-0 JIT code.</summary>
    private async Task WarmupRoundsAsync(AdminApi admin, CancellationToken ct)
    {
        for (var k = 1; k <= o.WarmupRounds; k++)
        {
            var start = Stopwatch.GetTimestamp();
            var ack = await admin.SetOverrideAsync(ProgramKey, o.Flag, "workspace:ws-warmup-rounds", k % 2 == 1, $"propagation warm-up round {k}", ct);
            var until = ack.AckAt + (Stopwatch.Frequency * o.RoundTimeoutMs / 1000);
            while (_probes.Any(p => p.Last < ack.Revision) && Stopwatch.GetTimestamp() < until)
            {
                await Task.Delay(1, ct);
            }
            Say($"warm-up round {k}/{o.WarmupRounds}: revision {ack.Revision}, {_probes.Count(p => p.Last >= ack.Revision)}/{_probes.Count} applied (not measured)");
            var wait = o.IntervalMs - Ms(start, Stopwatch.GetTimestamp());
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
            }
        }
    }

    private async Task RoundsAsync(RunResult result, IServerHandle server, AdminApi admin, CancellationToken ct)
    {
        var snapshotsBefore = _probes.Sum(p => p.Snapshots);
        var serverCpu0 = server.CpuTime();
        var harnessCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var serverCounters0 = await server.CountersAsync(ct);
        var harnessCounters0 = RuntimeCounters.Read();
        var roundTimeoutTicks = Stopwatch.Frequency * o.RoundTimeoutMs / 1000;
        result.HeadBeforeRounds = _probes.Max(p => p.Last);
        for (var k = 1; k <= o.Rounds; k++)
        {
            var roundStart = Stopwatch.GetTimestamp();
            var ack = await admin.SetOverrideAsync(ProgramKey, o.Flag, "workspace:" + Workspace, k % 2 == 1, $"propagation round {k}", ct);
            var reached = 0;
            while (true)
            {
                reached = 0;
                foreach (var p in _probes)
                {
                    if (p.Last >= ack.Revision)
                    {
                        reached++;
                    }
                }
                if (reached == _probes.Count || Stopwatch.GetTimestamp() - ack.AckAt > roundTimeoutTicks)
                {
                    break;
                }
                await Task.Delay(1, ct);
            }
            var round = Summarise(k, ack, roundTimeoutTicks);
            round.ServerThreads = o.Server == "child" ? (await server.CountersAsync(ct)).ThreadPoolThreads : ThreadPool.ThreadCount;
            _acks.Add(ack);
            result.Rounds.Add(round);
            Say($"round {k,3}/{o.Rounds}: revision {ack.Revision}, ack {F(round.AckMs)} ms, applied−ack p50 {F(round.P50Ms)} / p99 {F(round.P99Ms)} / max {F(round.MaxMs)} ms, " +
                $"{round.Reached}/{_probes.Count} reached{(round.Missed > 0 ? $", {round.Missed} MISSED" : "")}, server pool threads {round.ServerThreads}");
            var wait = o.IntervalMs - Ms(roundStart, Stopwatch.GetTimestamp());
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
            }
        }
        var serverCpu1 = server.CpuTime();
        var harnessCpu1 = Process.GetCurrentProcess().TotalProcessorTime;
        var serverCounters1 = await server.CountersAsync(ct);
        var harnessCounters1 = RuntimeCounters.Read();
        if (o.Server == "child")
        {
            result.ServerCounters = CountersPerRound.Of(serverCounters0, serverCounters1, o.Rounds);
        }
        result.HarnessCounters = CountersPerRound.Of(harnessCounters0, harnessCounters1, o.Rounds);
        if (serverCpu0 is { } s0 && serverCpu1 is { } s1)
        {
            result.ServerCpuMsPerRound = (s1 - s0).TotalMilliseconds / o.Rounds;
        }
        result.HarnessCpuMsPerRound = (harnessCpu1 - harnessCpu0).TotalMilliseconds / o.Rounds;
        result.ResyncSnapshots = _probes.Sum(p => p.Snapshots) - snapshotsBefore;
    }

    private RoundResult Summarise(int k, OverrideAck ack, long roundTimeoutTicks)
    {
        var latencies = new List<double>(_probes.Count);
        int missed = 0, skipped = 0, reached = 0;
        var first = double.MaxValue;
        foreach (var p in _probes)
        {
            if (!p.TryFind(ack.Revision, out var t, out var seen) || t - ack.AckAt > roundTimeoutTicks)
            {
                missed++;
                continue;
            }
            reached++;
            if (seen != ack.Revision)
            {
                skipped++;
            }
            var ms = Ms(ack.AckAt, t);
            latencies.Add(ms);
            first = Math.Min(first, ms);
        }
        var d = Distribution.Of(latencies);
        return new RoundResult(k, ack.Revision, Ms(ack.SentAt, ack.AckAt), reached, missed, skipped,
            latencies.Count > 0 ? first : double.NaN, d.P50, d.P99, d.Max);
    }

    private async Task DisposeClientsAsync()
    {
        await Task.WhenAll(_raw.Select(c => c.DisposeAsync().AsTask()));
        _rawTelemetryFailures = _raw.Sum(c => c.TelemetryFailures);
        // RipcordClient disposes only handlers it created: the ones given through HttpHandler are ours.
        foreach (var handler in _ownHandlers)
        {
            handler.Dispose();
        }
        _rawTelemetry?.Dispose();
        // In batches, so a thousand final telemetry flushes do not all land at once.
        for (var i = 0; i < _clients.Count; i += 250)
        {
            await Task.WhenAll(_clients.Skip(i).Take(250).Select(c => c.DisposeAsync().AsTask()));
        }
    }

    private void Analyse(RunResult result)
    {
        if (result.Rounds.Count > 0)
        {
            var roundTimeoutTicks = Stopwatch.Frequency * o.RoundTimeoutMs / 1000;
            var fromAck = new List<double>();
            var fromSent = new List<double>();
            var clientsMissing = new HashSet<int>();
            foreach (var round in result.Rounds)
            {
                result.MissedClientRounds += round.Missed;
                result.SkippedClientRounds += round.Skipped;
            }
            // Re-read every client's log against every round's acknowledgement.
            for (var c = 0; c < _probes.Count; c++)
            {
                foreach (var (round, ack) in result.Rounds.Zip(_acks))
                {
                    if (_probes[c].TryFind(round.Revision, out var t, out _) && t - ack.AckAt <= roundTimeoutTicks)
                    {
                        var ms = Ms(ack.AckAt, t);
                        fromAck.Add(ms);
                        fromSent.Add(Ms(ack.SentAt, t));
                        if (ms < 0)
                        {
                            result.AppliedBeforeAck++;
                        }
                    }
                    else
                    {
                        clientsMissing.Add(c);
                    }
                }
            }
            result.AppliedMinusAckMs = Distribution.Of(fromAck);
            result.AppliedMinusSentMs = Distribution.Of(fromSent);
            result.AckMs = Distribution.Of(result.Rounds.Select(r => r.AckMs).ToList());
            result.Samples = fromAck.Count;
            result.ClientsThatMissedARound = clientsMissing.Count;
        }
        result.ProbeOverflow = _probes.Sum(p => p.Overflow);
        result.RawTelemetryFailures = _rawTelemetryFailures;

        var zero = result.Memory.FirstOrDefault(m => m.Phase.StartsWith("0 streams (after warm-up)", StringComparison.Ordinal));
        var connected = result.Memory.FirstOrDefault(m => m.Phase.EndsWith("(connected)", StringComparison.Ordinal));
        if (zero is not null && connected is not null && connected.Server.Streams > 0)
        {
            double n = connected.Server.Streams - zero.Server.Streams;
            result.ServerBytesPerStreamGcHeap = (connected.Server.GcTotalBytes - zero.Server.GcTotalBytes) / n;
            if (o.Server == "child")
            {
                result.ServerBytesPerStreamWorkingSet = (connected.Server.WorkingSetBytes - zero.Server.WorkingSetBytes) / n;
                result.ServerBytesPerStreamRssAnon = (connected.Server.RssAnonBytes - zero.Server.RssAnonBytes) / n;
                result.ClientBytesPerSdkGcHeap = (connected.ClientGcBytes - zero.ClientGcBytes) / n;
            }
        }
    }

}
