using System.Globalization;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Revisions;

/// <summary>
/// A revision tagged known-safe: automatically when a stage's exit criteria passed on an advance
/// (<see cref="Kind"/> <c>auto</c>, <see cref="Evidence"/> the exit checklist), or by a release manager (<c>manual</c>, a reason).
/// </summary>
public sealed record KnownSafeRevision(long Revision, string Kind, string Stage, string Reason, string? Evidence, DateTimeOffset TaggedAt, string TaggedBy)
{
    public const string Auto = "auto";
    public const string Manual = "manual";
}

/// <summary>Known-safe revisions (the rollback workflow reverts to the latest). Writes join the caller's session.</summary>
public sealed class KnownSafeStore(Databases databases)
{
    private SqlDatabase Db => databases.Config;

    /// <summary>Tags a revision; false when it already was (the first tag stands).</summary>
    public async Task<bool> TagKnownSafeAsync(WriteSession s, string program, KnownSafeRevision k, CancellationToken ct) => await s.ExecAsync(
        """
        INSERT INTO known_safe_revisions (program, revision, kind, stage, reason, evidence, tagged_at, tagged_by)
        VALUES (@p, @r, @k, @st, @reason, @e, @at, @by) ON CONFLICT (program, revision) DO NOTHING
        """, ct,
        ("@p", program), ("@r", k.Revision), ("@k", k.Kind), ("@st", k.Stage), ("@reason", k.Reason), ("@e", k.Evidence),
        ("@at", s.Database.Time(k.TaggedAt)), ("@by", k.TaggedBy)) == 1;

    /// <summary>Known-safe revisions, newest revision first.</summary>
    public Task<List<KnownSafeRevision>> KnownSafeAsync(string program, CancellationToken ct) => Db.QueryAsync(
        "SELECT revision, kind, stage, reason, evidence, tagged_at, tagged_by FROM known_safe_revisions WHERE program = @p ORDER BY revision DESC",
        r => new KnownSafeRevision(Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), r.GetString(1), r.GetString(2), r.GetString(3),
            r.NullableString(4), Db.ReadTime(r, 5), r.GetString(6)),
        ct, ("@p", program));

    public async Task<KnownSafeRevision?> LatestAsync(string program, CancellationToken ct) => (await KnownSafeAsync(program, ct)).FirstOrDefault();
}
