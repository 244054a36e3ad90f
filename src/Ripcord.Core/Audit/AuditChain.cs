using System.Security.Cryptography;
using System.Text.Json;

namespace Ripcord.Core.Audit;

/// <summary>One audit event as written: who, in which role, did what to what, with the before/after.</summary>
public sealed record AuditEntry
{
    public required long Seq { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public required string Role { get; init; }
    public required string Action { get; init; }
    public required string Target { get; init; }
    public string? Before { get; init; }
    public string? After { get; init; }
    /// <summary><c>ok</c> or <c>denied</c>.</summary>
    public required string Outcome { get; init; }
    /// <summary>The actor's stable principal id; absent on rows written before principals existed.</summary>
    public string? Principal { get; init; }
    public required string PrevHash { get; init; }
    public required string Hash { get; init; }
}

/// <summary>
/// The audit log's hash chain: each entry's hash is SHA-256 over the previous hash and the
/// entry's fields (as a JSON array, so no field can bleed into another). Verification walks
/// the log from the genesis hash and reports the first entry whose link does not hold.
/// Rows with a principal id hash it as an eleventh field; rows written before principals
/// existed have none and keep the ten-field hash they were written with, so they still verify.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string ComputeHash(string prevHash, long seq, DateTimeOffset at, string actor, string role,
        string action, string target, string? before, string? after, string outcome, string? principal = null)
    {
        var at8601 = at.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        object?[] fields = principal is null
            ? [prevHash, seq, at8601, actor, role, action, target, before, after, outcome]
            : [prevHash, seq, at8601, actor, role, action, target, before, after, outcome, principal];
        return Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(fields)));
    }

    public static string ComputeHash(AuditEntry e) =>
        ComputeHash(e.PrevHash, e.Seq, e.At, e.Actor, e.Role, e.Action, e.Target, e.Before, e.After, e.Outcome, e.Principal);

    /// <summary>Checks a run of entries that starts at the genesis (or after <paramref name="previousHash"/>).</summary>
    public static AuditVerification Verify(IEnumerable<AuditEntry> entries, string previousHash = Genesis, long checkedBefore = 0)
    {
        var prev = previousHash;
        var count = checkedBefore;
        foreach (var e in entries)
        {
            if (!string.Equals(e.PrevHash, prev, StringComparison.Ordinal))
            {
                return new AuditVerification(false, count, e.Seq, $"entry {e.Seq} does not link to the entry before it", prev);
            }
            if (!string.Equals(ComputeHash(e), e.Hash, StringComparison.Ordinal))
            {
                return new AuditVerification(false, count, e.Seq, $"entry {e.Seq} was altered: its hash does not match its content", prev);
            }
            prev = e.Hash;
            count++;
        }
        return new AuditVerification(true, count, null, null, prev);
    }
}

public sealed record AuditVerification(bool Ok, long Checked, long? FirstBrokenSeq, string? Problem, string LastHash);
