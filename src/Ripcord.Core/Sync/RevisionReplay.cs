using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Sync;

/// <summary>
/// Rebuilds a stored revision: the nearest full state at or before it (a checkpoint), then the
/// deltas after it, in order. Revisions are stored as deltas so a write costs what changed; this
/// is how any one of them is read back exactly.
/// </summary>
public static class RevisionReplay
{
    /// <summary>
    /// The state after applying <paramref name="deltas"/> (consecutive, starting right after
    /// <paramref name="checkpointRevision"/>) to <paramref name="checkpoint"/>. The final digest is
    /// checked against the last delta's; a gap, a delta that does not apply, or a digest mismatch
    /// throws <see cref="InvalidDataException"/>: a stored revision is never silently approximated.
    /// </summary>
    public static ProgramState Rebuild(ProgramState checkpoint, long checkpointRevision, IEnumerable<StateDelta> deltas)
    {
        var state = checkpoint;
        var revision = checkpointRevision;
        StateDelta? last = null;
        foreach (var delta in deltas)
        {
            if (delta.FromRevision != revision || delta.ToRevision != revision + 1)
            {
                throw new InvalidDataException(
                    $"revision chain of '{checkpoint.Program}' is broken: expected a delta from {revision}, found {delta.FromRevision} → {delta.ToRevision}");
            }
            state = StateSync.ApplyUnverified(state, delta)
                ?? throw new InvalidDataException($"the delta to revision {delta.ToRevision} of '{checkpoint.Program}' does not apply");
            revision = delta.ToRevision;
            last = delta;
        }
        if (last is not null && !string.Equals(StateSync.Digest(state), last.Digest, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"revision {revision} of '{checkpoint.Program}' rebuilt to a different state than was stored (digest mismatch)");
        }
        return state;
    }
}
