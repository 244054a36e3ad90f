using System.Collections.Immutable;
using Ripcord.Core.Announcements;
using Ripcord.Core.Definitions;

namespace Ripcord.Core.Tests;

/// <summary>SPEC §8 templates: rendering the built-in copy, locale fallback, and the checks applied at definition time.</summary>
public sealed class AnnouncementTemplateTests
{
    private static readonly AnnouncementModel Model = new()
    {
        Program = "groups",
        Revision = 42,
        Now = Groups.Now,
        Incident = new AnnouncementIncident
        {
            Id = "INC-7", Class = "P3", Severity = "high", Trigger = "publish-ack-failures", Summary = "Publish acks failing for pilot relays.",
            Status = "mitigating", DeclaredAt = Groups.Now.AddMinutes(-20), Affected = ["cohort:pilot"],
        },
        KillSwitch = new AnnouncementKillSwitch
        {
            Level = "KS3", Meaning = "Disable all group send operations.", Scope = "cohort:pilot", ActivatedAt = Groups.Now.AddMinutes(-5), Reason = "ack failures",
        },
        Verification = new AnnouncementVerification { Status = "passed", Applied = 12, Total = 12, TimeToMitigate = TimeSpan.FromMinutes(14.5) },
    };

    private static ProgramDefinition WithTemplate(string audience, string locale, string text) => Groups.Definition.Value with
    {
        Templates = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [KeyValuePair.Create(audience, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(locale, text)]))]),
    };

    [Fact]
    public void User_copy_is_rendered_for_the_level_in_force()
    {
        var en = AnnouncementTemplates.Render(Groups.Definition.Value, "user", "en", Model);
        Assert.Equal("Group messaging is temporarily limited while we fix a problem: sending to groups is paused. Your existing groups and messages are safe.", en.Text);
        var fr = AnnouncementTemplates.Render(Groups.Definition.Value, "user", "fr", Model);
        Assert.Equal("fr", fr.Locale);
        Assert.StartsWith("La messagerie de groupe est temporairement limitée", fr.Text, StringComparison.Ordinal);
        Assert.Contains("l'envoi aux groupes est suspendu.", fr.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_built_in_template_renders_with_and_without_the_optional_parts()
    {
        var bare = Model with { KillSwitch = null, Verification = null };
        foreach (var (audience, locales) in Groups.Definition.Value.Templates)
        {
            foreach (var locale in locales.Keys)
            {
                foreach (var model in new[] { Model, bare })
                {
                    var r = AnnouncementTemplates.Render(Groups.Definition.Value, audience, locale, model);
                    Assert.True(r.IsSuccess, r.Error);
                    Assert.DoesNotContain("{{", r.Text, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void Model_values_reach_the_text()
    {
        var d = WithTemplate("internal", "en", "{{ program }}@{{ revision }} {{ incident.id }} {{ incident.affected | join: ',' }} {{ killSwitch.scope }} {{ verification.applied }}/{{ verification.total }} {{ verification.timeToMitigate }} {{ now | date: '%Y-%m-%d %H:%M' }} {{ incident.declaredAt | date: '%H:%M' }}");
        Assert.Equal("groups@42 INC-7 cohort:pilot cohort:pilot 12/12 0:14:30 2026-11-24 12:00 11:40", AnnouncementTemplates.Render(d, "internal", "en", Model).Text);
    }

    [Theory]
    [InlineData(1.9, "1.9 s")]
    [InlineData(0.04, "0.0 s")]
    [InlineData(59.94, "59.9 s")]
    [InlineData(60, "0:01:00")]
    [InlineData(870, "0:14:30")]
    [InlineData(3 * 3600 + 5, "3:00:05")]
    public void A_time_to_mitigate_reads_in_seconds_under_a_minute_else_as_hours_minutes_seconds(double seconds, string text) =>
        Assert.Equal(text, AnnouncementTemplates.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_missing_locale_falls_back_to_english()
    {
        var r = AnnouncementTemplates.Render(Groups.Definition.Value, "operator", "de", Model);
        Assert.True(r.IsSuccess);
        Assert.Equal("en", r.Locale);
        Assert.StartsWith("groups incident INC-7 (P3, high) is mitigating.", r.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_audience_without_a_template_is_an_error_result()
    {
        var none = AnnouncementTemplates.Render(Groups.Definition.Value, "press", "en", Model);
        Assert.False(none.IsSuccess);
        Assert.Equal("program groups has no 'press' template", none.Error);
        var noEnglish = AnnouncementTemplates.Render(WithTemplate("user", "fr", "x"), "user", "de", Model);
        Assert.Equal("program groups has no 'user' template in de or en", noEnglish.Error);
    }

    [Fact]
    public void Templates_are_parsed_once_per_definition()
    {
        var d = WithTemplate("user", "en", "{{ killSwitch.level }}");
        Assert.Equal("KS3", AnnouncementTemplates.Render(d, "user", "en", Model).Text);
        Assert.Equal("", AnnouncementTemplates.Render(d, "user", "en", Model with { KillSwitch = null }).Text);
    }

    [Theory]
    [InlineData("a\n{{ incident.nope }}", 2, "unknown variable 'incident.nope'")]
    [InlineData("{{ nope }}", 1, "unknown variable 'nope'")]
    [InlineData("a\nb\n{% if incident.id %}{{ killSwitch.level.x }}{% endif %}", 3, "unknown variable 'killSwitch.level.x'")]
    [InlineData("{% for w in incident.affected %}{{ w }}{% endfor %}\n{{ verification.nope | upcase }}", 2, "unknown variable 'verification.nope'")]
    [InlineData("ok\n{{ program | }}", 2, "Liquid syntax error")]
    [InlineData("ok\n\n{% iff x %}", 3, "Liquid syntax error")]
    public void Check_reports_the_line_inside_the_template(string text, int line, string message)
    {
        var problem = Assert.Single(AnnouncementTemplates.Check(text));
        Assert.Equal(line, problem.Line);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Known_variables_pass_the_check()
    {
        Assert.Empty(AnnouncementTemplates.Check(
            "{{ program }} {{ revision }} {{ now }} {{ incident.id }} {{ incident.class }} {{ incident.severity }} {{ incident.trigger }} " +
            "{{ incident.summary }} {{ incident.status }} {{ incident.declaredAt }} {{ incident.affected.size }} {{ killSwitch.level }} " +
            "{{ killSwitch.meaning }} {{ killSwitch.scope }} {{ killSwitch.activatedAt }} {{ killSwitch.reason }} {{ verification.status }} " +
            "{{ verification.applied }} {{ verification.total }} {{ verification.timeToMitigate }} {{ incident.affected[0] }}"));
    }
}
