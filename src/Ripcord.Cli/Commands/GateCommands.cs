using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Gates;
using Ripcord.Server.Stages;

namespace Ripcord.Cli.Commands;

/// <summary>
/// <c>ripcord check</c>, <c>ripcord signoff</c>, <c>ripcord support-load</c>: the recorded facts stage
/// gates read (CI check results, security sign-offs, operator support load).
/// </summary>
public static class GateCommands
{
    public static IEnumerable<Command> Create(VerbFactory verbs)
    {
        yield return Checks(verbs);
        yield return Signoffs(verbs);
        yield return SupportLoad(verbs);
    }

    private static Command Checks(VerbFactory verbs)
    {
        var kind = new Option<string>("--kind") { Description = "quality | interop", Required = true };
        var stage = new Option<string>("--stage") { Description = "The target stage the check is for (0–3)", Required = true };
        var cohort = new Option<string?>("--cohort") { Description = "The target cohort (e.g. pilot); or give --scope" };
        var scope = new Option<string?>("--scope") { Description = "The target scope: global | workspace:ID | cohort:ID" };
        var status = new Option<string>("--status") { Description = "passed | failed | pending", Required = true };
        var evidence = new Option<string>("--evidence") { Description = "http(s) URL of the CI run", Required = true };
        var commit = new Option<string?>("--commit") { Description = "The commit checked (7–64 hex characters)" };

        return verbs.Group("check", "CI check results (quality gates, interop lanes) that stage gates read",
            ["ripcord check post --kind quality --stage 1 --cohort pilot --status passed --evidence https://ci.example/run/42 --commit 3f2a1b2c",
             "ripcord check list"],
            verbs.Verb("post", "Record a check result for a target stage and cohort or scope (operator, release manager, admin: a CI token)",
                ["ripcord check post --kind quality --stage 1 --cohort pilot --status passed --evidence https://ci.example/run/42 --commit 3f2a1b2c",
                 "ripcord check post --kind interop --stage 1 --cohort pilot-secure --status failed --evidence https://ci.example/run/43"],
                async (context, ct) =>
                {
                    var posted = await context.Api.PostCheckAsync(context.Program, new CheckBody(context.Get(kind),
                        System.Text.Json.JsonSerializer.SerializeToElement(context.Get(stage)), context.Get(cohort), context.Get(scope), context.Get(status),
                        context.Get(evidence), context.Get(commit)), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(posted.Raw);
                        return ExitCodes.Success;
                    }
                    var c = posted.Value;
                    context.Terminal.Line($"Recorded {Name(c.Kind)} check {c.Id}: stage {c.Stage}, {c.Target}, {Name(c.Status)} ({c.Evidence}).");
                    return ExitCodes.Success;
                }, kind, stage, cohort, scope, status, evidence, commit),
            verbs.Verb("list", "Check results, oldest first (the latest per kind, stage and target is the one that counts)",
                ["ripcord check list", "ripcord check list --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListChecksAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "KIND", "STAGE", "TARGET", "STATUS", "COMMIT", "AT", "BY", "EVIDENCE").AddRows(list.Value, c =>
                        [new Cell(c.Id, Tone.Strong), Name(c.Kind), c.Stage, c.Target, Name(c.Status), c.Commit ?? "", Words.Time(c.PostedAt), c.PostedBy, c.Evidence]));
                    return ExitCodes.Success;
                }));
    }

    private static Command Signoffs(VerbFactory verbs)
    {
        var tier = new Option<int>("--tier") { Description = "The mission tier signed off (0–2)", Required = true };
        var stage = new Option<string>("--stage") { Description = "The target stage that enables it", Required = true };
        var reason = new Option<string>("--reason") { Description = "What was reviewed", Required = true };

        return verbs.Group("signoff", "Security sign-offs per mission tier and target stage",
            ["ripcord signoff add --tier 1 --stage 1 --reason \"threat model reviewed\"", "ripcord signoff list"],
            verbs.Verb("add", "Sign off a mission tier for a target stage (security lead, admin)",
                ["ripcord signoff add --tier 1 --stage 1 --reason \"threat model reviewed\""],
                async (context, ct) =>
                {
                    var added = await context.Api.AddSignoffAsync(context.Program,
                        new SignoffBody(context.Get(tier), System.Text.Json.JsonSerializer.SerializeToElement(context.Get(stage)), context.Get(reason)), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(added.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Signed off tier {added.Value.Tier} for stage {added.Value.Stage} ({added.Value.Id}).");
                    return ExitCodes.Success;
                }, tier, stage, reason),
            verbs.Verb("list", "Security sign-offs, oldest first",
                ["ripcord signoff list", "ripcord signoff list --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListSignoffsAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "TIER", "STAGE", "AT", "BY", "REASON").AddRows(list.Value, s =>
                        [new Cell(s.Id, Tone.Strong), Words.Number(s.Tier), s.Stage, Words.Time(s.SignedAt), s.SignedBy, s.Reason]));
                    return ExitCodes.Success;
                }));
    }

    private static Command SupportLoad(VerbFactory verbs)
    {
        var tickets = new Option<decimal>("--tickets-per-day") { Description = "Operator support tickets per day", Required = true };
        var period = new Option<string?>("--period") { Description = "The UTC day, yyyy-MM-dd (default: today)" };

        return verbs.Group("support-load", "Operator support load: a posted figure per day, read by the support-load exit criterion",
            ["ripcord support-load set --tickets-per-day 4", "ripcord support-load list"],
            verbs.Verb("set", "Post the support load of a day (operator, ops lead, release manager, admin); posting again replaces it",
                ["ripcord support-load set --tickets-per-day 4", "ripcord support-load set --tickets-per-day 12.5 --period 2030-01-01"],
                async (context, ct) =>
                {
                    var set = await context.Api.SetSupportLoadAsync(context.Program, new SupportLoadBody(context.Get(period), context.Get(tickets)), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(set.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Support load of {set.Value.Period}: {Words.Number(set.Value.TicketsPerDay)} tickets/day.");
                    return ExitCodes.Success;
                }, tickets, period),
            verbs.Verb("list", "Posted support-load figures by day",
                ["ripcord support-load list", "ripcord support-load list --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListSupportLoadAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("PERIOD", "TICKETS/DAY", "POSTED", "BY").AddRows(list.Value, f =>
                        [new Cell(f.Period, Tone.Strong), Words.Number(f.TicketsPerDay), Words.Time(f.PostedAt), f.PostedBy]));
                    return ExitCodes.Success;
                }));
    }

    public static string Name(CheckKind kind) => GateStore.Name(kind);

    public static string Name(CheckStatus status) => GateStore.Name(status);
}
