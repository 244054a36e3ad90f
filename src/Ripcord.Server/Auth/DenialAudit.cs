using System.Collections.Concurrent;
using System.Text.Json;
using Ripcord.Core.Audit;
using Ripcord.Server.Audit;

namespace Ripcord.Server.Auth;

/// <summary>
/// Writes 403 refusals to the audit log without letting one token flood it. The first refusal
/// of a token on an endpoint (its route pattern, so the set of keys is bounded) in a window is
/// written; repeats inside the window are counted, and the next row written for that key says
/// how many were folded into it (<c>after: {"repeatsSincePrevious": N}</c>). Nothing is lost:
/// every refusal is either a row or counted in the following one.
/// </summary>
public sealed class DenialAudit(IAuditLog audit, TimeProvider clock)
{
    /// <summary>Repeats of the same refusal within this window are counted, not written.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string Token, string Endpoint), Entry> _recent = new();

    public async Task RecordAsync(HttpContext context, Actor actor, string target)
    {
        var now = clock.GetUtcNow();
        var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "";
        var key = (actor.TokenId, context.Request.Method + " " + endpoint);
        var entry = _recent.GetOrAdd(key, static _ => new Entry());
        long repeats;
        lock (entry)
        {
            if (entry.WrittenAt is { } at && now - at < Window)
            {
                entry.Repeats++;
                return;
            }
            repeats = entry.Repeats;
            entry.Repeats = 0;
            entry.WrittenAt = now;
        }
        var after = repeats > 0 ? JsonSerializer.Serialize(new { repeatsSincePrevious = repeats }) : null;
        await audit.AppendAsync(new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.Denied, target, null, after, "denied"),
            context.RequestAborted);
    }

    private sealed class Entry
    {
        public DateTimeOffset? WrittenAt;
        public long Repeats;
    }
}
