using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Server.Http;
using Ripcord.Core;
using Ripcord.Core.Governance;

namespace Ripcord.Server.Auth;

/// <summary>Body of POST /tokens: who or what holds the token, and its role.</summary>
public sealed record TokenBody(string? Name, string? Role);

public sealed record TokenView(string Id, string Principal, string Name, string Role, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);

/// <summary>The secret appears in this response only; the server keeps its hash.</summary>
public sealed record TokenCreated(string Id, string Principal, string Name, string Role, string Token);

public static class TokensApi
{
    public static RouteGroupBuilder MapTokens(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens").RequireAuthorization(RoleMatrix.PolicyName(Permission.TokensManage));

        tokens.MapGet("", async (ITokenStore store, CancellationToken ct) =>
                TypedResults.Ok((await store.ListAsync(ct)).Select(t => new TokenView(t.Id, t.Principal, t.Name, t.Role, t.CreatedAt, t.CreatedBy, t.RevokedAt)).ToList()))
            .Read("ListTokens", "Every token (never its secret), with its principal, role and revocation");

        tokens.MapPost("", async Task<Results<Created<TokenCreated>, ProblemHttpResult>> (TokenBody body, HttpContext context, TokenService service) =>
        {
            if (!Role.TryParse(body.Role, out var role) || role == Role.System)
            {
                return Problems.BadRequest($"role must be one of: {string.Join(", ", Role.All)}", "role");
            }
            if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || !Identifier.IsPrintable(body.Name))
            {
                return Problems.BadRequest("name is required (at most 100 printable characters): say who or what holds the token", "name");
            }
            var (record, secret) = await service.CreateAsync(body.Name.Trim(), role, context.Actor(), context.RequestAborted);
            // The secret is in this response only: no cache (a proxy's, a browser's) may keep a copy.
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Created($"/api/v1/tokens/{record.Id}", new TokenCreated(record.Id, record.Principal, record.Name, record.Role, secret));
        })
            .Write("CreateToken", "Create a token; its secret is in this response only");

        tokens.MapDelete("/{id}", async Task<Results<Ok<TokenView>, ProblemHttpResult>> (string id, HttpContext context, TokenService service) =>
        {
            var t = await service.RevokeAsync(id, context.Actor(), context.RequestAborted);
            return t is null
                ? Problems.NotFound($"no active token '{id}'")
                : TypedResults.Ok(new TokenView(t.Id, t.Principal, t.Name, t.Role, t.CreatedAt, t.CreatedBy, t.RevokedAt));
        })
            .Write("RevokeToken", "Revoke a token: every node refuses it within a second");
        return api;
    }
}
