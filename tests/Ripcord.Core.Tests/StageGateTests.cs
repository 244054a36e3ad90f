using System.Collections.Immutable;
using Ripcord.Core.Definitions;
using Ripcord.Core.Gates;
using Ripcord.Core.Incidents;
using Ripcord.Testing;
using static Ripcord.Core.Tests.GateFixture;
using N = Ripcord.Core.Gates.CriterionNames;

namespace Ripcord.Core.Tests;

/// <summary>SPEC §3's stage gate, criterion by criterion, at and around each threshold (docs/stages-and-gates.md).</summary>
public sealed class StageGateTests
{
    [Fact]
    [Invariant("SG-1", "a move is allowed exactly when every criterion passed; the checklist lists every criterion")]
    public void TheFixture_PassesEveryCriterion_AndListsThemAll()
    {
        var verdict = StageGate.Evaluate(Passing());
        Assert.True(verdict.Allowed, string.Join("; ", verdict.Failing.Select(c => $"{c.Name}: {c.Figure} / {c.Evidence}")));
        Assert.Equal(N.All.ToArray(), verdict.Criteria.Select(c => c.Name).ToArray());
        Assert.All(verdict.Criteria.Take(7), c => Assert.Equal(CriterionKind.Entry, c.Kind));
        Assert.All(verdict.Criteria.Skip(7), c => Assert.Equal(CriterionKind.Exit, c.Kind));
    }

    [Theory]
    [InlineData(9, true)]    // 0.9%
    [InlineData(10, false)]  // exactly 1%: the threshold is exclusive
    [InlineData(11, false)]
    [Invariant("SG-2", "each exit criterion passes exactly on its side of its threshold")]
    public void ErrorRate_IsBelowTheMaximum(long failures, bool passes)
    {
        var facts = Passing() with { Window = Window(1000, 0, 1000, failures) };
        Assert.Equal(passes, StageGate.Evaluate(facts).Criterion(N.ErrorRate).Passed);
        Assert.Equal(passes ? [] : [N.ErrorRate], Failing(facts));
    }

    [Fact]
    public void ErrorRate_WithNoSends_Passes_TheSampleSizeIsWhatRefusesAnEmptyWindow()
    {
        var facts = Passing() with { Window = Window(0, 0, 0, 0) };
        Assert.Equal([N.SampleSize], Failing(facts));
    }

    [Theory]
    [InlineData(50, true)]   // exactly 5%: the band is inclusive
    [InlineData(51, false)]
    [InlineData(0, true)]
    public void FallbackRate_IsInsideTheBand(long fallbacks, bool passes) =>
        Assert.Equal(passes, StageGate.Evaluate(Passing() with { Window = Window(1000, fallbacks, 1000, 0) }).Criterion(N.FallbackRate).Passed);

