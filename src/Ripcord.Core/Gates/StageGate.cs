using System.Collections.Immutable;
using System.Globalization;
using Ripcord.Core.Definitions;
using Ripcord.Core.Incidents;
using N = Ripcord.Core.Gates.CriterionNames;

namespace Ripcord.Core.Gates;

/// <summary>
/// SPEC §3's stage gate as a pure function: the entry criteria of the target stage and the exit
/// criteria of the current one, each with its figure, threshold and evidence. No I/O, no clock:
/// everything it reads is in <see cref="GateFacts"/>. The move is allowed exactly when every criterion passed.
/// </summary>
public static class StageGate
{
    public static GateVerdict Evaluate(GateFacts f)
    {
        ImmutableArray<GateCriterion> criteria =
        [
            IncidentActions(f), PostActionReviews(f), QualityGates(f), InteropLanes(f), SecuritySignoff(f), Drills(f), Holds(f),
            ErrorRate(f), FallbackRate(f), CriticalIncidents(f), SupportLoad(f), SoakTime(f), SampleSize(f),
        ];
        return new GateVerdict(f.CurrentStage, f.TargetStage, criteria);
    }

    private static GateCriterion Entry(string name, bool passed, string figure, string threshold, string evidence) =>
        new(name, CriterionKind.Entry, passed, figure, threshold, evidence);

    private static GateCriterion Exit(string name, bool passed, string figure, string threshold, string evidence) =>
        new(name, CriterionKind.Exit, passed, figure, threshold, evidence);

    private static string Ids(IEnumerable<string> ids, string none)
    {
        var list = ids.ToList();
        return list.Count == 0 ? none : string.Join(", ", list);
    }

    private static GateCriterion IncidentActions(GateFacts f)
    {
        var open = f.Incidents.SelectMany(i => i.Actions.Where(a => a.Open).Select(a => $"{i.Id}/{a.Id}")).ToList();
        return Entry(N.IncidentActions, open.Count == 0, $"{open.Count} open", "0 open",
            Ids(open, $"all action items of {f.Incidents.Length} incidents resolved"));
    }

    private static GateCriterion PostActionReviews(GateFacts f)
    {
        var open = f.Reviews.Where(r => r.Open).Select(r => r.Id).ToList();
        return Entry(N.PostActionReviews, open.Count == 0, $"{open.Count} open", "0 open", Ids(open, $"{f.Reviews.Length} reviews, all completed"));
    }

    /// <summary>The latest check of each target for the kind and target stage: by time, then by order of posting (the facts' order).</summary>
    private static List<GateCheck> Latest(GateFacts f, CheckKind kind) =>
        [.. f.Checks.Where(c => c.Kind == kind && string.Equals(c.Stage, f.TargetStage, StringComparison.Ordinal))
            .GroupBy(c => c.Target, StringComparer.Ordinal)
            .Select(g => g.OrderBy(c => c.PostedAt).Last())
            .OrderBy(c => c.Target, StringComparer.Ordinal)];

    private static string Describe(GateCheck c) => $"{c.Target} {c.Status.ToString().ToLowerInvariant()} {c.Evidence}";

    private static GateCriterion QualityGates(GateFacts f)
    {
        var latest = Latest(f, CheckKind.Quality);
        var passed = latest.Count(c => c.Status == CheckStatus.Passed);
        return Entry(N.QualityGates, latest.Count > 0 && passed == latest.Count, $"{passed} of {latest.Count} passed",
            $"every quality check for stage {f.TargetStage} passed (at least one)", Ids(latest.Select(Describe), "no quality check recorded"));
    }

    private static GateCriterion InteropLanes(GateFacts f)
    {
        var targets = StageTiers.Targets(f.Definition, f.TargetStage);
        var latest = Latest(f, CheckKind.Interop).ToDictionary(c => c.Target, StringComparer.Ordinal);
        var green = targets.Count(t => latest.TryGetValue(t, out var c) && c.Status == CheckStatus.Passed);
        var evidence = targets.Select(t => latest.TryGetValue(t, out var c) ? Describe(c) : $"{t} no interop check recorded");
        return Entry(N.InteropLanes, green == targets.Length, $"{green} of {targets.Length} green",
            $"interop passed for {string.Join(", ", targets)}", string.Join(", ", evidence));
    }

    private static GateCriterion SecuritySignoff(GateFacts f)
    {
        var tiers = StageTiers.Enabled(f.Definition, f.TargetStage);
        var signed = tiers.Where(t => f.Signoffs.Any(s => s.Tier == t && string.Equals(s.Stage, f.TargetStage, StringComparison.Ordinal))).ToList();
        var missing = tiers.Except(signed).ToList();
        var evidence = tiers.IsEmpty ? $"stage {f.TargetStage} enables no mission tier"
            : string.Join(", ", signed.Select(t => $"tier {t} signed by " + f.Signoffs.Last(s => s.Tier == t
                && string.Equals(s.Stage, f.TargetStage, StringComparison.Ordinal)).SignedBy))
              + (missing.Count == 0 ? "" : (signed.Count == 0 ? "" : "; ") + "missing tier " + string.Join(", ", missing));
        return Entry(N.SecuritySignoff, missing.Count == 0, $"{signed.Count} of {tiers.Length} tiers signed",
            tiers.IsEmpty ? "none needed" : $"sign-off for tier {string.Join(", ", tiers)} at stage {f.TargetStage}", evidence);
    }

