using System.Net;
using System.Text.Json;
using static Ripcord.Testing.RipcordTestServer;

namespace Ripcord.Server.Tests.Revisions;

/// <summary>
/// SPEC §2 revisions: every write makes a new numbered, immutable revision; writes with a stale
/// If-Match get 409 and change nothing.
/// </summary>
public sealed class RevisionConcurrencyTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Each kind of program write, as a request factory (so it can be sent more than once).</summary>
    private async Task<IReadOnlyList<(string Name, Func<string?, HttpRequestMessage> Make)>> WritesAsync()
    {
        var existing = await _server.SetOverrideAsync("F3", "workspace:w-delete-me", true);
        var existingId = existing.GetProperty("override").GetProperty("id").GetString();
        return
        [
            ("POST override", ifMatch => Request(HttpMethod.Post, "/api/v1/programs/groups/overrides", AdminToken,
                Json(new { flag = "F2", scope = "workspace:w-1", value = true, reason = "rev test" }), ifMatch)),
            ("DELETE override", ifMatch => Request(HttpMethod.Delete, $"/api/v1/programs/groups/overrides/{existingId}", AdminToken, null, ifMatch)),
            ("PUT cohort", ifMatch => Request(HttpMethod.Put, "/api/v1/programs/groups/cohorts/pilot", AdminToken,
                Json(new { workspaces = new[] { "w-1", "w-2" } }), ifMatch)),
            ("PUT stage", ifMatch => Request(HttpMethod.Put, "/api/v1/programs/groups/stage", AdminToken, Json(new { stage = 1, reason = "test: break-glass" }), ifMatch)),
            ("POST definition", ifMatch => Request(HttpMethod.Post, "/api/v1/programs/groups/definition", AdminToken,
                Yaml(RipcordServer.BuiltInGroupsYaml()), ifMatch)),
            ("POST definitions", ifMatch => Request(HttpMethod.Post, "/api/v1/definitions", AdminToken,
                Yaml(RipcordServer.BuiltInGroupsYaml()), ifMatch)),
        ];
    }

    private async Task<string> SnapshotAsync()
    {
        var revisions = await _server.GetAsync("/api/v1/programs/groups/revisions?limit=500");
        var overrides = await _server.GetAsync("/api/v1/programs/groups/overrides");
        var cohorts = await _server.GetAsync("/api/v1/programs/groups/cohorts");
        var stage = await _server.GetAsync("/api/v1/programs/groups/stage");
        return string.Join("\n", revisions.GetRawText(), overrides.GetRawText(), cohorts.GetRawText(), stage.GetRawText());
    }

    [Fact]
    public async Task EveryWrite_ReturnsTheNextRevision_InItsBodyAndETag()
    {
        var head = await _server.HeadAsync();
        Assert.Equal(1, head); // the built-in program is revision 1
        foreach (var (name, make) in await WritesAsync())
        {
            head = await _server.HeadAsync();
            using var response = await _server.SendAsync(make(null));
            var body = await ApiAssert.SuccessJsonAsync(response);
            Assert.True(body.TryGetProperty("revision", out var revision), $"{name} returns its revision: {body}");
            Assert.Equal(head + 1, revision.GetInt64());
            Assert.Equal($"\"{head + 1}\"", response.Headers.ETag?.ToString());
            Assert.Equal(head + 1, await _server.HeadAsync());
            var newest = (await _server.GetAsync("/api/v1/programs/groups/revisions?limit=1")).EnumerateArray().Single();
            Assert.Equal(head + 1, newest.GetProperty("revision").GetInt64());
            Assert.Equal("admin (RIPCORD_ADMIN_TOKEN)", newest.GetProperty("actor").GetString());
        }
    }

    [Fact]
    public async Task WriteWithStaleIfMatch_Gets409Problem_AndChangesNothing()
    {
        var writes = await WritesAsync();
        await _server.SetOverrideAsync("F1", "workspace:w-x", true); // move the head past what a slow client read
        var head = await _server.HeadAsync();
        var before = await SnapshotAsync();
        var auditBefore = await _server.AuditHeadAsync();
        foreach (var (name, make) in writes)
        {
            foreach (var stale in new[] { $"\"{head - 1}\"", $"{head - 2}", $"W/\"{head - 1}\"", "\"0\"", $"\"{head + 5}\"" })
            {
                using var response = await _server.SendAsync(make(stale));
                var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.Conflict);
                Assert.True(problem.GetProperty("currentRevision").GetInt64() == head, $"{name} with If-Match {stale}: {problem}");
            }
        }
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(auditBefore, await _server.AuditHeadAsync());
    }

    [Fact]
    public async Task WriteWithCurrentIfMatch_Succeeds_InEveryAcceptedSpelling()
    {
        var writes = await WritesAsync();
        var spellings = new Func<long, string>[] { h => $"\"{h}\"", h => $"{h}", h => $"W/\"{h}\"", _ => "*" };
        var i = 0;
        foreach (var (name, make) in writes)
        {
            var head = await _server.HeadAsync();
            var ifMatch = spellings[i++ % spellings.Length](head);
            using var response = await _server.SendAsync(make(ifMatch));
            var body = await ApiAssert.SuccessJsonAsync(response);
            Assert.True(body.GetProperty("revision").GetInt64() == head + 1, $"{name} with If-Match {ifMatch}: {body}");
        }
    }

    [Fact]
    public async Task TwoWritersWithTheSameIfMatch_ExactlyOneWins_TheOtherGets409()
    {
        var head = await _server.HeadAsync();
        var requests = Enumerable.Range(0, 6).Select(i => _server.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
            json: new { flag = "F2", scope = $"workspace:w-{i}", value = true, reason = "race" }, ifMatch: $"\"{head}\""));
        var responses = await Task.WhenAll(requests);
        try
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
            Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        }
        finally
        {
            foreach (var r in responses)
            {
                r.Dispose();
            }
        }
        Assert.Equal(head + 1, await _server.HeadAsync());
        Assert.Single((await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray());
    }

    [Fact]
    public async Task RevisionN_ReturnsTheSameImmutableStateAfterLaterWrites()
    {
        var first = await _server.SetOverrideAsync("F3", "workspace:w-1", true);
        var n = first.GetProperty("revision").GetInt64();
        var overrideId = first.GetProperty("override").GetProperty("id").GetString();
        var snapshot = await _server.GetAsync($"/api/v1/programs/groups/revisions/{n}");
        Assert.Equal(n, snapshot.GetProperty("revision").GetInt64());
        var state = snapshot.GetProperty("state");
        Assert.Contains(state.GetProperty("overrides").EnumerateArray(), o => o.GetProperty("id").GetString() == overrideId);

        await _server.OkAsync(HttpMethod.Delete, $"/api/v1/programs/groups/overrides/{overrideId}");
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "w-9" } });
        await _server.SetStageAsync("freeze");
        using (var applied = await _server.SendAsync(Request(HttpMethod.Post, "/api/v1/definitions", AdminToken, Yaml(RipcordServer.BuiltInGroupsYaml()))))
        {
            await ApiAssert.SuccessJsonAsync(applied);
        }

        var again = await _server.GetAsync($"/api/v1/programs/groups/revisions/{n}");
        Assert.Equal(snapshot.GetRawText(), again.GetRawText());
        // The previous revision does not have the override: each revision is the whole state at that point.
        var previous = await _server.GetAsync($"/api/v1/programs/groups/revisions/{n - 1}");
        Assert.DoesNotContain(previous.GetProperty("state").GetProperty("overrides").EnumerateArray(), o => o.GetProperty("id").GetString() == overrideId);
        var latest = await _server.GetAsync($"/api/v1/programs/groups/revisions/{await _server.HeadAsync()}");
        Assert.Equal("freeze", latest.GetProperty("state").GetProperty("stage").GetString());
    }

    [Fact]
    public async Task UnknownRevision_Is404Problem()
    {
        using var response = await _server.SendAsync(HttpMethod.Get, "/api/v1/programs/groups/revisions/999");
        await ApiAssert.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RevisionList_IsNewestFirst_AndPagesWithBefore()
    {
        for (var i = 0; i < 5; i++)
        {
            await _server.SetOverrideAsync("F2", $"workspace:w-{i}", true);
        }
        var all = (await _server.GetAsync("/api/v1/programs/groups/revisions")).EnumerateArray().Select(r => r.GetProperty("revision").GetInt64()).ToList();
        Assert.Equal([6, 5, 4, 3, 2, 1], all);
        var page = (await _server.GetAsync("/api/v1/programs/groups/revisions?before=4&limit=2")).EnumerateArray()
            .Select(r => r.GetProperty("revision").GetInt64()).ToList();
        Assert.Equal([3, 2], page);
        Assert.All((await _server.GetAsync("/api/v1/programs/groups/revisions")).EnumerateArray(),
            r => Assert.Equal(JsonValueKind.Null, r.GetProperty("state").ValueKind));
    }
}
