using System.Text.Json;
using Ripcord.Core.Telemetry;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;
using F = Ripcord.Core.Telemetry.TelemetryFields;
using T = Ripcord.Core.Telemetry.TelemetryEventTypes;

namespace Ripcord.Server.Stages;

/// <summary>
/// Window figures counted from the raw <c>telemetry_events</c> rows, in C#: exact and simple,
/// and slow over long windows. A stand-in until the aggregated implementation (per-minute
/// buckets) replaces it; gates read only <see cref="ITelemetryFigures"/>, so nothing else changes then.
/// With a cohort, only events that carry that <c>cohort</c> field count.
/// </summary>
public sealed class RawTelemetryFigures(Databases databases) : ITelemetryFigures
{
    private SqlDatabase Db => databases.Telemetry;

    public async Task<WindowFigures> WindowAsync(string program, string? cohort, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        var rows = await Db.QueryAsync(
            "SELECT type, at, payload FROM telemetry_events WHERE program = @p AND at >= @from AND at < @to",
            r => (Type: r.GetString(0), At: Db.ReadTime(r, 1), Payload: r.GetString(2)), ct,
            ("@p", program), ("@from", Db.Time(from)), ("@to", Db.Time(to)));
        long operations = 0, fallbacks = 0, sends = 0, failures = 0, sessions = 0, crashes = 0, signals = 0;
        DateTimeOffset? first = null;
        foreach (var (type, at, payload) in rows)
        {
            using var doc = JsonDocument.Parse(payload);
            var e = doc.RootElement;
            if (cohort is not null && Text(e, F.Cohort) != cohort)
            {
                continue;
            }
            var counted = true;
            switch (type)
            {
                case T.Mode:
                    operations++;
                    break;
                case T.Fallback:
                    fallbacks += Text(e, F.Decision) is { } d && d != "proceed" ? 1 : 0;
                    break;
                case T.Send:
                    sends++;
                    failures += Text(e, F.Outcome) is TelemetryValues.Failed or TelemetryValues.Timeout ? 1 : 0;
                    break;
                case T.SessionStart:
                    sessions++;
                    break;
                case T.SessionCrash:
                    crashes++;
                    break;
                case T.SecuritySignal:
                    signals++;
                    break;
                default:
                    counted = false;
                    break;
            }
            if (counted && (first is null || at < first))
            {
                first = at;
            }
        }
        return new WindowFigures(from, to, operations, fallbacks, sends, failures, sessions, crashes, signals, first);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
