using System.Net;
using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Alerts;

/// <summary>Alerts on PostgreSQL (migration 0007's tables and its one-firing-alert index): fire, acknowledge, resolve, fire anew.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAlertTests(PostgresCluster cluster)
{
    [Fact]
    [Invariant("AL-2", "an alert fires at most once per breach: while the breach holds, the same alert stays open")]
    [Invariant("AL-3", "a firing alert resolves only on a clean observation a whole window after its last breach")]
    public async Task An_alert_fires_is_acknowledged_resolves_and_a_new_breach_is_a_new_alert()
    {
        cluster.RequireRunning();
        await using var server = await AlertHarness.StartAsync(await cluster.FreshSchemaAsync(nameof(PostgresAlertTests)));

        await server.PostSecuritySignalAsync();
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.PassAsync();
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.PassAsync(); // the breach holds: the same alert
        var first = Assert.Single(await server.AlertsAsync());
        var id = first.GetProperty("id").GetString();
        Assert.NotNull(first.GetProperty("incidentId").GetString());

        var acked = await server.OkAsync(HttpMethod.Post, $"{AlertHarness.AlertsPath}/{id}/ack", new { reason = "on it" });
        Assert.Equal("on it", acked.GetProperty("acknowledgeReason").GetString());
        using (var again = await server.SendAsync(HttpMethod.Post, $"{AlertHarness.AlertsPath}/{id}/ack", json: new { reason = "again" }))
        {
            await ApiAssert.ProblemAsync(again, HttpStatusCode.Conflict);
        }

        server.Clock.Advance(TimeSpan.FromMinutes(6));
        await server.PassAsync();
        Assert.Equal("resolved", Assert.Single(await server.AlertsAsync()).GetProperty("status").GetString());

        await server.PostSecuritySignalAsync();
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.PassAsync();
        var alerts = await server.AlertsAsync();
        Assert.Equal(["firing", "resolved"], alerts.Select(a => a.GetProperty("status").GetString()));
        Assert.Equal(id, alerts[1].GetProperty("id").GetString());
        Assert.Equal("on it", alerts[1].GetProperty("acknowledgeReason").GetString());
    }
}
