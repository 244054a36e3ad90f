using System.Net;
using System.Text.Json;
using Ripcord.Server.Auth;

namespace Ripcord.Server.Tests.Authorization;

/// <summary>Every refusal reaches the audit log, but one token cannot flood it: repeats are counted into the next row.</summary>
public sealed class DenialAuditTests
{
    [Fact]
    public async Task RepeatedRefusals_AreOneRowPerWindow_AndTheNextRowCountsTheRepeats()
    {
        await using var server = await RipcordTestServer.StartAsync();
        var viewer = await server.MintTokenAsync("viewer", "curious viewer");
        var start = await server.AuditHeadAsync();

        for (var i = 0; i < 30; i++)
        {
            using var refused = await server.SendAsync(HttpMethod.Put, "/api/v1/programs/groups/stage", viewer.Secret, new { stage = 3 });
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var other = await server.SendAsync(HttpMethod.Get, "/api/v1/tokens", viewer.Secret))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }
        var denied = Denied(await server.AuditAfterAsync(start));
        Assert.Equal(["PUT /api/v1/programs/groups/stage", "GET /api/v1/tokens"], denied.Select(e => e.GetProperty("target").GetString()));
        Assert.All(denied, e => Assert.Equal("curious viewer", e.GetProperty("actor").GetString()));

        server.Clock.Advance(DenialAudit.Window + TimeSpan.FromSeconds(1));
        using (var again = await server.SendAsync(HttpMethod.Put, "/api/v1/programs/groups/stage", viewer.Secret, new { stage = 3 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        }
        var next = Denied(await server.AuditAfterAsync(start)).Skip(2).Single();
        Assert.Equal("PUT /api/v1/programs/groups/stage", next.GetProperty("target").GetString());
        using var after = JsonDocument.Parse(next.GetProperty("after").GetString()!);
        Assert.Equal(29, after.RootElement.GetProperty("repeatsSincePrevious").GetInt64());
        Assert.True((await server.GetAsync("/api/v1/audit/verify")).GetProperty("ok").GetBoolean());
    }

    private static List<JsonElement> Denied(IReadOnlyList<JsonElement> entries) =>
        [.. entries.Where(e => e.GetProperty("outcome").GetString() == "denied")];
}
