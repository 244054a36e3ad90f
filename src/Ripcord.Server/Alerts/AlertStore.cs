using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Alerts;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Alerts;

/// <summary>
/// Alert state in the configuration database: each rule's evaluator state, and every alert that fired.
/// Writes join the caller's <see cref="WriteSession"/>, with the audit row and webhook deliveries of the change.
/// </summary>
public sealed class AlertStore(Databases databases)
{
    private SqlDatabase Db => databases.Config;

    public async Task<Dictionary<string, AlertRuleState>> StatesAsync(string program, CancellationToken ct)
    {
        var rows = await Db.QueryAsync("SELECT doc FROM alert_rule_state WHERE program = @p", r => r.GetString(0), ct, ("@p", program));
        return rows.Select(json => JsonSerializer.Deserialize<AlertRuleState>(json, CoreJson.Options)!).ToDictionary(s => s.Rule, StringComparer.Ordinal);
    }

    public Task PutStateAsync(WriteSession s, AlertRuleState state, DateTimeOffset now, CancellationToken ct) => s.ExecAsync(
        """
        INSERT INTO alert_rule_state (program, rule, phase, updated_at, doc) VALUES (@p, @r, @phase, @now, @doc)
        ON CONFLICT (program, rule) DO UPDATE SET phase = excluded.phase, updated_at = excluded.updated_at, doc = excluded.doc
        """, ct,
        ("@p", state.Program), ("@r", state.Rule), ("@phase", Name(state.Phase)), ("@now", s.Database.Time(now)),
        ("@doc", JsonSerializer.Serialize(state, CoreJson.Options)));

    public Task PutAlertAsync(WriteSession s, Alert alert, DateTimeOffset now, CancellationToken ct) => s.ExecAsync(
        """
        INSERT INTO alerts (id, program, rule, status, fired_at, updated_at, doc) VALUES (@id, @p, @r, @status, @fired, @now, @doc)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, doc = excluded.doc
        """, ct,
        ("@id", alert.Id), ("@p", alert.Program), ("@r", alert.Rule), ("@status", Name(alert.Status)), ("@fired", s.Database.Time(alert.FiredAt)),
        ("@now", s.Database.Time(now)), ("@doc", JsonSerializer.Serialize(alert, CoreJson.Options)));

    /// <summary>One alert, read inside a write so it cannot change before the write commits.</summary>
    public async Task<Alert?> GetAsync(WriteSession s, string id, CancellationToken ct)
    {
        var rows = await s.QueryAsync("SELECT doc FROM alerts WHERE id = @id", r => r.GetString(0), ct, ("@id", id));
        return rows.Count == 0 ? null : JsonSerializer.Deserialize<Alert>(rows[0], CoreJson.Options);
    }

    public async Task<AlertRuleState?> StateAsync(WriteSession s, string program, string rule, CancellationToken ct)
    {
        var rows = await s.QueryAsync("SELECT doc FROM alert_rule_state WHERE program = @p AND rule = @r", r => r.GetString(0), ct,
            ("@p", program), ("@r", rule));
        return rows.Count == 0 ? null : JsonSerializer.Deserialize<AlertRuleState>(rows[0], CoreJson.Options);
    }

    /// <summary>The program's alerts: every firing one, then the most recent resolved ones, newest first.</summary>
    public async Task<List<Alert>> ListAsync(string program, int limit, CancellationToken ct)
    {
        var rows = await Db.QueryAsync(
            "SELECT doc FROM alerts WHERE program = @p ORDER BY CASE WHEN status = 'firing' THEN 0 ELSE 1 END, fired_at DESC, id DESC LIMIT @l",
            r => r.GetString(0), ct, ("@p", program), ("@l", (long)limit));
        return [.. rows.Select(json => JsonSerializer.Deserialize<Alert>(json, CoreJson.Options)!)];
    }

    public static string Name(AlertPhase phase) => JsonSerializer.Serialize(phase, CoreJson.Options).Trim('"');
}
