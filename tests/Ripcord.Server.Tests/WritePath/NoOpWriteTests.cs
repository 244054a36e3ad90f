using System.Net;

namespace Ripcord.Server.Tests.WritePath;

/// <summary>
/// Issue 9, item 5: a write that asks for what already is — the stage the program has, a cohort as it is,
/// an identical override — answers 200 with the current revision and writes nothing: no revision, no audit
/// row, and no frame on the SDK stream.
/// </summary>
public sealed class NoOpWriteTests
{
    [Fact]
    public async Task WritesOfWhatAlreadyIs_Answer200WithTheCurrentRevision_AndWriteNoRevisionAuditRowOrFrame()
    {
        await using var server = await RipcordTestServer.StartAsync();
        await server.SetStageAsync(1);
        await server.PutCohortAsync("pilot", new { workspaces = new[] { "acme" } });
        await server.SetOverrideAsync("F3", "workspace:acme", true, reason: "pilot");
        var head = await server.HeadAsync();
        var sdk = await server.MintTokenAsync("sdk");
        var auditHead = await server.AuditHeadAsync();
        using var streamRequest = RipcordTestServer.Request(HttpMethod.Get, "/api/v1/programs/groups/stream", sdk.Secret);
        streamRequest.Headers.Add("Last-Event-ID", head.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var stream = await server.Http.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());

        var stage = await server.SendAsync(HttpMethod.Put, "/api/v1/programs/groups/stage", json: new { stage = 1, reason = "test: a break-glass move to the stage it is at" });
        var cohort = await server.SendAsync(HttpMethod.Put, "/api/v1/programs/groups/cohorts/pilot", json: new { workspaces = new[] { "acme" } });
        var again = await server.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
            json: new { flag = "F3", scope = "workspace:acme", value = true, reason = "pilot" });

        foreach (var response in new[] { stage, cohort, again })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"\"{head}\"", response.Headers.ETag?.Tag);
            var body = ApiAssert.Parse(await response.Content.ReadAsStringAsync());
            Assert.True(body.GetProperty("unchanged").GetBoolean());
            Assert.Equal(head, body.GetProperty("revision").GetInt64());
        }
        Assert.Equal(head, await server.HeadAsync());
        Assert.Equal(auditHead, await server.AuditHeadAsync());

        // The next real change is the next revision, and the first frame the stream sends.
        var next = (await server.SetOverrideAsync("F3", "workspace:acme", false, reason: "pilot")).GetProperty("revision").GetInt64();
        Assert.Equal(head + 1, next);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? firstId = null;
        while (firstId is null && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                firstId = line[4..];
            }
        }
        Assert.Equal(next.ToString(System.Globalization.CultureInfo.InvariantCulture), firstId);
    }
}
