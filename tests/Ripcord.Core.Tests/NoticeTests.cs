using Ripcord.Core.Announcements;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Tests;

/// <summary>User-facing degraded-mode notices: one per active kill switch that applies to the context.</summary>
public sealed class NoticeTests
{
    private static readonly ProgramState State = Groups.Initial
        .WithCohort("pilot", "acme", "globex")
        .WithKillSwitch("KS3", "cohort:pilot")
        .WithKillSwitch("KS2", "workspace:hooli")
        .WithKillSwitch("KS1", "global");

    private static string[] Levels(string? workspace, string locale = "en") =>
        [.. Notices.For(State, new EvaluationContext(workspace), locale).Select(n => n.Level)];

    [Fact]
    public void Each_kill_switch_whose_scope_holds_the_context_gives_one_notice()
    {
        Assert.Equal(["KS3", "KS1"], Levels("acme"));
        Assert.Equal(["KS2", "KS1"], Levels("hooli"));
        Assert.Equal(["KS1"], Levels("initech"));
        Assert.Equal(["KS1"], Levels(null));
    }

    [Fact]
    public void Notices_use_the_user_template_in_the_locale_or_english()
    {
        var en = Notices.For(State, new EvaluationContext("acme"), "en")[0];
        Assert.Equal("Group messaging is temporarily limited while we fix a problem: sending to groups is paused. Your existing groups and messages are safe.", en.Text);
        Assert.Equal(("ks0", Scope.Parse("cohort:pilot"), "en"), (en.KillSwitchId, en.Scope, en.Locale));
        var fr = Notices.For(State, new EvaluationContext("hooli"), "fr")[0];
        Assert.Contains("la création de groupes est suspendue", fr.Text, StringComparison.Ordinal);
        Assert.Equal("en", Notices.For(State, new EvaluationContext("hooli"), "de")[0].Locale);
    }

    [Fact]
    public void A_rule_cohort_kill_switch_applies_as_evaluation_decides()
    {
        var state = Groups.Initial.WithKillSwitch("KS1", "cohort:tier-eligible");
        Assert.Single(Notices.For(state, new EvaluationContext("w", tier: 1), "en"));
        Assert.Empty(Notices.For(state, new EvaluationContext("w", tier: 0), "en"));
        // The notice and evaluation agree: the kill switch reaches F3 exactly where a notice is shown.
        Assert.Equal(EvaluationReason.KillSwitch, state.Eval("F3", new EvaluationContext("w", tier: 1)).Reason);
    }

    [Fact]
    public void Without_kill_switches_there_are_no_notices() =>
        Assert.Empty(Notices.For(Groups.Initial, new EvaluationContext("acme"), "en"));
}
