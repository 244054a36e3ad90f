using System.Collections.Immutable;
using System.Globalization;
using Ripcord.Core.Definitions;
using Ripcord.Core.Telemetry;

namespace Ripcord.Core.Ramps;

/// <summary>What one evaluation of a ramp did; <see cref="None"/> when only the figures or the reason moved.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(StrictEnumConverter<RampActionKind>))]
public enum RampActionKind
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("none")] None,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("advance")] Advance,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("hold")] Hold,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("rollback")] RollBack,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("finish")] Finish,
}

/// <summary>An automatic action: the cohort's percentage before and after (equal for a hold or a finish), and why.</summary>
public sealed record RampAction(RampActionKind Kind, decimal From, decimal To, string Reason);

/// <summary>The next state and at most one action: only an advance or a rollback changes the cohort's percentage.</summary>
public sealed record RampDecision(RampState Next, RampAction? Action);

/// <summary>
/// What a ramp tick reads: now, the program's exit figures since the step started, the stage's thresholds,
/// the program's current stage, and what holds every ramp (active freezes), each as a line of text.
/// </summary>
public sealed record RampFacts(DateTimeOffset Now, WindowFigures Window, StageThresholds Thresholds, string CurrentStage, ImmutableArray<string> Holds);

/// <summary>
/// Guarded ramps as a pure state machine (docs/invariants.md, RP-*). A step is judged once it has the
/// minimum sample (the stage's <c>minOperations</c>): a breach of the error rate or the fallback band holds
/// the ramp (or, with <c>rollbackOnBreach</c>, moves it back one step, once, and stops it); with no breach,
/// the ramp advances one step when <c>every</c> has passed since the step started, and finishes after its
/// last step. A freeze, another stage, or an operator's pause holds it without judging anything.
/// </summary>
public static class RampMachine
{
    public static RampState Start(string stage, RampPlan plan, DateTimeOffset now, string by) => new()
    {
        Stage = stage, Plan = plan, Step = 0, StepStartedAt = now, Status = RampStatus.Running, StartedAt = now, StartedBy = by,
        Reason = $"started at {Percent(plan.Steps[0])}",
    };

    /// <summary>An operator stops the automatic moves; the percentage stays where it is.</summary>
    public static RampState Pause(RampState s, string reason) => s with { Status = RampStatus.Paused, Reason = "paused: " + reason };

    /// <summary>An operator lets a paused, holding or rolled-back ramp move again: its current step starts afresh (a new window).</summary>
    public static RampState Resume(RampState s, DateTimeOffset now) => s with
    {
        Status = RampStatus.Running, StepStartedAt = now, Reason = $"resumed at {Percent(s.Percentage)}", Figures = null, EvaluatedAt = null,
    };

    public static RampDecision Tick(RampState s, RampFacts f)
    {
        if (s.Stopped)
        {
            return new RampDecision(s, null);
        }
        if (!string.Equals(f.CurrentStage, s.Stage, StringComparison.Ordinal))
        {
            return Hold(s, OtherStage, $"{OtherStage} {f.CurrentStage}, not {s.Stage}", f, null);
        }
        if (!f.Holds.IsEmpty)
        {
            return Hold(s, HeldBy, $"{HeldBy} {string.Join("; ", f.Holds)}", f, null);
        }
        var judged = s with { EvaluatedAt = f.Now, Figures = f.Window };
        var t = f.Thresholds;
        var w = f.Window;
        if (w.Operations < t.MinOperations)
        {
            return Wait(judged, $"waiting for the sample: {w.Operations} of {t.MinOperations} operations");
        }
        if (Breach(w, t) is { } breach)
        {
            if (s.Plan.RollbackOnBreach && s.Step > 0)
            {
                var back = judged with
                {
                    Step = s.Step - 1, StepStartedAt = f.Now, Status = RampStatus.RolledBack,
                    Reason = $"rolled back from {Percent(s.Percentage)} to {Percent(s.Plan.Steps[s.Step - 1])}: {breach}",
                };
                return new RampDecision(back, new RampAction(RampActionKind.RollBack, s.Percentage, back.Percentage, back.Reason));
            }
            return Hold(judged, Breached, $"{Breached} {breach}", f, w);
        }
        if (f.Now < s.NextStepAt)
        {
            return Wait(judged, $"metrics hold; next step at {s.NextStepAt:u}");
        }
        var passed = $"metrics held for {s.Plan.EveryMinutes} min at {Percent(s.Percentage)} ({Describe(w)})";
        if (s.Step == s.Plan.Steps.Length - 1)
        {
            var done = judged with { Status = RampStatus.Done, Reason = "finished: " + passed };
            return new RampDecision(done, new RampAction(RampActionKind.Finish, s.Percentage, s.Percentage, done.Reason));
        }
        var next = judged with
        {
            Step = s.Step + 1, StepStartedAt = f.Now, Status = RampStatus.Running, Figures = null,
            Reason = $"advanced to {Percent(s.Plan.Steps[s.Step + 1])}: {passed}",
        };
        return new RampDecision(next, new RampAction(RampActionKind.Advance, s.Percentage, next.Percentage, next.Reason));
    }

    /// <summary>What breached, in words, or null: the error rate (exclusive) and the fallback band (inclusive), as the stage gate reads them.</summary>
    public static string? Breach(WindowFigures w, StageThresholds t)
    {
        var errors = w.Sends == 0 ? 0m : (decimal)w.SendFailures / w.Sends;
        if (errors >= t.MaxErrorRate)
        {
            return $"error rate {Percent(errors * 100)} ≥ {Percent(t.MaxErrorRate * 100)}";
        }
        var fallbacks = w.Operations == 0 ? 0m : (decimal)w.Fallbacks / w.Operations;
        if (fallbacks < t.MinFallbackRate || fallbacks > t.MaxFallbackRate)
        {
            return $"fallback rate {Percent(fallbacks * 100)} outside {Percent(t.MinFallbackRate * 100)}–{Percent(t.MaxFallbackRate * 100)}";
        }
        return null;
    }

    private const string OtherStage = "held: the program is at stage";
    private const string HeldBy = "held by";
    private const string Breached = "holding on a breach:";

    // A hold is an action only when the ramp starts holding or holds for another cause: ticks do not repeat it
    // (the figures in a breach's words move every tick; its cause does not).
    private static RampDecision Hold(RampState s, string cause, string reason, RampFacts f, WindowFigures? figures)
    {
        var held = s with { Status = RampStatus.Holding, Reason = reason, EvaluatedAt = f.Now, Figures = figures ?? s.Figures };
        var repeated = s.Status == RampStatus.Holding && s.Reason.StartsWith(cause, StringComparison.Ordinal);
        return new RampDecision(held, repeated ? null : new RampAction(RampActionKind.Hold, s.Percentage, s.Percentage, reason));
    }

    private static RampDecision Wait(RampState s, string reason) =>
        new(s with { Status = RampStatus.Running, Reason = reason }, null);

    private static string Describe(WindowFigures w) =>
        $"{w.SendFailures} of {w.Sends} sends failed, {w.Fallbacks} fallbacks in {w.Operations} operations";

    public static string Percent(decimal percent) => percent.ToString("0.###", CultureInfo.InvariantCulture) + "%";
}
