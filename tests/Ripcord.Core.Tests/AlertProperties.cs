using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Alerts;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The alert state machine over random observation streams (docs/invariants.md, AL-*).</summary>
public sealed class AlertProperties
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A rule with random sustain and window, and observations a random number of minutes apart (0 included: repeats).</summary>
    public sealed record Stream(int SustainMinutes, int WindowMinutes, (int Gap, double? Value)[] Observations)
    {
        public AlertRule Rule => new()
        {
            Id = "r", Metric = AlertMetric.SendFailureRate, Threshold = 0.5, Sustain = TimeSpan.FromMinutes(SustainMinutes),
            Window = TimeSpan.FromMinutes(WindowMinutes),
        };

        public override string ToString() =>
            $"sustain {SustainMinutes}m window {WindowMinutes}m: {string.Join(" ", Observations.Select(o => $"+{o.Gap}:{o.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}"))}";
    }

    private static readonly Gen<Stream> Streams =
        from sustain in Gen.Choose(0, 8)
        from window in Gen.Choose(1, 6)
        from observations in Gen.ArrayOf(
            from gap in Gen.Choose(0, 4)
            from value in Gen.Frequency((1, Gen.Constant<double?>(null)), (3, Gen.Elements<double?>(0.1, 0.5, 0.9)))
            select (gap, value))
        select new Stream(sustain, window, observations);

    /// <summary>Each step with the time and value it saw, and what it did.</summary>
    private static List<(DateTimeOffset At, double? Value, AlertStep Step, AlertRuleState Before)> Run(Stream s)
    {
        var state = AlertRuleState.Initial("p", "r");
        var at = T0;
        var steps = new List<(DateTimeOffset, double?, AlertStep, AlertRuleState)>();
        var n = 0;
        foreach (var (gap, value) in s.Observations)
        {
            at = at.AddMinutes(gap);
            var step = AlertEvaluator.Step(s.Rule, state, new AlertObservation(at, value), "a" + n++);
            steps.Add((at, value, step, state));
            state = step.State;
        }
        return steps;
    }

    [Property(MaxTest = 500)]
    [Invariant("AL-1", "an alert never fires before its breach has held for the sustain duration")]
    public Property Never_fires_before_the_sustain() => Prop.ForAll(Streams.ToArbitrary(), s =>
        Run(s).Where(x => x.Step.Transition == AlertTransition.Fired).All(x =>
        {
            var alert = x.Step.State.Alert!;
            return alert.FiredAt - alert.BreachStartedAt >= s.Rule.Sustain && x.Value > s.Rule.Threshold;
        }));

    [Property(MaxTest = 500)]
    [Invariant("AL-2", "an alert fires at most once per breach: while the breach holds, the same alert stays open")]
    public Property Fires_at_most_once_per_breach() => Prop.ForAll(Streams.ToArbitrary(), s =>
    {
        var steps = Run(s);
        // Between two firings there is always a resolution: never two open alerts for one (program, rule).
        var open = false;
        foreach (var (_, _, step, before) in steps)
        {
            if (step.Transition == AlertTransition.Fired)
            {
                if (open)
                {
                    return false;
                }
                open = true;
            }
            else if (step.Transition == AlertTransition.Resolved)
            {
                open = false;
            }
            if (before.Phase == AlertPhase.Firing && step.State.Phase == AlertPhase.Firing && step.State.Alert!.Id != before.Alert!.Id)
            {
                return false;
            }
        }
        return true;
    });

    [Property(MaxTest = 500)]
    [Invariant("AL-3", "a firing alert resolves only on a clean observation a whole window after its last breach")]
    public Property Resolves_only_after_a_clean_window() => Prop.ForAll(Streams.ToArbitrary(), s =>
        Run(s).Where(x => x.Step.Transition == AlertTransition.Resolved).All(x =>
            !s.Rule.Breaches(x.Value) && x.At - x.Before.Alert!.LastBreachAt >= s.Rule.Window && x.Step.State.Alert!.ResolvedAt == x.At));

    [Property(MaxTest = 500)]
    [Invariant("AL-4", "an alert that is firing has seen its breach within the last window: it never stays open past a clean window it was evaluated in")]
    public Property Firing_alerts_are_current() => Prop.ForAll(Streams.ToArbitrary(), s =>
        Run(s).Where(x => x.At > x.Before.LastObservedAt || x.Before.LastObservedAt is null).All(x =>
            x.Step.State.Phase != AlertPhase.Firing || s.Rule.Breaches(x.Value) || x.At - x.Step.State.Alert!.LastBreachAt < s.Rule.Window));
}
