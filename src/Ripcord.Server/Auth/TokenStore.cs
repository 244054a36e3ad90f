using System.Data.Common;
using System.Globalization;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Auth;

/// <summary>A stored API token: only its SHA-256 hash is kept. <see cref="Principal"/> never changes.</summary>
public sealed record TokenRecord(string Id, string Principal, string Name, string Role, string Hash, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? RevokedAt);

public interface ITokenStore
{
    Task CreateAsync(WriteSession session, TokenRecord token, CancellationToken ct = default);
    Task<TokenRecord?> FindByHashAsync(string hash, CancellationToken ct = default);
    Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken ct = default);

    /// <summary>Revokes an active token; null (and nothing written) when there is none by that id.</summary>
    Task<TokenRecord?> RevokeAsync(WriteSession session, string id, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>How many tokens have ever been revoked: it only grows, so a change means a revocation on some node.</summary>
    Task<long> RevokedCountAsync(CancellationToken ct = default);
}

public sealed class TokenStore(Databases databases) : ITokenStore
{
    private SqlDatabase Db => databases.Config;

    private const string Columns = "id, principal, name, role, hash, created_at, created_by, revoked_at";

    private TokenRecord Map(DbDataReader r) => new(
        r.GetString(0), r.NullableString(1) ?? "prn_" + r.GetString(0)[4..], r.GetString(2), r.GetString(3), r.GetString(4),
        Db.ReadTime(r, 5), r.GetString(6), Db.ReadNullableTime(r, 7));

    public async Task CreateAsync(WriteSession session, TokenRecord t, CancellationToken ct = default) =>
        await session.ExecAsync($"INSERT INTO tokens ({Columns}) VALUES (@id, @principal, @name, @role, @hash, @at, @by, NULL)", ct,
            ("@id", t.Id), ("@principal", t.Principal), ("@name", t.Name), ("@role", t.Role), ("@hash", t.Hash),
            ("@at", Db.Time(t.CreatedAt)), ("@by", t.CreatedBy));

    public async Task<TokenRecord?> FindByHashAsync(string hash, CancellationToken ct = default) =>
        (await Db.QueryAsync($"SELECT {Columns} FROM tokens WHERE hash = @h", Map, ct, ("@h", hash))).FirstOrDefault();

    public async Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken ct = default) =>
        await Db.QueryAsync($"SELECT {Columns} FROM tokens ORDER BY created_at, id", Map, ct);

    public async Task<long> RevokedCountAsync(CancellationToken ct = default) =>
        Convert.ToInt64(await Db.ScalarAsync("SELECT COUNT(*) FROM tokens WHERE revoked_at IS NOT NULL", ct), CultureInfo.InvariantCulture);

    public async Task<TokenRecord?> RevokeAsync(WriteSession session, string id, DateTimeOffset at, CancellationToken ct = default)
    {
        var n = await session.ExecAsync("UPDATE tokens SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", ct,
            ("@at", Db.Time(at)), ("@id", id));
        if (n == 0)
        {
            return null;
        }
        return (await session.QueryAsync($"SELECT {Columns} FROM tokens WHERE id = @id", Map, ct, ("@id", id)))[0];
    }
}
