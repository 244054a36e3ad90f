using Ripcord.Core.Definitions;
using Ripcord.Core.Ramps;
using Ripcord.Core.Telemetry;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The ramp state machine, case by case, at and around each threshold (docs/invariants.md, RP-*).</summary>
public sealed class RampMachineTests
{
    internal static readonly DateTimeOffset T0 = Groups.Now;

    internal static RampPlan Plan(bool rollback = false) => new() { Cohort = "limited-ga", Steps = [1m, 5m, 10m], EveryMinutes = 60, RollbackOnBreach = rollback };

    internal static readonly StageThresholds Limits = new() { MaxErrorRate = 0.01m, MinFallbackRate = 0m, MaxFallbackRate = 0.05m, MinOperations = 100 };

    internal static WindowFigures Window(long operations, long fallbacks = 0, long sends = 0, long failures = 0) =>
        new(T0, T0, operations, fallbacks, sends, failures, 0, 0, 0, null);

    private static RampFacts At(TimeSpan after, WindowFigures w, params string[] holds) => new(T0 + after, w, Limits, "2", [.. holds]);

    private static RampState Started(bool rollback = false) => RampMachine.Start("2", Plan(rollback), T0, "rita");

    [Fact]
    [Invariant("RP-2", "a ramp never advances before `every` has passed since its step started")]
    public void Before_every_has_passed_the_ramp_waits_even_with_good_metrics()
    {
        var d = RampMachine.Tick(Started(), At(TimeSpan.FromMinutes(59), Window(1000, sends: 1000)));
        Assert.Null(d.Action);
        Assert.Equal(RampStatus.Running, d.Next.Status);
        Assert.Equal(1m, d.Next.Percentage);
        Assert.Contains("next step at", d.Next.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void At_every_with_good_metrics_it_advances_one_step_and_restarts_the_step_clock()
    {
        var d = RampMachine.Tick(Started(), At(TimeSpan.FromMinutes(60), Window(100, fallbacks: 5, sends: 100, failures: 0)));
        Assert.Equal(new RampAction(RampActionKind.Advance, 1m, 5m, d.Next.Reason), d.Action);
        Assert.Equal(1, d.Next.Step);
        Assert.Equal(T0.AddMinutes(60), d.Next.StepStartedAt);
        Assert.Equal(RampStatus.Running, d.Next.Status);
    }

    [Fact]
    [Invariant("RP-6", "a ramp never advances without the stage's minimum sample since its step started")]
    public void Without_the_minimum_sample_it_waits_whatever_the_time()
    {
        var d = RampMachine.Tick(Started(), At(TimeSpan.FromDays(3), Window(99, sends: 99)));
        Assert.Null(d.Action);
        Assert.Equal("waiting for the sample: 99 of 100 operations", d.Next.Reason);
    }

    [Theory]
    [InlineData(100, 1, 0, "error rate 1% ≥ 1%")] // the error rate is exclusive, as at the stage gate
    [InlineData(100, 0, 6, "fallback rate 6% outside 0%–5%")]
    [Invariant("RP-1", "a ramp never advances on a breach of the error rate or the fallback band")]
    public void A_breach_holds_at_the_step_even_after_every(long sends, long failures, long fallbacks, string words)
    {
        var d = RampMachine.Tick(Started(), At(TimeSpan.FromHours(2), Window(100, fallbacks, sends, failures)));
        Assert.Equal(RampStatus.Holding, d.Next.Status);
        Assert.Equal(RampActionKind.Hold, d.Action!.Kind);
        Assert.Equal(1m, d.Next.Percentage);
        Assert.Contains(words, d.Next.Reason, StringComparison.Ordinal);
        // The next tick with the breach still there holds without a second action.
        var again = RampMachine.Tick(d.Next, At(TimeSpan.FromHours(3), Window(200, fallbacks * 2, sends * 2, failures * 2 + 1)));
        Assert.Null(again.Action);
        Assert.Equal(RampStatus.Holding, again.Next.Status);
    }

    [Fact]
    public void A_hold_on_a_breach_lifts_once_the_metrics_hold_again()
    {
        var held = RampMachine.Tick(Started(), At(TimeSpan.FromHours(2), Window(100, sends: 100, failures: 5))).Next;
        var d = RampMachine.Tick(held, At(TimeSpan.FromHours(3), Window(1000, sends: 1000, failures: 5)));
        Assert.Equal(RampActionKind.Advance, d.Action!.Kind);
        Assert.Equal(5m, d.Next.Percentage);
    }

    [Fact]
    [Invariant("RP-5", "with rollbackOnBreach a breach moves the ramp back one step, once: it then stops until an operator resumes it")]
    public void With_rollback_on_breach_a_breach_moves_back_one_step_and_stops()
    {
        var at5 = RampMachine.Tick(Started(rollback: true), At(TimeSpan.FromHours(1), Window(100))).Next;
        var d = RampMachine.Tick(at5, At(TimeSpan.FromMinutes(70), Window(100, sends: 10, failures: 5)));
        Assert.Equal(new RampAction(RampActionKind.RollBack, 5m, 1m, d.Next.Reason), d.Action);
        Assert.Equal(RampStatus.RolledBack, d.Next.Status);
        Assert.Null(RampMachine.Tick(d.Next, At(TimeSpan.FromDays(1), Window(100_000))).Action);
        var resumed = RampMachine.Resume(d.Next, T0.AddDays(1));
        Assert.Equal(RampStatus.Running, resumed.Status);
        Assert.Equal(1m, resumed.Percentage);
        Assert.Equal(T0.AddDays(1), resumed.StepStartedAt);
    }

    [Fact]
    public void With_rollback_on_breach_at_the_first_step_there_is_nowhere_back_to_so_it_holds()
    {
        var d = RampMachine.Tick(Started(rollback: true), At(TimeSpan.FromMinutes(5), Window(100, sends: 10, failures: 5)));
        Assert.Equal(RampActionKind.Hold, d.Action!.Kind);
        Assert.Equal(1m, d.Next.Percentage);
    }

    [Fact]
    [Invariant("RP-4", "a freeze, another stage or a pause holds a ramp: its percentage does not move")]
    public void A_freeze_holds_the_ramp_and_the_ramp_moves_on_once_it_is_lifted()
    {
        var d = RampMachine.Tick(Started(), At(TimeSpan.FromHours(2), Window(1000), "freeze frz_1: P1"));
        Assert.Equal(RampStatus.Holding, d.Next.Status);
        Assert.Equal("held by freeze frz_1: P1", d.Next.Reason);
        Assert.Equal(RampActionKind.Hold, d.Action!.Kind);
        var lifted = RampMachine.Tick(d.Next, At(TimeSpan.FromHours(3), Window(1000)));
        Assert.Equal(RampActionKind.Advance, lifted.Action!.Kind);
    }

    [Fact]
    public void Another_stage_holds_the_ramp()
    {
        var d = RampMachine.Tick(Started(), new RampFacts(T0.AddHours(2), Window(1000), Limits, "3", []));
        Assert.Equal(RampStatus.Holding, d.Next.Status);
        Assert.Contains("stage 3, not 2", d.Next.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_paused_ramp_does_not_move_and_a_finished_one_stays_finished()
    {
        var paused = RampMachine.Pause(Started(), "watching a dashboard");
        Assert.Equal(new RampDecision(paused, null), RampMachine.Tick(paused, At(TimeSpan.FromDays(1), Window(1000))));
        var s = Started();
        for (var hour = 1; hour <= 3; hour++)
        {
            s = RampMachine.Tick(s, At(TimeSpan.FromHours(hour), Window(1000))).Next;
        }
        Assert.Equal(RampStatus.Done, s.Status);
        Assert.Equal(10m, s.Percentage);
        Assert.Null(RampMachine.Tick(s, At(TimeSpan.FromHours(4), Window(1000))).Action);
    }

    [Fact]
    public void The_last_step_finishes_after_every_without_moving_the_percentage()
    {
        var s = Started() with { Step = 2, StepStartedAt = T0 };
        var d = RampMachine.Tick(s, At(TimeSpan.FromHours(1), Window(1000)));
        Assert.Equal(RampActionKind.Finish, d.Action!.Kind);
        Assert.Equal((10m, 10m), (d.Action.From, d.Action.To));
        Assert.Equal(RampStatus.Done, d.Next.Status);
    }
}
