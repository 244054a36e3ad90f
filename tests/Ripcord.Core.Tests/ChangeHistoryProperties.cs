using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;
using Ripcord.Core.Sync;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

public sealed class ChangeHistoryProperties
{
    private static string Json(ProgramState state) => JsonSerializer.Serialize(state, CoreJson.Options);

    [Property(MaxTest = 200)]
    [Invariant("RV-1", "every revision rebuilt from its nearest checkpoint and the deltas after it equals the state the writer produced")]
    public Property Rebuilt_revisions_equal_written_ones() => Prop.ForAll(CommandHistory.Arbitrary, ArbMap.Default.ArbFor<int>(), (history, seed) =>
    {
        var written = history.Run(Groups.Now).Select(r => r.State).ToList();
        // Stored as the writer stores them: revision 1 whole, each later one as a delta from the one
        // before, and some (chosen by the seed) also whole, as checkpoints.
        var deltas = new List<StateDelta?> { null };
        var checkpoints = new SortedDictionary<long, ProgramState> { [1] = written[0] };
        for (var n = 1; n < written.Count; n++)
        {
            var delta = StateSync.Compute(written[n - 1], n, written[n], n + 1);
            deltas.Add(JsonSerializer.Deserialize<StateDelta>(JsonSerializer.Serialize(delta, CoreJson.Options), CoreJson.Options));
            if (((seed >> (n % 31)) & 1) == 1)
            {
                checkpoints[n + 1] = JsonSerializer.Deserialize<ProgramState>(Json(written[n]), CoreJson.Options)!;
            }
        }
        for (var revision = 1L; revision <= written.Count; revision++)
        {
            var from = checkpoints.Keys.Last(k => k <= revision);
            var rebuilt = RevisionReplay.Rebuild(checkpoints[from], from, deltas.Skip((int)from).Take((int)(revision - from))!);
            if (Json(rebuilt) != Json(written[(int)revision - 1]))
            {
                return false.Label($"revision {revision} (checkpoint {from}) differs");
            }
        }
        return true.Label($"{written.Count} revisions");
    });

    [Property(MaxTest = 200)]
    [Invariant("CH-1", "applying a command is deterministic: the same state, command and instant give the same state, events and audit")]
    public Property Apply_is_deterministic() => Prop.ForAll(CommandHistory.Arbitrary, history =>
    {
        var first = history.Run(Groups.Now);
        var second = history.Run(Groups.Now);
        return first.Count == second.Count && first.Zip(second).All(p => Json(p.First.State) == Json(p.Second.State));
    });

    [Property(MaxTest = 200)]
    [Invariant("RB-1", "a rollback never lifts an active kill switch whose level the target still defines")]
    public Property Rollback_keeps_kill_switches() => Prop.ForAll(CommandHistory.Arbitrary, history =>
    {
        var revisions = history.Run(Groups.Now);
        for (var n = 1; n < revisions.Count; n++)
        {
            if (revisions[n].Command is not RollbackTo rollback)
            {
                continue;
            }
            var before = revisions[n - 1].State;
            var after = revisions[n].State;
            var lost = before.KillSwitches.Where(k => rollback.Target.Definition.KillSwitchLevels.Any(l => l.Id == k.Level)
                && (k.Scope.Kind != ScopeKind.Cohort || rollback.Target.Cohorts.Any(c => c.Id == k.Scope.Id)))
                .Where(k => !after.KillSwitches.Contains(k));
            if (lost.Any())
            {
                return false.Label($"revision {n + 1} lifted {string.Join(",", lost.Select(k => k.Id))}");
            }
        }
        return true.ToProperty();
    });

    [Fact]
    public void Every_command_emits_one_event_and_a_typed_audit_summary()
    {
        var by = new Principal("prn_1", "dana");
        var now = Groups.Now;
        var state = ProgramChanges.Apply(null, new ApplyDefinition(Groups.Definition.Value), now).State;
        ProgramCommand[] commands =
        [
            new PutCohort(new Definitions.CohortDefinition { Id = "pilot", Workspaces = ["acme"] }),
            new SetOverride("ovr_1", "F3", "workspace:acme", true, "pilot", null, by),
            new SetStage("1"),
            new ActivateKillSwitch("ks_1", "KS1", "cohort:pilot", "inc_1", "leak", by),
            new DeactivateKillSwitch("ks_1", "fixed"),
            new RemoveOverride("ovr_1"),
            new RollbackTo(1, ProgramState.Initial(Groups.Definition.Value), "drill"),
        ];
        string[] actions = ["cohort.put", "override.create", "stage.set", "killswitch.activate", "killswitch.deactivate", "override.delete", "rollback"];
        for (var i = 0; i < commands.Length; i++)
        {
            var change = ProgramChanges.Apply(state, commands[i], now);
            Assert.Single(change.Events);
            Assert.Equal(actions[i], change.Audit.Action.Name);
            Assert.False(string.IsNullOrWhiteSpace(change.Audit.Summary));
            state = change.State;
        }
        Assert.Equal("0", state.Stage);
        Assert.Empty(state.Overrides);
    }

    [Fact]
    public void Commands_on_a_missing_program_or_a_missing_thing_are_refused()
    {
        var now = Groups.Now;
        Assert.Equal(ChangeError.NotFound, Assert.Throws<ChangeRejectedException>(() => ProgramChanges.Apply(null, new SetStage("1"), now)).Kind);
        var state = Groups.Initial;
        Assert.Equal(ChangeError.NotFound, Assert.Throws<ChangeRejectedException>(() => ProgramChanges.Apply(state, new RemoveOverride("nope"), now)).Kind);
        Assert.Equal(ChangeError.NotFound, Assert.Throws<ChangeRejectedException>(() => ProgramChanges.Apply(state, new DeactivateKillSwitch("nope", "r"), now)).Kind);
        Assert.Equal(ChangeError.Invalid, Assert.Throws<ChangeRejectedException>(() =>
            ProgramChanges.Apply(state, new ActivateKillSwitch("k", "KS9", "global", null, "r", Principal.System), now)).Kind);
    }
}
