using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Tests;

/// <summary>What the diff says, in words, for the changes an operator makes most.</summary>
public sealed class StateDiffTests
{
    private static readonly DateTimeOffset Now = Groups.Now;
    private static readonly ProgramState Start = ProgramState.Initial(BuiltInPrograms.Groups);

    private static ProgramState With(ProgramState state, string flag, string scope, bool value, string id) =>
        ProgramChanges.AddOverride(state,
            new OverrideRequest(flag, scope, value, "test", scope.StartsWith("user:", StringComparison.Ordinal) ? Now.AddHours(1) : null), id, "alice", Now).State;

    [Fact]
    public void Overrides_CohortMembers_AndTheStage_AreDescribedInWords()
    {
        var pilot = Start.FindCohort("pilot")!;
        var before = ProgramChanges.PutCohort(With(Start, "F3", "workspace:acme", true, "ovr_1"), pilot with { Workspaces = ["acme", "globex"] }).State;
        var after = ProgramChanges.SetStage(
            ProgramChanges.PutCohort(With(before, "F3", "workspace:acme", false, "ovr_2"), pilot with { Workspaces = ["acme", "initech"] }).State, "1");

        var words = StateDiff.Between(before, after).Select(c => c.Words).ToList();

        Assert.Contains("cohort pilot: 2 → 2 workspaces (+initech, -globex)", words);
        Assert.Contains("stage 0 → 1", words);
        Assert.Contains("override F3 at workspace:acme: on → off", words);
    }

    [Fact]
    public void EmptyingALiveCohort_AndDroppingAnOverride_AreWarnings()
    {
        var pilot = Start.FindCohort("pilot")!;
        var before = ProgramChanges.PutCohort(With(Start, "F1", "global", true, "ovr_1"), pilot with { Workspaces = ["acme"] }).State;
        var after = ProgramChanges.RemoveOverride(ProgramChanges.PutCohort(before, pilot with { Workspaces = [] }).State, "ovr_1").State;

        var warnings = StateDiff.Between(before, after).Where(c => c.Warning).Select(c => c.Words).ToList();

        Assert.Equal(["cohort pilot emptied (had 1 workspace)", "override F1 at global removed (was on)"], warnings);
    }

    [Fact]
    public void AnOverrideAtABroadScope_IsShadowedByMoreSpecificOnesWithTheOtherValue_AndOnlyThose()
    {
        var state = With(With(With(With(Start, "F3", "workspace:acme", true, "ovr_1"), "F3", "workspace:globex", true, "ovr_2"),
            "F3", "user:dana", false, "ovr_3"), "F1", "workspace:acme", true, "ovr_4");
        var (next, global, _) = ProgramChanges.AddOverride(state, new OverrideRequest("F3", "global", false, "incident", null), "ovr_5", "alice", Now);

        var shadows = OverrideShadows.Of(next, global, Now).Select(o => o.Scope.ToString()).ToList();

        Assert.Equal(["workspace:acme", "workspace:globex"], shadows);
    }
}
