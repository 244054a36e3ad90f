using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Gates;
using Ripcord.Core.Rollback;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The forward-fix machine (seed §14) over random sequences of steps, refused ones included (docs/invariants.md, FF-*).</summary>
public sealed class ForwardFixProperties
{
    private static readonly DateTimeOffset Opened = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Scopes = ["global", "workspace:w-1", "user:u-1", "cohort:pilot", "cohort:limited-ga", "cohort:", "nonsense", ""];
    private static readonly string[] People = ["p1", "p2", "p3"];
    private static readonly string[] Targets = ["cohort:pilot", "cohort:limited-ga", "global", "workspace:w-1"];

    /// <summary>One step: (op, a, b, c) read per op below.</summary>
    private static readonly Arbitrary<(int Op, int A, int B, int C)[]> Steps =
        (from op in Gen.Choose(0, 4)
         from a in Gen.Choose(0, 7)
         from b in Gen.Choose(0, 3)
         from c in Gen.Choose(-2, 5)
         select (op, a, b, c)).ArrayOf().Select(s => s.Take(40).ToArray()).ToArbitrary();

    private static bool Holds(ForwardFix fix, IReadOnlyList<GateCheck> checks)
    {
        if (fix.Patch is not { } patch)
        {
            return false;
        }
        bool Passed(CheckKind kind) => checks.Where(c => c.Kind == kind && c.Target == "cohort:" + patch.Cohort && c.PostedAt >= fix.OpenedAt)
            .OrderBy(c => c.PostedAt).LastOrDefault()?.Status == CheckStatus.Passed;
        var rm = fix.Signoffs.SingleOrDefault(s => s.Role == FixSignoffRole.ReleaseManager);
        var sl = fix.Signoffs.SingleOrDefault(s => s.Role == FixSignoffRole.SecurityLead);
        return Passed(CheckKind.Quality) && Passed(CheckKind.Interop) && rm is not null && sl is not null && rm.Principal != sl.Principal;
    }

    [Property(MaxTest = 400)]
    [Invariant("FF-1", "a forward fix resumes the rollout only with passing quality and interop checks for its patch's cohort posted since it opened and both sign-offs by two people")]
    [Invariant("FF-2", "the forward-fix patch is enabled for one cohort and nothing wider")]
    [Invariant("FF-3", "one person cannot give both forward-fix sign-offs")]
    public Property Resume_needs_both_distinct_signoffs_and_passing_checks_and_the_patch_is_never_wider_than_a_cohort() => Prop.ForAll(Steps, steps =>
    {
        var fix = ForwardFixMachine.Open("fix_1", "groups", "inc_1", "patch", "rita", Opened);
        var checks = new List<GateCheck>();
        var now = Opened;
        var resumed = 0;
        foreach (var (op, a, b, c) in steps)
        {
            now = now.AddSeconds(1);
            try
            {
                switch (op)
                {
                    case 0:
                        fix = ForwardFixMachine.EnablePatch(fix, "ovr_p" + a, "F3", Scopes[a], "rita", now);
                        break;
                    case 1:
                        fix = ForwardFixMachine.SignOff(fix, new FixSignoff(b % 2 == 0 ? FixSignoffRole.ReleaseManager : FixSignoffRole.SecurityLead,
                            People[a % People.Length], "person", now, null));
                        break;
                    case 2:
                        // c < 0: a check posted before the fix opened.
                        checks.Add(new GateCheck("chk_" + checks.Count, b % 2 == 0 ? CheckKind.Quality : CheckKind.Interop, "1", Targets[a % Targets.Length],
                            c % 3 == 0 ? CheckStatus.Failed : CheckStatus.Passed, "https://ci/1", null, c < 0 ? Opened.AddSeconds(c) : now, "ci"));
                        break;
                    case 3:
                        fix = ForwardFixMachine.Mitigate(fix, new FixMitigation("ovr_m" + a, "F4", "workspace:w-" + a, false, now.AddMinutes(c), "m", now, "rita"), now);
                        break;
                    default:
                        var verdict = ForwardFixMachine.Evaluate(fix, checks, []);
                        var before = fix;
                        fix = ForwardFixMachine.Resume(fix, checks, [], "go", [], "rita", now);
                        if (!verdict.Allowed || !Holds(before, checks) || before.Status != ForwardFixStatus.Open)
                        {
                            return false;
                        }
                        resumed++;
                        break;
                }
            }
            catch (ResumeRefusedException refused)
            {
                // Refused exactly when a criterion does not hold, and it lists at least one.
                if ((Holds(fix, checks) && fix.Status == ForwardFixStatus.Open) || refused.Verdict.Missing.IsEmpty)
                {
                    return false;
                }
            }
            catch (ChangeRejectedException)
            {
                // A refused step changes nothing (fix is not reassigned).
            }
            if (fix.Patch is { } patch && (!Scopes.Contains("cohort:" + patch.Cohort) || patch.Cohort.Length == 0))
            {
                return false;
            }
            if (fix.Signoffs.Select(s => s.Principal).Distinct().Count() != fix.Signoffs.Length
                || fix.Signoffs.Select(s => s.Role).Distinct().Count() != fix.Signoffs.Length
                || fix.Mitigations.Any(m => m.ExpiresAt <= m.RecordedAt))
            {
                return false;
            }
        }
        return resumed <= 1;
    });

    [Theory]
    [InlineData("global")]
    [InlineData("workspace:w-1")]
    [InlineData("user:u-1")]
    [InlineData("cohort")]
    [InlineData("")]
    [Invariant("FF-2", "the forward-fix patch is enabled for one cohort and nothing wider")]
    public void A_patch_wider_than_a_cohort_is_refused(string scope)
    {
        var fix = ForwardFixMachine.Open("fix_1", "groups", "inc_1", "patch", "rita", Opened);
        var refused = Assert.Throws<ChangeRejectedException>(() => ForwardFixMachine.EnablePatch(fix, "ovr_1", "F3", scope, "rita", Opened));
        Assert.Equal(ChangeError.Invalid, refused.Kind);
    }

    [Fact]
    public void A_refused_resume_lists_every_missing_criterion()
    {
        var fix = ForwardFixMachine.Open("fix_1", "groups", "inc_1", "patch", "rita", Opened);
        var verdict = ForwardFixMachine.Evaluate(fix, [], ["ovr_x"]);
        Assert.False(verdict.Allowed);
        Assert.Equal(["patch", "check:quality", "check:interop", "signoff:release-manager", "signoff:security-lead", "signoff:two-people", "release:ovr_x"],
            verdict.Missing.ToArray());
    }
}
