using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Incidents;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord freeze</c>: deployment freezes, and the check a deploy pipeline runs before deploying.</summary>
public static class FreezeCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var scope = new Option<string>("--scope") { Description = "global | workspace:ID | cohort:ID", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (on the incident timeline and in the audit log)", Required = true };
        var incident = new Option<string?>("--incident") { Description = "The incident it is for" };
        var duration = new Option<string?>("--for") { Description = "How long: 30m, 4h, 2d (default: until lifted)" };
        var all = new Option<bool>("--all") { Description = "Lifted and expired ones too" };
        var id = new Argument<string>("id") { Description = "Freeze id (frz_…)" };
        var checkScope = new Option<string?>("--scope") { Description = "The deploy's scope (workspace:ID or cohort:ID); omit for a whole-program deploy" };

        return verbs.Group("freeze", "Deployment freezes: start, list, lift, and check before deploying",
            ["ripcord freeze start --scope cohort:pilot --reason \"incident inc_0123456789\" --for 4h", "ripcord freeze check --scope workspace:acme"],
            verbs.Verb("start", "Freeze deploys of the program or one scope (ops lead and up; opens a post-action review)",
                ["ripcord freeze start --scope cohort:pilot --reason \"acks failing\" --incident inc_0123456789 --for 4h", "ripcord freeze start --scope global --reason \"P1\""],
                async (context, ct) =>
                {
                    int? minutes = context.Get(duration) is { } d ? (int)Math.Ceiling(Inputs.Duration(d, "--for").TotalMinutes) : null;
                    var started = await context.Api.StartFreezeAsync(context.Program, new FreezeBody(context.Get(scope), context.Get(reason), context.Get(incident), minutes), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(started.Raw);
                        return ExitCodes.Success;
                    }
                    var f = started.Value;
                    context.Terminal.Line($"Freeze {f.Id} at {f.Scope}" + (f.Until is { } u ? $" until {Words.Time(u)}" : " until lifted") + ". Pipelines: ripcord freeze check");
                    return ExitCodes.Success;
                }, scope, reason, incident, duration),
            verbs.Verb("list", "Active freezes",
                ["ripcord freeze list", "ripcord freeze list --all --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListFreezesAsync(context.Program, context.Get(all), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "SCOPE", "SINCE", "UNTIL", "BY", "INCIDENT", "REASON").AddRows(list.Value, f =>
                        [new Cell(f.Id, Tone.Strong), f.Scope, Words.Time(f.StartedAt), f.LiftedAt is { } l ? $"lifted {Words.Time(l)}" : f.Until is { } u ? Words.Time(u) : "lifted by hand",
                            f.StartedBy, f.IncidentId ?? "", f.Reason]));
                    return ExitCodes.Success;
                }, all),
            verbs.Verb("lift", "Lift a freeze (release manager, security lead, admin)",
                ["ripcord freeze lift frz_0123456789 --reason \"fix verified\""],
                async (context, ct) =>
                {
                    var lifted = await context.Api.LiftFreezeAsync(context.Program, context.Get(id), context.Get(reason), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(lifted.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Lifted {lifted.Value.Id} at {lifted.Value.Scope}.");
                    return ExitCodes.Success;
                }, id, reason),
            verbs.Verb("check", "For deploy pipelines: exit 0 when a deploy may proceed, 1 when a freeze covers it (and say which)",
                ["ripcord freeze check", "ripcord freeze check --scope workspace:acme --json"],
                async (context, ct) =>
                {
                    var check = await context.Api.CheckFreezesAsync(context.Program, context.Get(checkScope), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(check.Raw);
                    }
                    else
                    {
                        context.Terminal.Line((check.Value.DeploysMayProceed ? "Deploys may proceed: " : "Deploys are frozen: ") + check.Value.Reason);
                    }
                    return check.Value.DeploysMayProceed ? ExitCodes.Success : ExitCodes.CheckFailed;
                }, checkScope));
    }
}
