using System.Diagnostics;
using System.Net;
using Ripcord.Server.Tests.Infrastructure;
using Ripcord.Server.Tests.KillSwitches;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The dashboard with two nodes on one PostgreSQL database: a page open on node A follows a change made through
/// node B's API — a new revision (a kill switch) and an incident that makes none — within a second, through the same
/// live stream the browser's page follows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDashboardTests(PostgresCluster cluster)
{
    [Fact]
    public async Task APageOpenOnOneNode_ShowsAChangeMadeOnAnotherNode_WithinASecond()
    {
        cluster.RequireRunning();
        var connectionString = await cluster.FreshSchemaAsync(nameof(PostgresDashboardTests));
        await using var nodeA = await RipcordTestServer.StartAsync(connectionString, clock: TimeProvider.System);
        await using var nodeB = await RipcordTestServer.StartAsync(connectionString, clock: TimeProvider.System);
        using var person = await DashboardFlagsTests.SignedInAsync(nodeA, await nodeA.CreateTokenAsync("viewer", "watcher"));
        using var live = new LiveStream(person, "/ui/events?view=overview");
        await live.UntilAsync(frame => frame.Contains("data-test=\"no-kill-switches\"", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        var incident = await nodeB.DeclareAsync();
        var declared = Stopwatch.StartNew();
        await live.UntilAsync(frame => frame.Contains(incident, StringComparison.Ordinal), TimeSpan.FromSeconds(3));
        Assert.True(declared.Elapsed < TimeSpan.FromSeconds(1), $"node A's page showed node B's incident after {declared.ElapsedMilliseconds} ms");

        var (status, created) = await nodeB.ActivateAsync("KS2", "global", incident);
        Assert.Equal(HttpStatusCode.Created, status);
        var activated = Stopwatch.StartNew();
        var revision = created.GetProperty("revision").GetInt64();
        await live.UntilAsync(frame => frame.Contains($"data-test=\"head\">{revision}<", StringComparison.Ordinal)
            && frame.Contains("data-test=\"kill-switches\"", StringComparison.Ordinal), TimeSpan.FromSeconds(3));
        Assert.True(activated.Elapsed < TimeSpan.FromSeconds(1), $"node A's page showed node B's kill switch after {activated.ElapsedMilliseconds} ms");
    }

    /// <summary>Follows a dashboard live stream (server-sent events) and keeps every update's HTML.</summary>
    private sealed class LiveStream : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _frames = [];
        private readonly Task _reader;

        public LiveStream(HttpClient http, string path) => _reader = Task.Run(async () =>
        {
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            using var body = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            var data = new System.Text.StringBuilder();
            while (await body.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(line, 6, line.Length - 6).Append('\n');
                }
                else if (line.Length == 0 && data.Length > 0)
                {
                    lock (_frames)
                    {
                        _frames.Add(data.ToString());
                    }
                    data.Clear();
                }
            }
        });

        public async Task UntilAsync(Func<string, bool> seen, TimeSpan timeout)
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < timeout)
            {
                lock (_frames)
                {
                    if (_frames.Count > 0 && seen(_frames[^1]))
                    {
                        return;
                    }
                }
                Assert.False(_reader.IsCompleted, "the live stream ended");
                await Task.Delay(10);
            }
            Assert.Fail($"the live stream did not show it within {timeout.TotalSeconds:0} s");
        }

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _reader.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // cancelled
            }
            _stop.Dispose();
        }
    }
}
