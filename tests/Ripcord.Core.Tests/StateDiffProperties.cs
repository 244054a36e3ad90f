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

/// <summary>No-op writes (issue 9, item 5): asking for what already is changes nothing, so the writer writes no revision.</summary>
public sealed class NoOpWriteProperties
{
    private static string Json(ProgramState state) => System.Text.Json.JsonSerializer.Serialize(state, CoreJson.Options);

    [Property(MaxTest = 200)]
    [Invariant("NO-1", "setting the stage a program has, putting a cohort as it is, or setting an override exactly as it is returns the very same state (no revision); an override with another value or reason is a change")]
    public Property Asking_for_what_already_is_is_a_no_op() => Prop.ForAll(CommandHistory.Arbitrary, history =>
    {
        var now = Groups.Now.AddDays(1);
        var principal = new Governance.Principal("prn_alice", "alice");
        foreach (var (command, state) in history.Run(Groups.Now))
        {
            var again = new List<ProgramCommand> { new SetStage(state.Stage) };
            again.AddRange(state.Cohorts.Select(c => new PutCohort(c)));
            again.AddRange(state.Overrides.Where(o => o.ExpiresAt is null || o.ExpiresAt > now)
                .Select(o => new SetOverride("ovr_again", o.Flag, o.Scope.ToString(), o.Value, o.Reason, o.ExpiresAt, principal)));
            foreach (var repeat in again)
            {
                var change = ProgramChanges.Apply(state, repeat, now);
                if (!ProgramChanges.IsNoOp(state, change) || Json(change.State) != Json(state))
                {
                    return false.Label($"{repeat.Name} of what already is changed the state");
                }
            }
            // And the other way: the same override with the other value, or another reason, is a change.
            foreach (var o in state.Overrides.Where(o => o.ExpiresAt is null || o.ExpiresAt > now))
            {
                foreach (var changed in new[]
                {
                    new SetOverride("ovr_flip", o.Flag, o.Scope.ToString(), !o.Value, o.Reason, o.ExpiresAt, principal),
                    new SetOverride("ovr_why", o.Flag, o.Scope.ToString(), o.Value, o.Reason + " (again)", o.ExpiresAt, principal),
                })
                {
                    if (ProgramChanges.IsNoOp(state, ProgramChanges.Apply(state, changed, now)))
                    {
                        return false.Label("a different override was taken for the same one");
                    }
                }
            }
        }
        return true.ToProperty();
    });
}
