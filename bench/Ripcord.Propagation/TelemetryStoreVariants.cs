using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;

namespace Ripcord.Propagation;

/// <summary>
/// Harness-only replacements for the server's <see cref="ITelemetryStore"/>, registered after
/// the server's own (the last registration wins) to measure how much of the propagation
/// latency is the telemetry ingest path. Nothing in src/ changes.
/// <list type="bullet">
/// <item><c>sqlite</c>: as shipped — one BEGIN IMMEDIATE + synchronous=FULL commit per POST.</item>
/// <item><c>group-commit</c>: the suggested fix — POSTs still return only once durable, but every
/// batch that arrives while a commit is in flight shares the next transaction (one fsync).</item>
/// <item><c>discard</c>: upper bound — telemetry is accepted and dropped.</item>
/// </list>
/// </summary>
public static class TelemetryStoreVariants
{
    public static readonly string[] Names = ["sqlite", "group-commit", "discard"];

    public static void Register(WebApplicationBuilder builder, string variant)
    {
        switch (variant)
        {
            case "group-commit":
                builder.Services.AddSingleton<ITelemetryStore>(sp => new GroupCommitTelemetryStore(new TelemetryStore(sp.GetRequiredService<Databases>(), sp.GetRequiredService<TelemetryAggregation>())));
                break;
            case "discard":
                builder.Services.AddSingleton<ITelemetryStore>(sp => new DiscardTelemetryStore(new TelemetryStore(sp.GetRequiredService<Databases>(), sp.GetRequiredService<TelemetryAggregation>())));
                break;
        }
    }
}

public sealed class DiscardTelemetryStore(ITelemetryStore inner) : ITelemetryStore
{
    public Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default) => Task.CompletedTask;
    public Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default) => inner.CountAsync(program, type, ct);
    public Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default) => inner.ReadAsync(program, limit, ct);
}

/// <summary>Group commit: one writer; callers wait for the transaction that holds their batch.</summary>
public sealed class GroupCommitTelemetryStore : ITelemetryStore, IDisposable
{
    private readonly ITelemetryStore _inner;
    private readonly Channel<(IReadOnlyList<TelemetryRecord> Batch, TaskCompletionSource Done)> _queue =
        Channel.CreateUnbounded<(IReadOnlyList<TelemetryRecord>, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;

    public GroupCommitTelemetryStore(ITelemetryStore inner)
    {
        _inner = inner;
        _writer = Task.Run(WriteLoopAsync);
    }

    public Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite((batch, done)) ? done.Task.WaitAsync(ct) : Task.FromException(new ObjectDisposedException(nameof(GroupCommitTelemetryStore)));
    }

    private async Task WriteLoopAsync()
    {
        var pending = new List<(IReadOnlyList<TelemetryRecord> Batch, TaskCompletionSource Done)>();
        var records = new List<TelemetryRecord>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stop.Token))
            {
                pending.Clear();
                records.Clear();
                while (records.Count < 5000 && _queue.Reader.TryRead(out var item))
                {
                    pending.Add(item);
                    records.AddRange(item.Batch);
                }
                try
                {
                    await _inner.AppendAsync(records, _stop.Token);
                    foreach (var p in pending)
                    {
                        p.Done.TrySetResult();
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    foreach (var p in pending)
                    {
                        p.Done.TrySetException(ex);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default) => _inner.CountAsync(program, type, ct);
    public Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default) => _inner.ReadAsync(program, limit, ct);

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stop.Cancel();
        try
        {
            _writer.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
