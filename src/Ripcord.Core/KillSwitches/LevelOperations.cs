using System.Collections.Immutable;
using Ripcord.Core.Definitions;

namespace Ripcord.Core.KillSwitches;

/// <summary>What a kill-switch level turns off, in the words of the definition's <c>operations:</c>.</summary>
public static class LevelOperations
{
    /// <summary>
    /// The operations (sorted by name) that <paramref name="level"/> stops: those whose flag an effect
    /// turns off, directly or through a (transitive) prerequisite, and, when an effect turns the
    /// emergency flag on, every operation whose flag's safe value is off. Empty for an unknown level.
    /// </summary>
    public static ImmutableArray<string> DisabledOperations(ProgramDefinition definition, string level)
    {
        var off = ForcedOff(definition, level);
        if (off.Count == 0)
        {
            return [];
        }
        var disabled = ImmutableArray.CreateBuilder<string>();
        foreach (var (name, operation) in definition.Operations)
        {
            if (IsOff(definition, operation.Flag, off, []))
            {
                disabled.Add(name);
            }
        }
        return disabled.ToImmutable();
    }

    /// <summary>
    /// How many flags the level forces to their safe value: its effects, where turning the emergency flag
    /// on counts as every flag (it makes them all safe). The recommender's measure of a level's size.
    /// </summary>
    public static int ForcedFlagCount(ProgramDefinition definition, string level) =>
        Find(definition, level) is not { } found ? 0
        : TurnsEmergencyOn(definition, found) ? definition.Flags.Length
        : found.Effects.Length;

    private static KillSwitchLevel? Find(ProgramDefinition definition, string level) =>
        definition.KillSwitchLevels.FirstOrDefault(l => string.Equals(l.Id, level, StringComparison.Ordinal));

    private static bool TurnsEmergencyOn(ProgramDefinition definition, KillSwitchLevel level) =>
        definition.EmergencyFlag is { } emergency
        && level.Effects.Any(e => e.Value && string.Equals(e.Flag, emergency, StringComparison.Ordinal));

    /// <summary>The keys of the flags the level holds off (before prerequisites).</summary>
    private static HashSet<string> ForcedOff(ProgramDefinition definition, string level)
    {
        var off = new HashSet<string>(StringComparer.Ordinal);
        if (Find(definition, level) is not { } found)
        {
            return off;
        }
        foreach (var effect in found.Effects.Where(e => !e.Value))
        {
            off.Add(effect.Flag);
        }
        if (TurnsEmergencyOn(definition, found))
        {
            foreach (var flag in definition.Flags.Where(f => !f.Safe))
            {
                off.Add(flag.Key);
            }
        }
        return off;
    }

    private static bool IsOff(ProgramDefinition definition, string flag, HashSet<string> off, HashSet<string> seen)
    {
        if (off.Contains(flag))
        {
            return true;
        }
        // seen guards against cycles in a definition that skipped validation.
        return seen.Add(flag) && definition.FindFlag(flag) is { } f
            && f.Prerequisites.Any(p => IsOff(definition, p, off, seen));
    }
}
