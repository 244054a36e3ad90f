using Ripcord.Core.Telemetry;

namespace Ripcord.Server.Telemetry;

/// <summary>
/// Where stage gates and alert rules read telemetry totals from. Exact over [from, to) by the
/// events' own time (<c>at</c>); a null <c>cohort</c> means the whole program.
/// </summary>
public interface ITelemetryFigures
{
    Task<WindowFigures> WindowAsync(string program, string? cohort, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default);
}
