using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Gates;

namespace Ripcord.Core.Rollback;

[JsonConverter(typeof(StrictEnumConverter<ForwardFixStatus>))]
public enum ForwardFixStatus
{
    [JsonStringEnumMemberName("open")] Open,
    [JsonStringEnumMemberName("resumed")] Resumed,
}

/// <summary>The two sign-offs a forward fix needs before the staged rollout resumes; the signer's role decides which.</summary>
[JsonConverter(typeof(StrictEnumConverter<FixSignoffRole>))]
public enum FixSignoffRole
{
    [JsonStringEnumMemberName("release-manager")] ReleaseManager,
    [JsonStringEnumMemberName("security-lead")] SecurityLead,
}

/// <summary>
/// A temporary mitigation: an override with an expiry (it lapses by itself). <see cref="Released"/> once the
/// resume removed it because the operator marked it no longer needed.
/// </summary>
public sealed record FixMitigation(string OverrideId, string Flag, string Scope, bool Value, DateTimeOffset ExpiresAt, string Reason,
    DateTimeOffset RecordedAt, string RecordedBy, bool Released = false);

/// <summary>The patch: its flag enabled by an override of its own at one cohort, nothing wider.</summary>
public sealed record FixPatch(string OverrideId, string Flag, string Cohort, DateTimeOffset At, string By);

/// <summary>A sign-off: the role it stands for and the person (principal) who gave it.</summary>
public sealed record FixSignoff(FixSignoffRole Role, string Principal, string By, DateTimeOffset At, string? Note);

/// <summary>One criterion of a resume and whether it holds, in words an operator acts on.</summary>
public sealed record FixCriterion(string Name, bool Passed, string Detail);

/// <summary>Whether the staged rollout may resume, with every criterion; <see cref="Missing"/> names the ones that do not hold.</summary>
public sealed record ResumeVerdict(bool Allowed, ImmutableArray<FixCriterion> Criteria)
{
    public ImmutableArray<string> Missing => [.. Criteria.Where(c => !c.Passed).Select(c => c.Name)];
}

/// <summary>
/// A forward-fix workstream (seed §14) linked to an incident: temporary mitigations, the patch for a restricted
/// cohort, quality and interop checks for that cohort, two sign-offs by two people, then the resume.
/// Immutable; <see cref="ForwardFixMachine"/> moves it.
/// </summary>
public sealed record ForwardFix
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    public required string IncidentId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public required string OpenedBy { get; init; }
    public ForwardFixStatus Status { get; init; } = ForwardFixStatus.Open;
    public ImmutableArray<FixMitigation> Mitigations { get; init; } = [];
    public FixPatch? Patch { get; init; }
    public ImmutableArray<FixSignoff> Signoffs { get; init; } = [];
    public DateTimeOffset? ResumedAt { get; init; }
    public string? ResumedBy { get; init; }
    public string? ResumeReason { get; init; }
    /// <summary>What the resume lifted: the stage lock and freezes.</summary>
    public ImmutableArray<string> Lifted { get; init; } = [];
}

/// <summary>
/// The forward-fix state machine, pure: each step either returns the next workstream or throws
/// <see cref="ChangeRejectedException"/>; <see cref="Evaluate"/> lists every criterion of a resume.
/// </summary>
public static class ForwardFixMachine
{
    public const int MaxReasonLength = RollbackMachine.MaxReasonLength;
    public const int MaxMitigations = 50;

