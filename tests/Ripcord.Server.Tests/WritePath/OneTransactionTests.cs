using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.WritePath;

/// <summary>
/// The one write path commits a revision, its domain events, its audit row and the caller's
/// workflow rows in one transaction: a failure at any step after the revision insert leaves none
/// of them, the head in memory does not move, and the next write takes the very next number.
/// </summary>
public sealed class OneTransactionTests : IAsyncLifetime
{
    private readonly FailingStep _faults = new();
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync(configure: b => b.Services.AddSingleton<IWriteObserver>(_faults));
        // A workflow table of the test's own, standing in for the incident and review rows to come.
        await ExecAsync("CREATE TABLE test_workflow (program TEXT NOT NULL, revision BIGINT NOT NULL, note TEXT NOT NULL)");
    }

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private sealed class FailingStep : IWriteObserver
    {
        public WriteStep? FailAt { get; set; }

        public ValueTask OnStepAsync(WriteStep step, CancellationToken ct) =>
            step == FailAt ? throw new InvalidOperationException($"injected failure at {step}") : ValueTask.CompletedTask;
    }

    private async Task ExecAsync(string sql)
    {
        await using var c = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, Databases.ConfigFile)};Pooling=false");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var c = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, Databases.ConfigFile)};Pooling=false");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task<(long Revisions, long Events, long Audit, long Workflow)> RowsAsync() => (
        await CountAsync("SELECT COUNT(*) FROM revisions"), await CountAsync("SELECT COUNT(*) FROM events"),
        await CountAsync("SELECT COUNT(*) FROM audit"), await CountAsync("SELECT COUNT(*) FROM test_workflow"));

    private Task<WriteResult> WriteAsync(string workspace)
    {
        var writer = _server.Services.GetRequiredService<ProgramWriter>();
        var actor = new Actor(new Principal("prn_test", "test operator"), Role.Operator, "tok_test");
        return writer.ExecuteAsync("groups",
            new SetOverride("ovr_" + workspace, "F3", "workspace:" + workspace, true, "one transaction", null, actor.Principal), actor, null,
            CancellationToken.None,
            async (session, result, ct) => await session.ExecAsync("INSERT INTO test_workflow (program, revision, note) VALUES (@p, @r, 'entry')", ct,
                ("@p", result.Program), ("@r", result.Revision)));
    }

    [Theory]
    [InlineData(WriteStep.AfterRevision)]
    [InlineData(WriteStep.AfterEvents)]
    [InlineData(WriteStep.AfterAudit)]
    [InlineData(WriteStep.AfterWorkflow)]
    [InlineData(WriteStep.BeforeCommit)]
    public async Task AFailureAfterTheRevisionInsert_LeavesNoRevisionNoEventsNoAuditNoWorkflowRow(WriteStep step)
    {
        var head = await _server.HeadAsync();
        var before = await RowsAsync();

        _faults.FailAt = step;
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAsync("w-failing"));
        Assert.Contains(step.ToString(), failure.Message, StringComparison.Ordinal);
        _faults.FailAt = null;

        Assert.Equal(before, await RowsAsync());
        Assert.Equal(head, await _server.HeadAsync());
        Assert.DoesNotContain((await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray(),
            o => o.GetProperty("scope").GetString() == "workspace:w-failing");

        // The next write takes the very next revision and stores all four kinds of row.
        var result = await WriteAsync("w-next");
        Assert.Equal(head + 1, result.Revision);
        var after = await RowsAsync();
        Assert.Equal((before.Revisions + 1, before.Events + 1, before.Audit + 1, before.Workflow + 1), after);
        Assert.True((await _server.GetAsync("/api/v1/audit/verify")).GetProperty("ok").GetBoolean());
    }
}
