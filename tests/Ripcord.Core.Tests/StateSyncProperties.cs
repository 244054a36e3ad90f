using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;

using Ripcord.Testing;

namespace Ripcord.Core.Tests;

public sealed class StateSyncProperties
{
    [Property(MaxTest = 300)]
    [Invariant("SY-1", "applying the delta between two revisions to the first gives exactly the second (same digest)")]
    public Property Delta_round_trips() => Prop.ForAll(Scenario.Arbitrary, Scenario.Arbitrary, (a, b) =>
    {
        var delta = StateSync.Compute(a.State, 1, b.State, 2);
        var applied = StateSync.Apply(a.State, delta);
        return applied is not null && StateSync.Digest(applied) == StateSync.Digest(b.State);
    });

    [Property(MaxTest = 200)]
    [Invariant("SY-2", "a delta applied to the wrong base is refused, never half-applied")]
    public Property Delta_on_wrong_base_is_refused() => Prop.ForAll(Scenario.Arbitrary, Scenario.Arbitrary, Scenario.Arbitrary, (a, b, c) =>
    {
        var delta = StateSync.Compute(a.State, 1, b.State, 2);
        var applied = StateSync.Apply(c.State, delta);
        // Either the wrong base happens to produce the same state, or the apply is refused.
        return applied is null || StateSync.Digest(applied) == StateSync.Digest(b.State);
    });

    [Property(MaxTest = 300)]
    [Invariant("SY-3", "two states have the same digest exactly when their canonical JSON is the same")]
    public Property Digest_identifies_the_state() => Prop.ForAll(Scenario.Arbitrary, Scenario.Arbitrary, (a, b) =>
    {
        var sameJson = System.Text.Json.JsonSerializer.Serialize(a.State, CoreJson.Options)
            == System.Text.Json.JsonSerializer.Serialize(b.State, CoreJson.Options);
        return sameJson == (StateSync.Digest(a.State) == StateSync.Digest(b.State));
    });

    [Fact]
    public void A_changed_definition_changes_the_digest_though_the_definition_hash_is_remembered()
    {
        var state = Groups.Initial.WithCohort("pilot", "w1");
        var first = StateSync.Digest(state);
        Assert.Equal(first, StateSync.Digest(state)); // the remembered definition hash gives the same answer
        var flags = state.Definition.Flags;
        var changed = state with { Definition = state.Definition with { Flags = flags.SetItem(0, flags[0] with { Description = "edited" }) } };
        Assert.NotEqual(first, StateSync.Digest(changed));
        var restored = changed with { Definition = changed.Definition with { Flags = flags } };
        Assert.Equal(first, StateSync.Digest(restored)); // an equal definition in another instance: the same digest
    }

    [Fact]
    public void Digest_survives_a_json_round_trip()
    {
        var state = Groups.Initial.WithCohort("pilot", "w1").WithOverride("F3", "user:u1", true, Groups.Now.AddHours(3)).WithKillSwitch("KS1", "cohort:pilot");
        var json = System.Text.Json.JsonSerializer.Serialize(state, CoreJson.Options);
        var back = System.Text.Json.JsonSerializer.Deserialize<ProgramState>(json, CoreJson.Options)!;
        Assert.Equal(StateSync.Digest(state), StateSync.Digest(back));
    }

    [Fact]
    public void A_small_change_gives_a_small_delta()
    {
        var before = Groups.Initial.WithCohort("pilot", "w1");
        var after = before.WithOverride("F3", "workspace:w1", true);
        var delta = StateSync.Compute(before, 4, after, 5);
        Assert.Null(delta.Definition);
        Assert.Empty(delta.CohortsUpserted);
        Assert.Single(delta.OverridesAdded);
        Assert.Null(delta.Stage);
    }
}
