using System.Collections.Immutable;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Announcements;

/// <summary>A degraded-mode notice for an app banner: the kill switch it comes from and its text in <see cref="Locale"/>.</summary>
public sealed record Notice(string KillSwitchId, string Level, Scope Scope, string Text, string Locale);

/// <summary>
/// The user-facing notices for one context (SPEC §8): one per active kill switch whose scope applies to
/// the context (the evaluator's own test), rendered from the definition's <c>user</c> template.
/// </summary>
public static class Notices
{
    /// <summary>Notices for <paramref name="context"/>; compiles <paramref name="state"/> (revision shown as 0).</summary>
    public static ImmutableArray<Notice> For(ProgramState state, EvaluationContext context, string locale) =>
        state.KillSwitches.IsEmpty ? [] : For(CompiledProgram.Compile(state, 0), context, locale);

    /// <summary>
    /// Notices for <paramref name="context"/> in activation order. Templates see <c>now</c> as the activation
    /// instant (notices are pure: no clock); when the program has no <c>user</c> template the level's meaning is the text.
    /// </summary>
    public static ImmutableArray<Notice> For(CompiledProgram program, EvaluationContext context, string locale)
    {
        var state = program.State;
        var notices = ImmutableArray.CreateBuilder<Notice>();
        foreach (var ks in state.KillSwitches)
        {
            var level = state.Definition.KillSwitchLevels.FirstOrDefault(l => string.Equals(l.Id, ks.Level, StringComparison.Ordinal));
            if (level is null || !Evaluator.Applies(program, ks.Scope, context))
            {
                continue;
            }
            var model = new AnnouncementModel
            {
                Program = state.Program,
                Revision = program.Revision,
                Now = ks.ActivatedAt,
                Incident = ks.IncidentId is { } incident ? new AnnouncementIncident { Id = incident } : null,
                KillSwitch = new AnnouncementKillSwitch
                {
                    Level = level.Id, Meaning = level.Meaning, Scope = ks.Scope.ToString(), ActivatedAt = ks.ActivatedAt, Reason = ks.Reason,
                },
            };
            var rendered = AnnouncementTemplates.Render(state.Definition, AnnouncementAudiences.User, locale, model);
            notices.Add(new Notice(ks.Id, level.Id, ks.Scope, rendered.Text ?? level.Meaning, rendered.Locale ?? AnnouncementTemplates.FallbackLocale));
        }
        return notices.ToImmutable();
    }
}
