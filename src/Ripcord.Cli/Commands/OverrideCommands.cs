using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Overrides;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord override</c>: a flag's value at global, workspace, cohort or (diagnostic) user scope.</summary>
public static class OverrideCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var flag = new Option<string>("--flag") { Description = "Flag key or alias, e.g. F3", Required = true };
        var scope = new Option<string>("--scope") { Description = "global | workspace:ID | cohort:ID | user:ID", Required = true };
        var value = new Option<string>("--value") { Description = "on|off (or true|false)", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log)", Required = true };
        var expires = new Option<string?>("--expires") { Description = "Expiry: a duration (30m, 24h, 3d) or an ISO-8601 time; required for user scope (≤ 72 h)" };
        var ifMatch = new Option<long?>("--if-match") { Description = "Only apply if the program is still at this revision" };
        var overrideId = new Argument<string>("id") { Description = "Override id (from 'override list')" };

        return verbs.Group("override", "Overrides: set a flag's value at a scope",
            ["ripcord override list", "ripcord override set --flag F3 --scope workspace:acme --value on --reason \"pilot\""],
            verbs.Verb("list", "List overrides (diagnostic = user scope)",
                ["ripcord override list", "ripcord override list --json"],
                async (context, ct) =>
                {
                    var overrides = await context.Api.ListOverridesAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(overrides.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "FLAG", "SCOPE", "VALUE", "EXPIRES", "REASON")
                        .AddRows(overrides.Value, o =>
                        [
                            o.Id, new Cell(o.Alias ?? o.Flag, Tone.Strong), o.Scope + (o.Diagnostic ? " (diagnostic)" : ""), Cell.OnOff(o.Value),
                            o.Expired ? new Cell("expired", Tone.Dim) : o.ExpiresAt is { } at ? Words.Time(at) : "never", o.Reason,
                        ]));
                    return ExitCodes.Success;
                }),
            verbs.Verb("set", "Set a flag's value at a scope (replaces an override at the same flag and scope)",
                [
                    "ripcord override set --flag F3 --scope workspace:acme --value on --reason \"secure pilot with Acme\"",
                    "ripcord override set --flag F3 --scope user:dana --value on --reason \"support ticket 4411\" --expires 4h",
                    "ripcord override set --flag F1 --scope global --value off --reason \"incident 12\" --if-match 41",
                ],
                async (context, ct) =>
                {
                    var body = new OverrideBody(context.Get(flag), context.Get(scope), Inputs.OnOff(context.Get(value), "--value"),
                        context.Get(reason), context.Get(expires) is { } e ? Inputs.Expiry(e) : null);
                    var written = await context.Api.SetOverrideAsync(context.Program, body, context.Get(ifMatch), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(written.Raw);
                        return ExitCodes.Success;
                    }
                    var o = written.Value.Override;
                    if (written.Value.Unchanged)
                    {
                        context.Terminal.Line($"{o.Alias ?? o.Flag} already is {Words.OnOff(o.Value)} at {o.Scope} with this reason and expiry (override {o.Id}); nothing was written (revision {written.Value.Revision}).");
                        return ExitCodes.Success;
                    }
                    var replaced = written.Value.Replaced is { } previous ? $" It replaced {previous}, the override at the same flag and scope." : "";
                    context.Terminal.Line($"Override {o.Id}: {o.Alias ?? o.Flag} = {Words.OnOff(o.Value)} at {o.Scope}; revision {written.Value.Revision}.{replaced}");
                    if (written.Value.ShadowedBy is { Count: > 0 } shadows)
                    {
                        // "global off: 3 workspace overrides still turn F3 on: acme, …"
                        var flagName = o.Alias ?? o.Flag;
                        var groups = shadows.GroupBy(s => s.Scope.Split(':')[0]).Select(g =>
                            $"{g.Count()} {g.Key} override{(g.Count() == 1 ? "" : "s")} ({string.Join(", ", g.Take(5).Select(s => s.Scope.Contains(':') ? s.Scope[(s.Scope.IndexOf(':') + 1)..] : s.Scope))}{(g.Count() > 5 ? ", …" : "")})");
                        context.Terminal.Write(context.Terminal.Text(
                            $"{o.Scope} {Words.OnOff(o.Value)}: {string.Join(" and ", groups)} still turn {flagName} {Words.OnOff(!o.Value)} where they apply (more specific scopes win).{Environment.NewLine}",
                            Tone.Warning));
                    }
                    return ExitCodes.Success;
                }, flag, scope, value, reason, expires, ifMatch),
            verbs.Verb("delete", "Remove an override",
                ["ripcord override delete ovr_0123456789ab", "ripcord override delete ovr_0123456789ab --if-match 42"],
                async (context, ct) =>
                {
                    var deleted = await context.Api.DeleteOverrideAsync(context.Program, context.Get(overrideId), context.Get(ifMatch), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(deleted.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Removed {deleted.Value.Id}; revision {deleted.Value.Revision}.");
                    return ExitCodes.Success;
                }, overrideId, ifMatch));
    }
}
