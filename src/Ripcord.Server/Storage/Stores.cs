using Ripcord.Core.Audit;

namespace Ripcord.Server.Storage;

/// <summary>An audit event to append; the store assigns its sequence number and chain hashes.</summary>
public sealed record AuditDraft(DateTimeOffset At, string Actor, string Role, string Action, string Target,
    string? Before, string? After, string Outcome = "ok");

/// <summary>A program revision: an immutable, numbered state (JSON) with who made it and why.</summary>
public sealed record StoredRevision(string Program, long Revision, DateTimeOffset CreatedAt, string Actor,
    string Summary, string StateJson);

public sealed record RevisionDraft(string Program, long ExpectedRevision, DateTimeOffset CreatedAt, string Actor,
    string Summary, string StateJson);

/// <summary>A stored API token: only its SHA-256 hash is kept.</summary>
public sealed record TokenRecord(string Id, string Name, string Role, string Hash, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? RevokedAt);

/// <summary>The head moved since the writer read it: the write is refused and nothing is stored.</summary>
public sealed class RevisionConflictException(string program, long expected, long actual)
    : Exception($"program '{program}' is at revision {actual}, not {expected}")
{
    public string Program { get; } = program;
    public long Expected { get; } = expected;
    public long Actual { get; } = actual;
}

/// <summary>Numbered, immutable program revisions. Appending also appends its audit event, atomically.</summary>
public interface IRevisionStore
{
    Task<StoredRevision?> GetLatestAsync(string program, CancellationToken ct = default);
    Task<StoredRevision?> GetAsync(string program, long revision, CancellationToken ct = default);
    /// <summary>Newest first, without state bodies (StateJson is empty).</summary>
    Task<IReadOnlyList<StoredRevision>> ListAsync(string program, long? before, int limit, CancellationToken ct = default);
    /// <summary>Every program's head revision.</summary>
    Task<IReadOnlyDictionary<string, long>> HeadsAsync(CancellationToken ct = default);
    /// <summary>Stores revision ExpectedRevision + 1; throws <see cref="RevisionConflictException"/> when the head moved.</summary>
    Task<StoredRevision> AppendAsync(RevisionDraft draft, AuditDraft audit, CancellationToken ct = default);
}

/// <summary>The append-only, hash-chained audit log.</summary>
public interface IAuditLog
{
    Task<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken ct = default);
    /// <summary>Entries with Seq &gt; <paramref name="afterSeq"/>, oldest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSeq, int limit, CancellationToken ct = default);
}

public interface ITokenStore
{
    Task CreateAsync(TokenRecord token, AuditDraft audit, CancellationToken ct = default);
    Task<TokenRecord?> FindByHashAsync(string hash, CancellationToken ct = default);
    Task<IReadOnlyList<TokenRecord>> ListAsync(CancellationToken ct = default);
    Task<TokenRecord?> RevokeAsync(string id, DateTimeOffset at, AuditDraft audit, CancellationToken ct = default);

    /// <summary>How many tokens have ever been revoked: it only grows, so a change means a revocation on some node.</summary>
    Task<long> RevokedCountAsync(CancellationToken ct = default);
}

/// <summary>Storage reachability, for /readyz.</summary>
public interface IStorageHealth
{
    Task<bool> PingAsync(CancellationToken ct = default);
}

/// <summary>One SDK telemetry event as stored: raw, for later aggregation.</summary>
public sealed record TelemetryRecord(string Id, DateTimeOffset ReceivedAt, string Program, string Instance, string Type,
    DateTimeOffset At, string PayloadJson);

/// <summary>Raw SDK telemetry. A batch is stored whole or not at all.</summary>
public interface ITelemetryStore
{
    Task AppendAsync(IReadOnlyList<TelemetryRecord> batch, CancellationToken ct = default);
    Task<long> CountAsync(string program, string? type = null, CancellationToken ct = default);
    Task<IReadOnlyList<TelemetryRecord>> ReadAsync(string program, int limit, CancellationToken ct = default);
}
