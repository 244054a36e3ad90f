using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;
using static Ripcord.Server.Tests.Metrics.MetricsScenario;

namespace Ripcord.Server.Tests.Metrics;

/// <summary>
/// Ingest stores batches marked unaggregated and adds them to the buckets later, a second's worth at a
/// time (TelemetryAggregation). Whatever happens between the two — a crash that loses the node's memory,
/// another node's recovery reaching the same batches first — each acknowledged batch is counted once.
/// </summary>
public sealed class DeferredAggregationTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private TelemetryAggregation Aggregation => _server.Services.GetRequiredService<TelemetryAggregation>();

    private async Task<long> UnaggregatedAsync() => Convert.ToInt64(
        await _server.Services.GetRequiredService<Databases>().Telemetry.ScalarAsync("SELECT COUNT(*) FROM telemetry_unaggregated", CancellationToken.None),
        System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    [Invariant("AG-6", "every acknowledged event is counted exactly once in the stored aggregates, across a restart; late ones only as late")]
    public async Task BatchesACrashLeftUncounted_AreCountedOnTheNextStart_Once()
    {
        await PostAsync(_server);
        Assert.Equal(1, Aggregation.Pending);
        Assert.Equal(1, await UnaggregatedAsync());

        // What a kill -9 loses: the node's memory of the stored batch. The mark in the store stays.
        Aggregation.Abandon();
        await _server.StopAsync();
        await _server.StartAgainAsync();

        await AssertFiguresAsync(_server);
        Assert.Equal(0, await UnaggregatedAsync());
        // Counted by the recovery, not again by anything else.
        await _server.StopAsync();
        await _server.StartAgainAsync();
        await AssertFiguresAsync(_server);
    }

    [Fact]
    [Invariant("AG-6", "every acknowledged event is counted exactly once in the stored aggregates, across a restart; late ones only as late")]
    public async Task ABatchRecoveredByAnotherNodeFirst_IsNotCountedAgainByTheNodeThatStoredIt()
    {
        await PostAsync(_server);
        // Another node's recovery reaches the batch before this node's flush (as after a long stall):
        // it deletes the mark and counts the batch from the stored payload.
        Assert.Equal(1, await Aggregation.RecoverAsync(DateTimeOffset.MaxValue, CancellationToken.None));
        Assert.Equal(0, await UnaggregatedAsync());

        // This node's flush finds the mark gone and adds nothing: the figures are the scenario's, not twice them.
        await AssertFiguresAsync(_server);
        Assert.Equal(0, Aggregation.Pending);
    }

    [Fact]
    [Invariant("AG-6", "every acknowledged event is counted exactly once in the stored aggregates, across a restart; late ones only as late")]
    public async Task ReadsFlushFirst_SoANodeShowsEverythingItAcknowledged()
    {
        await PostAsync(_server);
        await AssertFiguresAsync(_server);
        Assert.Equal(0, Aggregation.Pending);
        Assert.Equal(0, await UnaggregatedAsync());
    }
}
