using System.Collections.Immutable;

namespace Ripcord.Core;

/// <summary>
/// How much two lists of immutable items share at each end, by instance. One revision's lists are
/// built from the previous one's, keeping every item it did not change, so the shared prefix and
/// suffix cover all but the few items a write touched: what a delta, a digest or a compile must
/// then look at is only the middle.
/// </summary>
internal static class SharedEnds
{
    public static (int Prefix, int Suffix) Of<T>(ImmutableArray<T> from, ImmutableArray<T> to) where T : class
    {
        var prefix = 0;
        while (prefix < from.Length && prefix < to.Length && ReferenceEquals(from[prefix], to[prefix]))
        {
            prefix++;
        }
        var suffix = 0;
        while (suffix < from.Length - prefix && suffix < to.Length - prefix && ReferenceEquals(from[^(suffix + 1)], to[^(suffix + 1)]))
        {
            suffix++;
        }
        return (prefix, suffix);
    }
}
