using Ripcord.Core.Changes;

namespace Ripcord.Core.Alerts;

/// <summary>
/// The alert state machine, pure: ok → pending (breach seen) → firing (breach held for the sustain
/// duration; fires once) → resolved (a clean observation a whole window after the last breach). A
/// breach after resolution starts a new alert. Time comes in with the observation; an observation
/// older than the last one is ignored, so a late or repeated evaluation pass changes nothing.
/// </summary>
public static class AlertEvaluator
{
    public const int MaxReasonLength = 2000;

    public static AlertStep Step(AlertRule rule, AlertRuleState state, AlertObservation observation, string newAlertId)
    {
        if (state.LastObservedAt is { } last && observation.At <= last)
        {
            return new AlertStep(state, AlertTransition.None);
        }
        var now = observation.At;
        var breach = rule.Breaches(observation.Value);
        var seen = state with { LastObservedAt = now };
        switch (state.Phase)
        {
            case AlertPhase.Firing:
            {
                var alert = state.Alert!;
                if (breach)
                {
                    return new AlertStep(seen with { Alert = alert with { LastValue = observation.Value!.Value, LastBreachAt = now } }, AlertTransition.None);
                }
                if (now - alert.LastBreachAt < rule.Window)
                {
                    return new AlertStep(seen, AlertTransition.None);
                }
                var resolved = alert with { Status = AlertPhase.Resolved, ResolvedAt = now };
                return new AlertStep(seen with { Phase = AlertPhase.Resolved, BreachStartedAt = null, Alert = resolved }, AlertTransition.Resolved);
            }
            case AlertPhase.Pending:
                if (!breach)
                {
                    return new AlertStep(seen with { Phase = AlertPhase.Ok, BreachStartedAt = null }, AlertTransition.BreachCleared);
                }
                return HeldLongEnough(rule, state.BreachStartedAt!.Value, now)
                    ? Fire(rule, seen, state.BreachStartedAt.Value, observation, newAlertId)
                    : new AlertStep(seen, AlertTransition.None);
            default: // ok or resolved: a breach starts afresh
                if (!breach)
                {
                    return new AlertStep(seen, AlertTransition.None);
                }
                return HeldLongEnough(rule, now, now)
                    ? Fire(rule, seen, now, observation, newAlertId)
                    : new AlertStep(seen with { Phase = AlertPhase.Pending, BreachStartedAt = now }, AlertTransition.BreachStarted);
        }
    }

    /// <summary>
    /// The rule is gone from the definition: a firing alert resolves (nothing will evaluate it again),
    /// anything else returns to ok. A definition that brings the rule back starts it afresh.
    /// </summary>
    public static AlertStep Retire(AlertRuleState state, DateTimeOffset now)
    {
        if (state.Phase != AlertPhase.Firing)
        {
            var idle = state with { Phase = state.Phase == AlertPhase.Pending ? AlertPhase.Ok : state.Phase, BreachStartedAt = null };
            return new AlertStep(idle, idle == state ? AlertTransition.None : AlertTransition.BreachCleared);
        }
        var resolved = state.Alert! with { Status = AlertPhase.Resolved, ResolvedAt = now };
        return new AlertStep(state with { Phase = AlertPhase.Resolved, BreachStartedAt = null, LastObservedAt = now, Alert = resolved },
            AlertTransition.Resolved);
    }

    /// <summary>Acknowledges a firing alert (once), with the reason; anything else is refused.</summary>
    public static Alert Acknowledge(Alert alert, string by, string reason, DateTimeOffset now)
    {
        var text = reason?.Trim() ?? "";
        if (text.Length == 0 || text.Length > MaxReasonLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", $"an acknowledgement needs a reason (1–{MaxReasonLength} characters)");
        }
        if (alert.Status != AlertPhase.Firing)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "alert", $"alert {alert.Id} is resolved; only a firing alert is acknowledged");
        }
        if (alert.Acknowledged)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "alert", $"alert {alert.Id} was acknowledged by {alert.AcknowledgedBy} already");
        }
        return alert with { AcknowledgedAt = now, AcknowledgedBy = by, AcknowledgeReason = text };
    }

    private static bool HeldLongEnough(AlertRule rule, DateTimeOffset since, DateTimeOffset now) => now - since >= rule.Sustain;

    private static AlertStep Fire(AlertRule rule, AlertRuleState seen, DateTimeOffset breachStartedAt, AlertObservation observation, string id)
    {
        var value = observation.Value!.Value;
        var alert = new Alert
        {
            Id = id, Program = seen.Program, Rule = rule.Id, Metric = rule.Metric, Severity = rule.Severity, Status = AlertPhase.Firing,
            Threshold = rule.Threshold, Value = value, LastValue = value, BreachStartedAt = breachStartedAt, FiredAt = observation.At,
            LastBreachAt = observation.At,
        };
        return new AlertStep(seen with { Phase = AlertPhase.Firing, BreachStartedAt = breachStartedAt, Alert = alert }, AlertTransition.Fired);
    }
}
