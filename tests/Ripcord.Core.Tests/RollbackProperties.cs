using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Core.Rollback;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

public sealed class RollbackProperties
{
    private static readonly string[] Workspaces = ["w1", "w2", "w3", "w4", "w5", "acme", "initech", "w-nobody"];

    /// <summary>Contexts an FsCheck run makes up: workspaces the histories use and some they never name, users, tiers.</summary>
    private static readonly Arbitrary<PlanContext[]> GeneratedContexts =
        (from w in Gen.Choose(-1, Workspaces.Length - 1)
         from u in Gen.Choose(-1, 5)
         from t in Gen.Choose(-1, 2)
         select new PlanContext($"gen {w}/{u}/{t}", w < 0 ? null : Workspaces[w], u < 0 ? null : "u" + u, t < 0 ? null : t))
        .ArrayOf().Select(a => a.Take(30).ToArray()).ToArbitrary();

    private static (ProgramState Current, long Head, ProgramState Target, long TargetRevision) Pick(CommandHistory history, int pick)
    {
        var revisions = history.Run(Groups.Now).Select(r => r.State).ToList();
        var target = Math.Abs(pick % revisions.Count);
        return (revisions[^1], revisions.Count, revisions[target], target + 1);
    }

    private static DateTimeOffset Later => Groups.Now.AddHours(6);

    [Property(MaxTest = 150)]
    [Invariant("RB-2", "a rollback to revision R (kill switches replaced, as the operator may ask) evaluates exactly as R for every generated and planned context, with no orphaned override")]
    public Property Rollback_restores_the_targets_evaluation() => Prop.ForAll(CommandHistory.Arbitrary, ArbMap.Default.ArbFor<int>(), GeneratedContexts,
        (history, pick, generated) =>
        {
            var (current, _, target, revision) = Pick(history, pick);
            var after = RollbackPlanner.After(current, revision, target, keepKillSwitches: false, Later);
            var contexts = RollbackPlanner.Contexts(current, target).Concat(generated).ToList();
            var check = RollbackPlanner.Compare(after, target, contexts, Later);
            var orphans = ProgramChanges.OrphanedOverrides(after);
            return (check.Equal && orphans.IsEmpty).Label(check.Equal
                ? $"orphans: {string.Join(",", orphans.Select(o => o.Id))}"
                : $"{check.Mismatches[0].Flag} at {check.Mismatches[0].Context}: {check.Mismatches[0].Now} vs {check.Mismatches[0].After}");
        });

    [Property(MaxTest = 150)]
    [Invariant("RB-3", "a default rollback keeps today's kill switches: it evaluates as R's profile under today's kill switches, and the plan says each is kept")]
    public Property Rollback_keeps_kill_switches_and_otherwise_restores_the_target() => Prop.ForAll(CommandHistory.Arbitrary, ArbMap.Default.ArbFor<int>(),
        GeneratedContexts, (history, pick, generated) =>
        {
            var (current, head, target, revision) = Pick(history, pick);
            var after = RollbackPlanner.After(current, revision, target, keepKillSwitches: true, Later);
            var expected = target with { KillSwitches = after.KillSwitches };
            var check = RollbackPlanner.Compare(after, expected, [.. RollbackPlanner.Contexts(current, target), .. generated], Later);
            var plan = RollbackPlanner.Plan(current, head, target, revision, keepKillSwitches: true, Later);
            var keptAll = plan.KillSwitches.Where(k => k.Fate != "kept").All(k =>
                !after.KillSwitches.Any(a => a.Id == k.Id)); // only those the target cannot express (its levels, its cohorts) go
            return (check.Equal && keptAll && plan.Orphaned.All(o => !after.Overrides.Any(a => a.Id == o.Id))).ToProperty();
        });

    [Property(MaxTest = 100)]
    [Invariant("RB-4", "a plan changes nothing and says what the rollback does: its differences are exactly where now and after evaluate differently")]
    public Property Plan_differences_are_the_effective_ones() => Prop.ForAll(CommandHistory.Arbitrary, ArbMap.Default.ArbFor<int>(), (history, pick) =>
    {
        var (current, head, target, revision) = Pick(history, pick);
        var before = JsonSerializer.Serialize(current, CoreJson.Options);
        var plan = RollbackPlanner.Plan(current, head, target, revision, keepKillSwitches: true, Later);
        var after = RollbackPlanner.After(current, revision, target, true, Later);
        var check = RollbackPlanner.Compare(current, after, plan.Contexts, Later, int.MaxValue);
        return (JsonSerializer.Serialize(current, CoreJson.Options) == before && plan.DifferenceCount == check.Mismatches.Length
            && plan.ChangesNothing == plan.Changes.IsEmpty).ToProperty();
    });

    private static RollbackRun NewRun() => RollbackMachine.Start("rbk_1", "groups", "inc_1", 9, 3, "acks failing", true, "rita", "prn_rita",
        "release-manager", Groups.Now);

    private static RollbackStepRecord Record(RollbackStep step, int n) => new(step, Groups.Now.AddSeconds(n), "did " + RollbackMachine.Name(step));

