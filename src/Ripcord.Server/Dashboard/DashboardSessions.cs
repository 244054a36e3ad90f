using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;

namespace Ripcord.Server.Ui;

/// <summary>A signed-in dashboard session: the hash of the token it was opened with (never the secret) and when it ends.</summary>
public sealed record DashboardSession(string TokenHash, DateTimeOffset ExpiresAt);

/// <summary>What a sign-in attempt came to.</summary>
public enum SignInResult
{
    SignedIn,
    NotAToken,
    NotAPerson,
    Throttled,
}

/// <summary>
/// Dashboard sessions, in memory: the browser holds only a random session id in an HttpOnly, SameSite=Strict
/// cookie with an expiry; the server maps the id's hash to the token's hash. Every request re-authenticates
/// that token hash, so revoking the token ends its sessions (within the token cache's 30 s, as for the API).
/// </summary>
public sealed class DashboardSessions(TokenService tokens, FailedAuthentications failures, ServerOptions options, TimeProvider clock)
{
    public const string CookieName = "ripcord_session";
    public const string AuthenticationType = "DashboardSession";

    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Open sessions (expired ones are swept at each sign-in).</summary>
    public int Count => _sessions.Count;

    public async Task<(SignInResult Result, TimeSpan? RetryAfter)> SignInAsync(HttpContext http, string token)
    {
        var actor = await tokens.AuthenticateAsync(token.Trim(), http.RequestAborted);
        if (actor is null)
        {
            var wait = failures.Record(http.Connection.RemoteIpAddress);
            return wait is null ? (SignInResult.NotAToken, null) : (SignInResult.Throttled, wait);
        }
        if (!Role.People.Contains(actor.Role))
        {
            return (SignInResult.NotAPerson, null);
        }
        var now = clock.GetUtcNow();
        foreach (var stale in _sessions.Where(s => s.Value.ExpiresAt <= now).Select(s => s.Key).ToList())
        {
            _sessions.TryRemove(stale, out _);
        }
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = now + options.DashboardSessionLifetime;
        _sessions[Key(id)] = new DashboardSession(TokenService.Hash(token.Trim()), expires);
        http.Response.Cookies.Append(CookieName, id, Cookie(http, expires));
        SetUser(http, actor);
        return (SignInResult.SignedIn, null);
    }

    /// <summary>The actor of the request's session (and sets it as the request's user), or null: no cookie, unknown, expired or revoked.</summary>
    public async Task<Actor?> ResolveAsync(HttpContext http, CancellationToken ct)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var id) || string.IsNullOrEmpty(id) || id.Length > 128)
        {
            return null;
        }
        var key = Key(id);
        if (!_sessions.TryGetValue(key, out var session))
        {
            return null;
        }
        if (session.ExpiresAt <= clock.GetUtcNow())
        {
            _sessions.TryRemove(key, out _);
            return null;
        }
        var actor = await tokens.AuthenticateHashAsync(session.TokenHash, ct);
        if (actor is null)
        {
            _sessions.TryRemove(key, out _);
            return null;
        }
        SetUser(http, actor);
        return actor;
    }

    public void SignOut(HttpContext http)
    {
        if (http.Request.Cookies.TryGetValue(CookieName, out var id) && !string.IsNullOrEmpty(id))
        {
            _sessions.TryRemove(Key(id), out _);
        }
        http.Response.Cookies.Delete(CookieName, Cookie(http, null));
    }

    private static CookieOptions Cookie(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private static string Key(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    private static void SetUser(HttpContext http, Actor actor) =>
        http.User = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, actor.Name), new Claim(ClaimTypes.Role, actor.Role.Name),
            new Claim(ActorExtensions.PrincipalClaim, actor.Principal.Id), new Claim(ActorExtensions.TokenClaim, actor.TokenId),
        ], AuthenticationType));
}