    private static GateCriterion Drills(GateFacts f)
    {
        if (GatePolicy.WaiverReason(f.Definition.Gates, N.Drills) is { } reason)
        {
            return Entry(N.Drills, true, "waived", "drills passed recently", $"waived by the definition: {reason}");
        }
        return f.Drills.IsEmpty
            ? Entry(N.Drills, false, "no drill recorded", "drills passed recently", "no drill recorded")
            : Entry(N.Drills, true, $"{f.Drills.Length} passed", "drills passed recently", string.Join(", ", f.Drills));
    }

    private static GateCriterion Holds(GateFacts f) =>
        Entry(N.StageHold, f.Holds.IsEmpty, f.Holds.IsEmpty ? "none" : $"{f.Holds.Length} active", "no stage lock or active freeze",
            Ids(f.Holds.Select(h => $"{h.Kind} {h.Id}: {h.Reason}"), "no stage lock, no active freeze"));

    private static string Percent(decimal fraction) => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    private static GateCriterion ErrorRate(GateFacts f)
    {
        var w = f.Window;
        var max = f.Definition.Thresholds.MaxErrorRate;
        // No sends: no failure to count. The sample-size criterion is what refuses an empty window.
        var rate = w.Sends == 0 ? 0m : (decimal)w.SendFailures / w.Sends;
        return Exit(N.ErrorRate, rate < max, $"{Percent(rate)} ({w.SendFailures} of {w.Sends} sends failed)", $"< {Percent(max)}",
            $"telemetry {W(f)}");
    }

    private static GateCriterion FallbackRate(GateFacts f)
    {
        var w = f.Window;
        var t = f.Definition.Thresholds;
        var rate = w.Operations == 0 ? 0m : (decimal)w.Fallbacks / w.Operations;
        return Exit(N.FallbackRate, rate >= t.MinFallbackRate && rate <= t.MaxFallbackRate,
            $"{Percent(rate)} ({w.Fallbacks} fallbacks in {w.Operations} operations)", $"{Percent(t.MinFallbackRate)}–{Percent(t.MaxFallbackRate)}",
            $"telemetry {W(f)}");
    }

    private static GateCriterion CriticalIncidents(GateFacts f)
    {
        var open = f.Incidents.Where(i => i.Class is IncidentClass.P1 or IncidentClass.P2
            && i.Status is IncidentStatus.Declared or IncidentStatus.Mitigating or IncidentStatus.Mitigated).Select(i => $"{i.Id} ({i.Class})").ToList();
        return Exit(N.CriticalIncidents, open.Count == 0, $"{open.Count} unresolved", "0 unresolved P1/P2", Ids(open, "no unresolved P1/P2 incident"));
    }

    private static GateCriterion SupportLoad(GateFacts f)
    {
        var max = GatePolicy.SupportLoadCeiling(f.Definition.Gates);
        var threshold = $"≤ {max.ToString(CultureInfo.InvariantCulture)} tickets/day";
        // A figure posted before the stage was entered describes the stage before it.
        var latest = f.SupportLoad.Where(s => s.PostedAt >= f.StageEnteredAt).OrderBy(s => s.PostedAt).LastOrDefault();
        return latest is null
            ? Exit(N.SupportLoad, false, "no figure posted", threshold, $"no support load posted since stage {f.CurrentStage} was entered")
            : Exit(N.SupportLoad, latest.TicketsPerDay <= max, $"{latest.TicketsPerDay.ToString(CultureInfo.InvariantCulture)} tickets/day",
                threshold, $"period {latest.Period}, posted by {latest.PostedBy} at {latest.PostedAt:u}");
    }

    private static GateCriterion SoakTime(GateFacts f)
    {
        var soaked = f.Now - f.StageEnteredAt;
        var hours = f.Definition.Thresholds.SoakHours;
        var needed = new TimeSpan((long)(hours * TimeSpan.TicksPerHour));
        return Exit(N.SoakTime, soaked >= needed, $"{((decimal)soaked.Ticks / TimeSpan.TicksPerHour).ToString("0.##", CultureInfo.InvariantCulture)} h",
            $"≥ {hours.ToString(CultureInfo.InvariantCulture)} h", $"stage {f.CurrentStage} entered at {f.StageEnteredAt:u}");
    }

    private static GateCriterion SampleSize(GateFacts f)
    {
        var min = f.Definition.Thresholds.MinOperations;
        return Exit(N.SampleSize, f.Window.Operations >= min, $"{f.Window.Operations} operations", $"≥ {min} operations", $"telemetry {W(f)}");
    }

    private static string W(GateFacts f) => $"{f.Window.From:u} – {f.Window.To:u}";
}
