using System.Net;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.WritePath;

/// <summary>
/// Two nodes on one real PostgreSQL. A write without If-Match that arrives at a node whose
/// in-memory head is stale (the other node just wrote) is applied to the real head — never lost,
/// never a 409; with a stale If-Match it is a 409 naming the real head. Concurrent writes on both
/// nodes get consecutive revision numbers, and both nodes converge on the same state.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TwoNodeWriteTests(PostgresCluster cluster)
{
    private static object Override(string workspace) => new { flag = "F3", scope = "workspace:" + workspace, value = true, reason = "two nodes" };

    private static async Task<HashSet<string>> ScopesAsync(RipcordTestServer node) =>
        (await node.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray().Select(o => o.GetProperty("scope").GetString()!).ToHashSet();

    [Fact]
    public async Task ARevisionWrittenOnTheOtherNode_ReachesThisNodesStreamsAsADelta_NotASnapshot()
    {
        cluster.RequireRunning();
        var connection = await cluster.FreshSchemaAsync(nameof(ARevisionWrittenOnTheOtherNode_ReachesThisNodesStreamsAsADelta_NotASnapshot));
        await using var a = await RipcordTestServer.StartAsync(connection);
        await using var b = await RipcordTestServer.StartAsync(connection);
        var before = await a.HeadAsync();
        var written = (await b.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", Override("w-delta"))).GetProperty("revision").GetInt64();
        Assert.Equal(before + 1, written);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await a.HeadAsync() < written) // node A's storage refresh catches up
        {
            Assert.True(DateTime.UtcNow < deadline, "node A never caught up");
            await Task.Delay(50);
        }

        // A client of node A that resumes from the revision before gets the change as a delta, as it would from node B.
        using var request = RipcordTestServer.Request(HttpMethod.Get, "/api/v1/programs/groups/stream", await a.TokenAsync("sdk"));
        request.Headers.Add("Last-Event-ID", before.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await a.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<string>();
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                events.Add(line);
            }
            if (line == $"id: {written}")
            {
                break;
            }
        }
        Assert.Equal(["event: delta"], events);
    }

    [Fact]
    public async Task AWriteWithoutIfMatch_OnANodeBehindTheOther_IsAppliedOnTheNewHead_AndAStaleIfMatchIs409()
    {
        cluster.RequireRunning();
        var connection = await cluster.FreshSchemaAsync(nameof(TwoNodeWriteTests));
        await using var a = await RipcordTestServer.StartAsync(connection);
        await using var b = await RipcordTestServer.StartAsync(connection);

        long last = 0;
        for (var round = 0; round < 5; round++)
        {
            var seenByB = await b.HeadAsync();
            var onA = await a.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", Override($"a-{round}"));
            var aRevision = onA.GetProperty("revision").GetInt64();

            // B has not necessarily seen A's write: without If-Match its write still lands on top of it.
            var onB = await b.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", Override($"b-{round}"));
            Assert.Equal(aRevision + 1, onB.GetProperty("revision").GetInt64());
            var state = (await b.GetAsync($"/api/v1/programs/groups/revisions/{aRevision + 1}")).GetProperty("state");
            var scopes = state.GetProperty("overrides").EnumerateArray().Select(o => o.GetProperty("scope").GetString()).ToList();
            Assert.Contains($"workspace:a-{round}", scopes); // A's write is not lost under B's
            Assert.Contains($"workspace:b-{round}", scopes);

            // With the If-Match B read before A wrote, the write is refused, naming the real head.
            using var stale = await b.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", json: Override($"stale-{round}"), ifMatch: $"\"{seenByB}\"");
            var problem = await ApiAssert.ProblemAsync(stale, HttpStatusCode.Conflict);
            Assert.Equal(aRevision + 1, problem.GetProperty("currentRevision").GetInt64());
            last = aRevision + 1;
        }

        // Both nodes at once, no If-Match: every write succeeds, the numbers have no gaps and no repeats.
        var start = last; // A's own view may still be behind B's last write: that is the point
        var writes = Enumerable.Range(0, 16).Select(async i =>
        {
            var node = i % 2 == 0 ? a : b;
            var written = await node.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", Override($"both-{i}"));
            return written.GetProperty("revision").GetInt64();
        });
        var revisions = (await Task.WhenAll(writes)).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 16).Select(i => start + i), revisions);

        // Each node catches up with the other's writes (within its one-second refresh) and they agree.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await a.HeadAsync() != start + 16 || await b.HeadAsync() != start + 16)
        {
            Assert.True(DateTime.UtcNow < deadline, "the nodes did not converge within 15 s");
            await Task.Delay(100);
        }
        var onA2 = await ScopesAsync(a);
        Assert.Equal(onA2, await ScopesAsync(b));
        Assert.Equal(5 * 2 + 16, onA2.Count);
        Assert.True((await a.GetAsync("/api/v1/audit/verify")).GetProperty("ok").GetBoolean());
    }
}
