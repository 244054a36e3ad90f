using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Ripcord.Server.Http;

namespace Ripcord.Server.Auth;

/// <summary>Reads <c>Authorization: Bearer …</c> (or OFREP's <c>X-API-Key</c>) and turns a known, unrevoked token into a principal.</summary>
public sealed class BearerTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string token;
        if (!string.IsNullOrEmpty(header))
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.Fail("the Authorization header must be 'Bearer <token>'");
            }
            token = header["Bearer ".Length..].Trim();
        }
        else if (Request.Headers["X-API-Key"].ToString() is { Length: > 0 } apiKey)
        {
            // OFREP lets providers send the key as X-API-Key instead of a bearer token.
            token = apiKey.Trim();
        }
        else
        {
            return AuthenticateResult.NoResult();
        }
        var actor = await tokens.AuthenticateAsync(token, Context.RequestAborted);
        if (actor is null)
        {
            return AuthenticateResult.Fail("unknown or revoked token");
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, actor.Name), new Claim(ClaimTypes.Role, actor.Role.Name),
            new Claim(ActorExtensions.PrincipalClaim, actor.Principal.Id), new Claim(ActorExtensions.TokenClaim, actor.TokenId),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

/// <summary>
/// Turns authorization failures into RFC 9457 problems: 401 without a valid token, 403 with
/// the wrong role — and every 403 is written to the audit log (an anomaly signal; repeats folded, see <see cref="DenialAudit"/>).
/// </summary>
public sealed class ProblemAuthorizationResultHandler(DenialAudit denials) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Challenged)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            // Say which of the two it is: nothing sent, or something sent that is no (longer a) token.
            var sent = context.Request.Headers.Authorization.Count > 0 || context.Request.Headers.ContainsKey("X-API-Key");
            await Problems.Write(context, StatusCodes.Status401Unauthorized, "Unauthorized", sent
                ? "The token sent is not valid: it is unknown or was revoked. Use a current one (the CLI reads --token or RIPCORD_TOKEN); an admin makes tokens with 'ripcord token create'."
                : "No token was sent: this endpoint needs 'Authorization: Bearer <token>' (the CLI reads --token or RIPCORD_TOKEN). An admin makes tokens with 'ripcord token create'.");
            return;
        }
        if (result.Forbidden)
        {
            var actor = context.Actor();
            var needed = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).ToList();
            await denials.RecordAsync(context, actor, $"{context.Request.Method} {context.Request.Path}");
            await Problems.Write(context, StatusCodes.Status403Forbidden, "Forbidden",
                $"Role '{actor.Role}' may not do this; it needs one of: {string.Join(", ", needed)}.");
            return;
        }
        await _default.HandleAsync(next, context, policy, result);
    }
}
