using System.Collections.Frozen;
using Ripcord.Core.Definitions;

namespace Ripcord.Core.Evaluation;

/// <summary>Flag lookup and prerequisite tables: a function of the definition alone.</summary>
internal sealed class DefinitionTables
{
    public DefinitionTables(ProgramDefinition definition)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < definition.Flags.Length; i++)
        {
            index.TryAdd(definition.Flags[i].Key, i);
            if (definition.Flags[i].Alias is { } alias)
            {
                index.TryAdd(alias, i);
            }
        }
        FlagIndex = index.ToFrozenDictionary(StringComparer.Ordinal);
        var count = definition.Flags.Length;
        Prerequisites = new int[count][];
        PrerequisiteSources = new string[count][];
        PrerequisiteScopes = new string[count][];
        for (var i = 0; i < count; i++)
        {
            var prereqs = definition.Flags[i].Prerequisites.Select(p => index.GetValueOrDefault(p, -1)).Where(p => p >= 0).ToArray();
            Prerequisites[i] = prereqs;
            PrerequisiteSources[i] = [.. prereqs.Select(p => "prerequisite:" + definition.Flags[p].DisplayName)];
            PrerequisiteScopes[i] = [.. prereqs.Select(p => definition.Flags[p].DisplayName)];
        }
        SharesPrerequisites = new bool[count];
        for (var i = 0; i < count; i++)
        {
            SharesPrerequisites[i] = Shares(Prerequisites, i);
        }
    }

    /// <summary>
    /// True when some flag below this one is reachable along two prerequisite paths: evaluating
    /// it naively would repeat work (exponentially on deep diamonds), so it gets a memo.
    /// </summary>
    private static bool Shares(int[][] prerequisites, int index)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>(prerequisites[index]);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (!seen.Add(next))
            {
                return true;
            }
            foreach (var p in prerequisites[next])
            {
                stack.Push(p);
            }
        }
        return false;
    }

    public FrozenDictionary<string, int> FlagIndex { get; }
    public int[][] Prerequisites { get; }
    public bool[] SharesPrerequisites { get; }
    public string[][] PrerequisiteSources { get; }
    public string[][] PrerequisiteScopes { get; }
}
