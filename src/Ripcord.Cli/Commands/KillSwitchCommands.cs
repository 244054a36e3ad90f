using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Incidents;
using Ripcord.Server.KillSwitches;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord ks</c>: recommend, activate (and watch verification), list, approve, deactivate kill switches.</summary>
public static class KillSwitchCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var incident = new Option<string>("--incident") { Description = "The incident (from 'incident declare')", Required = true };
        var level = new Argument<string>("level") { Description = "Kill-switch level, e.g. KS3" };
        var scope = new Option<string>("--scope") { Description = "global | workspace:ID | cohort:ID", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (on the incident timeline and in the audit log)", Required = true };
        var verifyWithin = new Option<int?>("--verify-within") { Description = "Seconds verification may take before it fails (default 60)" };
        var wait = new Option<bool>("--wait") { Description = "Show verification progress until verified or failed; exit 1 when it fails" };
        var all = new Option<bool>("--all") { Description = "Also lifted ones (or decided requests)" };
        var id = new Argument<string>("id") { Description = "Activation id (ks_…)" };
        var request = new Argument<string>("request") { Description = "Request id (req_…)" };
        var levelOption = new Option<string?>("--level") { Description = "The activation's level (looked up when omitted)" };

        var group = verbs.Group("kill-switch", "Kill switches: recommend, activate, verify, lift",
            ["ripcord ks recommend --incident inc_0123456789", "ripcord ks activate KS3 --scope cohort:pilot --incident inc_0123456789 --reason \"ack failures\" --wait"],
            verbs.Verb("recommend", "The minimal effective level and smallest covering scope for an incident, with the reasoning",
                ["ripcord ks recommend --incident inc_0123456789", "ripcord ks recommend --incident inc_0123456789 --json"],
                async (context, ct) =>
                {
                    var advice = await context.Api.RecommendAsync(context.Program, context.Get(incident), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(advice.Raw);
                        return ExitCodes.Success;
                    }
                    var r = advice.Value;
                    context.Terminal.Line(r.Level is null
                        ? "No level recommended: choose one (ripcord definition show lists the levels)."
                        : $"Recommended: {r.Level} at {r.Scope}");
                    foreach (var line in r.Reasoning)
                    {
                        context.Terminal.Line("  - " + line);
                    }
                    if (r.Level is not null)
                    {
                        context.Terminal.Line($"Apply: ripcord ks activate {r.Level} --scope {r.Scope} --incident {context.Get(incident)} --reason \"…\" --wait");
                    }
                    return ExitCodes.Success;
                }, incident),
            verbs.Verb("activate", "Activate a level at a scope for an incident (an ops lead's activation becomes a request to approve)",
                [
                    "ripcord ks activate KS3 --scope cohort:pilot --incident inc_0123456789 --reason \"publish acks failing\" --wait",
                    "ripcord ks activate KS1 --scope global --incident inc_0123456789 --reason \"confidentiality\" --verify-within 30 --json",
                ],
                async (context, ct) =>
                {
                    var body = new ActivateBody(context.Get(scope), context.Get(incident), context.Get(reason), context.Get(verifyWithin));
                    var response = await context.Api.ActivateKillSwitchAsync(context.Program, context.Get(level), body, ct);
                    var requested = response.Value.TryGetProperty("request", out _);
                    if (requested)
                    {
                        var r = response.Value.Deserialize<RequestCreated>(JsonSerializerOptions.Web)!;
                        if (context.Json)
                        {
                            context.Terminal.Json(response.Raw);
                        }
                        else
                        {
                            context.Terminal.Line($"Requested {r.Level} at {r.Scope} ({r.Request}); it waits for a release manager or security lead: ripcord ks approve {r.Request}");
                        }
                        return ExitCodes.Success;
                    }
                    var created = response.Value.Deserialize<ActivationCreated>(JsonSerializerOptions.Web)!;
                    if (!context.Get(wait))
                    {
                        if (context.Json)
                        {
                            context.Terminal.Json(response.Raw);
                        }
                        else
                        {
                            context.Terminal.Line($"{created.Level} active at {created.Scope} ({created.Id}), revision {created.Revision}; review {created.ReviewId} opened.");
                            context.Terminal.Line($"Follow verification: ripcord ks show {created.Id}");
                        }
                        return ExitCodes.Success;
                    }
                    if (!context.Json)
                    {
                        context.Terminal.Line($"{created.Level} active at {created.Scope} ({created.Id}), revision {created.Revision}; verifying…");
                    }
                    return await WaitAsync(context, created.Level, created.Id, ct);
                }, level, scope, incident, reason, verifyWithin, wait),
            verbs.Verb("list", "Active kill switches and their verification",
                ["ripcord ks list", "ripcord ks list --all --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListKillSwitchesAsync(context.Program, context.Get(all), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "LEVEL", "SCOPE", "INCIDENT", "STATE", "VERIFICATION", "BY", "REASON")
                        .AddRows(list.Value, v =>
                        [
                            new Cell(v.Activation.Id, Tone.Strong), v.Activation.Level, v.Activation.Scope, v.Activation.IncidentId,
                            v.Activation.Active ? new Cell("active", Tone.Bad) : new Cell("lifted", Tone.Dim), Verification(v.Verification),
                            v.Activation.ActivatedBy, v.Activation.Reason,
                        ]));
                    return ExitCodes.Success;
                }, all),
            verbs.Verb("show", "One activation and its verification",
                ["ripcord ks show ks_0123456789", "ripcord ks show ks_0123456789 --json"],
                async (context, ct) =>
                {
                    var view = await context.Api.GetActivationAsync(context.Program, await LevelOfAsync(context, context.Get(levelOption), context.Get(id), ct), context.Get(id), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(view.Raw);
                        return ExitCodes.Success;
                    }
                    Print(context.Terminal, view.Value);
                    return ExitCodes.Success;
                }, id, levelOption),
            verbs.Verb("deactivate", "Lift an activation (one pulled for a P1: security lead or admin only)",
                ["ripcord ks deactivate ks_0123456789 --reason \"fix deployed and verified\""],
                async (context, ct) =>
                {
                    var ended = await context.Api.DeactivateKillSwitchAsync(context.Program, await LevelOfAsync(context, context.Get(levelOption), context.Get(id), ct),
                        context.Get(id), context.Get(reason), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(ended.Raw);
                        return ExitCodes.Success;
                    }
                    var a = ended.Value.Activation;
                    context.Terminal.Line($"Lifted {a.Level} at {a.Scope} ({a.Id}); revision {a.DeactivatedRevision}. A post-action review was opened.");
                    return ExitCodes.Success;
                }, id, reason, levelOption),
            verbs.Verb("requests", "Ops leads' activation requests awaiting approval",
                ["ripcord ks requests", "ripcord ks requests --all --json"],
                async (context, ct) =>
                {
                    var list = await context.Api.ListKillSwitchRequestsAsync(context.Program, context.Get(all), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(list.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("REQUEST", "LEVEL", "SCOPE", "INCIDENT", "BY", "AT", "STATUS", "REASON")
                        .AddRows(list.Value, r => [new Cell(r.Id, Tone.Strong), r.Level, r.Scope, r.IncidentId, r.RequestedBy, Words.Time(r.RequestedAt),
                            IncidentCommands.Name(r.Status), r.Reason]));
                    return ExitCodes.Success;
                }, all),
            verbs.Verb("approve", "Approve an ops lead's request: you activate it (release manager or security lead)",
                ["ripcord ks approve req_0123456789", "ripcord ks approve req_0123456789 --wait"],
                async (context, ct) =>
                {
                    var created = await context.Api.ApproveKillSwitchRequestAsync(context.Program, context.Get(request), ct);
                    if (context.Get(wait))
                    {
                        return await WaitAsync(context, created.Value.Level, created.Value.Id, ct);
                    }
                    if (context.Json)
                    {
                        context.Terminal.Json(created.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Approved: {created.Value.Level} active at {created.Value.Scope} ({created.Value.Id}), revision {created.Value.Revision}.");
                    return ExitCodes.Success;
                }, request, wait));
        // The short form operators type in an incident, shown in help beside the name.
        group.Aliases.Add("ks");
        return group;
    }

    /// <summary>Polls the activation until its verification is decided, showing N of M; exit 1 when it failed.</summary>
    private static async Task<int> WaitAsync(VerbContext context, string level, string id, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var last = "";
        while (true)
        {
            var view = await context.Api.GetActivationAsync(context.Program, level, id, ct);
            var v = view.Value.Verification;
            if (v is not null && v.Status != VerificationStatus.Pending)
            {
                if (context.Json)
                {
                    context.Terminal.Json(view.Raw);
                }
                else
                {
                    Print(context.Terminal, view.Value);
                }
                return v.Status == VerificationStatus.Verified ? ExitCodes.Success : ExitCodes.CheckFailed;
            }
            var progress = v is null ? "waiting for the first report" : $"{v.Applied} of {v.Total} instances at revision {v.Revision}";
            if (!context.Json && progress != last)
            {
                context.Terminal.Note($"  {started.Elapsed.TotalSeconds,5:0.0}s  {progress}");
                last = progress;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
    }

    private static async Task<string> LevelOfAsync(VerbContext context, string? level, string id, CancellationToken ct)
    {
        if (level is not null)
        {
            return level;
        }
        var all = await context.Api.ListKillSwitchesAsync(context.Program, all: true, ct);
        return all.Value.FirstOrDefault(v => v.Activation.Id == id)?.Activation.Level
            ?? throw new CliException($"no kill-switch activation '{id}' in program '{context.Program}'", ExitCodes.NotFound);
    }

    private static Cell Verification(VerificationResult? v) => v?.Status switch
    {
        VerificationStatus.Verified => new Cell($"verified ({v.Applied}/{v.Total})", Tone.Good),
        VerificationStatus.Failed => new Cell($"FAILED ({v.Applied}/{v.Total}, {v.Violations.Length} violations)", Tone.Bad),
        VerificationStatus.Pending => new Cell($"pending ({v.Applied}/{v.Total})", Tone.Warning),
        _ => new Cell("pending", Tone.Warning),
    };

    private static void Print(Terminal terminal, ActivationView view)
    {
        var a = view.Activation;
        terminal.Line($"{a.Id} · {a.Level} at {a.Scope} · {(a.Active ? "active" : "lifted")} · incident {a.IncidentId} · revision {a.Revision}");
        terminal.Line($"  by {a.ActivatedBy} at {Words.Time(a.ActivatedAt)}: {a.Reason}");
        terminal.Line($"  verification: {Verification(view.Verification).Text}");
        foreach (var line in view.Summary)
        {
            terminal.Line("    " + line);
        }
        if (view.ActivationToVerifiedMs is { } ms)
        {
            terminal.Line($"  activation → verified: {ms:0} ms" + (view.TimeToMitigateMs is { } ttm ? $"; declared → verified (time to mitigate): {TimeSpan.FromMilliseconds(ttm).TotalSeconds:0.0}s" : ""));
        }
        if (view.Verification is { Violations.IsEmpty: false } v)
        {
            terminal.Table(new TableView("INSTANCE", "OPERATION", "REVISION", "AT", "WORKSPACE").AddRows(v.Violations, x =>
                [x.Instance, x.Operation, Words.Number(x.Revision), Words.Time(x.At), x.Workspace ?? ""]));
        }
    }
}
