using System.Globalization;
using Ripcord.Core.Gates;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Stages;

/// <summary>
/// The recorded facts of stage gates in the configuration database: checks, sign-offs and support
/// load. Writes join the caller's <see cref="WriteSession"/> (with their audit row).
/// </summary>
public sealed class GateStore(Databases databases)
{
    private SqlDatabase Db => databases.Config;

    public Task AddCheckAsync(WriteSession s, string program, GateCheck c, CancellationToken ct) => s.ExecAsync(
        """
        INSERT INTO gate_checks (id, program, kind, stage, target, status, evidence, commit_sha, posted_at, posted_by)
        VALUES (@id, @p, @k, @st, @t, @s, @e, @c, @at, @by)
        """, ct,
        ("@id", c.Id), ("@p", program), ("@k", Name(c.Kind)), ("@st", c.Stage), ("@t", c.Target), ("@s", Name(c.Status)), ("@e", c.Evidence),
        ("@c", c.Commit), ("@at", s.Database.Time(c.PostedAt)), ("@by", c.PostedBy));

    public Task<List<GateCheck>> ChecksAsync(string program, CancellationToken ct) => Db.QueryAsync(
        "SELECT id, kind, stage, target, status, evidence, commit_sha, posted_at, posted_by FROM gate_checks WHERE program = @p ORDER BY seq",
        r => new GateCheck(r.GetString(0), Enum.Parse<CheckKind>(r.GetString(1), true), r.GetString(2), r.GetString(3),
            Enum.Parse<CheckStatus>(r.GetString(4), true), r.GetString(5), r.NullableString(6), Db.ReadTime(r, 7), r.GetString(8)),
        ct, ("@p", program));

    public Task AddSignoffAsync(WriteSession s, string program, SecuritySignoff o, CancellationToken ct) => s.ExecAsync(
        "INSERT INTO security_signoffs (id, program, tier, stage, reason, signed_at, signed_by) VALUES (@id, @p, @t, @st, @r, @at, @by)", ct,
        ("@id", o.Id), ("@p", program), ("@t", o.Tier), ("@st", o.Stage), ("@r", o.Reason), ("@at", s.Database.Time(o.SignedAt)), ("@by", o.SignedBy));

    public Task<List<SecuritySignoff>> SignoffsAsync(string program, CancellationToken ct) => Db.QueryAsync(
        "SELECT id, tier, stage, reason, signed_at, signed_by FROM security_signoffs WHERE program = @p ORDER BY signed_at, id",
        r => new SecuritySignoff(r.GetString(0), Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture), r.GetString(2), r.GetString(3),
            Db.ReadTime(r, 4), r.GetString(5)),
        ct, ("@p", program));

    public Task SetSupportLoadAsync(WriteSession s, string program, SupportLoadFigure f, CancellationToken ct) => s.ExecAsync(
        """
        INSERT INTO support_load (program, period, tickets_per_day, posted_at, posted_by) VALUES (@p, @period, @n, @at, @by)
        ON CONFLICT (program, period) DO UPDATE SET tickets_per_day = excluded.tickets_per_day, posted_at = excluded.posted_at,
            posted_by = excluded.posted_by
        """, ct,
        ("@p", program), ("@period", f.Period), ("@n", f.TicketsPerDay.ToString(CultureInfo.InvariantCulture)), ("@at", s.Database.Time(f.PostedAt)),
        ("@by", f.PostedBy));

    public Task<List<SupportLoadFigure>> SupportLoadAsync(string program, CancellationToken ct) => Db.QueryAsync(
        "SELECT period, tickets_per_day, posted_at, posted_by FROM support_load WHERE program = @p ORDER BY period",
        r => new SupportLoadFigure(r.GetString(0), decimal.Parse(r.GetString(1), CultureInfo.InvariantCulture), Db.ReadTime(r, 2), r.GetString(3)),
        ct, ("@p", program));

    public static string Name(CheckKind kind) => kind == CheckKind.Quality ? "quality" : "interop";

    public static string Name(CheckStatus status) => status switch
    {
        CheckStatus.Passed => "passed",
        CheckStatus.Failed => "failed",
        _ => "pending",
    };
}
