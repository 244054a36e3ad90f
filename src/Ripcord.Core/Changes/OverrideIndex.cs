using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Changes;

/// <summary>
/// A state's overrides by id and by what they set (flag and scope), remembered per overrides list
/// and carried from one list to the next: a write that adds one override to ten thousand finds the
/// one it replaces without walking the other ten thousand. Keyed on the list's own array, so a list
/// made any other way (read from storage, built by a rollback) simply gets its index built once.
/// </summary>
internal sealed class OverrideIndex
{
    private static readonly ConditionalWeakTable<FlagOverride[], OverrideIndex> Indexes = new();

    private OverrideIndex(ImmutableDictionary<string, FlagOverride> byId, ImmutableDictionary<(string Flag, Scope Scope), FlagOverride> byTarget)
    {
        ById = byId;
        ByTarget = byTarget;
    }

    public ImmutableDictionary<string, FlagOverride> ById { get; }

    /// <summary>The override setting a flag at a scope (one at most: setting it again replaces it).</summary>
    public ImmutableDictionary<(string Flag, Scope Scope), FlagOverride> ByTarget { get; }

    public static OverrideIndex For(ImmutableArray<FlagOverride> overrides) =>
        Indexes.GetValue(ImmutableCollectionsMarshal.AsArray(overrides) ?? [], static array =>
        {
            var byId = ImmutableDictionary.CreateBuilder<string, FlagOverride>(StringComparer.Ordinal);
            var byTarget = ImmutableDictionary.CreateBuilder<(string, Scope), FlagOverride>();
            foreach (var o in array)
            {
                byId[o.Id] = o;
                byTarget[(o.Flag, o.Scope)] = o;
            }
            return new OverrideIndex(byId.ToImmutable(), byTarget.ToImmutable());
        });

    /// <summary>Remembers, for the list <paramref name="next"/>, this index with one override removed and/or one added.</summary>
    public void CarryTo(ImmutableArray<FlagOverride> next, FlagOverride? removed, FlagOverride? added)
    {
        var byId = ById;
        var byTarget = ByTarget;
        if (removed is not null)
        {
            byId = byId.Remove(removed.Id);
            byTarget = byTarget.Remove((removed.Flag, removed.Scope));
        }
        if (added is not null)
        {
            byId = byId.SetItem(added.Id, added);
            byTarget = byTarget.SetItem((added.Flag, added.Scope), added);
        }
        Indexes.AddOrUpdate(ImmutableCollectionsMarshal.AsArray(next) ?? [], new OverrideIndex(byId, byTarget));
    }
}
