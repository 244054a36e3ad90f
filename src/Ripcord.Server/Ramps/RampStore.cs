using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Ramps;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Ramps;

/// <summary>Each program's ramp in the configuration database. Writes join the caller's <see cref="WriteSession"/>.</summary>
public sealed class RampStore(Databases databases)
{
    private SqlDatabase Db => databases.Config;

    public Task PutAsync(WriteSession s, string program, RampState ramp, DateTimeOffset now, CancellationToken ct) => s.ExecAsync(
        """
        INSERT INTO ramps (program, stage, status, state, updated_at) VALUES (@p, @st, @s, @j, @at)
        ON CONFLICT (program) DO UPDATE SET stage = excluded.stage, status = excluded.status, state = excluded.state, updated_at = excluded.updated_at
        """, ct,
        ("@p", program), ("@st", ramp.Stage), ("@s", ramp.Status.ToString()), ("@j", JsonSerializer.Serialize(ramp, CoreJson.Options)),
        ("@at", s.Database.Time(now)));

    public async Task<RampState?> GetAsync(string program, CancellationToken ct, WriteSession? session = null)
    {
        const string Sql = "SELECT state FROM ramps WHERE program = @p";
        var rows = session is null
            ? await Db.QueryAsync(Sql, r => r.GetString(0), ct, ("@p", program))
            : await session.QueryAsync(Sql, r => r.GetString(0), ct, ("@p", program));
        return rows.Count == 0 ? null : JsonSerializer.Deserialize<RampState>(rows[0], CoreJson.Options);
    }

    /// <summary>The programs whose ramp may still move by itself (running or holding).</summary>
    public Task<List<string>> ActiveProgramsAsync(CancellationToken ct) => Db.QueryAsync(
        "SELECT program FROM ramps WHERE status IN ('Running', 'Holding') ORDER BY program", r => r.GetString(0), ct);
}
