using System.Data.Common;

namespace Ripcord.Server.Storage;

/// <summary>
/// One write transaction holding its database's write lock. Stores add their rows to it; nothing
/// is visible until <see cref="CommitAsync"/>, and disposing an uncommitted session rolls every
/// row back — so a revision, its events, its audit row and any workflow rows are stored together
/// or not at all.
/// </summary>
public sealed class WriteSession : IAsyncDisposable
{
    private readonly IWriteObserver? _observer;
    private bool _committed;
    private List<Action>? _onCommitted;

    internal WriteSession(SqlDatabase database, DbConnection connection, DbTransaction transaction, IWriteObserver? observer)
    {
        Database = database;
        Connection = connection;
        Transaction = transaction;
        _observer = observer;
    }

    public SqlDatabase Database { get; }
    public DbConnection Connection { get; }
    public DbTransaction Transaction { get; }

    public Task<int> ExecAsync(string sql, CancellationToken ct, params (string, object?)[] args) =>
        Sql.ExecAsync(Connection, Transaction, sql, ct, args);

    public Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string, object?)[] args) =>
        Sql.QueryAsync(Connection, Transaction, sql, map, ct, args);

    public async Task<object?> ScalarAsync(string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Sql.Command(Connection, Transaction, sql, args);
        return await cmd.ExecuteScalarAsync(ct);
    }

    /// <summary>Marks a step of a write, so a test can fail it there (see <see cref="IWriteObserver"/>).</summary>
    public ValueTask StepAsync(WriteStep step, CancellationToken ct) => _observer?.OnStepAsync(step, ct) ?? ValueTask.CompletedTask;

    /// <summary>
    /// Runs <paramref name="action"/> once the transaction has committed, never if it rolls back: for
    /// telling someone about rows they can only read after the commit (the webhook dispatcher).
    /// </summary>
    public void OnCommitted(Action action) => (_onCommitted ??= []).Add(action);

    public async Task CommitAsync(CancellationToken ct)
    {
        await StepAsync(WriteStep.BeforeCommit, ct);
        await Transaction.CommitAsync(ct);
        _committed = true;
        _onCommitted?.ForEach(action => action());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            try
            {
                await Transaction.RollbackAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException)
            {
                // The connection is gone (or the transaction already ended): nothing was committed either way.
            }
        }
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

/// <summary>The points of a write where a failure must leave nothing behind.</summary>
public enum WriteStep
{
    AfterRevision,
    AfterEvents,
    AfterAudit,
    AfterWorkflow,
    BeforeCommit,
}

/// <summary>
/// Sees each step of every write. The server registers none; tests register one that throws at a
/// chosen step to prove the transaction leaves neither revision nor audit nor workflow rows.
/// </summary>
public interface IWriteObserver
{
    ValueTask OnStepAsync(WriteStep step, CancellationToken ct);
}
