using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Telemetry;
using Ripcord.Server.Tests.Infrastructure;
using Ripcord.Server.Tests.Telemetry;
using static Ripcord.Server.Tests.Metrics.MetricsScenario;

namespace Ripcord.Server.Tests.Metrics;

/// <summary>
/// The five dashboards (issue 10, docs/telemetry.md) on a real server: exact figures for known
/// events, the same after a restart, late events counted and left out, the stage gates' figures
/// matching, and bad queries refused with problem details.
/// </summary>
public sealed class MetricsApiTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    [Invariant("AG-6", "every acknowledged event is counted exactly once in the stored aggregates, across a restart; late ones only as late")]
    public async Task KnownEvents_GiveExactFigures_OnEveryDashboard_AndTheSameAfterARestart()
    {
        await PostAsync(_server);
        await AssertFiguresAsync(_server);

        await _server.StopAsync();
        await _server.StartAgainAsync();
        await AssertFiguresAsync(_server);
    }

    [Fact]
    [Invariant("AG-6", "every acknowledged event is counted exactly once in the stored aggregates, across a restart; late ones only as late")]
    public async Task HourAndDaySteps_SumTheMinutes_AndFiltersNarrowThem()
    {
        await PostAsync(_server);

        var hour = await DashboardAsync(_server, "mode-adoption", "from=2030-01-01T08:00:00Z&to=2030-01-01T09:00:00Z&step=hour");
        Assert.Equal(1, hour.GetProperty("points").GetArrayLength());
        Assert.Equal(5, hour.GetProperty("points")[0].GetProperty("figures").GetProperty("operations").GetInt64());
        var day = await DashboardAsync(_server, "send-latency", "from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z&step=day");
        Assert.Equal(6, day.GetProperty("totals").GetProperty("sends").GetInt64());
        Assert.InRange(day.GetProperty("totals").GetProperty("p50Ms").GetDouble(), 30 * 0.98, 30 * 1.02);

        var w2 = await DashboardAsync(_server, "fallback-rate", $"from={From}&to={To}&workspace=w2");
        Assert.Equal((2L, 2L), (w2.GetProperty("totals").GetProperty("operations").GetInt64(), w2.GetProperty("totals").GetProperty("fallbacks").GetInt64()));
        var tier1 = await DashboardAsync(_server, "mode-adoption", $"from={From}&to={To}&tier=1");
        Assert.Equal(3, tier1.GetProperty("totals").GetProperty("operations").GetInt64());
        var pilot = await DashboardAsync(_server, "mode-adoption", $"from={From}&to={To}&cohort=pilot");
        Assert.Equal(1, pilot.GetProperty("totals").GetProperty("secure").GetInt64());

        // The default range: the hour before the server's now (09:00), by minute.
        var recent = await _server.GetAsync("/api/v1/programs/groups/metrics/divergence");
        Assert.Equal(60, recent.GetProperty("points").GetArrayLength());
        Assert.Equal(7, recent.GetProperty("totals").GetProperty("divergenceCount").GetInt64());
    }

    [Fact]
    [Invariant("AG-3", "an event older than the allowed lateness (or further ahead than the skew) is counted as late, never aggregated; every other is aggregated")]
    public async Task LateAndEarlyEvents_AreCountedAsLate_AndInNoFigure()
    {
        var key = await _server.TokenAsync("sdk");
        var now = _server.Clock.GetUtcNow();
        await _server.PostTelemetryAsync(key, new
        {
            program = "groups",
            instance = "late-1",
            events = new object[]
            {
                new { type = "session-start", at = now.AddMinutes(-9) },  // inside the lateness
                new { type = "session-start", at = now.AddMinutes(-11) }, // beyond it
                new { type = "session-crash", at = now.AddMinutes(-30) }, // beyond it
                new { type = "session-start", at = now.AddMinutes(5) },   // ahead of the 2-minute skew
            },
        }).ExpectAsync(HttpStatusCode.Accepted);

        var view = await DashboardAsync(_server, "crash-free", "from=2030-01-01T08:00:00Z&to=2030-01-01T09:10:00Z");
        Assert.Equal(1, view.GetProperty("totals").GetProperty("sessions").GetInt64());
        Assert.Equal(0, view.GetProperty("totals").GetProperty("crashes").GetInt64());
        Assert.Equal(3, view.GetProperty("late").GetInt64());
        Assert.Equal(4, await _server.Services.GetRequiredService<ITelemetryStore>().CountAsync("groups")); // raw events are all kept
    }

    public static TheoryData<string, HttpStatusCode, string> BadQueries => new()
    {
        { "/api/v1/programs/groups/metrics/nope", HttpStatusCode.NotFound, "no dashboard 'nope'" },
        { "/api/v1/programs/missing/metrics/crash-free", HttpStatusCode.NotFound, "no program 'missing'" },
        { "/api/v1/programs/groups/metrics/crash-free?from=yesterday", HttpStatusCode.BadRequest, "from must be an ISO 8601 time" },
        { "/api/v1/programs/groups/metrics/crash-free?to=2030-13-01T00:00:00Z", HttpStatusCode.BadRequest, "to must be an ISO 8601 time" },
        { "/api/v1/programs/groups/metrics/crash-free?to=9999-12-31T23:59:59Z", HttpStatusCode.BadRequest, "to must be an ISO 8601 time" },
        { "/api/v1/programs/groups/metrics/crash-free?from=2030-01-01T09:00:00Z&to=2030-01-01T09:00:00Z", HttpStatusCode.BadRequest, "must be before to" },
        { "/api/v1/programs/groups/metrics/crash-free?from=2030-01-01T10:00:00Z&to=2030-01-01T09:00:00Z", HttpStatusCode.BadRequest, "must be before to" },
        { "/api/v1/programs/groups/metrics/crash-free?step=week", HttpStatusCode.BadRequest, "step must be minute, hour or day" },
        { "/api/v1/programs/groups/metrics/crash-free?step=1", HttpStatusCode.BadRequest, "step must be minute, hour or day" },
        { "/api/v1/programs/groups/metrics/crash-free?from=2029-12-01T00:00:00Z&to=2030-01-01T00:00:00Z&step=minute", HttpStatusCode.BadRequest, "is more than 1500" },
        { "/api/v1/programs/groups/metrics/crash-free?from=2000-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&step=day", HttpStatusCode.BadRequest, "is more than 1500" },
        { "/api/v1/programs/groups/metrics/mode-adoption?tier=3", HttpStatusCode.BadRequest, "tier must be 0, 1 or 2" },
        { "/api/v1/programs/groups/metrics/mode-adoption?tier=x", HttpStatusCode.BadRequest, "tier must be 0, 1 or 2" },
        { "/api/v1/programs/groups/metrics/mode-adoption?tier=-1", HttpStatusCode.BadRequest, "tier must be 0, 1 or 2" },
        { "/api/v1/programs/groups/metrics/fallback-rate?workspace=", HttpStatusCode.BadRequest, "workspace must be" },
        // A cohort no event carries is no error: the dashboard is simply empty.
        { "/api/v1/programs/groups/metrics/fallback-rate?cohort=no-such-cohort", HttpStatusCode.OK, "" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    [Invariant("AG-7", "a bad metrics query is refused with problem details (400/404), never a 500, and changes nothing")]
    public async Task BadQueries_AreRefusedWithProblemDetails_AndChangeNothing(string path, HttpStatusCode status, string detail)
    {
        await PostAsync(_server);
        using var response = await _server.SendAsync(HttpMethod.Get, path);
        if (status == HttpStatusCode.OK)
        {
            Assert.Equal(status, response.StatusCode);
        }
        else
        {
            var problem = await ApiAssert.ProblemAsync(response, status);
            Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        await AssertFiguresAsync(_server);
    }

    [Fact]
    [Invariant("AG-7", "a bad metrics query is refused with problem details (400/404), never a 500, and changes nothing")]
    public async Task Dashboards_AreForPeople_NotSdkKeys()
    {
        using var sdk = await _server.SendAsync(HttpMethod.Get, "/api/v1/programs/groups/metrics/crash-free", await _server.TokenAsync("sdk"));
        Assert.Equal(HttpStatusCode.Forbidden, sdk.StatusCode);
        using var viewer = await _server.SendAsync(HttpMethod.Get, "/api/v1/programs/groups/metrics/crash-free", await _server.TokenAsync("viewer"));
        Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);
    }

    [Fact]
    [Invariant("AG-8", "aggregate buckets are deleted after their resolution's retention; the others stay")]
    public async Task Retention_DeletesMinuteBuckets_AfterTheirRetention_AndKeepsHoursAndDays()
    {
        await PostAsync(_server);
        _server.Clock.Advance(TimeSpan.FromDays(15));
        await _server.Services.GetRequiredService<TelemetryCapacity>().PruneAsync(CancellationToken.None);

        var minutes = await DashboardAsync(_server, "mode-adoption", $"from={From}&to={To}&step=minute");
        Assert.Equal(0, minutes.GetProperty("totals").GetProperty("operations").GetInt64());
        var hours = await DashboardAsync(_server, "mode-adoption", "from=2030-01-01T08:00:00Z&to=2030-01-01T09:00:00Z&step=hour");
        Assert.Equal(5, hours.GetProperty("totals").GetProperty("operations").GetInt64());
        var days = await DashboardAsync(_server, "mode-adoption", "from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z&step=day");
        Assert.Equal(5, days.GetProperty("totals").GetProperty("operations").GetInt64());
    }
}

/// <summary>The same scenario on PostgreSQL: the aggregate migrations, upserts and reads of the other dialect.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMetricsTests(PostgresCluster cluster)
{
    [Fact]
    [Invariant("AG-6", "every acknowledged event is counted exactly once in the stored aggregates, across a restart; late ones only as late")]
    public async Task KnownEvents_GiveExactFigures_OnPostgres_AndTheSameOnANewNode()
    {
        cluster.RequireRunning();
        var connectionString = await cluster.FreshSchemaAsync(nameof(PostgresMetricsTests));
        await using (var server = await RipcordTestServer.StartAsync(connectionString))
        {
            await PostAsync(server);
            await AssertFiguresAsync(server);
        }
        await using (var again = await RipcordTestServer.StartAsync(connectionString))
        {
            await AssertFiguresAsync(again);
        }
    }
}
