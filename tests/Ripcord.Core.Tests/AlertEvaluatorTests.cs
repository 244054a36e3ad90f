using Ripcord.Core.Alerts;
using Ripcord.Core.Changes;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The alert state machine at and around its sustain and clean-window edges.</summary>
public sealed class AlertEvaluatorTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly AlertRule Rule = new()
    {
        Id = "send-failures", Metric = AlertMetric.SendFailureRate, Threshold = 0.05, Window = TimeSpan.FromMinutes(5),
        Sustain = TimeSpan.FromMinutes(10), Severity = AlertSeverity.High,
    };

    /// <summary>Runs (minute, value) observations from the initial state; returns each step's transition and the last state.</summary>
    private static (List<AlertTransition> Transitions, AlertRuleState State) Run(AlertRule rule, params (int Minute, double? Value)[] observations)
    {
        var state = AlertRuleState.Initial("groups", rule.Id);
        var transitions = new List<AlertTransition>();
        var n = 0;
        foreach (var (minute, value) in observations)
        {
            var step = AlertEvaluator.Step(rule, state, new AlertObservation(T0.AddMinutes(minute), value), "al_" + n++);
            transitions.Add(step.Transition);
            state = step.State;
        }
        return (transitions, state);
    }

    [Theory]
    [Invariant("AL-1", "an alert never fires before its breach has held for the sustain duration")]
    [InlineData(9, false)]
    [InlineData(10, true)]
    [InlineData(11, true)]
    public void Fires_exactly_when_the_breach_has_held_for_the_sustain(int minute, bool fired)
    {
        var (transitions, state) = Run(Rule, (0, 0.2), (5, 0.2), (minute, 0.2));
        Assert.Equal(AlertTransition.BreachStarted, transitions[0]);
        Assert.Equal(fired ? AlertTransition.Fired : AlertTransition.None, transitions[^1]);
        Assert.Equal(fired ? AlertPhase.Firing : AlertPhase.Pending, state.Phase);
    }

    [Fact]
    public void A_clean_observation_before_the_sustain_clears_the_breach_and_restarts_the_count()
    {
        var (transitions, state) = Run(Rule, (0, 0.2), (5, 0.01), (6, 0.2), (15, 0.2), (16, 0.2));
        Assert.Equal([AlertTransition.BreachStarted, AlertTransition.BreachCleared, AlertTransition.BreachStarted, AlertTransition.None, AlertTransition.Fired],
            transitions);
        Assert.Equal(T0.AddMinutes(6), state.Alert!.BreachStartedAt);
    }

    [Fact]
    [Invariant("AL-2", "an alert fires at most once per breach: while the breach holds, the same alert stays open")]
    public void A_held_breach_keeps_one_alert()
    {
        var (transitions, state) = Run(Rule, (0, 0.2), (10, 0.3), (11, 0.4), (12, 0.5));
        Assert.Single(transitions, AlertTransition.Fired);
        Assert.Equal(("al_1", 0.3, 0.5), (state.Alert!.Id, state.Alert.Value, state.Alert.LastValue));
    }

    [Theory]
    [Invariant("AL-3", "a firing alert resolves only on a clean observation a whole window after its last breach")]
    [InlineData(14, false)]
    [InlineData(15, true)]
    public void Resolves_after_a_clean_window(int minute, bool resolved)
    {
        var (transitions, state) = Run(Rule, (0, 0.2), (10, 0.2), (12, 0.01), (minute, null));
        Assert.Equal(resolved ? AlertTransition.Resolved : AlertTransition.None, transitions[^1]);
        Assert.Equal(resolved ? AlertPhase.Resolved : AlertPhase.Firing, state.Phase);
        Assert.Equal(resolved ? T0.AddMinutes(15) : null, state.Alert!.ResolvedAt);
    }

    [Fact]
    public void A_breach_after_resolution_is_a_new_alert()
    {
        var (transitions, state) = Run(Rule, (0, 0.2), (10, 0.2), (15, 0), (16, 0.2), (26, 0.2));
        Assert.Equal(AlertTransition.Fired, transitions[^1]);
        Assert.Equal("al_4", state.Alert!.Id);
    }

    [Fact]
    public void Zero_sustain_fires_on_the_first_breach_and_no_traffic_is_clean()
    {
        var rule = Rule with { Metric = AlertMetric.SecuritySignals, Threshold = 0, Sustain = TimeSpan.Zero, Severity = AlertSeverity.Critical };
        var (transitions, _) = Run(rule, (0, null), (1, 0), (2, 1));
        Assert.Equal([AlertTransition.None, AlertTransition.None, AlertTransition.Fired], transitions);
    }

    [Fact]
    public void An_observation_no_later_than_the_last_changes_nothing()
    {
        var (_, state) = Run(Rule, (0, 0.2), (10, 0.2));
        var step = AlertEvaluator.Step(Rule, state, new AlertObservation(T0.AddMinutes(10), 0), "al_x");
        Assert.Equal((AlertTransition.None, state), (step.Transition, step.State));
    }

    [Fact]
    public void Acknowledging_takes_a_firing_alert_once_with_a_reason()
    {
        var (_, state) = Run(Rule, (0, 0.2), (10, 0.2));
        var acked = AlertEvaluator.Acknowledge(state.Alert!, "olga", " looking ", T0.AddMinutes(11));
        Assert.Equal(("olga", "looking", true), (acked.AcknowledgedBy, acked.AcknowledgeReason, acked.Acknowledged));
        Assert.Equal(ChangeError.Conflict, Assert.Throws<ChangeRejectedException>(() => AlertEvaluator.Acknowledge(acked, "x", "again", T0)).Kind);
        Assert.Equal(ChangeError.Invalid, Assert.Throws<ChangeRejectedException>(() => AlertEvaluator.Acknowledge(state.Alert!, "x", " ", T0)).Kind);
        var resolved = state.Alert! with { Status = AlertPhase.Resolved };
        Assert.Equal(ChangeError.Conflict, Assert.Throws<ChangeRejectedException>(() => AlertEvaluator.Acknowledge(resolved, "x", "late", T0)).Kind);
    }

    [Fact]
    public void A_retired_rule_resolves_its_firing_alert_and_forgets_a_pending_breach()
    {
        var (_, firing) = Run(Rule, (0, 0.2), (10, 0.2));
        var retired = AlertEvaluator.Retire(firing, T0.AddMinutes(11));
        Assert.Equal((AlertTransition.Resolved, AlertPhase.Resolved, T0.AddMinutes(11)), (retired.Transition, retired.State.Alert!.Status, retired.State.Alert.ResolvedAt));

        var (_, pending) = Run(Rule, (0, 0.2));
        Assert.Equal((AlertTransition.BreachCleared, AlertPhase.Ok), (AlertEvaluator.Retire(pending, T0).Transition, AlertEvaluator.Retire(pending, T0).State.Phase));
        var idle = AlertRuleState.Initial("groups", "r");
        Assert.Equal(AlertTransition.None, AlertEvaluator.Retire(idle, T0).Transition);
    }
}
