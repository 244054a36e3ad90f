using System.CommandLine;
using System.Globalization;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Alerts;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord alert</c>: the program's firing and recent alerts (docs/telemetry.md, "Alerts"), and acknowledging one.</summary>
public static class AlertCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var id = new Argument<string>("id") { Description = "Alert id (al_…)" };
        var reason = new Option<string>("--reason") { Description = "Why you acknowledge it (who is on it, what you are doing)", Required = true };

        return verbs.Group("alert", "Alerts: firing and recent, acknowledged by the on-call person (`ripcord alerts …` works too)",
            ["ripcord alert list", "ripcord alert ack al_0123456789 --reason \"on it: checking the relay\""],
            verbs.Verb("list", "Firing alerts first, then recent resolved ones, newest first",
                ["ripcord alert list", "ripcord alerts list --program groups --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListAlertsAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ALERT", "STATE", "SEVERITY", "RULE", "VALUE", "FIRED", "ACK", "INCIDENT").AddRows(list.Value, a =>
                    [
                        new Cell(a.Id, Tone.Strong),
                        a.Status == AlertPhase.Firing ? new Cell("firing", Tone.Bad) : new Cell("resolved " + Words.Time(a.ResolvedAt), Tone.Dim),
                        a.Severity == AlertSeverity.Critical ? new Cell("critical", Tone.Bad) : Name(a.Severity),
                        a.Rule,
                        $"{Figure(a.LastValue)} > {Figure(a.Threshold)}",
                        Words.Time(a.FiredAt),
                        a.AcknowledgedBy ?? "",
                        a.IncidentId is null ? "" : $"{a.IncidentId} (suggests {a.RecommendedLevel ?? "operator's choice"} at {a.RecommendedScope})",
                    ]));
                    return ExitCodes.Success;
                }),
            verbs.Verb("ack", "Acknowledge a firing alert, with a reason (operator and up)",
                ["ripcord alert ack al_0123456789 --reason \"on it\"", "ripcord alerts ack al_0123456789 --reason \"known relay outage\" --json"],
                async (context, ct) =>
                {
                    var acked = await context.Api.AcknowledgeAlertAsync(context.Program, context.Get(id), context.Get(reason), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(acked.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Alert {acked.Value.Id} ({acked.Value.Rule}) acknowledged by {acked.Value.AcknowledgedBy}.");
                    return ExitCodes.Success;
                }, id, reason));
    }

    private static string Name(AlertSeverity severity) => severity.ToString().ToLowerInvariant();

    private static string Figure(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
