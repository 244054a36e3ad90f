using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Ripcord.Server.Http;

namespace Ripcord.Server.Auth;

/// <summary>
/// Reads <c>Authorization: Bearer …</c> (or, on OFREP's paths only, <c>X-API-Key</c>) and turns a known,
/// unrevoked token into a principal. A token that is not one is counted against the client's address
/// (<see cref="FailedAuthentications"/>) and answered 401, or 429 once that address has failed too often.
/// Failures return no result rather than <c>Fail</c>, whose log line per request is what a flood of
/// guesses would fill the disk with; <see cref="FailedAuthentications"/> logs them sampled.
/// </summary>
public sealed class BearerTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens,
    FailedAuthentications failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    /// <summary>OFREP lets providers send the key as X-API-Key; nowhere else takes it.</summary>
    public static bool TakesApiKey(HttpRequest request) => request.Path.StartsWithSegments("/ofrep", StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string token;
        if (!string.IsNullOrEmpty(header))
        {
            token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        }
        else if (TakesApiKey(Request) && Request.Headers["X-API-Key"].ToString() is { Length: > 0 } apiKey)
        {
            token = apiKey.Trim();
        }
        else
        {
            return AuthenticateResult.NoResult();
        }
        var actor = token.Length == 0 ? null : await tokens.AuthenticateAsync(token, Context.RequestAborted);
        if (actor is null)
        {
            if (failures.Record(Context.Connection.RemoteIpAddress) is { } wait)
            {
                Context.Features.Set(new AuthenticationThrottled(wait));
            }
            return AuthenticateResult.NoResult();
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
        if (result.Challenged && context.Features.Get<AuthenticationThrottled>() is { } throttled)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(throttled.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Problems.Write(context, StatusCodes.Status429TooManyRequests, "Too many failed authentications",
                "Too many requests from this address sent a token that is not valid; wait as Retry-After says. Requests with a valid token are not limited.");
            return;
        }
        if (result.Challenged)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            // Say which of the two it is: nothing sent, or something sent that is no (longer a) token.
            var sent = context.Request.Headers.Authorization.Count > 0
                || (BearerTokenAuthentication.TakesApiKey(context.Request) && context.Request.Headers.ContainsKey("X-API-Key"));
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
