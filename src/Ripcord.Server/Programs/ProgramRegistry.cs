using System.Collections.Concurrent;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;
using Ripcord.Server.Revisions;

namespace Ripcord.Server.Programs;

/// <summary>A newly published revision: compiled for evaluation, with the delta from the one before when known.</summary>
public sealed record PublishedRevision(CompiledProgram Compiled, StateDelta? Delta);

/// <summary>
/// Every program's head revision, compiled for evaluation and kept in memory: reads never touch
/// storage, and the writer applies commands to this state instead of re-reading it. Writes
/// publish here; a background refresh catches up with revisions other nodes sharing the same
/// PostgreSQL wrote, replaying only their deltas.
/// </summary>
public sealed class ProgramRegistry(IRevisionStore store, RevisionLog log)
{
    private readonly ConcurrentDictionary<string, CompiledProgram> _programs = new(StringComparer.Ordinal);

    /// <summary>Raised after a newer revision of a program is published (for streaming to SDKs).</summary>
    public event Action<PublishedRevision>? Published;

    public IEnumerable<CompiledProgram> All => _programs.Values.OrderBy(p => p.Program, StringComparer.Ordinal);

    public bool TryGet(string program, out CompiledProgram compiled) => _programs.TryGetValue(program, out compiled!);

    public void Publish(CompiledProgram compiled, StateDelta? delta = null)
    {
        var published = _programs.AddOrUpdate(compiled.Program, compiled,
            (_, existing) => existing.Revision >= compiled.Revision ? existing : compiled);
        if (ReferenceEquals(published, compiled))
        {
            Published?.Invoke(new PublishedRevision(compiled, delta?.ToRevision == compiled.Revision ? delta : null));
        }
    }

    /// <summary>Loads any program whose stored head is newer than what is in memory.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        foreach (var (program, head) in await store.HeadsAsync(ct))
        {
            await CatchUpAsync(program, head, null, ct);
        }
    }

    /// <summary>
    /// Brings the program in memory to <paramref name="head"/> (read in <paramref name="session"/> when
    /// a writer holds the lock) and returns it; null when the program has no revisions.
    /// </summary>
    public async Task<CompiledProgram?> CatchUpAsync(string program, long head, Storage.WriteSession? session, CancellationToken ct)
    {
        _programs.TryGetValue(program, out var current);
        if (head == 0 || (current is not null && current.Revision >= head))
        {
            return current;
        }
        var state = await log.StateAtAsync(program, head, ct, current is null ? null : (current.State, current.Revision), session)
            ?? throw new InvalidDataException($"program '{program}' has no readable revision {head}");
        var compiled = CompiledProgram.Compile(state, head, current);
        Publish(compiled);
        return _programs[program];
    }
}
