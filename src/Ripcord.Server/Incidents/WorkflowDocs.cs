using System.Text.Json;
using Ripcord.Core;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Incidents;

/// <summary>The kinds of workflow documents, one table for all (<c>workflow_docs</c>).</summary>
public static class DocKinds
{
    public const string Incident = "incident";
    public const string Activation = "activation";
    public const string Request = "request";
    public const string Review = "review";
    public const string Freeze = "freeze";
    public const string Rollback = "rollback";
    public const string StageLock = "stage-lock";
    public const string ForwardFix = "forward-fix";
}

/// <summary>
/// Incidents, activations, requests and reviews, each stored as one JSON document with a few
/// indexed columns. Writes go into a caller's <see cref="WriteSession"/>, so a document is
/// stored with the revision and audit row of the change that moved it, or not at all.
/// </summary>
public sealed class WorkflowDocs(Databases databases)
{
    private SqlDatabase Db => databases.Config;

    public async Task PutAsync<T>(WriteSession session, string kind, string id, string program, string status, string? incidentId, T doc,
        DateTimeOffset now, CancellationToken ct)
    {
        var time = session.Database.Time(now);
        await session.ExecAsync(
            """
            INSERT INTO workflow_docs (kind, id, program, status, incident_id, created_at, updated_at, doc)
            VALUES (@kind, @id, @program, @status, @incident, @now, @now, @doc)
            ON CONFLICT (kind, id) DO UPDATE SET status = excluded.status, incident_id = excluded.incident_id,
                updated_at = excluded.updated_at, doc = excluded.doc
            """, ct,
            ("kind", kind), ("id", id), ("program", program), ("status", status), ("incident", incidentId), ("now", time),
            ("doc", JsonSerializer.Serialize(doc, CoreJson.Options)));
    }

    /// <summary>Reads a document inside a write (so it cannot change before the write commits), or on its own.</summary>
    public async Task<T?> GetAsync<T>(string kind, string id, CancellationToken ct, WriteSession? session = null) where T : class
    {
        const string Sql = "SELECT doc FROM workflow_docs WHERE kind = @kind AND id = @id";
        var rows = session is null
            ? await Db.QueryAsync(Sql, r => r.GetString(0), ct, ("kind", kind), ("id", id))
            : await session.QueryAsync(Sql, r => r.GetString(0), ct, ("kind", kind), ("id", id));
        return rows.Count == 0 ? null : JsonSerializer.Deserialize<T>(rows[0], CoreJson.Options);
    }

    /// <summary>Documents of a kind, newest first, filtered by program, status and incident when given.</summary>
    public async Task<List<T>> ListAsync<T>(string kind, CancellationToken ct, string? program = null, string? status = null,
        string? incidentId = null, int limit = 500)
    {
        // Only the filters given, so PostgreSQL never has to type a null parameter.
        var where = new List<string> { "kind = @kind" };
        var args = new List<(string, object?)> { ("kind", kind), ("limit", limit) };
        void Filter(string column, string name, string? value)
        {
            if (value is not null)
            {
                where.Add($"{column} = @{name}");
                args.Add((name, value));
            }
        }
        Filter("program", "program", program);
        Filter("status", "status", status);
        Filter("incident_id", "incident", incidentId);
        var rows = await Db.QueryAsync($"SELECT doc FROM workflow_docs WHERE {string.Join(" AND ", where)} ORDER BY created_at DESC, id DESC LIMIT @limit",
            r => r.GetString(0), ct, [.. args]);
        return [.. rows.Select(json => JsonSerializer.Deserialize<T>(json, CoreJson.Options)!)];
    }
}
