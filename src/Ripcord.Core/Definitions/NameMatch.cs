namespace Ripcord.Core.Definitions;

/// <summary>"Did you mean …?": the one name within two edits of what was typed (ignoring case), if exactly one is closest.</summary>
public static class NameMatch
{
    public static string? Closest(string typed, IEnumerable<string> names)
    {
        var lower = typed.ToLowerInvariant();
        var ranked = names.Distinct(StringComparer.Ordinal).Select(n => (Name: n, Distance: EditDistance(lower, n.ToLowerInvariant())))
            .Where(x => x.Distance <= 2).OrderBy(x => x.Distance).ToList();
        return ranked.Count > 0 && (ranked.Count == 1 || ranked[0].Distance < ranked[1].Distance) ? ranked[0].Name : null;
    }

    public static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            previous = current;
        }
        return previous[b.Length];
    }
}
