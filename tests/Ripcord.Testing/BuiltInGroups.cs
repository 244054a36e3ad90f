using Ripcord.Core.Definitions;

namespace Ripcord.Testing;

/// <summary>Flag names of the built-in groups program as golden files write them (key or alias).</summary>
public static class BuiltInGroups
{
    /// <summary>The flag's key, for a key or an alias.</summary>
    public static string Key(string keyOrAlias) =>
        BuiltInPrograms.Groups.FindFlag(keyOrAlias)?.Key ?? throw new ArgumentException($"no flag '{keyOrAlias}' in groups", nameof(keyOrAlias));
}
