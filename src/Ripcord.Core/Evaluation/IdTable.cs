using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Ripcord.Core.Evaluation;

/// <summary>
/// Workspace or user ids → what each one touches. A full compile freezes every entry into one
/// dictionary; a revision that changes a few overrides adds the changed entries to a small overlay
/// on top of the previous frozen base instead of re-freezing thousands, and the overlay is folded
/// into a new base once it grows past a small fraction of the table — so a write's compile costs
/// what it changed, and a lookup costs one extra small-dictionary probe at most.
/// </summary>
internal sealed class IdTable
{
    /// <summary>The overlay is folded into a fresh frozen base past this many ids, or past 1/32 of the table.</summary>
    internal const int MinOverlayBeforeCompaction = 64;

    public static readonly IdTable Empty = new(FrozenDictionary<string, IdEntry>.Empty, null, 0);

    private readonly FrozenDictionary<string, IdEntry> _base;
    // A null entry: the id was in the base and is not any more.
    private readonly Dictionary<string, IdEntry?>? _overlay;

    private IdTable(FrozenDictionary<string, IdEntry> frozen, Dictionary<string, IdEntry?>? overlay, int count)
    {
        _base = frozen;
        _overlay = overlay;
        Count = count;
    }

    public static IdTable Build(Dictionary<string, IdEntry> entries) =>
        entries.Count == 0 ? Empty : new(entries.ToFrozenDictionary(StringComparer.Ordinal), null, entries.Count);

    /// <summary>How many ids have an entry.</summary>
    public int Count { get; }

    /// <summary>Ids changed since the base was frozen (0 after a full compile or a compaction).</summary>
    public int OverlayCount => _overlay?.Count ?? 0;

    public bool TryGetValue(string id, [MaybeNullWhen(false)] out IdEntry entry)
    {
        if (_overlay is not null && _overlay.TryGetValue(id, out var changed))
        {
            entry = changed!;
            return changed is not null;
        }
        return _base.TryGetValue(id, out entry);
    }

    /// <summary>This table with some ids' entries replaced (null: removed).</summary>
    public IdTable With(IReadOnlyDictionary<string, IdEntry?> changes)
    {
        if (changes.Count == 0)
        {
            return this;
        }
        var overlay = _overlay is null ? new Dictionary<string, IdEntry?>(changes.Count, StringComparer.Ordinal) : new(_overlay, StringComparer.Ordinal);
        var count = Count;
        foreach (var (id, entry) in changes)
        {
            count += (entry is null ? 0 : 1) - (TryGetValue(id, out _) ? 1 : 0);
            if (entry is null && !_base.ContainsKey(id))
            {
                overlay.Remove(id);
            }
            else
            {
                overlay[id] = entry;
            }
        }
        if (overlay.Count > Math.Max(MinOverlayBeforeCompaction, count / 32))
        {
            var merged = new Dictionary<string, IdEntry>(count, StringComparer.Ordinal);
            foreach (var (id, entry) in _base)
            {
                if (!overlay.ContainsKey(id))
                {
                    merged[id] = entry;
                }
            }
            foreach (var (id, entry) in overlay)
            {
                if (entry is not null)
                {
                    merged[id] = entry;
                }
            }
            return Build(merged);
        }
        return new IdTable(_base, overlay, count);
    }
}

/// <summary>What one workspace or user id touches: its overrides (sorted by flag index) and the cohorts its id alone decides — explicit lists, and percentages for a workspace — as a bitset.</summary>
internal sealed class IdEntry(int[] flags, OverrideEntry[] overrides, ulong[] cohorts)
{
    public OverrideEntry? Override(int flag)
    {
        var at = Array.BinarySearch(flags, flag);
        return at >= 0 ? overrides[at] : null;
    }

    public bool InCohort(int cohort) => (cohorts[cohort >> 6] & (1UL << (cohort & 63))) != 0;

    /// <summary>This entry with <paramref name="entry"/> as its override of <paramref name="flag"/> (replacing any).</summary>
    public IdEntry WithOverride(int flag, OverrideEntry entry)
    {
        var at = Array.BinarySearch(flags, flag);
        if (at >= 0)
        {
            var replaced = (OverrideEntry[])overrides.Clone();
            replaced[at] = entry;
            return new IdEntry(flags, replaced, cohorts);
        }
        at = ~at;
        return new IdEntry([.. flags[..at], flag, .. flags[at..]], [.. overrides[..at], entry, .. overrides[at..]], cohorts);
    }

    /// <summary>This entry without the override <paramref name="id"/> of <paramref name="flag"/>; itself when that is not the one it holds.</summary>
    public IdEntry WithoutOverride(int flag, string id)
    {
        var at = Array.BinarySearch(flags, flag);
        if (at < 0 || !string.Equals(overrides[at].Id, id, StringComparison.Ordinal))
        {
            return this;
        }
        return new IdEntry([.. flags[..at], .. flags[(at + 1)..]], [.. overrides[..at], .. overrides[(at + 1)..]], cohorts);
    }

    /// <summary>An id no cohort list names and no override touches yet: only its percentage memberships, decided now.</summary>
    public static IdEntry ForNewWorkspace(string workspace, CompiledCohort[] cohorts)
    {
        var bits = new ulong[(cohorts.Length + 63) / 64];
        for (var c = 0; c < cohorts.Length; c++)
        {
            if (cohorts[c].Kind == Definitions.CohortKind.Percentage && cohorts[c].ContainsWorkspace(workspace))
            {
                bits[c >> 6] |= 1UL << (c & 63);
            }
        }
        return new IdEntry([], [], bits);
    }

    public static IdEntry ForNewUser(int cohortCount) => new([], [], new ulong[(cohortCount + 63) / 64]);

    internal sealed class Builder(int cohortCount)
    {
        private readonly ulong[] _cohorts = new ulong[(cohortCount + 63) / 64];
        private List<(int Flag, int Order, OverrideEntry Entry)>? _overrides;

        public void AddCohort(int cohort) => _cohorts[cohort >> 6] |= 1UL << (cohort & 63);

        /// <summary>Sets this id's override of a flag; a later one for the same flag replaces it.</summary>
        public void SetOverride(int flag, OverrideEntry entry)
        {
            _overrides ??= [];
            _overrides.Add((flag, _overrides.Count, entry));
        }

        public IdEntry Build()
        {
            if (_overrides is null)
            {
                return new([], [], _cohorts);
            }
            // By flag, then in the order set; the last one set for a flag wins.
            _overrides.Sort(static (a, b) => a.Flag != b.Flag ? a.Flag.CompareTo(b.Flag) : a.Order.CompareTo(b.Order));
            var flags = new List<int>(_overrides.Count);
            var entries = new List<OverrideEntry>(_overrides.Count);
            foreach (var (flag, _, entry) in _overrides)
            {
                if (flags.Count > 0 && flags[^1] == flag)
                {
                    entries[^1] = entry;
                }
                else
                {
                    flags.Add(flag);
                    entries.Add(entry);
                }
            }
            return new([.. flags], [.. entries], _cohorts);
        }
    }
}
