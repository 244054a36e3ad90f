using System.CommandLine;
using System.Text.Json;
using Ripcord.Cli.Api;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Rollback;
using Ripcord.Server.Rollback;

namespace Ripcord.Cli.Commands;

/// <summary>
/// <c>ripcord fix</c>: the forward-fix workstream of an incident (seed §14) — open, temporary mitigations, the patch for one cohort,
/// sign-offs, resume. <c>status</c> and <c>resume</c> print every resume criterion; a refused resume exits 7, like <c>stage advance</c>.
/// </summary>
public static class FixCommands
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static Command Create(VerbFactory verbs)
    {
        var incident = new Option<string>("--incident") { Description = "The incident the fix is for", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (on the incident timeline and in the audit log)", Required = true };
        var optionalReason = new Option<string?>("--reason") { Description = "Why (on the incident timeline and in the audit log)" };
        var id = new Argument<string>("id") { Description = "Forward fix id (fix_…)" };
        var existing = new Option<string?>("--override") { Description = "An existing override (with an expiry) to record as a temporary mitigation" };
        var flag = new Option<string?>("--flag") { Description = "Flag key or alias, e.g. F3" };
        var scope = new Option<string?>("--scope") { Description = "A new mitigation's scope: global | workspace:ID | cohort:ID | user:ID" };
        var value = new Option<string?>("--value") { Description = "A new mitigation's value: on|off" };
        var expires = new Option<string?>("--expires") { Description = "A new mitigation's expiry: a duration (30m, 24h, 3d) or an ISO-8601 time (required: it expires by itself)" };
        var patchFlag = new Option<string>("--flag") { Description = "The patch flag, key or alias", Required = true };
        var cohort = new Option<string>("--cohort") { Description = "The one restricted cohort the patch is enabled for (e.g. pilot)", Required = true };
        var note = new Option<string?>("--note") { Description = "What was reviewed" };
        var release = new Option<string[]>("--release-mitigation")
        {
            Description = "A mitigation (override id) no longer needed: removed on resume (repeatable)", AllowMultipleArgumentsPerToken = false,
        };

        return verbs.Group("fix", "Forward fix: open a workstream for an incident, mitigate, patch one cohort, sign off, resume the staged rollout",
            ["ripcord fix open --incident inc_0123456789 --reason \"patch the ack retry\"", "ripcord fix status fix_0123456789"],
            verbs.Verb("open", "Open a forward fix for an incident (release manager, security lead)",
                ["ripcord fix open --incident inc_0123456789 --reason \"patch the ack retry\""],
                async (context, ct) =>
                {
                    var fix = await context.Api.OpenFixAsync(context.Program, new OpenFixBody(context.Get(incident), context.Get(reason)), ct);
                    return Show(context, fix.Value, fix.Raw);
                }, incident, reason),
            verbs.Verb("status", "A forward fix: mitigations, patch, sign-offs, and every criterion of the resume (exit 0 when it may resume now, 1 otherwise)",
                ["ripcord fix status fix_0123456789", "ripcord fix status fix_0123456789 --json"],
                async (context, ct) =>
                {
                    var fix = await context.Api.GetFixAsync(context.Program, context.Get(id), ct);
                    var shown = Show(context, fix.Value, fix.Raw);
                    return fix.Value.Readiness.Allowed || fix.Value.Fix.Status == ForwardFixStatus.Resumed ? shown : ExitCodes.CheckFailed;
                }, id),
            verbs.Verb("mitigate", "Record a temporary mitigation: an existing override with an expiry (--override), or a new one (--flag --scope --value --expires --reason)",
                [
                    "ripcord fix mitigate fix_0123456789 --flag F3 --scope workspace:acme --value off --expires 24h --reason \"keep acme off the broken path\"",
                    "ripcord fix mitigate fix_0123456789 --override ovr_0123456789ab",
                ],
                async (context, ct) =>
                {
                    var body = new MitigationBody(context.Get(existing), context.Get(flag), context.Get(scope),
                        context.Get(value) is { } v ? Inputs.OnOff(v, "--value") : null, context.Get(expires) is { } e ? Inputs.Expiry(e) : null,
                        context.Get(optionalReason));
                    var fix = await context.Api.MitigateFixAsync(context.Program, context.Get(id), body, ct);
                    return Show(context, fix.Value, fix.Raw);
                }, id, existing, flag, scope, value, expires, optionalReason),
            verbs.Verb("patch", "Enable the patch flag for one restricted cohort (its own override at that cohort; nothing wider)",
                ["ripcord fix patch fix_0123456789 --flag F3 --cohort pilot"],
                async (context, ct) =>
                {
                    var fix = await context.Api.PatchFixAsync(context.Program, context.Get(id), new PatchBody(context.Get(patchFlag), context.Get(cohort), null), ct);
                    return Show(context, fix.Value, fix.Raw);
                }, id, patchFlag, cohort),
            verbs.Verb("signoff", "Sign the fix off: your role decides which (release manager or security lead); one person cannot give both",
                ["ripcord fix signoff fix_0123456789", "ripcord fix signoff fix_0123456789 --note \"patch and cohort checks reviewed\""],
                async (context, ct) =>
                {
                    var fix = await context.Api.SignOffFixAsync(context.Program, context.Get(id), new FixSignoffBody(context.Get(note)), ct);
                    return Show(context, fix.Value, fix.Raw);
                }, id, note),
            verbs.Verb("resume", "Resume the staged rollout: lifts the stage lock and the incident's freezes, removes the released mitigations (exit 7 when refused)",
                [
                    "ripcord fix resume fix_0123456789 --reason \"patch verified on pilot\"",
                    "ripcord fix resume fix_0123456789 --release-mitigation ovr_0123456789ab --reason \"patch verified on pilot\"",
                ],
                async (context, ct) => await ResumeAsync(context, context.Get(id), context.Get(release) ?? [], context.Get(reason), ct),
                id, release, reason));
    }

    private static async Task<int> ResumeAsync(VerbContext context, string id, string[] release, string reason, CancellationToken ct)
    {
        try
        {
            var fix = await context.Api.ResumeFixAsync(context.Program, id, new ResumeFixBody(release, reason), ct);
            return Show(context, fix.Value, fix.Raw);
        }
        catch (RipcordApiException refused) when (refused.Status == 422 && refused.ProblemJson is { } problem && problem.Contains("\"missing\"", StringComparison.Ordinal))
        {
            if (context.Json)
            {
                context.Terminal.Json(problem);
                return ExitCodes.Refused;
            }
            var verdict = JsonSerializer.Deserialize<RefusedResume>(problem, Web)!;
            context.Terminal.Line($"Resume of forward fix {id} refused:");
            Criteria(context.Terminal, verdict.Criteria);
            context.Terminal.Line($"Missing: {string.Join(", ", verdict.Missing)}");
            return ExitCodes.Refused;
        }
    }

    private sealed record RefusedResume(IReadOnlyList<string> Missing, IReadOnlyList<FixCriterion> Criteria);

    private static int Show(VerbContext context, ForwardFixView view, string raw)
    {
        if (context.Json)
        {
            context.Terminal.Json(raw);
            return ExitCodes.Success;
        }
        var t = context.Terminal;
        var fix = view.Fix;
        t.Line($"Forward fix {fix.Id} of {fix.Program} for incident {fix.IncidentId}: {ForwardFixMachine.Name(fix.Status)}");
        t.Line($"  opened     {Words.Time(fix.OpenedAt)} by {fix.OpenedBy}: {fix.Reason}");
        t.Line(fix.Patch is { } p ? $"  patch      {p.Flag} on for cohort {p.Cohort} ({p.OverrideId})" : "  patch      none yet");
        if (!fix.Mitigations.IsEmpty)
        {
            t.Table(new TableView("MITIGATION", "FLAG", "SCOPE", "VALUE", "EXPIRES", "STATE").AddRows(fix.Mitigations, m =>
                [m.OverrideId, m.Flag, m.Scope, Words.OnOff(m.Value), Words.Time(m.ExpiresAt), m.Released ? "released" : "in place"]));
        }
        foreach (var s in fix.Signoffs)
        {
            t.Line($"  sign-off   {ForwardFixMachine.Name(s.Role)} by {s.By} at {Words.Time(s.At)}" + (s.Note is { } n ? $": {n}" : ""));
        }
        if (fix.Status == ForwardFixStatus.Resumed)
        {
            t.Line($"Resumed {Words.Time(fix.ResumedAt!.Value)} by {fix.ResumedBy}: {fix.ResumeReason}" + (fix.Lifted.IsEmpty ? "" : $"; lifted {string.Join(", ", fix.Lifted)}"));
            return ExitCodes.Success;
        }
        Criteria(t, view.Readiness.Criteria);
        t.Line(view.Readiness.Allowed ? $"Ready: ripcord fix resume {fix.Id} --reason \"…\"" : $"Not ready: {string.Join(", ", view.Readiness.Missing)}");
        return ExitCodes.Success;
    }

    private static void Criteria(Terminal t, IEnumerable<FixCriterion> criteria) =>
        t.Table(new TableView("", "CRITERION", "DETAIL").AddRows(criteria, c =>
            [new Cell(c.Passed ? "✓" : "✗", c.Passed ? Tone.Good : Tone.Bad), c.Name, c.Detail]));
}
