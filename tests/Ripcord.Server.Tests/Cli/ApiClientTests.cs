using System.Text.Json;
using Ripcord.Cli.Api;
using Ripcord.Server.Auth;
using Ripcord.Server.Cohorts;
using Ripcord.Server.Evaluation;
using Ripcord.Server.Overrides;
using static Ripcord.Testing.Groups;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// The typed API client the CLI runs on, against a real server: typed values with the body as sent,
/// revisions through ETag and If-Match, and every kind of refusal as a typed exception.
/// </summary>
public sealed class ApiClientTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;
    private RipcordApiClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync();
        _admin = new RipcordApiClient(_server.Http, RipcordTestServer.AdminToken);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task AWrite_ReturnsTheTypedResult_TheBodyAsSent_AndTheRevisionFromTheETag()
    {
        var head = await _server.HeadAsync();
        var set = await _admin.SetOverrideAsync("groups", new OverrideBody("F3", "workspace:acme", true, "pilot", null));

        Assert.Equal(201, set.Status);
        Assert.Equal(head + 1, set.Value.Revision);
        Assert.Equal(set.Value.Revision, set.Revision);
        Assert.Equal((F3, "F3", "workspace:acme", true), (set.Value.Override.Flag, set.Value.Override.Alias, set.Value.Override.Scope, set.Value.Override.Value));
        using var raw = JsonDocument.Parse(set.Raw);
        Assert.Equal(set.Value.Override.Id, raw.RootElement.GetProperty("override").GetProperty("id").GetString());

        var listed = Assert.Single((await _admin.ListOverridesAsync("groups")).Value);
        Assert.Equal(set.Value.Override, listed);
        var deleted = await _admin.DeleteOverrideAsync("groups", listed.Id, ifMatch: set.Value.Revision);
        Assert.Equal(head + 2, deleted.Value.Revision);
    }

    [Fact]
    public async Task AStaleIfMatch_Is409_WithTheCurrentRevision_AndChangesNothing()
    {
        var head = await _server.HeadAsync();
        await _admin.PutCohortAsync("groups", "pilot", new CohortBody(["acme"], null, null, null, null, null, null));

        var stale = await Assert.ThrowsAsync<RipcordApiException>(() => _admin.SetStageAsync("groups", "1", ifMatch: head, reason: "test: break-glass"));

        Assert.Equal(409, stale.Status);
        Assert.Equal(head + 1, stale.CurrentRevision);
        Assert.NotNull(stale.ProblemJson);
        Assert.Equal(head + 1, JsonDocument.Parse(stale.ProblemJson!).RootElement.GetProperty("currentRevision").GetInt64());
        Assert.Equal("0", (await _admin.GetStageAsync("groups")).Value.Stage);
        Assert.Equal("1", (await _admin.SetStageAsync("groups", "1", ifMatch: head + 1, reason: "test: break-glass")).Value.Stage);
    }

    [Fact]
    public async Task ValidationErrors_AreReadFromBothShapesOfTheErrorsExtension()
    {
        var field = await Assert.ThrowsAsync<RipcordApiException>(() => _admin.ReadAuditAsync(limit: 5_000));
        Assert.Equal(400, field.Status);
        Assert.Equal("limit", Assert.Single(field.Errors).Field);

        var definition = await Assert.ThrowsAsync<RipcordApiException>(() =>
            _admin.ApplyDefinitionAsync("program: groups\nflags:\n  - key: Not A Key\n"));
        Assert.Equal(422, definition.Status);
        Assert.NotEmpty(definition.Errors);
        Assert.All(definition.Errors, e => Assert.True(e.Line >= 0 && e.Message.Length > 0, e.ToString()));
    }

    [Fact]
    public async Task Refusals_CarryStatusTitleAndDetail()
    {
        using var anonymous = new RipcordApiClient(_server.Http, token: null);
        var unauthenticated = await Assert.ThrowsAsync<RipcordApiException>(() => anonymous.ListProgramsAsync());
        Assert.Equal((401, "Unauthorized"), (unauthenticated.Status, unauthenticated.Title));

        using var viewer = new RipcordApiClient(_server.Http, (await _server.MintTokenAsync("viewer")).Secret);
        Assert.Equal("groups", Assert.Single((await viewer.ListProgramsAsync()).Value).Key);
        var forbidden = await Assert.ThrowsAsync<RipcordApiException>(() => viewer.SetStageAsync("groups", "1"));
        Assert.Equal(403, forbidden.Status);
        Assert.Contains("viewer", forbidden.Detail, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<RipcordApiException>(() => _admin.GetRevisionAsync("groups", 999));
        Assert.Equal(404, missing.Status);
        var noProgram = await Assert.ThrowsAsync<RipcordApiException>(() => _admin.ListFlagsAsync("nope"));
        Assert.Equal(404, noProgram.Status);
    }

    [Fact]
    public async Task NoServer_IsUnreachable_NotAnHttpError()
    {
        using var nowhere = new RipcordApiClient(new Uri("http://127.0.0.1:1"), RipcordTestServer.AdminToken, TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<RipcordUnreachableException>(() => nowhere.ListProgramsAsync());
        Assert.StartsWith("cannot reach http://127.0.0.1:1/", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedToken_IsRefusedWithoutEchoingIt()
    {
        const string pasted = "rc_secret_with_a\nline_break";
        var error = Assert.Throws<ArgumentException>(() => new RipcordApiClient(_server.BaseAddress, pasted));
        Assert.DoesNotContain("rc_secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Definitions_RoundTripAsYaml_WithTheRevisionFromTheETag()
    {
        var head = await _server.HeadAsync();
        var exported = await _admin.GetDefinitionAsync("groups");
        Assert.Equal(head, exported.Revision);
        Assert.Equal(exported.Raw, exported.Value);
        Assert.Contains("groups.routes.enabled", exported.Value, StringComparison.Ordinal);

        var applied = await _admin.ApplyDefinitionAsync(exported.Value, ifMatch: head, program: "groups");
        Assert.Equal(("groups", head + 1), (applied.Value.Program, applied.Value.Revision));
        Assert.Empty(applied.Value.DroppedOverrides);
    }

    [Fact]
    public async Task ReadsEvaluationCohortsRevisionsAuditTokensAndClients()
    {
        await _admin.PutCohortAsync("groups", "pilot", new CohortBody(["acme"], null, null, null, null, "pilot orgs", null));
        await _admin.SetStageAsync("groups", "1", reason: "test: break-glass");

        var evaluated = (await _admin.EvaluateAsync("groups", new ContextBody("acme", "u-1", 1, null))).Value;
        Assert.Equal(new FlagEvaluation(true, "stage", "cohort:pilot", "stage:1@cohort:pilot", "F1", null), evaluated.Flags[F1]);
        Assert.Equal(["acme"], (await _admin.ListCohortsAsync("groups")).Value.Single(c => c.Id == "pilot").Workspaces);
        Assert.Equal(8, (await _admin.ListFlagsAsync("groups")).Value.Count);

        var revisions = (await _admin.ListRevisionsAsync("groups", limit: 2)).Value;
        Assert.Equal(2, revisions.Count);
        Assert.True(revisions[0].Revision > revisions[1].Revision);
        Assert.NotNull((await _admin.GetRevisionAsync("groups", revisions[0].Revision)).Value.State);

        var page = (await _admin.ReadAuditAsync(after: 0, limit: 1)).Value;
        Assert.Equal(page.Entries[0].Seq, page.Next);
        Assert.True((await _admin.VerifyAuditAsync()).Value.Ok);

        var minted = (await _admin.CreateTokenAsync(new TokenBody("ci bot", "operator"))).Value;
        Assert.StartsWith("rc_", minted.Token, StringComparison.Ordinal);
        Assert.Contains((await _admin.ListTokensAsync()).Value, t => t.Id == minted.Id && t.RevokedAt is null);
        Assert.NotNull((await _admin.RevokeTokenAsync(minted.Id)).Value.RevokedAt);

        var clients = (await _admin.ListClientsAsync("groups")).Value;
        Assert.Equal((await _server.HeadAsync(), 0), (clients.HeadRevision, clients.Clients.Count));
    }
}
