using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The words `definition apply --dry-run` and `revisions diff` print come from <see cref="StateDiff"/>: it must miss nothing and invent nothing.</summary>
public sealed class StateDiffProperties
{
    private static string Json(ProgramState state) => JsonSerializer.Serialize(state, CoreJson.Options);

    [Property(MaxTest = 200)]
    [Invariant("DF-1", "a state compared with itself has no changes, and two states that differ have at least one")]
    public Property Differences_are_found_exactly_when_states_differ() => Prop.ForAll(CommandHistory.Arbitrary, ArbMap.Default.ArbFor<int>(), (history, pick) =>
    {
        var states = history.Run(Groups.Now).Select(r => r.State).ToList();
        var a = states[Math.Abs(pick % states.Count)];
        var b = states[^1];
        if (!StateDiff.Between(a, a).IsEmpty)
        {
            return false.Label("a state differs from itself");
        }
        var changes = StateDiff.Between(a, b);
        return (Json(a) == Json(b) ? changes.IsEmpty : !changes.IsEmpty)
            .Label($"{states.Count} revisions; {changes.Length} changes: {string.Join(" | ", changes.Select(c => c.Words))}");
    });

    [Property(MaxTest = 200)]
    [Invariant("DF-2", "the difference read backwards is the same difference turned around: what one side adds the other removes, what it changes it changes")]
    public Property Reversed_difference_swaps_added_and_removed() => Prop.ForAll(CommandHistory.Arbitrary, ArbMap.Default.ArbFor<int>(), (history, pick) =>
    {
        var states = history.Run(Groups.Now).Select(r => r.State).ToList();
        var a = states[Math.Abs(pick % states.Count)];
        var b = states[^1];
        var forward = StateDiff.Between(a, b);
        var backward = StateDiff.Between(b, a);
        int Count(IEnumerable<StateChange> changes, DiffArea area, DiffKind kind) => changes.Count(c => c.Area == area && c.Kind == kind);
        return Enum.GetValues<DiffArea>().All(area =>
            Count(forward, area, DiffKind.Added) == Count(backward, area, DiffKind.Removed)
            && Count(forward, area, DiffKind.Removed) == Count(backward, area, DiffKind.Added)
            && Count(forward, area, DiffKind.Changed) == Count(backward, area, DiffKind.Changed));
    });
}
