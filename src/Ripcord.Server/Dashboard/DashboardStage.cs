using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Gates;
using Ripcord.Core.Ramps;
using Ripcord.Core.Rollback;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using Ripcord.Server.Ramps;
using Ripcord.Server.Revisions;
using Ripcord.Server.Rollback;
using Ripcord.Server.Stages;
using static Ripcord.Server.Ui.DashboardViews;

namespace Ripcord.Server.Ui;

/// <summary>
/// The stage page (issue 12): the stage, its lock and freezes, the next stage's checklist (the dry-run of
/// <c>POST …/stage/advance</c>), known-safe revisions, the guarded ramp, the rollback plan and runs. Every form calls
/// the service the API calls, after the permission the API endpoint needs.
/// </summary>
public static partial class DashboardEndpoints
{
    internal static void MapStage(RouteGroupBuilder ui)
    {
        ui.MapGet("/ui/programs/{program}/stage", StagePageAsync).WithMetadata(DashboardEndpoint.Session);
        ui.MapPost("/ui/programs/{program}/stage/advance", StageAdvanceAsync).WithMetadata(DashboardEndpoint.Permits(Permission.StageAdvance));
        ui.MapPost("/ui/programs/{program}/known-safe", StageKnownSafeAsync).WithMetadata(DashboardEndpoint.Permits(Permission.KnownSafeWrite));
        ui.MapPost("/ui/programs/{program}/ramp", StageRampAsync).WithMetadata(DashboardEndpoint.Permits(Permission.RampManage));
        ui.MapPost("/ui/programs/{program}/rollback", StageRollbackAsync).WithMetadata(DashboardEndpoint.Permits(Permission.RollbackStart));
        ui.MapPost("/ui/programs/{program}/stage-lock/lift", StageLockLiftAsync).WithMetadata(DashboardEndpoint.Permits(Permission.StageLockLift));
        ui.MapPost("/ui/programs/{program}/freezes/{id}/lift", StageFreezeLiftAsync).WithMetadata(DashboardEndpoint.Permits(Permission.FreezeLift));
        Nav(40, "Stage", p => ProgramPath(p) + "/stage");
        Live("stage", (http, ct) => StageFragmentAsync(http, http.Request.Query["program"].ToString(), ct));
    }

    private static string StagePath(string program) => ProgramPath(program) + "/stage";

    /// <summary>The stage after the current one, in the definition's order (never the freeze profile); null at the last.</summary>
    private static string? NextStage(CompiledProgram p)
    {
        var stages = p.State.Definition.Stages.Select(s => s.Id).Where(s => s != GateService.FreezeProfile).ToList();
        var at = stages.IndexOf(p.State.Stage);
        return at >= 0 && at + 1 < stages.Count ? stages[at + 1] : p.State.Stage == GateService.FreezeProfile ? stages.FirstOrDefault() : null;
    }