    [Property(MaxTest = 300)]
    [Invariant("RB-5", "a rollback run takes every step exactly once, in order, whatever steps are attempted: out-of-order ones are refused and change nothing")]
    public Property Every_step_exactly_once_in_order() => Prop.ForAll(Gen.Choose(0, 4).ListOf().Select(l => l.Take(40).ToArray()).ToArbitrary(), attempts =>
    {
        var run = NewRun();
        var n = 0;
        foreach (var attempt in attempts.Concat(Enumerable.Range(0, 5)))
        {
            var step = (RollbackStep)attempt;
            var expected = run.NextStep;
            try
            {
                run = RollbackMachine.Record(run, Record(step, n++));
                if (expected != step)
                {
                    return false.Label($"{step} accepted while at {expected}");
                }
            }
            catch (ChangeRejectedException)
            {
                if (expected == step)
                {
                    return false.Label($"{step} refused while it was next");
                }
            }
        }
        return (run.Status == RollbackStatus.Completed && run.Steps.Select(s => s.Step).SequenceEqual(RollbackMachine.Order) && run.NextStep is null)
            .Label(string.Join(",", run.Steps.Select(s => s.Step)));
    });

    [Property(MaxTest = 100)]
    [Invariant("RB-6", "a run stored after any step and read back resumes at the next step and finishes with each step once; a finished run takes no step")]
    public Property Resumable_from_any_persisted_step() => Prop.ForAll(Gen.Choose(0, 5).ToArbitrary(), stoppedAfter =>
    {
        var run = NewRun();
        for (var i = 0; i < stoppedAfter; i++)
        {
            run = RollbackMachine.Record(run, Record(RollbackMachine.Order[i], i));
        }
        var stored = JsonSerializer.Deserialize<RollbackRun>(JsonSerializer.Serialize(run, CoreJson.Options), CoreJson.Options)!;
        var resumedAt = stored.NextStep;
        while (stored.NextStep is { } next)
        {
            stored = RollbackMachine.Record(stored, Record(next, 10));
        }
        var finishedRefuses = Assert.Throws<ChangeRejectedException>(() => RollbackMachine.Record(stored, Record(RollbackStep.Document, 20)));
        return (resumedAt == (stoppedAfter < 5 ? RollbackMachine.Order[stoppedAfter] : null)
            && stored.Steps.Select(s => s.Step).SequenceEqual(RollbackMachine.Order) && finishedRefuses.Kind == ChangeError.Conflict).ToProperty();
    });

    [Fact]
    [Invariant("RB-7", "a failed step stops the run there: no later step is taken, and the run says which step and why")]
    public void A_failed_step_stops_the_run()
    {
        var run = RollbackMachine.Record(NewRun(), Record(RollbackStep.StageLock, 0));
        var failed = RollbackMachine.Fail(run, RollbackStep.Freeze, "incident inc_1 is closed", Groups.Now);
        Assert.Equal(RollbackStatus.Failed, failed.Status);
        Assert.Equal(RollbackStep.Freeze, failed.FailedStep);
        Assert.Null(failed.NextStep);
        Assert.Throws<ChangeRejectedException>(() => RollbackMachine.Record(failed, Record(RollbackStep.Freeze, 1)));
    }

    [Fact]
    public void Bad_input_is_refused_with_its_field()
    {
        Assert.Equal("reason", Assert.Throws<ChangeRejectedException>(() =>
            RollbackMachine.Start("r", "groups", "i", 5, 3, " ", true, "a", "p", "admin", Groups.Now)).Field);
        Assert.Equal("to", Assert.Throws<ChangeRejectedException>(() =>
            RollbackMachine.Start("r", "groups", "i", 5, 6, "why", true, "a", "p", "admin", Groups.Now)).Field);
        Assert.Equal("to", Assert.Throws<ChangeRejectedException>(() =>
            RollbackMachine.Start("r", "groups", "i", 5, 0, "why", true, "a", "p", "admin", Groups.Now)).Field);
    }

    [Fact]
    public void The_plan_names_removed_overrides_kept_kill_switches_and_differences()
    {
        var target = Groups.Initial.WithCohort("pilot", "acme");
        var current = target.WithOverride("F3", "workspace:acme", true).WithKillSwitch("KS3", "global");
        var plan = RollbackPlanner.Plan(current, 3, target, 1, keepKillSwitches: true, Groups.Now);
        Assert.Equal("removed", Assert.Single(plan.Overrides).Fate);
        Assert.Equal("kept", Assert.Single(plan.KillSwitches).Fate);
        Assert.Contains(plan.Contexts, c => c.Label == "workspace:acme");
        Assert.Empty(plan.Orphaned);
        var lifted = RollbackPlanner.Plan(current, 3, target, 1, keepKillSwitches: false, Groups.Now);
        Assert.Equal("lifted", Assert.Single(lifted.KillSwitches).Fate);
    }

    [Fact]
    public void The_incident_document_has_the_timeline_time_to_mitigate_and_open_action_items()
    {
        var incident = IncidentWorkflow.Declare("inc_1", Groups.Initial, new IncidentDeclaration(IncidentClass.P3, IncidentSeverity.High, "publish-ack-failures",
            [], "acks failing"), "dana", Groups.Now);
        incident = IncidentWorkflow.AddAction(incident, "a1", "add a regression | test", "dana", "dana", Groups.Now.AddMinutes(1));
        incident = IncidentWorkflow.Verified(incident, new TimelineEntry(Groups.Now.AddMinutes(12), TimelineKinds.Verified, "verified", "rita"));
        var md = IncidentDocument.Render(incident, "Post-incident summary: inc_1", [], Groups.Now.AddHours(1));
        Assert.Contains("# Incident inc_1", md, StringComparison.Ordinal);
        Assert.Contains("Post-incident summary: inc_1", md, StringComparison.Ordinal);
        Assert.Contains("0:12:00", md, StringComparison.Ordinal);
        Assert.Contains("- [ ] a1: add a regression | test (owner dana)", md, StringComparison.Ordinal);
        Assert.Contains("add a regression \\| test", md, StringComparison.Ordinal); // escaped inside the table
        Assert.Contains("| declared | dana |", md, StringComparison.Ordinal);
    }
}
