using System.Net;
using System.Text;
using static Ripcord.Server.Tests.Gates.GateHarness;

namespace Ripcord.Server.Tests.Gates;

/// <summary>
/// Bad input to checks, sign-offs, support load, stage advance and known-safe tags: a 4xx problem and nothing
/// changed. PUT …/stage: freeze only, or an admin's break-glass move with a reason, audited and reviewed.
/// </summary>
public sealed class GateInputTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public sealed record Bad(string Method, string Path, string Body, HttpStatusCode Status);

    private const string Checks = Api + "/checks";
    private const string Signoffs = Api + "/signoffs";
    private const string Load = Api + "/support-load";
    private const string Advance = Api + "/stage/advance";

    private const string GoodCheck = "\"stage\":\"1\",\"cohort\":\"pilot\",\"status\":\"passed\",\"evidence\":\"https://ci.example/1\"";

    public static TheoryData<string> Cases => new(BadInputs.Keys);

    private static readonly Dictionary<string, Bad> BadInputs = new(StringComparer.Ordinal)
    {
        ["check: malformed JSON"] = new("POST", Checks, "{\"kind\":", HttpStatusCode.BadRequest),
        ["check: no kind"] = new("POST", Checks, "{" + GoodCheck + "}", HttpStatusCode.BadRequest),
        ["check: unknown kind"] = new("POST", Checks, "{\"kind\":\"vibes\"," + GoodCheck + "}", HttpStatusCode.BadRequest),
        ["check: kind as a number"] = new("POST", Checks, "{\"kind\":1," + GoodCheck + "}", HttpStatusCode.BadRequest),
        ["check: unknown stage"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"9\",\"cohort\":\"pilot\",\"status\":\"passed\",\"evidence\":\"https://ci.example/1\"}", HttpStatusCode.BadRequest),
        ["check: unknown cohort"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"cohort\":\"nope\",\"status\":\"passed\",\"evidence\":\"https://ci.example/1\"}", HttpStatusCode.BadRequest),
        ["check: cohort and scope"] = new("POST", Checks, "{\"kind\":\"quality\",\"scope\":\"global\"," + GoodCheck + "}", HttpStatusCode.BadRequest),
        ["check: neither cohort nor scope"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"status\":\"passed\",\"evidence\":\"https://ci.example/1\"}", HttpStatusCode.BadRequest),
        ["check: user scope"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"scope\":\"user:bob\",\"status\":\"passed\",\"evidence\":\"https://ci.example/1\"}", HttpStatusCode.BadRequest),
        ["check: unknown status"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"cohort\":\"pilot\",\"status\":\"green\",\"evidence\":\"https://ci.example/1\"}", HttpStatusCode.BadRequest),
        ["check: javascript evidence"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"cohort\":\"pilot\",\"status\":\"passed\",\"evidence\":\"javascript:alert(1)\"}", HttpStatusCode.BadRequest),
        ["check: ftp evidence"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"cohort\":\"pilot\",\"status\":\"passed\",\"evidence\":\"ftp://ci.example/1\"}", HttpStatusCode.BadRequest),
        ["check: relative evidence"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"cohort\":\"pilot\",\"status\":\"passed\",\"evidence\":\"/run/1\"}", HttpStatusCode.BadRequest),
        ["check: no evidence"] = new("POST", Checks, "{\"kind\":\"quality\",\"stage\":\"1\",\"cohort\":\"pilot\",\"status\":\"passed\"}", HttpStatusCode.BadRequest),
        ["check: commit not hex"] = new("POST", Checks, "{\"kind\":\"quality\"," + GoodCheck + ",\"commit\":\"main\"}", HttpStatusCode.BadRequest),
        ["check: unknown program"] = new("POST", "/api/v1/programs/nope/checks", "{\"kind\":\"quality\"," + GoodCheck + "}", HttpStatusCode.NotFound),
        ["signoff: no tier"] = new("POST", Signoffs, "{\"stage\":\"1\",\"reason\":\"r\"}", HttpStatusCode.BadRequest),
        ["signoff: unknown tier"] = new("POST", Signoffs, "{\"tier\":7,\"stage\":\"1\",\"reason\":\"r\"}", HttpStatusCode.BadRequest),
        ["signoff: tier as text"] = new("POST", Signoffs, "{\"tier\":\"one\",\"stage\":\"1\",\"reason\":\"r\"}", HttpStatusCode.BadRequest),
        ["signoff: unknown stage"] = new("POST", Signoffs, "{\"tier\":1,\"stage\":\"9\",\"reason\":\"r\"}", HttpStatusCode.BadRequest),
        ["signoff: blank reason"] = new("POST", Signoffs, "{\"tier\":1,\"stage\":\"1\",\"reason\":\"  \"}", HttpStatusCode.BadRequest),
        ["support-load: negative"] = new("PUT", Load, "{\"ticketsPerDay\":-1}", HttpStatusCode.BadRequest),
        ["support-load: missing"] = new("PUT", Load, "{}", HttpStatusCode.BadRequest),
        ["support-load: huge"] = new("PUT", Load, "{\"ticketsPerDay\":1e9}", HttpStatusCode.BadRequest),
        ["support-load: text"] = new("PUT", Load, "{\"ticketsPerDay\":\"many\"}", HttpStatusCode.BadRequest),
        ["support-load: bad period"] = new("PUT", Load, "{\"ticketsPerDay\":3,\"period\":\"yesterday\"}", HttpStatusCode.BadRequest),
        ["advance: no target"] = new("POST", Advance, "{\"dryRun\":true}", HttpStatusCode.BadRequest),
        ["advance: unknown stage"] = new("POST", Advance, "{\"to\":\"9\",\"dryRun\":true}", HttpStatusCode.BadRequest),
        ["advance: to freeze"] = new("POST", Advance, "{\"to\":\"freeze\"}", HttpStatusCode.BadRequest),
        ["advance: to the current stage"] = new("POST", Advance, "{\"to\":0}", HttpStatusCode.Conflict),
        ["advance: to true"] = new("POST", Advance, "{\"to\":true}", HttpStatusCode.BadRequest),
        ["advance: dryRun as text"] = new("POST", Advance, "{\"to\":1,\"dryRun\":\"yes\"}", HttpStatusCode.BadRequest),
        ["known-safe: no such revision"] = new("POST", Api + "/revisions/999/known-safe", "{\"reason\":\"r\"}", HttpStatusCode.NotFound),
        ["known-safe: no reason"] = new("POST", Api + "/revisions/1/known-safe", "{}", HttpStatusCode.BadRequest),
        ["stage: a stage other than freeze as admin, without a reason"] = new("PUT", Api + "/stage", "{\"stage\":1}", HttpStatusCode.BadRequest),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    [Invariant("SG-7", "bad input to the gate endpoints is a 4xx problem and changes nothing")]
    public async Task BadInput_IsAProblem_AndChangesNothing(string name)
    {
        var bad = BadInputs[name];
        var before = await _server.GateStateAsync();
        using var request = RipcordTestServer.Request(new HttpMethod(bad.Method), bad.Path, RipcordTestServer.AdminToken,
            new StringContent(bad.Body, Encoding.UTF8, "application/json"));
        using var response = await _server.SendAsync(request);
        await ApiAssert.ProblemAsync(response, bad.Status);
        Assert.Equal(before, await _server.GateStateAsync());
    }

    [Fact]
    [Invariant("SG-8", "PUT …/stage only enters the freeze profile, or is an admin's break-glass move with a reason (audited, reviewed)")]
    public async Task PutStage_FreezeOrBreakGlassOnly()
    {
        var releaseManager = await _server.CreateTokenAsync("release-manager", "rita");
        var before = await _server.GateStateAsync();
        using (var refused = await _server.SendAsync(HttpMethod.Put, $"{Api}/stage", releaseManager, new { stage = 1, reason = "I am sure" }))
        {
            var problem = await ApiAssert.ProblemAsync(refused, HttpStatusCode.UnprocessableEntity);
            Assert.Contains("/stage/advance", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("ripcord stage advance --to 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(before, await _server.GateStateAsync());

        var auditHead = await _server.AuditHeadAsync();
        var moved = await _server.OkAsync(HttpMethod.Put, $"{Api}/stage", new { stage = 2, reason = "INC-7: the pilot must return now" });
        Assert.Equal("2", moved.GetProperty("stage").GetString());
        var audit = await _server.AuditAfterAsync(auditHead);
        Assert.Equal(["stage.set", "stage.break-glass"], audit.Select(e => e.GetProperty("action").GetString()!).ToArray());
        Assert.Contains("INC-7: the pilot must return now", audit[1].GetProperty("after").GetString(), StringComparison.Ordinal);
        var review = (await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray().Single();
        Assert.Equal("stage.break-glass", review.GetProperty("action").GetString());
        Assert.Contains("0 → 2", review.GetProperty("summary").GetString(), StringComparison.Ordinal);

        var frozen = await _server.OkAsync(HttpMethod.Put, $"{Api}/stage", new { stage = "freeze" }, token: releaseManager);
        Assert.Equal("freeze", frozen.GetProperty("stage").GetString());
        Assert.Single((await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray());
    }

    [Fact]
    public async Task KnownSafe_ByHand_OncePerRevision_ListedOnRevisions_AndLatest()
    {
        var releaseManager = await _server.CreateTokenAsync("release-manager", "rita");
        using (var none = await _server.SendAsync(HttpMethod.Get, $"{Api}/revisions/known-safe/latest"))
        {
            await ApiAssert.ProblemAsync(none, HttpStatusCode.NotFound);
        }
        var tag = await _server.OkAsync(HttpMethod.Post, $"{Api}/revisions/1/known-safe", new { reason = "soaked a week in dogfood" }, token: releaseManager);
        Assert.Equal("manual", tag.GetProperty("kind").GetString());
        Assert.Equal("0", tag.GetProperty("stage").GetString());
        var before = await _server.GateStateAsync();
        using (var twice = await _server.SendAsync(HttpMethod.Post, $"{Api}/revisions/1/known-safe", releaseManager, new { reason = "again" }))
        {
            await ApiAssert.ProblemAsync(twice, HttpStatusCode.Conflict);
        }
        Assert.Equal(before, await _server.GateStateAsync());
        var listed = (await _server.GetAsync($"{Api}/revisions")).EnumerateArray().Single(r => r.GetProperty("revision").GetInt64() == 1);
        Assert.Equal("soaked a week in dogfood", listed.GetProperty("knownSafe").GetProperty("reason").GetString());
        Assert.Equal(1, (await _server.GetAsync($"{Api}/revisions/known-safe/latest")).GetProperty("revision").GetInt64());
    }
}
