using System.Globalization;

namespace Ripcord.Propagation;

/// <summary>Command-line options; every run is bounded by --max-seconds.</summary>
public sealed record HarnessOptions
{
    public int Clients { get; init; } = 1000;
    public int Rounds { get; init; } = 20;
    /// <summary>Unmeasured writes to the whole connected fleet before the measured rounds (JIT tier-up of the apply path).</summary>
    public int WarmupRounds { get; init; } = 3;
    /// <summary>SDK HeartbeatJitter in ms; null: the SDK's default.</summary>
    public int? HeartbeatJitterMs { get; init; }
    public int IntervalMs { get; init; } = 500;
    public int Batch { get; init; } = 100;
    public int RoundTimeoutMs { get; init; } = 10_000;
    public int SettleMs { get; init; } = 3000;
    public int MaxSeconds { get; init; } = 300;
    /// <summary>child (default): the server runs in its own process; inproc: in this one.</summary>
    public string Server { get; init; } = "child";
    public bool SharedHandler { get; init; }
    /// <summary>0: the SDK's own handler (default). &gt; 0: a harness-made SocketsHttpHandler per client with this PooledConnectionIdleTimeout.</summary>
    public int ClientIdleTimeoutMs { get; init; }
    public bool DiskCache { get; init; }
    public bool Json { get; init; }
    public bool Verbose { get; init; }
    public bool KeepMessages { get; init; } = true;
    public string Flag { get; init; } = "F3";
    /// <summary>sdk (default): RipcordClient instances; raw: bare SSE socket readers (server fan-out alone).</summary>
    public string ClientsKind { get; init; } = "sdk";
    /// <summary>Experiment: the server's telemetry store (sqlite as shipped, group-commit, discard).</summary>
    public string ServerTelemetry { get; init; } = "sqlite";
    /// <summary>raw clients answer each frame with a heartbeat POST, as the SDK does.</summary>
    public bool RawTelemetry { get; init; }
    public int RawTelemetryJitterMs { get; init; }

    public const string Usage = """
        Ripcord propagation harness: one server, N live SDK clients, K override writes; reports
        write-acknowledged → RevisionApplied latency over every client × round, and server memory
        per connected stream.

        usage: dotnet run -c Release --project bench/Ripcord.Propagation -- [options]
               dotnet run -c Release --project bench/Ripcord.Propagation -- summarize RUN.json…

          --clients N           SDK clients to connect (default 1000)
          --rounds K            override writes, one per round (default 20)
          --warmup-rounds W     unmeasured writes to all connected clients before the measured rounds, so the
                                apply path runs JIT-optimised code as in a long-running fleet (default 3; 0: none)
          --heartbeat-jitter-ms MS
                                SDK clients delay the telemetry flush after each applied revision by a uniform
                                random 0..MS (RipcordClientOptions.HeartbeatJitter; default: the SDK's, 200 ms; 0 = at once)
          --interval-ms MS      round spacing, start to start (default 500)
          --batch B             clients connected per batch (default 100)
          --round-timeout-ms MS a client that has not applied a round's revision by then missed it (default 10000)
          --settle-ms MS        quiet time before each memory sample (default 3000)
          --server child|inproc child: the server in its own process (default; honest memory figures);
                                inproc: in the harness process (memory figures then include the clients)
          --clients-kind sdk|raw sdk: RipcordClient instances, latency to RevisionApplied (default);
                                raw: bare SSE socket readers, latency to the frame's arrival — the server's
                                fan-out alone, without SDK apply cost or SDK telemetry
          --raw-telemetry       with raw clients: answer every frame with one revision-heartbeat POST, as the SDK
                                does after each applied revision (the fleet's server load, without SDK client CPU)
          --raw-telemetry-jitter-ms MS
                                delay each of those POSTs by a uniform random 0..MS (what a jittered SDK flush would do)
          --server-telemetry sqlite|group-commit|discard
                                experiment on the server's telemetry store, swapped in by the harness (src/ is
                                untouched): sqlite = as shipped (default); group-commit = the suggested fix (POSTs
                                still wait for durability, concurrent batches share one transaction); discard = bound
          --shared-handler      all clients share one SocketsHttpHandler (default: each SDK owns one)
          --client-idle-timeout-ms MS
                                give each client (or the shared handler) a SocketsHttpHandler whose idle pooled
                                connections close after MS: the SDK's telemetry connection then does not sit idle on
                                the server between flushes (the SDK default handler keeps it for its 1 min default)
          --disk-cache          each client keeps its last-known-good file (default: CacheDirectory = null)
          --flag KEY            flag whose workspace override is toggled each round (default F3)
          --max-seconds S       hard bound on the whole run (default 300)
          --json                machine-readable result on stdout (progress goes to stderr)
          --verbose             SDK warnings (stream failures, resyncs) on stderr
          --strip-messages      re-apply the built-in groups definition without its `messages` (locale catalog) first,
                                as the first session's runs did to work around the cross-process digest bug (fixed
                                since); default: keep them, as shipped (--keep-messages is accepted and is the default)
        """;

    public static HarnessOptions Parse(string[] args)
    {
        var o = new HarnessOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int(int min, int max)
            {
                var name = args[i];
                var text = Next();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
                    ? v
                    : throw new ArgumentException($"{name} must be an integer in [{min}, {max}], not '{text}'");
            }
            o = args[i] switch
            {
                "--clients" => o with { Clients = Int(1, 20_000) },
                "--rounds" => o with { Rounds = Int(1, 10_000) },
                "--warmup-rounds" => o with { WarmupRounds = Int(0, 1_000) },
                "--heartbeat-jitter-ms" => o with { HeartbeatJitterMs = Int(0, 60_000) },
                "--interval-ms" => o with { IntervalMs = Int(0, 600_000) },
                "--batch" => o with { Batch = Int(1, 20_000) },
                "--round-timeout-ms" => o with { RoundTimeoutMs = Int(10, 600_000) },
                "--settle-ms" => o with { SettleMs = Int(0, 600_000) },
                "--max-seconds" => o with { MaxSeconds = Int(10, 3600) },
                "--server" => o with { Server = Next() is var s && s is "child" or "inproc" ? s : throw new ArgumentException("--server is child or inproc") },
                "--clients-kind" => o with { ClientsKind = Next() is var k && k is "sdk" or "raw" ? k : throw new ArgumentException("--clients-kind is sdk or raw") },
                "--server-telemetry" => o with { ServerTelemetry = Next() is var t && TelemetryStoreVariants.Names.Contains(t) ? t : throw new ArgumentException("--server-telemetry is sqlite, group-commit or discard") },
                "--shared-handler" => o with { SharedHandler = true },
                "--client-idle-timeout-ms" => o with { ClientIdleTimeoutMs = Int(1, 600_000) },
                "--disk-cache" => o with { DiskCache = true },
                "--flag" => o with { Flag = Next() },
                "--json" => o with { Json = true },
                "--verbose" => o with { Verbose = true },
                "--raw-telemetry" => o with { RawTelemetry = true },
                "--raw-telemetry-jitter-ms" => o with { RawTelemetryJitterMs = Int(0, 60_000) },
                "--keep-messages" => o with { KeepMessages = true },
                "--strip-messages" => o with { KeepMessages = false },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        return o;
    }
}