    public static ForwardFix Open(string id, string program, string incidentId, string reason, string by, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(incidentId))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "incident", "a forward fix is opened for an incident: give its id");
        }
        return new ForwardFix
        {
            Id = id, Program = program, IncidentId = incidentId, Reason = Reason(reason, "reason"), OpenedAt = now, OpenedBy = by,
        };
    }

    /// <summary>Records a temporary mitigation: an override that expires after <paramref name="now"/>.</summary>
    public static ForwardFix Mitigate(ForwardFix fix, FixMitigation mitigation, DateTimeOffset now)
    {
        MustBeOpen(fix);
        if (mitigation.ExpiresAt <= now)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "expiresAt", "a temporary mitigation must expire, and in the future");
        }
        if (fix.Mitigations.Any(m => string.Equals(m.OverrideId, mitigation.OverrideId, StringComparison.Ordinal)))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "override", $"override {mitigation.OverrideId} already is a mitigation of fix {fix.Id}");
        }
        if (fix.Patch is { } patch && string.Equals(patch.OverrideId, mitigation.OverrideId, StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "override", $"override {mitigation.OverrideId} is the patch of fix {fix.Id}, not a mitigation");
        }
        if (fix.Mitigations.Length >= MaxMitigations)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "override", $"a forward fix keeps at most {MaxMitigations} mitigations");
        }
        return fix with { Mitigations = fix.Mitigations.Add(mitigation) };
    }

    /// <summary>
    /// The scope a patch may be enabled at: a cohort and nothing wider (global, workspace and user scopes are refused).
    /// Returns the cohort id.
    /// </summary>
    public static string PatchCohort(string? scope)
    {
        if (!Scope.TryParse(scope, out var parsed, out var error))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "cohort", error ?? "the patch's scope is cohort:ID");
        }
        return parsed.Kind == ScopeKind.Cohort
            ? parsed.Id!
            : throw new ChangeRejectedException(ChangeError.Invalid, "cohort",
                $"the patch is enabled for one restricted cohort (cohort:ID), never at {parsed}: nothing wider");
    }

    /// <summary>Records the patch, enabled for one cohort. A fix has one patch; enabling it again replaces it.</summary>
    public static ForwardFix EnablePatch(ForwardFix fix, string overrideId, string flag, string scope, string by, DateTimeOffset now)
    {
        MustBeOpen(fix);
        var cohort = PatchCohort(scope);
        return fix with { Patch = new FixPatch(overrideId, flag, cohort, now, by) };
    }

    /// <summary>Records a sign-off. The role decides which; one person cannot give both, and a role signs once.</summary>
    public static ForwardFix SignOff(ForwardFix fix, FixSignoff signoff)
    {
        MustBeOpen(fix);
        if (fix.Signoffs.Any(s => s.Role == signoff.Role))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "signoff", $"fix {fix.Id} already has the {Name(signoff.Role)} sign-off");
        }
        if (fix.Signoffs.Any(s => string.Equals(s.Principal, signoff.Principal, StringComparison.Ordinal)))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "signoff",
                $"{signoff.By} already signed fix {fix.Id} off: the release-manager and security-lead sign-offs are two different people");
        }
        return fix with { Signoffs = fix.Signoffs.Add(signoff) };
    }

    /// <summary>
    /// Every criterion of a resume, now: the fix is open; the patch is enabled for a cohort; the latest quality and interop
    /// checks for that cohort posted since the fix opened passed; both sign-offs, by two people; each mitigation to release is one of the fix's.
    /// </summary>
    public static ResumeVerdict Evaluate(ForwardFix fix, IEnumerable<GateCheck> checks, IEnumerable<string> release)
    {
        var criteria = ImmutableArray.CreateBuilder<FixCriterion>();
        criteria.Add(new FixCriterion("open", fix.Status == ForwardFixStatus.Open,
            fix.Status == ForwardFixStatus.Open ? "the fix is open" : $"fix {fix.Id} already resumed the rollout"));
        criteria.Add(fix.Patch is { } patch
            ? new FixCriterion("patch", true, $"patch {patch.Flag} enabled for cohort:{patch.Cohort} ({patch.OverrideId})")
            : new FixCriterion("patch", false, "no patch enabled for a restricted cohort yet: ripcord fix patch ID --flag F --cohort C"));
        var since = checks.Where(c => fix.Patch is { } p && string.Equals(c.Target, "cohort:" + p.Cohort, StringComparison.Ordinal)
            && c.PostedAt >= fix.OpenedAt).OrderBy(c => c.PostedAt).ToList();
        foreach (var kind in new[] { CheckKind.Quality, CheckKind.Interop })
        {
            var name = "check:" + (kind == CheckKind.Quality ? "quality" : "interop");
            var latest = since.LastOrDefault(c => c.Kind == kind);
            criteria.Add(latest switch
            {
                null when fix.Patch is null => new FixCriterion(name, false, "no cohort yet: the checks are re-run for the patch's cohort"),
                null => new FixCriterion(name, false, $"no {name[6..]} check for cohort:{fix.Patch!.Cohort} posted since the fix opened"),
                { Status: CheckStatus.Passed } => new FixCriterion(name, true, $"{name[6..]} passed for {latest.Target} ({latest.Evidence})"),
                _ => new FixCriterion(name, false, $"the latest {name[6..]} check for {latest.Target} is {latest.Status.ToString().ToLowerInvariant()} ({latest.Evidence})"),
            });
        }
        foreach (var role in new[] { FixSignoffRole.ReleaseManager, FixSignoffRole.SecurityLead })
        {
            var given = fix.Signoffs.FirstOrDefault(s => s.Role == role);
            criteria.Add(new FixCriterion("signoff:" + Name(role), given is not null,
                given is not null ? $"signed off by {given.By}" : $"no {Name(role)} sign-off yet: ripcord fix signoff ID (as a {Name(role)})"));
        }
        var distinct = fix.Signoffs.Select(s => s.Principal).Distinct(StringComparer.Ordinal).Count() == fix.Signoffs.Length;
        criteria.Add(new FixCriterion("signoff:two-people", distinct && fix.Signoffs.Length == 2,
            distinct ? (fix.Signoffs.Length == 2 ? "two different people signed off" : "needs both sign-offs, by two different people")
                : "one person gave both sign-offs"));
        foreach (var id in release.Distinct(StringComparer.Ordinal))
        {
            var known = fix.Mitigations.Any(m => string.Equals(m.OverrideId, id, StringComparison.Ordinal));
            if (!known)
            {
                criteria.Add(new FixCriterion("release:" + id, false, $"{id} is not a temporary mitigation of fix {fix.Id}"));
            }
        }
        var all = criteria.ToImmutable();
        return new ResumeVerdict(all.All(c => c.Passed), all);
    }

    /// <summary>The resume: allowed only when <see cref="Evaluate"/> allows it; marks the released mitigations.</summary>
    public static ForwardFix Resume(ForwardFix fix, IEnumerable<GateCheck> checks, IReadOnlyCollection<string> release, string reason,
        IEnumerable<string> lifted, string by, DateTimeOffset now)
    {
        var why = Reason(reason, "reason");
        var verdict = Evaluate(fix, checks, release);
        if (!verdict.Allowed)
        {
            throw new ResumeRefusedException(verdict);
        }
        return fix with
        {
            Status = ForwardFixStatus.Resumed, ResumedAt = now, ResumedBy = by, ResumeReason = why, Lifted = [.. lifted],
            Mitigations = [.. fix.Mitigations.Select(m => release.Contains(m.OverrideId, StringComparer.Ordinal) ? m with { Released = true } : m)],
        };
    }

    public static string Name(FixSignoffRole role) => role == FixSignoffRole.ReleaseManager ? "release-manager" : "security-lead";

    public static string Name(ForwardFixStatus status) => status == ForwardFixStatus.Open ? "open" : "resumed";

    private static void MustBeOpen(ForwardFix fix)
    {
        if (fix.Status != ForwardFixStatus.Open)
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "fix", $"fix {fix.Id} already resumed the rollout");
        }
    }

    private static string Reason(string? reason, string field) =>
        string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength
            ? throw new ChangeRejectedException(ChangeError.Invalid, field, $"a {field} is required (at most {MaxReasonLength} characters)")
            : reason.Trim();
}

/// <summary>A resume refused: the verdict lists every criterion that does not hold.</summary>
public sealed class ResumeRefusedException(ResumeVerdict verdict)
    : Exception("resume refused: " + string.Join(", ", verdict.Missing))
{
    public ResumeVerdict Verdict { get; } = verdict;
}
