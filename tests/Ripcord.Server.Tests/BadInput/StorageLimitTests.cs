using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.BadInput;

/// <summary>
/// Issue 8, item 6: what one request can make the server store is bounded (docs/limits.md), and
/// one large cohort does not make every later write store it again.
/// </summary>
public sealed class StorageLimitTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private long StoredRevisionBytes()
    {
        using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(Path.Combine(_server.DataDirectory, Databases.ConfigFile)));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(COALESCE(LENGTH(command),0) + COALESCE(LENGTH(delta),0) + COALESCE(LENGTH(state),0)), 0) FROM revisions";
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public async Task ALargeCohort_IsNotStoredAgainByEveryLaterWrite()
    {
        const int Members = 40_000;
        const int Writes = 30;
        var before = StoredRevisionBytes();
        await _server.PutCohortAsync("big", new { workspaces = Enumerable.Range(0, Members).Select(i => $"ws-{i:D6}").ToArray() });
        var cohortBytes = StoredRevisionBytes() - before;
        Assert.True(cohortBytes > Members * 10, $"the cohort's own revision holds its members ({cohortBytes} bytes)");

        var afterCohort = StoredRevisionBytes();
        for (var i = 0; i < Writes; i++)
        {
            await _server.SetOverrideAsync("F3", $"workspace:w-{i}", i % 2 == 0);
        }
        var grown = StoredRevisionBytes() - afterCohort;
        // Deltas plus at most an occasional checkpoint: a small fraction of one copy per write.
        Assert.True(grown < Writes * cohortBytes / 10, $"{Writes} small writes stored {grown} bytes; the cohort is {cohortBytes}");
    }

    [Theory]
    [InlineData("description", 1001)]
    [InlineData("seed", 129)]
    public async Task CohortText_OverItsLimit_Is400(string field, int length)
    {
        var text = new string('x', length);
        object body = field == "seed" ? new { percentage = 5, seed = text } : new { workspaces = new[] { "w-1" }, description = text };
        var head = await _server.HeadAsync();
        using var response = await _server.SendAsync(HttpMethod.Put, "/api/v1/programs/groups/cohorts/pilot", json: body);
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(field, problem.ToString(), StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Fact]
    public async Task CohortOverTheMemberLimit_Is400()
    {
        var head = await _server.HeadAsync();
        using var response = await _server.SendAsync(HttpMethod.Put, "/api/v1/programs/groups/cohorts/huge",
            json: new { users = Enumerable.Range(0, CohortsApiLimit + 1).Select(i => $"u{i}").ToArray() });
        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(head, await _server.HeadAsync());
    }

    private const int CohortsApiLimit = Core.Definitions.DefinitionValidator.MaxMembersPerCohort;

    [Fact]
    public async Task ProgramOverTheFlagLimit_IsRefused_SoEvaluateStaysBounded()
    {
        var max = Core.Definitions.DefinitionValidator.MaxFlags;
        var yaml = new StringBuilder("program: wide\nflags:\n");
        for (var i = 0; i <= max; i++)
        {
            yaml.Append("  - key: f").Append(i).Append("\n    default: false\n    safe: false\n");
        }
        using var response = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/definitions",
            RipcordTestServer.AdminToken, RipcordTestServer.Yaml(yaml.ToString())));
        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"at most {max} flags", problem.ToString(), StringComparison.Ordinal);
    }
}
