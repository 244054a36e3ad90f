using System.Collections.Immutable;
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
        // Overrides are most of a state and most deltas add or remove one: keep them in a mutable list
        // for the whole replay instead of building a new array per delta.
        var overrides = new OverrideList(checkpoint.Overrides);
        foreach (var delta in deltas)
        {
            if (delta.FromRevision != revision || delta.ToRevision != revision + 1)
            {
                throw new InvalidDataException(
                    $"revision chain of '{checkpoint.Program}' is broken: expected a delta from {revision}, found {delta.FromRevision} → {delta.ToRevision}");
            }
            var reordered = delta.OverrideOrder is not null;
            if (reordered)
            {
                state = state with { Overrides = overrides.ToImmutable() };
            }
            state = StateSync.ApplyUnverified(state, delta, overrides: reordered)
                ?? throw new InvalidDataException($"the delta to revision {delta.ToRevision} of '{checkpoint.Program}' does not apply");
            if (reordered)
            {
                overrides = new OverrideList(state.Overrides);
            }
            else
            {
                overrides.Apply(delta.OverridesRemoved, delta.OverridesAdded);
            }
            revision = delta.ToRevision;
            last = delta;
        }
        state = state with { Overrides = overrides.ToImmutable() };
        if (last is not null && !string.Equals(StateSync.Digest(state), last.Digest, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"revision {revision} of '{checkpoint.Program}' rebuilt to a different state than was stored (digest mismatch)");
        }
        return state;
    }

    /// <summary>Overrides in order, with removal by id in constant time (a hole, compacted at the end).</summary>
    private sealed class OverrideList
    {
        private readonly List<FlagOverride?> _items;
        private readonly Dictionary<string, int> _at = new(StringComparer.Ordinal);

        public OverrideList(ImmutableArray<FlagOverride> initial)
        {
            _items = new List<FlagOverride?>(initial.Length + 16);
            foreach (var o in initial)
            {
                _at[o.Id] = _items.Count;
                _items.Add(o);
            }
        }

        public void Apply(ImmutableArray<string> removed, ImmutableArray<FlagOverride> added)
        {
            foreach (var id in removed)
            {
                if (_at.Remove(id, out var at))
                {
                    _items[at] = null;
                }
            }
            foreach (var o in added)
            {
                _at[o.Id] = _items.Count;
                _items.Add(o);
            }
        }

        public ImmutableArray<FlagOverride> ToImmutable() => [.. _items.Where(o => o is not null)!];
    }
}