    [Theory]
    [InlineData(9, false)]
    [InlineData(10, true)]   // exactly the 1% floor
    public void FallbackRate_BelowAFloor_Fails(long fallbacks, bool passes)
    {
        var facts = Passing(With(t => t with { MinFallbackRate = 0.01m })) with { Window = Window(1000, fallbacks, 1000, 0) };
        Assert.Equal(passes, StageGate.Evaluate(facts).Criterion(N.FallbackRate).Passed);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    public void SoakTime_IsAtLeastSoakHours(long ticksFromSoaked, bool passes) =>
        Assert.Equal(passes, StageGate.Evaluate(Passing() with { Now = Soaked.AddTicks(ticksFromSoaked) }).Criterion(N.SoakTime).Passed);

    [Fact]
    public void SoakTime_ReadsFractionalHours()
    {
        var facts = Passing(With(t => t with { SoakHours = 0.5m })) with { Now = Entered.AddMinutes(30) };
        Assert.True(StageGate.Evaluate(facts).Criterion(N.SoakTime).Passed);
        Assert.False(StageGate.Evaluate(facts with { Now = Entered.AddMinutes(30).AddTicks(-1) }).Criterion(N.SoakTime).Passed);
    }

    [Theory]
    [InlineData(999, false)]
    [InlineData(1000, true)]
    [InlineData(1001, true)]
    public void SampleSize_IsAtLeastMinOperations(long operations, bool passes) =>
        Assert.Equal(passes, StageGate.Evaluate(Passing() with { Window = Window(operations, 0, 1000, 0) }).Criterion(N.SampleSize).Passed);

    [Theory]
    [InlineData("20", true)]    // the default ceiling, inclusive
    [InlineData("20.01", false)]
    [InlineData("0", true)]
    public void SupportLoad_IsAtMostTheCeiling(string figure, bool passes)
    {
        var facts = Passing() with { SupportLoad = [new SupportLoadFigure("2030-01-01", decimal.Parse(figure, System.Globalization.CultureInfo.InvariantCulture), Entered, "ops")] };
        Assert.Equal(passes, StageGate.Evaluate(facts).Criterion(N.SupportLoad).Passed);
    }

    [Fact]
    public void SupportLoad_ReadsTheDefinitionsCeiling_AndOnlyFiguresPostedSinceTheStageWasEntered()
    {
        var strict = Groups.Definition.Value with { Gates = new GatePolicy { MaxSupportLoad = 4 } };
        Assert.False(StageGate.Evaluate(Passing(strict)).Criterion(N.SupportLoad).Passed); // 5 > 4
        var stale = Passing() with { SupportLoad = [new SupportLoadFigure("2029-12-31", 1, Entered.AddTicks(-1), "ops")] };
        Assert.Equal("no figure posted", StageGate.Evaluate(stale).Criterion(N.SupportLoad).Figure);
        Assert.False(StageGate.Evaluate(Passing() with { SupportLoad = [] }).Criterion(N.SupportLoad).Passed);
        var latestWins = Passing() with
        {
            SupportLoad = [new SupportLoadFigure("2030-01-01", 50, Entered.AddHours(1), "ops"), new SupportLoadFigure("2030-01-02", 3, Entered.AddHours(2), "ops")],
        };
        Assert.True(StageGate.Evaluate(latestWins).Criterion(N.SupportLoad).Passed);
    }

    [Theory]
    [InlineData(IncidentClass.P1, IncidentStatus.Declared, false)]
    [InlineData(IncidentClass.P2, IncidentStatus.Mitigated, false)]
    [InlineData(IncidentClass.P1, IncidentStatus.Resolved, true)]
    [InlineData(IncidentClass.P2, IncidentStatus.Closed, true)]
    [InlineData(IncidentClass.P3, IncidentStatus.Declared, true)]
    public void CriticalIncidents_UnresolvedP1OrP2_Refuse(IncidentClass cls, IncidentStatus status, bool passes) =>
        Assert.Equal(passes, StageGate.Evaluate(Passing() with { Incidents = [Incident(cls, status)] }).Criterion(N.CriticalIncidents).Passed);

    [Fact]
    public void IncidentActionsAndReviews_AnyOpenOne_Refuses()
    {
        Assert.False(StageGate.Evaluate(Passing() with { Incidents = [Incident(IncidentClass.P3, IncidentStatus.Closed, false, true)] })
            .Criterion(N.IncidentActions).Passed);
        Assert.True(StageGate.Evaluate(Passing() with { Incidents = [Incident(IncidentClass.P3, IncidentStatus.Closed, false, false)] })
            .Criterion(N.IncidentActions).Passed);
        var open = PostActionReview.For("rvw_1", "groups", "stage.break-glass", "stage:groups", "s", null, new("p", "admin"), Entered);
        Assert.Equal([N.PostActionReviews], Failing(Passing() with { Reviews = [open] }));
        var done = open.Complete(new("q", "sam"), "fine", Entered.AddHours(1));
        Assert.Empty(Failing(Passing() with { Reviews = [done] }));
    }

    [Fact]
    public void QualityGates_TheLatestCheckPerTargetCounts_ForTheTargetStageOnly()
    {
        var failedThenPassed = Passing() with
        {
            Checks = [.. Passing().Checks, Check("c0", CheckKind.Quality, "1", "cohort:pilot", CheckStatus.Failed, minute: -5)],
        };
        Assert.True(StageGate.Evaluate(failedThenPassed).Criterion(N.QualityGates).Passed);
        var passedThenFailed = Passing() with
        {
            Checks = [.. Passing().Checks, Check("c9", CheckKind.Quality, "1", "cohort:pilot", CheckStatus.Failed, minute: 5)],
        };
        Assert.False(StageGate.Evaluate(passedThenFailed).Criterion(N.QualityGates).Passed);
        var otherStage = Passing() with { Checks = [.. Passing().Checks.Where(c => c.Kind == CheckKind.Interop), Check("q2", CheckKind.Quality, "2", "global", CheckStatus.Passed)] };
        Assert.Equal("no quality check recorded", StageGate.Evaluate(otherStage).Criterion(N.QualityGates).Evidence);
        var pending = Passing() with { Checks = [.. Passing().Checks, Check("q3", CheckKind.Quality, "1", "global", CheckStatus.Pending)] };
        Assert.False(StageGate.Evaluate(pending).Criterion(N.QualityGates).Passed);
    }

    [Fact]
    public void InteropLanes_MustBeGreenForEveryCohortTheTargetStageTurnsOn()
    {
        Assert.Equal(new[] { "cohort:pilot", "cohort:pilot-secure" }, StageTiers.Targets(Groups.Definition.Value, "1").ToArray());
        var missing = Passing() with { Checks = [.. Passing().Checks.Where(c => c.Target != "cohort:pilot-secure")] };
        var criterion = StageGate.Evaluate(missing).Criterion(N.InteropLanes);
        Assert.False(criterion.Passed);
        Assert.Contains("cohort:pilot-secure no interop check recorded", criterion.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void SecuritySignoff_IsNeededForEveryTierTheTargetStageEnables_AtThatStage()
    {
        var missingTier2 = Passing() with { Signoffs = [Signoff(0), Signoff(1), Signoff(2, stage: "2")] };
        var criterion = StageGate.Evaluate(missingTier2).Criterion(N.SecuritySignoff);
        Assert.False(criterion.Passed);
        Assert.Equal("2 of 3 tiers signed", criterion.Figure);
        Assert.Contains("missing tier 2", criterion.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void StageTiers_FollowTheSecureFlagsCohorts()
    {
        var d = Groups.Definition.Value;
        Assert.Equal(new[] { 0, 1, 2 }, StageTiers.Enabled(d, "1").ToArray());     // pilot-secure: an explicit list, any tier
        Assert.Equal(new[] { 1, 2 }, StageTiers.Enabled(d, "3").ToArray());        // tier-eligible: tier >= 1
        Assert.Empty(StageTiers.Enabled(d, "freeze"));           // F3 off
        Assert.Empty(StageTiers.Enabled(d with { Fallback = null }, "1"));
        var other = d with { Cohorts = [.. d.Cohorts.Select(c => c.Id == "tier-eligible" ? c with { Rule = "platform == \"ios\"" } : c)] };
        Assert.Equal(new[] { 0, 1, 2 }, StageTiers.Enabled(other, "3").ToArray()); // a rule on something else: every tier
    }

    [Fact]
    public void Drills_NoneRecorded_Fails_UnlessTheDefinitionWaivesThemWithAReason()
    {
        var none = StageGate.Evaluate(Passing() with { Drills = [] }).Criterion(N.Drills);
        Assert.False(none.Passed);
        Assert.Equal("no drill recorded", none.Evidence);
        var waived = Groups.Definition.Value with
        {
            Gates = new GatePolicy { Waive = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("drills", "no drill tooling yet")]) },
        };
        var criterion = StageGate.Evaluate(Passing(waived) with { Drills = [] }).Criterion(N.Drills);
        Assert.True(criterion.Passed);
        Assert.Contains("no drill tooling yet", criterion.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    [Invariant("SG-3", "a stage lock or an active freeze refuses every move")]
    public void AHold_Refuses()
    {
        var facts = Passing() with { Holds = [new StageHold("freeze", "frz_1", "P1")] };
        Assert.Equal([N.StageHold], Failing(facts));
        Assert.Contains("freeze frz_1: P1", StageGate.Evaluate(facts).Criterion(N.StageHold).Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void GatesSection_ReadsValidatesAndWritesBack()
    {
        var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "definitions", "groups.yaml"))
            + "\ngates:\n  maxSupportLoad: 12.5\n  waive:\n    drills: \"no drill tooling yet\"\n";
        var read = DefinitionReader.Read(yaml);
        Assert.True(read.IsValid, string.Join("; ", read.Errors));
        Assert.Equal(12.5m, read.Definition!.Gates!.MaxSupportLoad);
        var again = DefinitionReader.Read(DefinitionWriter.Write(read.Definition));
        Assert.True(again.IsValid, string.Join("; ", again.Errors));
        Assert.Equal(read.Definition.Gates.Waive, again.Definition!.Gates!.Waive);

        var bad = DefinitionReader.Read(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "definitions", "groups.yaml"))
            + "\ngates:\n  maxSupportLoad: -1\n  waive:\n    soak-time: \"impatient\"\n    drills: \"\"\n");
        Assert.False(bad.IsValid);
        Assert.Contains(bad.Errors, e => e.Path == "gates.maxSupportLoad");
        Assert.Contains(bad.Errors, e => e.Path == "gates.waive.soak-time");
        Assert.Contains(bad.Errors, e => e.Path == "gates.waive.drills");
    }
}
