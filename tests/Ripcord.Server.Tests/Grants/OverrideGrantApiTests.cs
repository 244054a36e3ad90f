using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.Grants;

/// <summary>
/// Tier-2 override grants over the API (SPEC §4): a security lead's grant and an SDK's in-app request are
/// revisions, audited in the same transaction, each opening a post-action review; nothing is granted
/// unless all of that was stored.
/// </summary>
public sealed class OverrideGrantApiTests : IAsyncLifetime
{
    private const string Grants = "/api/v1/programs/groups/override-grants";
    private readonly FailingStep _faults = new();
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await RipcordTestServer.StartAsync(configure: b => b.Services.AddSingleton<IWriteObserver>(_faults));

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private sealed class FailingStep : IWriteObserver
    {
        public WriteStep? FailAt { get; set; }

        public ValueTask OnStepAsync(WriteStep step, CancellationToken ct) =>
            step == FailAt ? throw new InvalidOperationException($"injected failure at {step}") : ValueTask.CompletedTask;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, object body, string role)
    {
        var token = await _server.TokenAsync(role);
        return await _server.SendAsync(HttpMethod.Post, path, token, body);
    }

    [Fact]
    public async Task A_security_lead_grant_is_a_revision_listed_audited_and_reviewed_then_revoked()
    {
        var head = await _server.HeadAsync();
        var auditHead = await _server.AuditHeadAsync();
        using var response = await PostAsync(Grants, new { workspaceId = "acme", action = "send", reason = "relay down, INC-12", ttlMinutes = 30 }, "security-lead");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await ApiAssert.SuccessJsonAsync(response);
        var grant = issued.GetProperty("grant");
        var id = grant.GetProperty("id").GetString()!;
        Assert.Equal(head + 1, issued.GetProperty("revision").GetInt64());
        Assert.Equal(head + 1, await _server.HeadAsync());
        Assert.Equal(_server.Clock.GetUtcNow().AddMinutes(30), grant.GetProperty("expiresAt").GetDateTimeOffset());

        // In GET …/override-grants, and in the revision's state (what the stream sends).
        var listed = (await _server.GetAsync(Grants)).EnumerateArray().Single();
        Assert.Equal(id, listed.GetProperty("grant").GetProperty("id").GetString());
        Assert.False(listed.GetProperty("expired").GetBoolean());
        var state = (await _server.GetAsync($"/api/v1/programs/groups/revisions/{head + 1}")).GetProperty("state");
        Assert.Equal("acme", state.GetProperty("grants").EnumerateArray().Single().GetProperty("workspaceId").GetString());

        // Audited as a tier-2 override grant, and a post-action review is open for it.
        var audit = await _server.AuditAfterAsync(auditHead);
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "tier2-override.grant"
            && e.GetProperty("target").GetString() == $"override-grant:groups/{id}");
        var reviewId = issued.GetProperty("reviewId").GetString();
        var review = (await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray().Single(r => r.GetProperty("id").GetString() == reviewId);
        Assert.Equal("tier2-override.grant", review.GetProperty("action").GetString());
        Assert.Equal($"override-grant:groups/{id}", review.GetProperty("target").GetString());

        // Expired: listed as such; revoked: gone, in a new revision.
        _server.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.True((await _server.GetAsync(Grants)).EnumerateArray().Single().GetProperty("expired").GetBoolean());
        using var revoke = await _server.SendAsync(HttpMethod.Delete, $"{Grants}/{id}", await _server.TokenAsync("security-lead"), new { reason = "relay restored" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(head + 2, await _server.HeadAsync());
        Assert.Empty((await _server.GetAsync(Grants)).EnumerateArray());
        Assert.Contains(await _server.AuditAfterAsync(auditHead), e => e.GetProperty("action").GetString() == "tier2-override.revoke");
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"action":"send","reason":"x"}""", "workspaceId" },
        { """{"workspaceId":"acme","reason":"x"}""", "action" },
        { """{"workspaceId":"acme","action":"send"}""", "reason" },
        { """{"workspaceId":"acme","action":"send","reason":"x","ttlMinutes":0}""", "ttlMinutes" },
        { """{"workspaceId":"acme","action":"send","reason":"x","ttlMinutes":241}""", "ttlMinutes" },
        { """{"workspaceId":"acme","action":"send","reason":"x","ttlMinutes":"soon"}""", "" },
        { "not json", "" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_a_400_problem_and_grants_nothing(string body, string field)
    {
        var head = await _server.HeadAsync();
        using var request = RipcordTestServer.Request(HttpMethod.Post, Grants, RipcordTestServer.AdminToken,
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        using var response = await _server.SendAsync(request);
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        if (field.Length > 0)
        {
            Assert.Contains(field, problem.GetRawText(), StringComparison.Ordinal);
        }
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Fact]
    public async Task Revoking_an_unknown_grant_is_404_and_without_a_reason_400()
    {
        using (var missing = await _server.SendAsync(HttpMethod.Delete, $"{Grants}/grt_nope", json: new { reason = "x" }))
        {
            await ApiAssert.ProblemAsync(missing, HttpStatusCode.NotFound);
        }
        var issued = await _server.OkAsync(HttpMethod.Post, Grants, new { workspaceId = "acme", action = "send", reason = "r" });
        var id = issued.GetProperty("grant").GetProperty("id").GetString();
        using var noReason = await _server.SendAsync(HttpMethod.Delete, $"{Grants}/{id}");
        await ApiAssert.ProblemAsync(noReason, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_sdk_key_may_ask_in_app_for_a_role_the_definition_allows_and_gets_the_definitions_ttl()
    {
        var head = await _server.HeadAsync();
        using var response = await PostAsync($"{Grants}/in-app", new { workspaceId = "acme", action = "send", reason = "admin confirmed", role = "group-admin" }, "sdk");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await ApiAssert.SuccessJsonAsync(response);
        var grant = issued.GetProperty("grant");
        Assert.Equal("group-admin", grant.GetProperty("inAppRole").GetString());
        Assert.Equal(_server.Clock.GetUtcNow().AddMinutes(15), grant.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(head + 1, await _server.HeadAsync());
        Assert.Contains((await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray(),
            r => r.GetProperty("id").GetString() == issued.GetProperty("reviewId").GetString());
    }

    [Theory]
    [InlineData("member")]
    [InlineData("Group-Admin")]
    public async Task An_app_role_the_definition_does_not_allow_is_refused_403_and_audited(string role)
    {
        var head = await _server.HeadAsync();
        var auditHead = await _server.AuditHeadAsync();
        using var response = await PostAsync($"{Grants}/in-app", new { workspaceId = "acme", action = "send", reason = "r", role }, "sdk");
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains(role, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());
        Assert.Contains(await _server.AuditAfterAsync(auditHead), e => e.GetProperty("outcome").GetString() == "denied");
    }

    [Fact]
    public async Task In_app_overrides_are_refused_where_the_definition_has_no_policy()
    {
        var yaml = RipcordServer.BuiltInGroupsYaml().Replace("    inAppOverride: { roles: [group-admin], ttlMinutes: 15 }\n", "", StringComparison.Ordinal);
        Assert.DoesNotContain("inAppOverride", yaml, StringComparison.Ordinal);
        using (var apply = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/programs/groups/definition",
            RipcordTestServer.AdminToken, RipcordTestServer.Yaml(yaml))))
        {
            await ApiAssert.SuccessJsonAsync(apply);
        }
        using var response = await PostAsync($"{Grants}/in-app", new { workspaceId = "acme", action = "send", reason = "r", role = "group-admin" }, "sdk");
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("inAppOverride", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_role_the_in_app_request_is_400()
    {
        using var response = await PostAsync($"{Grants}/in-app", new { workspaceId = "acme", action = "send", reason = "r" }, "sdk");
        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData(WriteStep.AfterRevision, false)]
    [InlineData(WriteStep.AfterAudit, false)]
    [InlineData(WriteStep.AfterWorkflow, false)]
    [InlineData(WriteStep.AfterAudit, true)]
    public async Task When_the_audit_write_fails_there_is_no_grant_no_revision_and_no_review(WriteStep step, bool inApp)
    {
        var head = await _server.HeadAsync();
        var auditHead = await _server.AuditHeadAsync();
        var openReviews = (await _server.GetAsync("/api/v1/reviews?open=true")).GetArrayLength();
        _faults.FailAt = step;
        using var response = inApp
            ? await PostAsync($"{Grants}/in-app", new { workspaceId = "acme", action = "send", reason = "r", role = "group-admin" }, "sdk")
            : await PostAsync(Grants, new { workspaceId = "acme", action = "send", reason = "r" }, "security-lead");
        _faults.FailAt = null;
        await ApiAssert.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(head, await _server.HeadAsync());
        Assert.Empty((await _server.GetAsync(Grants)).EnumerateArray());
        Assert.DoesNotContain(await _server.AuditAfterAsync(auditHead), e => e.GetProperty("action").GetString() == "tier2-override.grant");
        Assert.Equal(openReviews, (await _server.GetAsync("/api/v1/reviews?open=true")).GetArrayLength());
    }
}
