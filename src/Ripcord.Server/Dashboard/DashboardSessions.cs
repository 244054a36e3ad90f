using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Storage;

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
/// Dashboard sessions, in the shared configuration database (so every node knows them): the browser holds only a random
/// session id in an HttpOnly, SameSite=Strict cookie with an expiry; the server keeps the id's hash mapped to the token's
/// hash and the expiry. Every request reads the session and re-authenticates that token hash, so a sign-out on any node
/// ends the session on all of them, and revoking the token ends its sessions (within the token cache's 30 s, as for the API).
/// </summary>
public sealed class DashboardSessions(TokenService tokens, FailedAuthentications failures, ServerOptions options, Databases databases, TimeProvider clock)
{
    public const string CookieName = "ripcord_session";
    public const string AuthenticationType = "DashboardSession";

    private SqlDatabase Db => databases.Config;

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
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = now + options.DashboardSessionLifetime;
        await using (var write = await Db.BeginWriteAsync(http.RequestAborted))
        {
            // Ended sessions go at each sign-in: the table holds the live ones and the few that expired since.
            await write.ExecAsync("DELETE FROM dashboard_sessions WHERE expires_at <= @now", http.RequestAborted, ("@now", Db.Time(now)));
            await write.ExecAsync("INSERT INTO dashboard_sessions (id_hash, token_hash, expires_at) VALUES (@id, @token, @expires)", http.RequestAborted,
                ("@id", Key(id)), ("@token", TokenService.Hash(token.Trim())), ("@expires", Db.Time(expires)));
            await write.CommitAsync(http.RequestAborted);
        }
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
        var found = await Db.QueryAsync("SELECT token_hash, expires_at FROM dashboard_sessions WHERE id_hash = @id",
            r => new DashboardSession(r.GetString(0), Db.ReadTime(r, 1)), ct, ("@id", Key(id)));
        if (found is not [var session] || session.ExpiresAt <= clock.GetUtcNow())
        {
            return null;
        }
        var actor = await tokens.AuthenticateHashAsync(session.TokenHash, ct);
        if (actor is null)
        {
            return null;
        }
        SetUser(http, actor);
        return actor;
    }

    /// <summary>Ends the request's session on the server (every node) and deletes the cookie.</summary>
    public async Task SignOutAsync(HttpContext http)
    {
        if (http.Request.Cookies.TryGetValue(CookieName, out var id) && !string.IsNullOrEmpty(id) && id.Length <= 128)
        {
            await using var write = await Db.BeginWriteAsync(http.RequestAborted);
            await write.ExecAsync("DELETE FROM dashboard_sessions WHERE id_hash = @id", http.RequestAborted, ("@id", Key(id)));
            await write.CommitAsync(http.RequestAborted);
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
