using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;

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
