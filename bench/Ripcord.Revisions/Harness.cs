using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ripcord.Server;
using static Ripcord.Revisions.Units;

namespace Ripcord.Revisions;

/// <summary>
/// One run: server up on 127.0.0.1 over a fresh database, N override writes one at a time (each timed
/// from send to the response read), database size sampled between writes, revision reads, teardown.
/// Only the HTTP API and RipcordServer.Build/InitializeAsync are used, so the harness measures the
/// same thing before and after the storage rewrite.
/// </summary>
public sealed class Harness(Options o, TextWriter progress)
{
    private const string AdminToken = "revisions-admin-token-0123456789abcdef";
    private int _connections;

    public async Task<RunResult> RunAsync(CancellationToken interrupt)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var run = Stopwatch.StartNew();
        var loadStart = LoadAverage();
        await using IBenchDatabase db = o.Postgres is { } pg
            ? await PostgresBenchDatabase.CreateAsync(pg, o.Keep, CancellationToken.None)
            : new SqliteBenchDatabase(o.Keep);
        var app = RipcordServer.Build(db.Configure(new ServerOptions { Urls = "http://127.0.0.1:0", AdminToken = AdminToken }),
            b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        try
        {
            await RipcordServer.InitializeAsync(app);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            var baseUri = new Uri(address.TrimEnd('/') + "/");
            if (!IPAddress.TryParse(baseUri.Host, out var ip) || !IPAddress.IsLoopback(ip))
            {
                throw new InvalidOperationException($"refusing to load {baseUri}: not loopback");
            }
            using var http = Client(baseUri);
            var writePath = $"api/v1/programs/{o.Program}/overrides";
            var initial = await HeadAsync(http);
            progress.WriteLine($"server {baseUri} ({db.Kind}, {db.Location}); head revision {initial}; " +
                $"creating {o.Overrides:N0} overrides of {o.Flag} one at a time; load average {loadStart ?? "n/a"}");

            var latencies = new List<double>(o.Overrides);
            var writes = new Stopwatch();
            var sizes = new List<SizeSample> { await SampleAsync(db, 0, initial, writes) };
            var counters = new Dictionary<int, Counters> { [0] = Counters.Read(0) };
            var decileEnds = Enumerable.Range(1, 10).Select(k => (int)((long)k * o.Overrides / 10)).Where(x => x > 0).Distinct().ToHashSet();
            var deadline = TimeSpan.FromMinutes(o.MaxMinutes);
            var head = initial;
            writes.Start();
            string? stop = null;
            for (var i = 1; i <= o.Overrides; i++)
            {
                stop = interrupt.IsCancellationRequested ? "interrupted"
                    : writes.Elapsed > deadline ? $"--max-minutes {o.MaxMinutes} reached"
                    : i % 100 == 1 && db.FreeBytes() is long free && free < (long)o.MinFreeGb << 30 ? $"under --min-free-gb {o.MinFreeGb} GB free ({Mb(free)} MB)"
                    : null;
                if (stop is not null)
                {
                    break;
                }
                var body = Encoding.UTF8.GetBytes(
                    $$"""{"flag":"{{o.Flag}}","scope":"workspace:ws-{{i.ToString("D5", CultureInfo.InvariantCulture)}}","value":true,"reason":"bench"}""");
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                HttpResponseMessage response;
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    response = await http.PostAsync(writePath, content, CancellationToken.None);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    stop = $"write {i} failed: {ex.GetType().Name}: {ex.Message}";
                    break;
                }
                var elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                using (response)
                {
                    var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    if (response.StatusCode != HttpStatusCode.Created)
                    {
                        stop = $"write {i} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}";
                        break;
                    }
                    using var json = JsonDocument.Parse(text);
                    var revision = json.RootElement.GetProperty("revision").GetInt64();
                    if (revision != head + 1)
                    {
                        stop = $"write {i} made revision {revision}, expected {head + 1} (another writer?)";
                        break;
                    }
                    head = revision;
                }
                latencies.Add(elapsed);
                if (decileEnds.Contains(i))
                {
                    counters[i] = Counters.Read(i);
                }
                if (i % o.SizeEvery == 0)
                {
                    var sample = await SampleAsync(db, i, head, writes);
                    sizes.Add(sample);
                    var window = LatencyWindow.Of("", latencies, i - o.SizeEvery + 1, i);
                    progress.WriteLine($"[{i,6}/{o.Overrides}] {F(writes.Elapsed.TotalSeconds, 1),7} s  writes {i - o.SizeEvery + 1}–{i}: " +
                        $"p50 {F(window.P50)} ms, p99 {F(window.P99)} ms  data {Mb(sample.TotalBytes)} MB " +
                        $"({string.Join(", ", sample.Items.Select(x => $"{x.Name} {Mb(x.Bytes)}"))})  load {LoadAverage() ?? "n/a"}");
                }
            }
            writes.Stop();
            var written = latencies.Count;
            if (!counters.ContainsKey(written))
            {
                counters[written] = Counters.Read(written);
            }
            var final = await SampleAsync(db, written, head, writes);
            if (sizes[^1].Writes != written)
            {
                sizes.Add(final);
            }

            var reads = new List<RevisionRead>();
            if (stop is null || written > 0)
            {
                foreach (var (which, revision) in new[] { ("first", 1L), ("middle", Math.Max(1, (head + 1) / 2)), ("head", head) })
                {
                    reads.Add(await ReadRevisionAsync(http, which, revision));
                }
            }
            if (stop is null && reads.FirstOrDefault(r => r.Status.Any(s => s != 200)) is { } bad)
            {
                stop = $"GET revisions/{bad.Revision} answered {string.Join(", ", bad.Status)}";
            }

            var deciles = new List<LatencyWindow>();
            var costs = new List<WindowCost>();
            var previous = 0;
            var index = 0;
            foreach (var end in decileEnds.Order())
            {
                index++;
                deciles.Add(LatencyWindow.Of($"decile {index}", latencies, previous + 1, end));
                var reached = counters.Keys.Where(k => k <= end && k > previous).DefaultIfEmpty(-1).Max();
                if (reached > previous && counters.TryGetValue(previous, out var from))
                {
                    costs.Add(WindowCost.Of($"decile {index}", previous + 1, end, from, counters[reached]));
                }
                previous = end;
            }
            var p50s = new List<double>();
            for (var from = 1; from <= written; from += 100)
            {
                p50s.Add(Math.Round(LatencyWindow.Of("", latencies, from, Math.Min(written, from + 99)).P50, 3));
            }

            return new RunResult
            {
                Label = o.Label,
                StartedAt = startedAt,
                Backend = db.Kind,
                Endpoint = "POST /" + writePath,
                Flag = o.Flag,
                OverridesRequested = o.Overrides,
                OverridesWritten = written,
                Completed = stop is null && written == o.Overrides,
                StopReason = stop,
                InitialRevision = initial,
                HeadRevision = head,
                ConnectionsOpened = _connections,
                WriteSeconds = writes.Elapsed.TotalSeconds,
                TotalSeconds = run.Elapsed.TotalSeconds,
                FirstWriteMs = written > 0 ? latencies[0] : double.NaN,
                First100 = LatencyWindow.Of("first 100", latencies, 1, Math.Min(100, o.Overrides)),
                Last100 = LatencyWindow.Of("last 100", latencies, Math.Max(1, written - 99), written),
                Deciles = deciles,
                DecileCosts = costs,
                P50Per100 = p50s,
                Sizes = sizes,
                Final = final,
                RevisionReads = reads,
                Machine = new MachineInfo(Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                    System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                    (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation") + ", client and server in one process",
                    loadStart, LoadAverage(), Commit()),
                KeptAt = o.Keep ? db.Location : null,
            };
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>One keep-alive connection, never replaced; only loopback addresses are connected to.</summary>
    private HttpClient Client(Uri baseUri)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            UseProxy = false,
            ConnectCallback = async (context, ct) =>
            {
                if (!IPAddress.TryParse(context.DnsEndPoint.Host, out var address) || !IPAddress.IsLoopback(address))
                {
                    throw new HttpRequestException($"refusing to connect to {context.DnsEndPoint.Host}: not loopback");
                }
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                    Interlocked.Increment(ref _connections);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(o.RequestTimeoutSeconds) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return http;
    }

    /// <summary>The program's head revision (also warms the connection and the auth path before the first timed write).</summary>
    private async Task<long> HeadAsync(HttpClient http)
    {
        using var response = await http.GetAsync($"api/v1/programs/{o.Program}/revisions?limit=1");
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.EnumerateArray().Select(r => r.GetProperty("revision").GetInt64()).FirstOrDefault();
    }

    private async Task<RevisionRead> ReadRevisionAsync(HttpClient http, string which, long revision)
    {
        var status = new List<int>();
        var ms = new List<double>();
        long bytes = 0;
        for (var i = 0; i < o.RevisionReads; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.GetAsync($"api/v1/programs/{o.Program}/revisions/{revision}");
                var body = await response.Content.ReadAsByteArrayAsync();
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                status.Add((int)response.StatusCode);
                bytes = body.Length;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                status.Add(0);
            }
        }
        progress.WriteLine($"GET revisions/{revision} ({which}): {string.Join(", ", status)}, {Mb(bytes)} MB, " +
            $"{string.Join(" / ", ms.Select(x => F(x)))} ms");
        return new RevisionRead(which, revision, status, bytes, ms);
    }

    private static async Task<SizeSample> SampleAsync(IBenchDatabase db, int writes, long revision, Stopwatch clock)
    {
        var items = await db.SizesAsync(CancellationToken.None);
        return new SizeSample(writes, revision, Math.Round(clock.Elapsed.TotalSeconds, 3), items.Sum(x => x.Bytes), items);
    }

    private static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The checkout's commit, for the record (git, bounded to 5 s; null when not in a checkout).</summary>
    private static string? Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["describe", "--always", "--dirty", "--abbrev=12"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null)
            {
                return null;
            }
            var output = git.StandardOutput.ReadToEndAsync();
            if (!git.WaitForExit(5000))
            {
                git.Kill(); // only the git process started here, by its handle
                return null;
            }
            return git.ExitCode == 0 ? output.Result.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
