using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Incidents;
using Ripcord.Core.KillSwitches;
using Ripcord.Server.Incidents;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord incident</c>: declare an incident, follow it, annotate it, resolve and close it.</summary>
public static class IncidentCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var @class = new Option<string>("--class") { Description = "P1 confidentiality | P2 unauthorised membership/admin action | P3 sustained delivery failure | P4 incorrect downgrade", Required = true };
        var severity = new Option<string>("--severity") { Description = "critical | high | medium | low", Required = true };
        var trigger = new Option<string>("--trigger") { Description = string.Join(" | ", KillSwitchTriggers.All), Required = true };
        var affected = new Option<string?>("--affected") { Description = "Affected scopes, comma-separated: workspace:w1,cohort:pilot (omit when unknown)" };
        var operation = new Option<string?>("--operation") { Description = "The failing operation when known (e.g. send): the recommender picks the smallest level that disables it" };
        var summary = new Option<string>("--summary") { Description = "What is happening, in a sentence", Required = true };
        var status = new Option<string?>("--status") { Description = "Only incidents in this status: declared | mitigating | mitigated | resolved | closed" };
        var id = new Argument<string>("id") { Description = "Incident id (from 'incident list')" };
        var text = new Argument<string>("text") { Description = "The note or action item" };
        var owner = new Option<string?>("--owner") { Description = "Who owns the action item" };
        var actionId = new Argument<string>("action") { Description = "Action item id (a1, a2, …)" };
        var resolution = new Option<string>("--summary") { Description = "How it was resolved", Required = true };
        var audience = new Option<string>("--audience") { Description = "internal | operator | user | post-incident", Required = true };
        var locale = new Option<string?>("--locale") { Description = "Template locale, e.g. fr (default en; falls back to en)" };

        return verbs.Group("incident", "Incidents: declare, follow, annotate, resolve, close",
            [
                "ripcord incident declare --class P3 --severity high --trigger publish-ack-failures --affected cohort:pilot --summary \"sends failing for pilot\"",
                "ripcord incident show inc_0123456789",
            ],
            verbs.Verb("declare", "Declare an incident (starts its response clock: P1 15 min, P2 30, P3/P4 60)",
                [
                    "ripcord incident declare --class P3 --severity high --trigger publish-ack-failures --affected cohort:pilot --summary \"send acks failing for pilot\"",
                    "ripcord incident declare --class P1 --severity critical --trigger confidentiality-incident --affected workspace:acme --summary \"secure pilot leak suspected\"",
                    "ripcord incident declare --class P3 --severity high --trigger crash-or-memory-regression --operation send --summary \"crash on send\" --json",
                ],
                async (context, ct) =>
                {
                    var body = new DeclareIncidentBody(Parse<IncidentClass>(context.Get(@class), "--class"), Parse<IncidentSeverity>(context.Get(severity), "--severity"),
                        context.Get(trigger), context.Get(summary), Inputs.Scopes(context.Get(affected)), context.Get(operation));
                    var created = await context.Api.DeclareIncidentAsync(context.Program, body, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(created.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Incident {created.Value.Id} declared ({body.Class}, {context.Get(severity)}). Next: ripcord ks recommend --incident {created.Value.Id}");
                    return ExitCodes.Success;
                }, @class, severity, trigger, affected, operation, summary),
            verbs.Verb("list", "List incidents with their response clocks",
                ["ripcord incident list", "ripcord incident list --status mitigating --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListIncidentsAsync(context.Program, context.Get(status), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "CLASS", "SEVERITY", "STATUS", "TRIGGER", "DECLARED", "RESPONSE", "OPEN ACTIONS", "SUMMARY")
                        .AddRows(list.Value, i =>
                        [
                            new Cell(i.Id, Tone.Strong), i.Class.ToString(), Name(i.Severity), Name(i.Status), i.Trigger, Words.Time(i.DeclaredAt),
                            Clock(i.ResponseClock), Words.Number(i.OpenActions), i.Summary,
                        ]));
                    return ExitCodes.Success;
                }, status),
            verbs.Verb("show", "Show an incident: timeline, action items, kill switches, reviews",
                ["ripcord incident show inc_0123456789", "ripcord incident show inc_0123456789 --json"],
                async (context, ct) =>
                {
                    var view = await context.Api.GetIncidentAsync(context.Program, context.Get(id), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(view.Raw);
                        return ExitCodes.Success;
                    }
                    Print(context.Terminal, view.Value);
                    return ExitCodes.Success;
                }, id),
            verbs.Verb("document", "The incident's timeline as a markdown document (post-incident template, each action with who and when, time-to-mitigate, verification, open action items)",
                ["ripcord incident document inc_0123456789", "ripcord incident document inc_0123456789 > inc_0123456789.md"],
                async (context, ct) =>
                {
                    var document = await context.Api.GetIncidentDocumentAsync(context.Program, context.Get(id), ct);
                    context.Terminal.Line(document.Value.TrimEnd());
                    return ExitCodes.Success;
                }, id),
            verbs.Verb("note", "Add a note to the timeline",
                ["ripcord incident note inc_0123456789 \"relay team engaged\""],
                async (context, ct) => Done(context, await context.Api.AddIncidentNoteAsync(context.Program, context.Get(id), context.Get(text), ct), "Noted"),
                id, text),
            verbs.Group("action", "Action items of an incident",
                ["ripcord incident action add inc_0123456789 \"add a regression test\" --owner dana", "ripcord incident action resolve inc_0123456789 a1"],
                verbs.Verb("add", "Add an action item",
                    ["ripcord incident action add inc_0123456789 \"add a regression test\" --owner dana"],
                    async (context, ct) => Done(context,
                        await context.Api.AddIncidentActionAsync(context.Program, context.Get(id), new ActionItemBody(context.Get(text), context.Get(owner)), ct),
                        "Action added"),
                    id, text, owner),
                verbs.Verb("resolve", "Resolve an action item",
                    ["ripcord incident action resolve inc_0123456789 a1"],
                    async (context, ct) => Done(context,
                        await context.Api.ResolveIncidentActionAsync(context.Program, context.Get(id), context.Get(actionId), ct), "Action resolved"),
                    id, actionId)),
            verbs.Verb("announce", "Render the definition's template for an audience, record it on the timeline, deliver it to that audience's webhooks",
                ["ripcord incident announce inc_0123456789 --audience operator", "ripcord incident announce inc_0123456789 --audience user --locale fr"],
                async (context, ct) =>
                {
                    var sent = await context.Api.AnnounceIncidentAsync(context.Program, context.Get(id), new AnnounceBody(context.Get(audience), context.Get(locale)), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(sent.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Announced to {sent.Value.Audience} ({sent.Value.Locale}):");
                    context.Terminal.Line(sent.Value.Text);
                    return ExitCodes.Success;
                }, id, audience, locale),
            verbs.Verb("resolve", "Mark the incident resolved",
                ["ripcord incident resolve inc_0123456789 --summary \"fix deployed, KS3 lifted\""],
                async (context, ct) => Done(context, await context.Api.ResolveIncidentAsync(context.Program, context.Get(id), context.Get(resolution), ct), "Resolved"),
                id, resolution),
            verbs.Verb("close", "Close a resolved incident (every action item resolved)",
                ["ripcord incident close inc_0123456789"],
                async (context, ct) => Done(context, await context.Api.CloseIncidentAsync(context.Program, context.Get(id), ct), "Closed"),
                id));
    }

    public static T Parse<T>(string text, string option) where T : struct, Enum =>
        Enum.TryParse<T>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new CliException($"{option} must be one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    public static string Name<T>(T value) where T : struct, Enum => System.Text.Json.JsonSerializer.Serialize(value).Trim('"');

    private static Cell Clock(ResponseClock clock) => clock.Status switch
    {
        ResponseClockStatus.Met => new Cell($"met ({Minutes(clock.Elapsed)} of {Minutes(clock.Target)})", Tone.Good),
        ResponseClockStatus.Missed => new Cell($"missed ({Minutes(clock.Target)} target)", Tone.Bad),
        ResponseClockStatus.AtRisk => new Cell($"at risk: respond by {Words.Time(clock.Deadline)}", Tone.Warning),
        _ => new Cell($"running: respond by {Words.Time(clock.Deadline)}"),
    };

    private static string Minutes(TimeSpan span) => span.TotalMinutes < 1 ? $"{span.TotalSeconds:0}s" : $"{span.TotalMinutes:0} min";

    private static void Print(Terminal terminal, IncidentView view)
    {
        var i = view.Incident;
        terminal.Line($"{i.Id} · {i.Class} {Name(i.Severity)} · {Name(i.Status)} · trigger {i.Trigger}");
        terminal.Line($"  {i.Summary}");
        terminal.Line($"  affected: {(i.Affected.IsDefaultOrEmpty ? "unknown (whole program)" : string.Join(", ", i.Affected))}"
            + (i.FailingOperation is { } op ? $"; failing operation: {op}" : ""));
        terminal.Line($"  response clock: {Clock(view.ResponseClock).Text}");
        if (view.TimeToMitigateMs is { } ttm)
        {
            terminal.Line($"  time to mitigate (declared → verified): {TimeSpan.FromMilliseconds(ttm).TotalSeconds:0.0}s");
        }
        terminal.Line();
        terminal.Table(new TableView("AT", "WHAT", "BY", "DETAIL").AddRows(i.Timeline, e => [Words.Time(e.At), new Cell(e.Kind, Tone.Strong), e.By, e.Text]));
        if (!i.Actions.IsDefaultOrEmpty)
        {
            terminal.Line();
            terminal.Table(new TableView("ACTION", "STATE", "OWNER", "TEXT").AddRows(i.Actions, a =>
                [a.Id, a.Open ? new Cell("open", Tone.Warning) : new Cell("resolved", Tone.Dim), a.Owner ?? "", a.Text]));
        }
        if (view.Activations.Count > 0)
        {
            terminal.Line();
            terminal.Table(new TableView("KILL SWITCH", "LEVEL", "SCOPE", "STATE", "VERIFICATION").AddRows(view.Activations, a =>
                [a.Id, a.Level, a.Scope, a.Active ? "active" : "lifted", a.Verification is { } v ? $"{Name(v.Status)} ({v.Applied}/{v.Total})" : "pending"]));
        }
        if (view.Reviews.Count > 0)
        {
            terminal.Line();
            terminal.Table(new TableView("REVIEW", "STATE", "ACTOR", "OF").AddRows(view.Reviews, r =>
                [r.Id, r.Open ? new Cell("open", Tone.Warning) : new Cell("completed by " + r.CompletedBy, Tone.Dim), r.Actor, r.Summary]));
        }
    }

    private static int Done(VerbContext context, Api.ApiResponse<Incident> response, string what)
    {
        if (context.Json)
        {
            context.Terminal.Json(response.Raw);
            return ExitCodes.Success;
        }
        var i = response.Value;
        context.Terminal.Line($"{what}: {i.Id} is {Name(i.Status)}; {i.Actions.Count(a => a.Open)} open action items.");
        return ExitCodes.Success;
    }
}