    private static async Task<IResult> StagePageAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        ProgramRegistry registry, RollbackService rollbacks, IncidentService incidents, FreezeService freezes, KnownSafeStore knownSafe)
    {
        if (await sessions.ResolveAsync(http, http.RequestAborted) is not { } actor)
        {
            return Results.Redirect("/");
        }
        return await Guard(http, actor, antiforgery, async () =>
        {
            var p = registry.Current(program);
            var ct = http.RequestAborted;
            var csrf = Csrf(http, antiforgery);
            var path = StagePath(program);
            var live = $"/ui/events?view=stage&program={Uri.EscapeDataString(program)}";
            var targets = p.State.Definition.Stages.Select(s => s.Id).Where(s => s != GateService.FreezeProfile && s != p.State.Stage).ToList();
            var latestSafe = await knownSafe.LatestAsync(program, ct);
            long? planTo = long.TryParse(http.Request.Query["to"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
            var open = (await incidents.ListAsync(program, null, ct)).Where(i => IsOpen(i.Status)).Select(i => i.Id).ToList();
            var body = new StringBuilder();
            body.Append(CultureInfo.InvariantCulture, $"""
                <p><a href="/">← Overview</a> · <a href="{ProgramPath(program)}/revisions">Revisions and diffs</a></p>
                <h1>Stage of {E(program)}</h1>
                <div id="stage" data-live="{E(live)}" aria-live="polite">{await StageFragmentAsync(http, program, ct)}</div>
                <section class="advance"><h2>Advance</h2>
                <form method="post" action="{path}/advance">{csrf}
                <label>To stage <select name="to">{Options(targets, NextStage(p))}</select></label>
                <button type="submit">Advance</button>
                </form>
                <p class="note">The move is made only when every entry criterion of the target and exit criterion of the current stage passes; the exit checklist becomes the known-safe evidence of revision {p.Revision}.</p>
                {Permitted(actor, Permission.StageAdvance, "advance a stage")}</section>
                <section class="known-safe-tag"><h2>Tag a revision known-safe</h2>
                <form method="post" action="{ProgramPath(program)}/known-safe">{csrf}
                <label>Revision <input name="revision" type="number" min="1" max="{p.Revision}" value="{p.Revision}" required></label>
                <label>Reason <input name="reason" required maxlength="{RevisionService.MaxReasonLength}"></label>
                <button type="submit">Tag known-safe</button>
                </form>{Permitted(actor, Permission.KnownSafeWrite, "tag a revision known-safe")}</section>
                <section class="ramp-manage"><h2>Guarded ramp</h2>
                <form method="post" action="{ProgramPath(program)}/ramp">{csrf}
                <label>Reason <input name="reason" maxlength="{RampService.MaxReasonLength}" placeholder="required to pause"></label>
                <button type="submit" name="op" value="start">Start ramp</button>
                <button type="submit" name="op" value="pause">Pause ramp</button>
                <button type="submit" name="op" value="resume">Resume ramp</button>
                </form>{Permitted(actor, Permission.RampManage, "start, pause or resume a ramp")}</section>
                """);

            body.Append("<section class=\"rollback-plan\"><h2>Rollback</h2>");
            body.Append(CultureInfo.InvariantCulture, $"""
                <form method="get" action="{path}" class="inline">
                <label>Plan a rollback to revision <input name="to" type="number" min="1" max="{p.Revision}" value="{(planTo ?? latestSafe?.Revision)?.ToString(CultureInfo.InvariantCulture)}" placeholder="latest known-safe"></label>
                <button type="submit">Show plan</button></form>
                """);
            try
            {
                var plan = await rollbacks.PlanAsync(program, planTo, true, ct);
                body.Append(RollbackPlanHtml(plan));
                body.Append(CultureInfo.InvariantCulture, $"""
                    <form method="post" action="{ProgramPath(program)}/rollback">{csrf}
                    <input type="hidden" name="to" value="{plan.TargetRevision}">
                    <label>Incident <select name="incident" required>{Options(open, open.FirstOrDefault())}</select></label>
                    <label>Reason <input name="reason" required maxlength="{RollbackMachine.MaxReasonLength}"></label>
                    <label class="check"><input type="checkbox" name="keepKillSwitches" value="true" checked> Keep active kill switches</label>
                    <button type="submit" name="step" value="review">Review rollback…</button>
                    </form>
                    {(open.Count == 0 ? "<p class=\"note\">A rollback is run for an incident: declare one on the overview first.</p>" : "")}
                    """);
            }
            catch (ChangeRejectedException ex)
            {
                body.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" data-test=\"plan-error\">{E(ex.Message)}</p>");
            }
            body.Append(Permitted(actor, Permission.RollbackStart, "start a rollback")).Append("</section>");

            if (await rollbacks.StageLockAsync(program, ct) is { } held)
            {
                body.Append(CultureInfo.InvariantCulture, $"""
                    <section class="stage-lock"><h2>Lift the stage lock</h2>
                    <form method="post" action="{ProgramPath(program)}/stage-lock/lift">{csrf}
                    <label>Reason for lifting {E(held.Id)} <input name="reason" required maxlength="1000"></label>
                    <button type="submit">Lift stage lock</button></form>
                    <p class="note">Break-glass: the normal path is a forward fix's resume.</p>{Permitted(actor, Permission.StageLockLift, "lift a stage lock")}</section>
                    """);
            }
            var frozen = await freezes.ListAsync(program, false, ct);
            if (frozen.Count > 0)
            {
                body.Append("<section class=\"freeze-lift\"><h2>Lift a freeze</h2>");
                foreach (var f in frozen)
                {
                    body.Append(CultureInfo.InvariantCulture, $"""
                        <form method="post" action="{ProgramPath(program)}/freezes/{Uri.EscapeDataString(f.Id)}/lift">{csrf}
                        <label>Reason for lifting {E(f.Id)} at {E(f.Scope)} <input name="reason" required maxlength="1000"></label>
                        <button type="submit">Lift freeze {E(f.Id)}</button></form>
                        """);
                }
                body.Append(Permitted(actor, Permission.FreezeLift, "lift a freeze")).Append("</section>");
            }
            return Page(http, actor, antiforgery, $"Ripcord — stage ({program})", body.ToString());
        });
    }

    /// <summary>The live part: stage, lock, freezes, the next stage's checklist, the ramp, known-safe revisions, rollback runs.</summary>
    private static async Task<string> StageFragmentAsync(HttpContext http, string program, CancellationToken ct)
    {
        var services = http.RequestServices;
        var registry = services.GetRequiredService<ProgramRegistry>();
        var p = registry.Current(program);
        var rollbacks = services.GetRequiredService<RollbackService>();
        var freezes = await services.GetRequiredService<FreezeService>().ListAsync(program, false, ct);
        var held = await rollbacks.StageLockAsync(program, ct);
        var html = new StringBuilder("<dl class=\"facts\">");
        html.Append(CultureInfo.InvariantCulture,
            $"<div><dt>Stage</dt><dd data-test=\"current-stage\">{E(p.State.Stage)} {E(p.State.Definition.FindStage(p.State.Stage)?.Name)}</dd></div>");
        html.Append(CultureInfo.InvariantCulture, $"<div><dt>Head revision</dt><dd data-test=\"head\">{p.Revision}</dd></div>");
        html.Append(CultureInfo.InvariantCulture, $"<div><dt>Stage lock</dt><dd data-test=\"stage-lock\">{(held is null ? "none"
            : $"{E(held.Id)} since {Time(held.LockedAt)} (rollback {E(held.RollbackId)}, incident {E(held.IncidentId)}): {E(held.Reason)}")}</dd></div>");
        html.Append(CultureInfo.InvariantCulture, $"<div><dt>Freezes</dt><dd data-test=\"freezes\">{(freezes.Count == 0 ? "none"
            : string.Join("; ", freezes.Select(f => $"{E(f.Id)} at {E(f.Scope)}: {E(f.Reason)}" + (f.Until is { } u ? $" (until {Time(u)})" : ""))))}</dd></div>");
        html.Append("</dl>");

        // The checklist: the same evaluation as POST …/stage/advance with dryRun, as the person looking.
        if (NextStage(p) is { } next && await services.GetRequiredService<DashboardSessions>().ResolveAsync(http, ct) is { } actor)
        {
            var outcome = await services.GetRequiredService<GateService>().AdvanceAsync(program, next, true, actor, ct);
            html.Append(CultureInfo.InvariantCulture, $"<h2>Checklist for stage {E(next)}</h2>");
            html.Append(Checklist(program, outcome.Verdict));
        }
        else
        {
            html.Append("<p class=\"empty\">This is the last stage: there is no next one to check.</p>");
        }

        html.Append("<h2>Guarded ramp</h2>").Append(RampHtml(await services.GetRequiredService<RampService>().StatusAsync(program, ct)));

        var safe = await services.GetRequiredService<KnownSafeStore>().KnownSafeAsync(program, ct);
        html.Append("<h2>Known-safe revisions</h2>");
        if (safe.Count == 0)
        {
            html.Append("<p class=\"empty\" data-test=\"no-known-safe\">No revision is tagged known-safe yet: an advance tags one, or a release manager below.</p>");
        }
        else
        {
            html.Append("<table data-test=\"known-safe-list\"><thead><tr><th>Revision</th><th>Stage</th><th>How</th><th>Why</th><th>By</th><th>At</th></tr></thead><tbody>");
            foreach (var k in safe.Take(20))
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{k.Revision}</td><td>{E(k.Stage)}</td><td>{E(k.Kind)}</td><td>{E(k.Reason)}</td><td>{E(k.TaggedBy)}</td><td>{Time(k.TaggedAt)}</td></tr>");
            }
            html.Append("</tbody></table>");
        }

        var runs = await rollbacks.ListAsync(program, ct);
        html.Append("<h2>Rollback runs</h2>");
        if (runs.Count == 0)
        {
            html.Append("<p class=\"empty\" data-test=\"no-rollbacks\">No rollback has been run.</p>");
        }
        foreach (var run in runs.Take(5))
        {
            html.Append(RollbackRunHtml(run));
        }
        return html.ToString();
    }

    private static string Mark(bool passed) => passed ? "<span class=\"pass\">✓ pass</span>" : "<span class=\"fail\">✗ fail</span>";

    /// <summary>A stage move's checklist: each entry and exit criterion with pass/fail, figure, threshold and evidence.</summary>
    private static string Checklist(string program, GateVerdict verdict)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<p data-test=\"verdict\">{(verdict.Allowed
            ? $"<span class=\"pass\">✓</span> Every criterion passes: stage {E(verdict.Target)} may be entered now."
            : $"<span class=\"fail\">✗</span> Not yet: {verdict.Failing.Count()} of {verdict.Criteria.Length} criteria fail ({E(string.Join(", ", verdict.Failing.Select(c => c.Name)))}).")}</p>");
        html.Append("<div class=\"scroll\"><table class=\"checklist\" data-test=\"checklist\"><thead><tr><th>Result</th><th>Criterion</th><th>Kind</th><th>Figure</th><th>Threshold</th><th>Evidence</th></tr></thead><tbody>");
        foreach (var c in verdict.Criteria)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr data-criterion="{E(c.Name)}" class="{(c.Passed ? "passed" : "failed")}"><td>{Mark(c.Passed)}</td><td>{E(c.Name)}</td><td>{(c.Kind == CriterionKind.Entry ? "entry" : "exit")}</td><td>{E(c.Figure)}</td><td>{E(c.Threshold)}</td><td class="evidence">{Evidence(program, c.Evidence)}</td></tr>
                """);
        }
        return html.Append("</tbody></table></div>").ToString();
    }

    /// <summary>
    /// A criterion's evidence with what it names made followable: a CI link (http or https) opens it, an incident id or an
    /// action item (<c>inc_…/a1</c>) its incident page, a review id the reviews page. The rest is text.
    /// </summary>
    internal static string Evidence(string program, string evidence)
    {
        var html = new StringBuilder();
        var at = 0;
        foreach (System.Text.RegularExpressions.Match m in EvidenceLink().Matches(evidence))
        {
            html.Append(E(evidence[at..m.Index]));
            var text = m.Value;
            var href = text.StartsWith("inc_", StringComparison.Ordinal) ? IncidentPath(program, text.Split('/')[0])
                : text.StartsWith("rvw_", StringComparison.Ordinal) ? ProgramPath(program) + "/reviews"
                : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.AbsoluteUri : null;
            html.Append(href is null ? E(text) : $"<a href=\"{E(href)}\" rel=\"noreferrer noopener\">{E(text)}</a>");
            at = m.Index + m.Length;
        }
        return html.Append(E(evidence[at..])).ToString();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"https?://[^\s,;<>""]+|\binc_[0-9a-f]+(?:/a[0-9]+)?|\brvw_[0-9a-f]+")]
    private static partial System.Text.RegularExpressions.Regex EvidenceLink();

    private static string RampHtml(RampStatusView status)
    {
        if (status.Plan is null && status.Ramp is null)
        {
            return $"<p class=\"empty\" data-test=\"ramp\">Stage {E(status.Stage)} has no ramp in its definition.</p>";
        }
        var html = new StringBuilder("<div data-test=\"ramp\">");
        if (status.Plan is { } plan)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p>Plan for cohort <strong>{E(plan.Cohort)}</strong>: {E(string.Join(" → ", plan.Steps.Select(RampMachine.Percent)))}, each step at least {plan.EveryMinutes} min{(plan.RollbackOnBreach ? "; a breach moves back one step" : "; a breach holds")}.</p>");
        }
        if (status.Ramp is not { } r)
        {
            html.Append("<p class=\"empty\">Not started.</p>");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <p data-test="ramp-status"><strong>{E(RampService.Status(r.Status))}</strong> (stage {E(r.Stage)}): step {r.Step + 1} of {r.Plan.Steps.Length} at {E(RampMachine.Percent(r.Percentage))},
                step started {Time(r.StepStartedAt)}{(r.Stopped ? "" : $", next step no sooner than {Time(r.NextStepAt)}")}.</p>
                <p data-test="ramp-reason">Why: {E(r.Reason)}</p>
                """);
        }
        return html.Append("</div>").ToString();
    }

    private static string RollbackRunHtml(RollbackRun run)
    {
        var status = run.Status switch
        {
            RollbackStatus.Completed when run.Verification is { Passed: true } => "<span class=\"pass\">✓ completed, verified</span>",
            RollbackStatus.Completed => "<span class=\"fail\">✗ completed, verification failed</span>",
            RollbackStatus.Failed => $"<span class=\"fail\">✗ failed at {E(run.FailedStep is { } f ? RollbackMachine.Name(f) : "?")}</span>",
            _ => $"<span class=\"v-pending\">running: next {E(run.NextStep is { } n ? RollbackMachine.Name(n) : "—")}</span>",
        };
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <div class="rollback-run" data-test="rollback-run" data-run="{E(run.Id)}"><p><strong>{E(run.Id)}</strong> for incident {E(run.IncidentId)}: revision {run.FromRevision} → {run.TargetRevision}
            by {E(run.StartedBy)} at {Time(run.StartedAt)} — <span data-test="rollback-status">{status}</span></p><p>Reason: {E(run.Reason)}</p><ol class="steps">
            """);
        foreach (var s in run.Steps)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li>{E(RollbackMachine.Name(s.Step))} at {Time(s.At)}: {E(s.Detail)}</li>");
        }
        html.Append("</ol>");
        if (run.Verification is { } v)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p data-test=\"rollback-verification\">Verification: {Mark(v.Passed)} evaluation {(v.EvaluationEqual ? "equals the target's" : $"differs in {v.Mismatches.Length} place(s)")} over {v.Contexts} contexts × {v.Flags} flags; {v.InstancesApplied} of {v.InstancesTotal} SDK instances applied the revision{(v.Violations.IsEmpty ? "" : $"; {v.Violations.Length} violation(s)")}.</p>");
        }
        if (run.Error is { } error)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"error\">{E(error)}</p>");
        }
        return html.Append("</div>").ToString();
    }

    private static string OnOffText(bool value) => value ? "on" : "off";

    /// <summary>A rollback plan in words: the target, the configuration changes, per-flag effective differences, overrides and kill switches.</summary>
    private static string RollbackPlanHtml(RollbackPlan plan)
    {
        var html = new StringBuilder("<div class=\"plan\" data-test=\"rollback-plan\">");
        html.Append(CultureInfo.InvariantCulture, $"""
            <p data-test="plan-target">Roll back from revision <strong>{plan.CurrentRevision}</strong> (stage {E(plan.CurrentStage)}) to revision
            <strong>{plan.TargetRevision}</strong> (stage {E(plan.TargetStage)}); kill switches {(plan.KeepKillSwitches ? "kept" : "lifted")}.</p>
            """);
        if (plan.ChangesNothing)
        {
            html.Append("<p class=\"empty\" data-test=\"plan-nothing\">The target is the current configuration: a rollback would change nothing.</p>");
        }
        else
        {
            html.Append("<h3>Changes</h3><ul data-test=\"plan-changes\">");
            foreach (var c in plan.Changes)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{(c.Warning ? "<strong>⚠</strong> " : "")}{E(c.Words)}</li>");
            }
            html.Append("</ul>");
        }
        html.Append(CultureInfo.InvariantCulture, $"<h3>Effective differences ({plan.DifferenceCount} over {plan.Contexts.Length} contexts)</h3>");
        if (plan.Differences.Length > 0)
        {
            html.Append("<div class=\"scroll\"><table data-test=\"plan-differences\"><thead><tr><th>Flag</th><th>Context</th><th>Now</th><th>After</th></tr></thead><tbody>");
            foreach (var d in plan.Differences)
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{E(d.Flag)}</td><td>{E(d.Context)}</td><td>{OnOffText(d.Now)} ({E(d.NowReason)})</td><td>{OnOffText(d.After)} ({E(d.AfterReason)})</td></tr>");
            }
            html.Append("</tbody></table></div>");
            if (plan.DifferenceCount > plan.Differences.Length)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">The first {plan.Differences.Length} of {plan.DifferenceCount} are shown.</p>");
            }
        }
        var overrides = plan.Overrides.AddRange(plan.Orphaned);
        html.Append("<h3>Overrides</h3>");
        html.Append(overrides.IsEmpty ? "<p class=\"empty\">None.</p>" : "<ul data-test=\"plan-overrides\">" + string.Concat(overrides.Select(o =>
            $"<li><strong>{E(o.Fate)}</strong>: {E(o.Flag)} = {OnOffText(o.Value)} at {E(o.Scope)} ({E(o.Id)})</li>")) + "</ul>");
        html.Append("<h3>Kill switches</h3>");
        html.Append(plan.KillSwitches.IsEmpty ? "<p class=\"empty\">None active.</p>" : "<ul data-test=\"plan-kill-switches\">" + string.Concat(plan.KillSwitches.Select(k =>
            $"<li><strong>{E(k.Fate)}</strong>: {E(k.Level)} at {E(k.Scope)} ({E(k.Id)})</li>")) + "</ul>");
        return html.Append("</div>").ToString();
    }

    private static async Task<IResult> StageAdvanceAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DenialAudit denials, GateService gates) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.StageAdvance, "advance a stage", async (actor, form) =>
        {
            var outcome = await gates.AdvanceAsync(program, form["to"].ToString().Trim(), false, actor, http.RequestAborted);
            if (outcome.Verdict.Allowed)
            {
                return Results.Redirect(StagePath(program));
            }
            // The API's 422, with its checklist: what failed, its figure, threshold and evidence.
            var v = outcome.Verdict;
            var body = $"""
                <p><a href="{StagePath(program)}">← Stage of {E(program)}</a></p>
                <h1>Stage {E(v.Target)} refused</h1>
                <p class="error" role="alert" data-test="error">Refused: stage {E(v.Target)} refused: {E(string.Join(", ", v.Failing.Select(c => c.Name)))} did not pass. Nothing changed.</p>
                {Checklist(program, v)}
                """;
            return Page(http, actor, antiforgery, "Ripcord — advance refused", body, StatusCodes.Status422UnprocessableEntity);
        });

    private static async Task<IResult> StageKnownSafeAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DenialAudit denials, RevisionService revisions) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.KnownSafeWrite, "tag a revision known-safe", async (actor, form) =>
        {
            if (!long.TryParse(form["revision"], NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
            {
                throw new ChangeRejectedException(ChangeError.Invalid, "revision", "revision must be a revision number");
            }
            await revisions.TagKnownSafeAsync(program, revision, form["reason"].ToString().Trim(), actor, http.RequestAborted);
            return Results.Redirect(StagePath(program));
        });

    private static async Task<IResult> StageRampAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DenialAudit denials, RampService ramps) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.RampManage, "start, pause or resume a ramp", async (actor, form) =>
        {
            var reason = form["reason"].ToString().Trim() is { Length: > 0 } given ? given : null;
            var ct = http.RequestAborted;
            _ = form["op"].ToString() switch
            {
                "start" => await ramps.StartAsync(program, reason, actor, ct),
                "pause" => await ramps.PauseAsync(program, reason ?? "", actor, ct),
                "resume" => await ramps.ResumeAsync(program, reason, actor, ct),
                _ => throw new ChangeRejectedException(ChangeError.Invalid, "op", "choose start, pause or resume"),
            };
            return Results.Redirect(StagePath(program));
        });

    /// <summary>
    /// Two steps, like a kill switch's activation: <c>step=review</c> answers the plan for the chosen revision with the
    /// incident and reason; <c>step=confirm</c> (its one red button) starts the run. The role is checked at both.
    /// </summary>
    private static async Task<IResult> StageRollbackAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DenialAudit denials, RollbackService rollbacks) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.RollbackStart, "start a rollback", async (actor, form) =>
        {
            long? to = long.TryParse(form["to"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
            var incident = form["incident"].ToString().Trim();
            var reason = form["reason"].ToString().Trim();
            var keep = form["keepKillSwitches"] == "true";
            var ct = http.RequestAborted;
            if (form["step"] != "confirm")
            {
                var plan = await rollbacks.PlanAsync(program, to, keep, ct);
                var body = $"""
                    <p><a href="{StagePath(program)}">← Stage of {E(program)}</a></p>
                    <h1>Confirm rollback</h1>
                    <div class="confirm" data-test="confirm">
                    <p>For incident <strong>{E(incident)}</strong>: {E(reason)}. The run locks stage advances, freezes deploys, reverts to revision
                    {plan.TargetRevision} as one new revision, verifies the evaluation and the SDK instances, and documents it on the incident.</p>
                    {RollbackPlanHtml(plan)}
                    <form method="post" action="{ProgramPath(program)}/rollback">{Csrf(http, antiforgery)}
                    <input type="hidden" name="to" value="{plan.TargetRevision}"><input type="hidden" name="incident" value="{E(incident)}">
                    <input type="hidden" name="reason" value="{E(reason)}"><input type="hidden" name="keepKillSwitches" value="{(keep ? "true" : "false")}">
                    <button type="submit" name="step" value="confirm" class="danger">Roll back to revision {plan.TargetRevision} now</button>
                    <a href="{StagePath(program)}">Cancel</a>
                    </form></div>
                    """;
                return Page(http, actor, antiforgery, "Ripcord — confirm rollback", body);
            }
            await rollbacks.StartAsync(program, incident, to, reason, keep, actor, ct);
            return Results.Redirect(StagePath(program));
        });

    private static async Task<IResult> StageLockLiftAsync(string program, HttpContext http, DashboardSessions sessions, IAntiforgery antiforgery,
        DenialAudit denials, RollbackService rollbacks) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.StageLockLift, "lift a stage lock", async (actor, form) =>
        {
            await rollbacks.LiftStageLockAsync(program, form["reason"].ToString().Trim(), actor, http.RequestAborted);
            return Results.Redirect(StagePath(program));
        });

    private static async Task<IResult> StageFreezeLiftAsync(string program, string id, HttpContext http, DashboardSessions sessions,
        IAntiforgery antiforgery, DenialAudit denials, FreezeService freezes) =>
        await ActionAsync(http, sessions, antiforgery, denials, Permission.FreezeLift, "lift a freeze", async (actor, form) =>
        {
            await freezes.LiftAsync(program, id, form["reason"].ToString().Trim(), actor, http.RequestAborted);
            return Results.Redirect(StagePath(program));
        });
}
