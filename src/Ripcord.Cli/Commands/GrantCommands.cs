using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Grants;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord grant</c>: tier-2 fallback overrides for one workspace and action, until they expire (SPEC §4).</summary>
public static class GrantCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var workspace = new Option<string>("--workspace") { Description = "The workspace the grant covers", Required = true };
        var action = new Option<string>("--action") { Description = "The user action it covers, e.g. send", Required = true };
        var ttl = new Option<string?>("--ttl") { Description = "How long it lasts: 30m, 2h (default 15m, at most 4h)" };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log and the post-action review)", Required = true };
        var grantId = new Argument<string>("id") { Description = "Grant id (from 'grant list')" };

        return verbs.Group("grant", "Tier-2 override grants: let one workspace's action fall back for a while (security lead)",
            ["ripcord grant list", "ripcord grant create --workspace acme --action send --ttl 30m --reason \"secure relay down, INC-12\""],
            verbs.Verb("list", "List the program's grants (expired ones no longer apply)",
                ["ripcord grant list", "ripcord grant list --json"],
                async (context, ct) =>
                {
                    var grants = await context.Api.ListGrantsAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(grants.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "WORKSPACE", "ACTION", "EXPIRES", "BY", "REASON")
                        .AddRows(grants.Value, g =>
                        [
                            g.Grant.Id, new Cell(g.Grant.WorkspaceId, Tone.Strong), g.Grant.Action,
                            g.Expired ? new Cell("expired", Tone.Dim) : Words.Time(g.Grant.ExpiresAt),
                            g.Grant.GrantedBy + (g.Grant.InAppRole is { } role ? $" (in-app, {role})" : ""), g.Grant.Reason ?? "",
                        ]));
                    return ExitCodes.Success;
                }),
            verbs.Verb("create", "Grant a tier-2 override for one workspace and action (a new revision; opens a post-action review)",
                [
                    "ripcord grant create --workspace acme --action send --ttl 30m --reason \"secure relay down, INC-12\"",
                    "ripcord grant create --workspace acme --action send --reason \"drill\" --json",
                ],
                async (context, ct) =>
                {
                    var body = new GrantBody(context.Get(workspace), context.Get(action), context.Get(reason),
                        context.Get(ttl) is { } t ? Inputs.Minutes(t, "--ttl") : null);
                    var issued = await context.Api.IssueGrantAsync(context.Program, body, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(issued.Raw);
                        return ExitCodes.Success;
                    }
                    var g = issued.Value.Grant;
                    context.Terminal.Line($"Grant {g.Id}: '{g.Action}' in workspace {g.WorkspaceId} may fall back until {Words.Time(g.ExpiresAt)}; "
                        + $"revision {issued.Value.Revision}; review {issued.Value.ReviewId} opened.");
                    return ExitCodes.Success;
                }, workspace, action, ttl, reason),
            verbs.Verb("revoke", "Withdraw a grant before it expires (a new revision)",
                ["ripcord grant revoke grt_0123456789abcdef --reason \"secure relay restored\""],
                async (context, ct) =>
                {
                    var revoked = await context.Api.RevokeGrantAsync(context.Program, context.Get(grantId), context.Get(reason), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(revoked.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Revoked {revoked.Value.Id}; revision {revoked.Value.Revision}.");
                    return ExitCodes.Success;
                }, grantId, reason));
    }
}
