using System.Collections.Concurrent;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Revisions;
using Ripcord.Server.Storage;
using Ripcord.Server.Webhooks;

namespace Ripcord.Server.Programs;

/// <summary>What a write stored: its revision number and what the command did.</summary>
public sealed record WriteResult(string Program, long Revision, ProgramChange Change)
{
    /// <summary>The state the change was applied to (null for a program's first revision).</summary>
    public ProgramState? Before { get; init; }

    /// <summary>
    /// The command changed nothing (the stage it already has, a cohort or override as it already is): no revision,
    /// no audit row, no SDK frame was written, and <see cref="Revision"/> is the current one.
    /// </summary>
    public bool Unchanged { get; init; }
}

/// <summary>Rows a workflow adds to a configuration write (an incident entry, a review), stored in the same transaction.</summary>
public delegate Task WorkflowRows(WriteSession session, WriteResult result, CancellationToken ct);

/// <summary>The program has no such name.</summary>
public sealed class UnknownProgramException(string program) : Exception($"no program '{program}'")
{
    public string Program { get; } = program;
}

/// <summary>
/// The one write path for program configuration. For a command and an actor it takes the write
/// lock, reads the head (catching up with revisions another node committed), checks If-Match,
/// applies the command purely (<see cref="ProgramChanges.Apply"/>), and stores the revision (a
/// delta, sometimes also a checkpoint), its domain events, its audit row and any workflow rows in
/// one transaction; only then does it publish the new head. A write without If-Match is applied
/// to whatever the head is once the lock is held, so it never fails because another node wrote
/// first; a write with a stale If-Match gets <see cref="RevisionConflictException"/> (409).
/// </summary>
public sealed class ProgramWriter(Databases databases, IRevisionStore revisions, IAuditLog audit, ProgramRegistry registry, TimeProvider clock,
    WebhookOutbox webhooks)
{
    /// <summary>However small the state, a checkpoint at least every this many revisions bounds a rebuild's replay.</summary>
    public const int MaxDeltasBetweenCheckpoints = 1000;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CheckpointTrack> _tracks = new(StringComparer.Ordinal);

    /// <summary>
    /// What replaying from the last checkpoint costs, as of revision <see cref="Head"/>: the checkpoint's
    /// size, and the size and number of the deltas after it.
    /// </summary>
    private sealed record CheckpointTrack(long Head, long StateBytes, long DeltaBytes, long Deltas);

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>
    /// What <paramref name="command"/> would do to the program as it is now, without writing anything:
    /// the change (state, events) against the current head. For "say what a change will do before doing it".
    /// </summary>
    public (ProgramState? Current, long Head, ProgramChange Change) Preview(string program, ProgramCommand command)
    {
        var current = registry.TryGet(program, out var compiled) ? compiled : null;
        if (current is null && command is not ApplyDefinition)
        {
            throw new UnknownProgramException(program);
        }
        return (current?.State, current?.Revision ?? 0, ProgramChanges.Apply(current?.State, command, SqlDatabase.Storable(clock.GetUtcNow())));
    }

    public async Task<WriteResult> ExecuteAsync(string program, ProgramCommand command, Actor actor, long? ifMatch,
        CancellationToken ct, WorkflowRows? workflow = null)
    {
        var gate = _locks.GetOrAdd(program, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            await using var session = await databases.Config.BeginWriteAsync(ct);
            var head = await revisions.HeadAsync(session, program, ct);
            var current = await registry.CatchUpAsync(program, head, session, ct);
            if (current is null && command is not ApplyDefinition)
            {
                throw new UnknownProgramException(program);
            }
            if (ifMatch is long expected && expected != head)
            {
                throw new RevisionConflictException(program, expected, head);
            }
            var now = SqlDatabase.Storable(clock.GetUtcNow());
            var change = ProgramChanges.Apply(current?.State, command, now);
            if (ProgramChanges.IsNoOp(current?.State, change))
            {
                // Nothing to write: the session ends without a commit.
                return new WriteResult(program, head, change) { Before = current!.State, Unchanged = true };
            }
            var result = new WriteResult(program, head + 1, change) { Before = current?.State };

            var delta = current is null ? null : StateSync.Compute(current.State, head, change.State, result.Revision);
            await revisions.AppendAsync(session, await RowAsync(session, result, delta, actor, command, now, ct), ct);
            await session.StepAsync(WriteStep.AfterRevision, ct);
            await revisions.AppendEventsAsync(session, [.. change.Events.Select((e, i) => new StoredEvent(program, result.Revision, i,
                e.TypeName, JsonSerializer.Serialize(e, CoreJson.Options)))], ct);
            // Webhook deliveries (kill switches) commit or roll back with the change they announce.
            await webhooks.EnqueueChangeAsync(session, program, result.Revision, change.Events, now, ct);
            await session.StepAsync(WriteStep.AfterEvents, ct);
            await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, change.Audit.Action,
                change.Audit.Target, Json(change.Audit.Before), Json(change.Audit.After)), ct);
            await session.StepAsync(WriteStep.AfterAudit, ct);
            if (workflow is not null)
            {
                await workflow(session, result, ct);
            }
            await session.StepAsync(WriteStep.AfterWorkflow, ct);
            await session.CommitAsync(ct);

            registry.Publish(CompiledProgram.Compile(change.State, result.Revision, current), delta);
            return result;
        }
        catch
        {
            // Whatever was counted toward the next checkpoint for a write that did not commit is re-read next time.
            _tracks.TryRemove(program, out _);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The revision row: the delta always (but for a program's first revision), and the whole state
    /// too when replaying the deltas since the last checkpoint would cost more than reading a new one.
    /// </summary>
    private async Task<RevisionRow> RowAsync(WriteSession session, WriteResult result, StateDelta? delta, Actor actor,
        ProgramCommand command, DateTimeOffset now, CancellationToken ct)
    {
        var program = result.Program;
        var previous = result.Revision - 1;
        var deltaJson = delta is null ? null : RevisionLog.SerializeDelta(delta);
        CheckpointTrack? track = null;
        if (delta is not null && (!_tracks.TryGetValue(program, out track) || track.Head != previous))
        {
            // First write of this program in this process, or another node wrote since: count from storage.
            track = await ReadTrackAsync(session, program, previous, ct);
        }
        string? stateJson = null;
        if (track is null || track.DeltaBytes + deltaJson!.Length >= track.StateBytes || track.Deltas + 1 >= MaxDeltasBetweenCheckpoints)
        {
            stateJson = RevisionLog.SerializeState(result.Change.State);
            _tracks[program] = new CheckpointTrack(result.Revision, stateJson.Length, 0, 0);
        }
        else
        {
            _tracks[program] = new CheckpointTrack(result.Revision, track.StateBytes, track.DeltaBytes + deltaJson.Length, track.Deltas + 1);
        }
        return new RevisionRow(program, result.Revision, now, actor.Principal.Id, actor.Name, result.Change.Audit.Summary, command.Name,
            deltaJson, stateJson, delta?.Digest ?? StateSync.Digest(result.Change.State));
    }

    private async Task<CheckpointTrack?> ReadTrackAsync(WriteSession session, string program, long head, CancellationToken ct)
    {
        var checkpoint = await revisions.CheckpointAsync(program, head, ct, session);
        if (checkpoint is null)
        {
            return null;
        }
        var chain = await revisions.ChainAsync(program, checkpoint.Revision, head, ct, session);
        return new CheckpointTrack(head, checkpoint.StateJson!.Length, chain.Sum(r => (long)(r.DeltaJson?.Length ?? 0)), chain.Count);
    }

    private static string? Json(object? value) => value is null ? null : JsonSerializer.Serialize(value, CoreJson.Options);
}
