using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Storage;

/// <summary>
/// A database made by the previous release (commit f17e861, before migrations were versioned:
/// Storage/Fixtures/make-v1-fixture.sh) is upgraded in place without loss: every revision reads
/// back as the old server served it, the audit chain still verifies and continues, tokens still
/// sign in (now with principal ids), telemetry is kept, and new writes work on top.
/// </summary>
public sealed class SqliteMigrationTests
{
    private static string Fixture(string name) => V1Fixture.Path(name);
    private const string FixtureAdmin = V1Fixture.Admin;

    [Fact]
    public async Task SqliteDatabaseOfThePreviousRelease_IsUpgradedWithoutLoss()
    {
        var directory = TestPaths.NewDataDirectory("migrate");
        File.Copy(Fixture("v1-ripcord.db"), Path.Combine(directory, Databases.ConfigFile));
        await using (var server = await V1Fixture.StartOnAsync(directory, null))
        {
            await V1Fixture.AssertNothingLostAsync(server, JsonNode.Parse(await File.ReadAllTextAsync(Fixture("v1-expected.json")))!, exactTimes: true);
            Assert.Equal(2, await server.Services.GetRequiredService<ITelemetryStore>().CountAsync("groups"));
        }
        // The old telemetry table was moved out of the configuration file; both files carry a migration journal.
        await using var config = new SqliteConnection($"Data Source={Path.Combine(directory, Databases.ConfigFile)};Pooling=false");
        await config.OpenAsync();
        Assert.Equal(0L, await V1Fixture.ScalarAsync(config, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'telemetry_events'"));
        Assert.Equal(Migrations.Scripts(Migrations.Config, SqlDialect.Sqlite).Count,
            await V1Fixture.ScalarAsync(config, "SELECT COUNT(*) FROM schemaversions"));

        // Starting again migrates nothing and changes nothing.
        await using (var again = await V1Fixture.StartOnAsync(directory, null))
        {
            await V1Fixture.AssertNothingLostAsync(again, JsonNode.Parse(await File.ReadAllTextAsync(Fixture("v1-expected.json")))!, exactTimes: true, wroteBefore: true);
        }
        TestPaths.TryDelete(directory);
    }

}

/// <summary>The same upgrade on PostgreSQL, where times also become timestamptz.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationTests(PostgresCluster cluster)
{
    private static string Fixture(string name) => V1Fixture.Path(name);

    [Fact]
    public async Task PostgresDatabaseOfThePreviousRelease_IsUpgradedWithoutLoss_AndTimesBecomeTimestamptz()
    {
        cluster.RequireRunning();
        var connection = await cluster.FreshSchemaAsync(nameof(PostgresMigrationTests));
        await using (var c = new NpgsqlConnection(connection))
        {
            await c.OpenAsync();
            await using var load = new NpgsqlCommand(await File.ReadAllTextAsync(Fixture("v1-postgres.sql")), c);
            await load.ExecuteNonQueryAsync();
        }
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Fixture("v1-postgres-expected.json")))!;
        var directory = TestPaths.NewDataDirectory("migrate-pg");
        await using (var server = await V1Fixture.StartOnAsync(directory, connection))
        {
            await V1Fixture.AssertNothingLostAsync(server, expected, exactTimes: false);
            Assert.Equal(2, await server.Services.GetRequiredService<ITelemetryStore>().CountAsync("groups"));
        }
        await using (var c = new NpgsqlConnection(connection))
        {
            await c.OpenAsync();
            await using var types = new NpgsqlCommand("""
                SELECT table_name || '.' || column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND data_type = 'timestamp with time zone' ORDER BY 1
                """, c);
            var columns = new List<string>();
            await using (var reader = await types.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    columns.Add(reader.GetString(0));
                }
            }
            Assert.Equal(["alert_rule_state.updated_at", "alerts.fired_at", "alerts.updated_at", "audit.at", "dashboard_sessions.expires_at", "data_protection_keys.created_at", "gate_checks.posted_at", "known_safe_revisions.tagged_at", "ramps.updated_at", "revisions.created_at", "security_signoffs.signed_at",
                "support_load.posted_at", "telemetry_batches.received_at", "tokens.created_at", "tokens.revoked_at",
                "webhook_deliveries.created_at", "webhook_deliveries.delivered_at", "webhook_deliveries.last_attempt_at",
                "webhook_deliveries.locked_until", "webhook_deliveries.next_attempt_at", "webhooks.created_at",
                "workflow_docs.created_at", "workflow_docs.updated_at"], columns);
        }
        await using (var again = await V1Fixture.StartOnAsync(directory, connection))
        {
            await V1Fixture.AssertNothingLostAsync(again, expected, exactTimes: false, wroteBefore: true);
        }
        TestPaths.TryDelete(directory);
    }
}

