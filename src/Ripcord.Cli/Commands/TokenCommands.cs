using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Server.Auth;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord token</c>: API tokens, one per person or machine, each with a role.</summary>
public static class TokenCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var role = new Option<string>("--role") { Description = "viewer, support, operator, ops-lead, release-manager, security-lead, admin or sdk", Required = true };
        var name = new Option<string>("--name") { Description = "Who or what holds the token", Required = true };
        var tokenId = new Argument<string>("id") { Description = "Token id (from 'token list')" };

        return verbs.Group("token", "API tokens (admin only)",
            ["ripcord token list", "ripcord token create --role operator --name \"dana (on call)\""],
            verbs.Verb("create", "Create a token; the secret is printed once and stored only as a hash",
                ["ripcord token create --role operator --name \"dana (on call)\"", "ripcord token create --role sdk --name \"checkout service\" --json"],
                async (context, ct) =>
                {
                    var created = await context.Api.CreateTokenAsync(new TokenBody(context.Get(name), context.Get(role)), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(created.Raw);
                        return ExitCodes.Success;
                    }
                    var token = created.Value;
                    context.Terminal.Line($"Token {token.Id} ({token.Role}) for {token.Name}. Shown once:");
                    context.Terminal.Line(token.Token);
                    return ExitCodes.Success;
                }, role, name),
            verbs.Verb("list", "List tokens (never their secrets)",
                ["ripcord token list", "ripcord token list --json"],
                async (context, ct) =>
                {
                    var tokens = await context.Api.ListTokensAsync(ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(tokens.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ID", "NAME", "ROLE", "CREATED", "REVOKED")
                        .AddRows(tokens.Value, t =>
                        [
                            t.Id, t.Name, t.Role, Words.Time(t.CreatedAt), new Cell(Words.Time(t.RevokedAt), Tone.Warning),
                        ]));
                    return ExitCodes.Success;
                }),
            verbs.Verb("revoke", "Revoke a token",
                ["ripcord token revoke tok_0123456789abcdef"],
                async (context, ct) =>
                {
                    var revoked = await context.Api.RevokeTokenAsync(context.Get(tokenId), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(revoked.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Line($"Revoked {revoked.Value.Id}.");
                    return ExitCodes.Success;
                }, tokenId));
    }
}
