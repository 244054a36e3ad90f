using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Ramps;
using Ripcord.Core.Telemetry;
using Ripcord.Testing;
using static Ripcord.Core.Tests.RampMachineTests;

namespace Ripcord.Core.Tests;

/// <summary>Ramps over random runs of ticks, pauses and resumes (docs/invariants.md, RP-*).</summary>
public sealed class RampProperties
{
    /// <summary>One input to a ramp: a tick after some minutes with some figures and maybe a freeze, or an operator's pause or resume.</summary>
    public sealed record Input(int Minutes, long Operations, long Fallbacks, long Sends, long Failures, bool Frozen, bool Pause, bool Resume)
    {
        public RampFacts Facts(DateTimeOffset now) =>
            new(now, new WindowFigures(now, now, Operations, Fallbacks, Sends, Failures, 0, 0, 0, null), Limits, "2", Frozen ? ["freeze frz_1: test"] : []);

        public bool Breach => RampMachine.Breach(Facts(T0).Window, Limits) is not null;
    }

    public sealed record Run(RampPlan Plan, Input[] Inputs)
    {
        public override string ToString() => $"{string.Join(",", Plan.Steps)} every {Plan.EveryMinutes}m rollback={Plan.RollbackOnBreach}: {string.Join(" ", Inputs.AsEnumerable())}";
    }

    private static readonly Gen<Input> InputGen =
        from minutes in Gen.Elements(0, 1, 10, 30, 59, 60, 61, 120)
        from ops in Gen.Elements(0L, 50L, 99L, 100L, 1000L)
        from fallbacks in Gen.Elements(0L, 1L, 5L, 60L)
        from sends in Gen.Elements(0L, 100L)
        from failures in Gen.Elements(0L, 0L, 1L, 2L)
        from frozen in Gen.Elements(false, false, false, true)
        from op in Gen.Elements(0, 0, 0, 0, 0, 0, 1, 2)
        select new Input(minutes, ops, Math.Min(fallbacks, ops), sends, Math.Min(failures, sends), frozen, op == 1, op == 2);

    private static readonly Gen<RampPlan> PlanGen =
        from n in Gen.Choose(1, 5)
        from raw in Gen.ArrayOf(Gen.Choose(0, 10000), n)
        from every in Gen.Elements(1, 30, 60)
        from rollback in Gen.Elements(false, true)
        let steps = raw.Select(b => b / 100m).Distinct().Order().ToArray()
        select new RampPlan { Cohort = "limited-ga", Steps = [.. steps], EveryMinutes = every, RollbackOnBreach = rollback };

    private static readonly Gen<Run> Runs =
        from plan in PlanGen
        from n in Gen.Choose(0, 40)
        from inputs in Gen.ArrayOf(InputGen, n)
        select new Run(plan, inputs);

    /// <summary>Each step of a run: the state before, the input, the time, and what the machine decided.</summary>
    private static IEnumerable<(RampState Before, Input Input, DateTimeOffset Now, RampDecision Decision)> Steps(Run run)
    {
        var now = T0;
        var s = RampMachine.Start("2", run.Plan, now, "rita");
        foreach (var input in run.Inputs)
        {
            now = now.AddMinutes(input.Minutes);
            RampDecision d;
            if (input.Pause)
            {
                d = new RampDecision(RampMachine.Pause(s, "operator"), null);
            }
            else if (input.Resume)
            {
                d = new RampDecision(RampMachine.Resume(s, now), null);
            }
            else
            {
                d = RampMachine.Tick(s, input.Facts(now));
            }
            yield return (s, input, now, d);
            s = d.Next;
        }
    }

    private static bool Moved(RampState before, RampDecision d) => d.Next.Step != before.Step;

    [Property(MaxTest = 500)]
    [Invariant("RP-1", "a ramp never advances on a breach of the error rate or the fallback band")]
    public Property Never_advances_on_a_breach() => Prop.ForAll(Runs.ToArbitrary(), run =>
        Steps(run).All(x => !(x.Input.Breach && x.Decision.Next.Step > x.Before.Step)));

    [Property(MaxTest = 500)]
    [Invariant("RP-2", "a ramp never advances before `every` has passed since its step started")]
    public Property Never_advances_before_every() => Prop.ForAll(Runs.ToArbitrary(), run =>
        Steps(run).All(x => x.Decision.Next.Step <= x.Before.Step || x.Now - x.Before.StepStartedAt >= run.Plan.Every));

    [Property(MaxTest = 500)]
    [Invariant("RP-3", "a ramp's percentage is always one of its steps and moves one step at a time; only an advance or a rollback moves it, and each says from and to")]
    public Property Percentages_move_only_along_the_steps() => Prop.ForAll(Runs.ToArbitrary(), run =>
        Steps(run).All(x =>
            x.Decision.Next.Step >= 0 && x.Decision.Next.Step < run.Plan.Steps.Length
            && Math.Abs(x.Decision.Next.Step - x.Before.Step) <= 1
            && Moved(x.Before, x.Decision) == x.Decision.Action?.Kind is RampActionKind.Advance or RampActionKind.RollBack
            && (x.Decision.Action is not { } a || (a.From == x.Before.Percentage && a.To == x.Decision.Next.Percentage))));

    [Property(MaxTest = 500)]
    [Invariant("RP-4", "a freeze, another stage or a pause holds a ramp: its percentage does not move")]
    public Property A_freeze_or_a_pause_never_moves_the_percentage() => Prop.ForAll(Runs.ToArbitrary(), run =>
        Steps(run).All(x => !(x.Input.Frozen || x.Input.Pause || x.Before.Status == RampStatus.Paused && !x.Input.Resume) || !Moved(x.Before, x.Decision)));

    [Property(MaxTest = 500)]
    [Invariant("RP-5", "with rollbackOnBreach a breach moves the ramp back one step, once: it then stops until an operator resumes it")]
    public Property Rolls_back_only_on_a_breach_and_then_stops() => Prop.ForAll(Runs.ToArbitrary(), run =>
        Steps(run).All(x => x.Decision.Next.Step >= x.Before.Step
            || (x.Input.Breach && run.Plan.RollbackOnBreach && x.Decision.Next.Status == RampStatus.RolledBack)));

    [Property(MaxTest = 500)]
    [Invariant("RP-6", "a ramp never advances without the stage's minimum sample since its step started")]
    public Property Never_advances_without_the_sample() => Prop.ForAll(Runs.ToArbitrary(), run =>
        Steps(run).All(x => x.Decision.Next.Step <= x.Before.Step || x.Input.Operations >= Limits.MinOperations));
}
