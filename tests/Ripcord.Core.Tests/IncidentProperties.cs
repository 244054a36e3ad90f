using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Governance;
using Ripcord.Core.Incidents;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The incident state machine, the response clock, verification and reviews over random histories (docs/invariants.md).</summary>
public sealed class IncidentProperties
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>One step an operator or the server may take on an incident, after some seconds.</summary>
    public sealed record Step(string Kind, int AfterSeconds)
    {
        public override string ToString() => $"{Kind}+{AfterSeconds}s";
    }

    private static readonly Gen<Step> Steps =
        from kind in Gen.Elements("note", "action", "resolve-action", "mitigating", "verified", "failed", "resolve", "close")
        from after in Gen.Choose(0, 600)
        select new Step(kind, after);

    public sealed record History(IncidentClass Class, Step[] Steps)
    {
        public override string ToString() => $"{Class}: {string.Join(" ", Steps.Select(s => s.ToString()))}";
    }

    private static readonly Gen<History> Histories =
        from c in Gen.Elements(Enum.GetValues<IncidentClass>())
        from n in Gen.Choose(0, 12)
        from steps in Gen.ArrayOf(Steps, n)
        select new History(c, steps);

    /// <summary>Runs a history; steps the state machine refuses are skipped (and must leave the incident unchanged).</summary>
    private static (List<Incident> Seen, bool RefusalsChangedNothing) Run(History h)
    {
        var incident = IncidentWorkflow.Declare("inc_1", Groups.Initial, new IncidentDeclaration(h.Class, IncidentSeverity.High,
            "publish-ack-failures", [], "acks failing"), "dana", T0);
        var seen = new List<Incident> { incident };
        var now = T0;
        var unchanged = true;
        foreach (var step in h.Steps)
        {
            now = now.AddSeconds(step.AfterSeconds);
            var entry = new TimelineEntry(now, step.Kind, step.Kind, "sam");
            var before = incident;
            try
            {
                incident = step.Kind switch
                {
                    "note" => IncidentWorkflow.Note(incident, "note", "sam", now),
                    "action" => IncidentWorkflow.AddAction(incident, "a" + (incident.Actions.Length + 1), "do it", null, "sam", now),
                    "resolve-action" => IncidentWorkflow.ResolveAction(incident, incident.Actions.FirstOrDefault(a => a.Open)?.Id ?? "a0", "sam", now),
                    "mitigating" => IncidentWorkflow.Mitigating(incident, entry),
                    "verified" => IncidentWorkflow.Verified(incident, entry),
                    "failed" => IncidentWorkflow.Record(incident, entry),
                    "resolve" => IncidentWorkflow.Resolve(incident, "fixed", "sam", now),
                    _ => IncidentWorkflow.Close(incident, "sam", now),
                };
                seen.Add(incident);
            }
            catch (ChangeRejectedException)
            {
                unchanged &= ReferenceEquals(before, incident);
            }
        }
        return (seen, unchanged);
    }

    [Property(MaxTest = 500)]
    [Invariant("IN-1", "an incident's status never moves back, and its timeline only grows: every earlier entry stays as it was")]
    public Property Status_is_monotone_and_the_timeline_append_only() => Prop.ForAll(Histories.ToArbitrary(), h =>
    {
        var (seen, unchanged) = Run(h);
        return unchanged && seen.Zip(seen.Skip(1)).All(p =>
            p.Second.Status >= p.First.Status
            && p.Second.Timeline.Length == p.First.Timeline.Length + 1
            && p.Second.Timeline.Take(p.First.Timeline.Length).SequenceEqual(p.First.Timeline));
    });

    [Property(MaxTest = 500)]
    [Invariant("IN-2", "a closed incident was resolved first and has no open action item; afterwards it stays closed and takes only the server's reports (verification outcomes)")]
    public Property Closed_means_resolved_and_done() => Prop.ForAll(Histories.ToArbitrary(), h =>
    {
        var (seen, _) = Run(h);
        var closedAt = seen.FindIndex(i => i.Status == IncidentStatus.Closed);
        return closedAt < 0 || (seen[closedAt].Actions.All(a => !a.Open) && seen[closedAt].ResolvedAt is not null
            && seen.Skip(closedAt).All(i => i.Status == IncidentStatus.Closed && i.Actions.SequenceEqual(seen[closedAt].Actions))
            && seen[^1].Timeline.Skip(seen[closedAt].Timeline.Length).All(e => e.Kind is "verified" or "failed"));
    });

    [Property(MaxTest = 500)]
    [Invariant("IN-3", "the response clock is met exactly when the first action came within the class's target, and time-to-mitigate is fixed by the first verification")]
    public Property Response_clock_and_time_to_mitigate() => Prop.ForAll(Histories.ToArbitrary(), Gen.Choose(0, 7200).ToArbitrary(), (h, later) =>
    {
        var (seen, _) = Run(h);
        var last = seen[^1];
        var clock = ResponseClock.For(last, last.Timeline[^1].At.AddSeconds(later));
        var target = ResponseClock.TargetFor(h.Class);
        var firstResponse = last.Timeline.Skip(1).FirstOrDefault(e => e.Kind is not (TimelineKinds.VerificationFailed or TimelineKinds.Closed or "failed"));
        var clockRight = firstResponse is null
            ? clock.Status != ResponseClockStatus.Met
            : (clock.Status == ResponseClockStatus.Met) == (firstResponse.At - last.DeclaredAt <= target);
        var firstVerified = last.Timeline.FirstOrDefault(e => e.Kind == "verified");
        return clockRight && last.MitigatedAt == firstVerified?.At;
    });

    public sealed record Fleet(string[] AtActivation, Dictionary<string, InstanceReport> Now, int Violations, int SecondsAfter)
    {
        public override string ToString() =>
            $"[{string.Join(",", AtActivation)}] now: {string.Join(" ", Now.Values.Select(r => $"{r.Instance}@{r.AppliedRevision}{(r.Connected ? "" : "!")}"))} violations={Violations} t+{SecondsAfter}";
    }

    private static readonly Gen<Fleet> Fleets =
        from n in Gen.Choose(0, 8)
        from reports in Gen.ArrayOf(
            from revision in Gen.Elements<long?>(null, 9, 10, 11)
            from connected in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
            from present in Gen.Frequency((6, Gen.Constant(true)), (1, Gen.Constant(false)))
            select (revision, connected, present), n)
        from violations in Gen.Frequency((4, Gen.Constant(0)), (1, Gen.Choose(1, 3)))
        from after in Gen.Choose(0, 120)
        select new Fleet([.. Enumerable.Range(0, n).Select(i => "i" + i)],
            reports.Select((r, i) => (r, i)).Where(x => x.r.present)
                .ToDictionary(x => "i" + x.i, x => new InstanceReport("i" + x.i, x.r.revision, x.r.connected)),
            violations, after);

    [Property(MaxTest = 1000)]
    [Invariant("VF-1", "a verification passes only when every instance connected at activation applied the revision, with no violation; at the deadline it is decided; unreachable instances are never counted applied")]
    public Property Verification_never_passes_silently() => Prop.ForAll(Fleets.ToArbitrary(), f =>
    {
        var deadline = T0.AddSeconds(60);
        var violations = Enumerable.Range(0, f.Violations).Select(i => new Violation("i0", "send", "send", 10, T0, "w1")).ToList();
        var r = KillSwitchVerification.Evaluate(10, f.AtActivation, f.Now, violations, deadline, T0.AddSeconds(f.SecondsAfter));
        var accounted = r.Applied + r.Stragglers.Length + r.Unreachable.Length == f.AtActivation.Length;
        var appliedRight = r.Applied == f.AtActivation.Count(i => f.Now.GetValueOrDefault(i)?.AppliedRevision >= 10);
        var verdict = r.Status switch
        {
            VerificationStatus.Verified => r.Applied == f.AtActivation.Length && r.Violations.IsEmpty,
            VerificationStatus.Pending => f.SecondsAfter < 60 && r.Applied < f.AtActivation.Length && r.Violations.IsEmpty,
            _ => !r.Violations.IsEmpty || (f.SecondsAfter >= 60 && r.Applied < f.AtActivation.Length),
        };
        return accounted && appliedRight && verdict;
    });

    [Property(MaxTest = 300)]
    [Invariant("GV-3", "a post-action review is never completed by the actor it reviews (same principal or same name)")]
    public Property Review_is_never_completed_by_its_actor() => Prop.ForAll(
        Gen.Elements("prn_a", "prn_b").ToArbitrary(), Gen.Elements("rita", "Rita", "sam").ToArbitrary(), (principal, name) =>
        {
            var review = PostActionReview.For("rvw_1", "groups", "killswitch.activate", "kill-switch:groups/ks_1", "KS3 at global", null,
                new Principal("prn_a", "rita"), T0);
            var reviewer = new Principal(principal, name);
            var isActor = principal == "prn_a" || string.Equals(name, "rita", StringComparison.OrdinalIgnoreCase);
            try
            {
                var done = review.Complete(reviewer, "fine", T0.AddMinutes(5));
                return !isActor && !done.Open && done.CompletedBy == name;
            }
            catch (ChangeRejectedException ex)
            {
                return isActor && ex.Kind == ChangeError.Conflict;
            }
        });
}
