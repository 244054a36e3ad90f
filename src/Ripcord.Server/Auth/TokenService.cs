using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Ripcord.Core.Audit;
using Ripcord.Core.Governance;
using Ripcord.Server.Audit;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Auth;

/// <summary>
/// Issues and checks bearer tokens. A token is 32 random bytes (base64url) behind a short
/// prefix; only its SHA-256 hash is stored — enough for a high-entropy secret, and constant
/// work per request. Tokens found are cached briefly; a token not found is not (guesses would
/// fill the cache), and the cache holds at most <see cref="MaxCached"/> entries. A revocation clears the cache at once on the
/// node that made it, and within a second on every other node sharing the store
/// (<see cref="SyncRevocationsAsync"/>, polled by <see cref="Storage.StorageRefreshService"/>).
/// </summary>
public sealed class TokenService(ITokenStore store, IAuditLog audit, Databases databases, TimeProvider clock)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    /// <summary>More than any deployment has tokens; past it the cache starts over rather than grow.</summary>
    public const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<string, (TokenRecord Token, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    private long _revoked = -1;

    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static string NewSecret(Role role) =>
        $"rc_{(role == Role.Sdk ? "sdk" : "usr")}_{Base64Url(RandomNumberGenerator.GetBytes(32))}";

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public Task<Actor?> AuthenticateAsync(string token, CancellationToken ct) =>
        token.Length is < 16 or > 256 ? Task.FromResult<Actor?>(null) : AuthenticateHashAsync(Hash(token), ct);

    /// <summary>
    /// The actor of a token known only by its hash (a dashboard session keeps the hash, never the secret):
    /// null once it is revoked or unknown, with the same cache as <see cref="AuthenticateAsync"/>.
    /// </summary>
    public async Task<Actor?> AuthenticateHashAsync(string hash, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        TokenRecord? found;
        if (_cache.TryGetValue(hash, out var cached) && cached.Until >= now)
        {
            found = cached.Token;
        }
        else
        {
            _cache.TryRemove(hash, out _);
            found = await store.FindByHashAsync(hash, ct);
            if (found is not null)
            {
                if (_cache.Count >= MaxCached)
                {
                    _cache.Clear();
                }
                _cache[hash] = (found, now + CacheFor);
            }
        }
        return found is { RevokedAt: null } t && Role.TryParse(t.Role, out var role)
            ? new Actor(new Principal(t.Principal, t.Name), role, t.Id)
            : null;
    }

    /// <summary>How many token lookups are cached (never more than <see cref="MaxCached"/>).</summary>
    internal int CachedCount => _cache.Count;

    /// <summary>Creates a token (with a principal of its own) and returns its secret, which is never stored or shown again.</summary>
    public async Task<(TokenRecord Record, string Secret)> CreateAsync(string name, Role role, Actor by, CancellationToken ct, string? secret = null)
    {
        secret ??= NewSecret(role);
        var id = Guid.NewGuid().ToString("N")[..16];
        var record = new TokenRecord("tok_" + id, "prn_" + Guid.NewGuid().ToString("N")[..16], name, role.Name, Hash(secret),
            SqlDatabase.Storable(clock.GetUtcNow()), by.Name, null);
        var after = System.Text.Json.JsonSerializer.Serialize(new { record.Id, record.Principal, record.Name, record.Role });
        await using var session = await databases.Config.BeginWriteAsync(ct);
        await store.CreateAsync(session, record, ct);
        await audit.AppendAsync(session, Draft(record.CreatedAt, by, AuditAction.TokenCreate, "token:" + record.Id, after), ct);
        await session.CommitAsync(ct);
        return (record, secret);
    }

    public async Task<TokenRecord?> RevokeAsync(string id, Actor by, CancellationToken ct)
    {
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        TokenRecord? revoked;
        await using (var session = await databases.Config.BeginWriteAsync(ct))
        {
            revoked = await store.RevokeAsync(session, id, now, ct);
            if (revoked is null)
            {
                return null;
            }
            await audit.AppendAsync(session, Draft(now, by, AuditAction.TokenRevoke, "token:" + id, null), ct);
            await session.CommitAsync(ct);
        }
        _cache.Clear();
        return revoked;
    }

    private static AuditDraft Draft(DateTimeOffset at, Actor by, AuditAction action, string target, string? after) =>
        new(at, by.Principal.Id, by.Name, by.Role.Name, action, target, null, after);

    /// <summary>Drops every cached lookup when any node has revoked a token since the last call.</summary>
    public async Task SyncRevocationsAsync(CancellationToken ct)
    {
        var revoked = await store.RevokedCountAsync(ct);
        if (Interlocked.Exchange(ref _revoked, revoked) != revoked)
        {
            _cache.Clear();
        }
    }

    /// <summary>The name of the token RIPCORD_ADMIN_TOKEN registers.</summary>
    public const string BootstrapTokenName = "admin (RIPCORD_ADMIN_TOKEN)";

    /// <summary>
    /// Makes sure an admin can log in: RIPCORD_ADMIN_TOKEN is registered (hashed) if new, and a
    /// changed value replaces — revokes — the bootstrap token registered before it, rather than adding
    /// a second one with the same name; otherwise, on a store with no admin token, one is generated
    /// and returned to print once.
    /// </summary>
    public async Task<BootstrapResult> BootstrapAdminAsync(string? configuredToken, CancellationToken ct)
    {
        var tokens = await store.ListAsync(ct);
        if (!string.IsNullOrEmpty(configuredToken))
        {
            if (configuredToken.Length < 16)
            {
                throw new InvalidOperationException("RIPCORD_ADMIN_TOKEN must be at least 16 characters");
            }
            var hash = Hash(configuredToken);
            if (tokens.Any(t => t.Hash == hash))
            {
                return new BootstrapResult(null, []);
            }
            var replaced = new List<string>();
            foreach (var previous in tokens.Where(t => t.Name == BootstrapTokenName && t.RevokedAt is null))
            {
                await RevokeAsync(previous.Id, Actor.System, ct);
                replaced.Add(previous.Id);
            }
            await CreateAsync(BootstrapTokenName, Role.Admin, Actor.System, ct, configuredToken);
            return new BootstrapResult(null, replaced);
        }
        if (tokens.Any(t => t.Role == Role.Admin.Name && t.RevokedAt is null))
        {
            return new BootstrapResult(null, []);
        }
        var (_, secret) = await CreateAsync("admin (generated at first start)", Role.Admin, Actor.System, ct);
        return new BootstrapResult(secret, []);
    }
}

/// <summary>What bootstrapping the admin did: a token generated (to print once), or earlier bootstrap tokens replaced (revoked).</summary>
public sealed record BootstrapResult(string? GeneratedSecret, IReadOnlyList<string> ReplacedTokenIds);