/// <summary>The previous release's databases (Storage/Fixtures) and what its server answered about them.</summary>
internal static class V1Fixture
{
    public const string Admin = "rc_fixture_admin_token_0123456789abcdef";

    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Storage", "Fixtures", name);

    public static async Task<long> ScalarAsync(System.Data.Common.DbConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // The fixture's telemetry was received years before the test clock's now: retention would rightly delete it.
    public static Task<RipcordTestServer> StartOnAsync(string directory, string? postgres) =>
        RipcordTestServer.StartAsync(postgres, o => o with
        {
            DataDirectory = directory, AdminToken = Admin, Telemetry = o.Telemetry with { Retention = TimeSpan.FromDays(365 * 100) },
        }, deleteDataDirectory: false);

    /// <summary>What the v1 server answered (expected.json) is what the upgraded server answers.</summary>
    public static async Task AssertNothingLostAsync(RipcordTestServer server, JsonNode expected, bool exactTimes, bool wroteBefore = false)
    {
        var head = expected["head"]!.GetValue<long>();
        var now = await server.HeadAsync(token: Admin);
        Assert.Equal(wroteBefore ? head + 1 : head, now);
        foreach (var old in expected["revisions"]!.AsArray())
        {
            var n = old!["revision"]!.GetValue<long>();
            var current = JsonNode.Parse((await server.GetAsync($"/api/v1/programs/groups/revisions/{n}", Admin)).GetRawText())!;
            Assert.True(JsonNode.DeepEquals(old["state"], current["state"]), $"revision {n}'s state changed in the upgrade");
            Assert.Equal(old["actor"]!.GetValue<string>(), current["actor"]!.GetValue<string>());
            Assert.Equal(old["summary"]!.GetValue<string>(), current["summary"]!.GetValue<string>());
            var was = old["createdAt"]!.GetValue<DateTimeOffset>();
            var isNow = current["createdAt"]!.GetValue<DateTimeOffset>();
            // timestamptz keeps microseconds: PostgreSQL rounds the old text's seventh digit.
            Assert.True(exactTimes ? was == isNow : Math.Abs((was - isNow).Ticks) < 10, $"revision {n}: created {was:O}, now reads {isNow:O}");
        }

        // The old audit rows are there, unchanged, and the whole chain verifies.
        var oldAudit = expected["audit"]!["entries"]!.AsArray();
        var audit = await server.AuditAfterAsync(0, Admin);
        for (var i = 0; i < oldAudit.Count; i++)
        {
            foreach (var field in new[] { "seq", "at", "actor", "role", "action", "target", "before", "after", "outcome", "prevHash", "hash" })
            {
                Assert.True(JsonNode.DeepEquals(oldAudit[i]![field], JsonNode.Parse(audit[i].GetProperty(field).GetRawText())),
                    $"audit row {i + 1}: {field} changed");
            }
        }
        var verify = await server.GetAsync("/api/v1/audit/verify", Admin);
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
        Assert.Equal(audit.Count, verify.GetProperty("checked").GetInt64());

        // Tokens made by the old server still sign in, and each has a principal id now.
        using (var viewer = await server.SendAsync(HttpMethod.Get, "/api/v1/programs", expected["viewerToken"]!.GetValue<string>()))
        {
            Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);
        }
        var tokens = (await server.GetAsync("/api/v1/tokens", Admin)).EnumerateArray().ToList();
        Assert.Equal(expected["tokens"]!.AsArray().Count, tokens.Count);
        Assert.All(tokens, t => Assert.StartsWith("prn_", t.GetProperty("principal").GetString(), StringComparison.Ordinal));
        Assert.Equal(tokens.Count, tokens.Select(t => t.GetProperty("principal").GetString()).Distinct().Count());

        if (!wroteBefore)
        {
            // New writes go on top, as deltas; the chain of old and new rows verifies.
            var written = await server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
                new { flag = "F2", scope = "workspace:initech", value = true, reason = "after the upgrade" }, token: Admin);
            Assert.Equal(head + 1, written.GetProperty("revision").GetInt64());
            var newest = await server.GetAsync($"/api/v1/programs/groups/revisions/{head + 1}", Admin);
            Assert.Contains(newest.GetProperty("state").GetProperty("overrides").EnumerateArray(),
                o => o.GetProperty("reason").GetString() == "after the upgrade");
            Assert.StartsWith("prn_", newest.GetProperty("principal").GetString(), StringComparison.Ordinal);
            Assert.True((await server.GetAsync("/api/v1/audit/verify", Admin)).GetProperty("ok").GetBoolean());
        }
    }
}
