using System.Globalization;
using Ripcord.Core.Telemetry;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Telemetry;

/// <summary>What a dashboard is read with, as the query string gives it (null: the default, or not filtered).</summary>
public sealed record MetricsRequest(string Dashboard, string? From = null, string? To = null, string? Step = null, string? Workspace = null,
    string? Tier = null, string? Cohort = null);

/// <summary>A metrics request that cannot be answered: an unknown program or dashboard (<see cref="NotFound"/>), or a field that is not valid.</summary>
public sealed class MetricsQueryException(bool notFound, string? field, string message) : Exception(message)
{
    public bool NotFound { get; } = notFound;
    public string? Field { get; } = field;

    public static MetricsQueryException Bad(string message, string field) => new(false, field, message);
}

/// <summary>
/// The seed's five telemetry dashboards over the aggregates: the one query behind <c>GET …/metrics/{dashboard}</c> and the
/// dashboard's charts page.
/// </summary>
public sealed class MetricsService(ProgramRegistry registry, TelemetryAggregates aggregates, TimeProvider clock)
{
    /// <summary>The dashboard's view; throws <see cref="MetricsQueryException"/> for an unknown program or dashboard and for a request that is not valid.</summary>
    public async Task<MetricsView> ReadAsync(string program, MetricsRequest request, CancellationToken ct)
    {
        var (dashboard, from, to, step, workspace, tier, cohort) = request;
        if (!registry.TryGet(program, out _))
        {
            throw new MetricsQueryException(true, null, $"no program '{program}'");
        }
        if (!Dashboards.TryParse(dashboard, out var board))
        {
            throw new MetricsQueryException(true, null, $"no dashboard '{dashboard}'; the dashboards are {string.Join(", ", Dashboards.Names)}");
        }
        var now = clock.GetUtcNow();
        if (!TryTime(to, now, out var end))
        {
            throw MetricsQueryException.Bad("to must be an ISO 8601 time such as 2026-03-01T12:00:00Z", "to");
        }
        if (!TryTime(from, end - TimeSpan.FromHours(1), out var start))
        {
            throw MetricsQueryException.Bad("from must be an ISO 8601 time such as 2026-03-01T11:00:00Z", "from");
        }
        if (start >= end)
        {
            throw MetricsQueryException.Bad($"from ({start:O}) must be before to ({end:O})", "from");
        }
        AggregateResolution resolution;
        if (step is null)
        {
            resolution = (end - start) <= TimeSpan.FromHours(6) ? AggregateResolution.Minute
                : (end - start) <= TimeSpan.FromDays(31) ? AggregateResolution.Hour : AggregateResolution.Day;
        }
        else if (!Enum.TryParse(step, ignoreCase: true, out resolution) || !Enum.IsDefined(resolution) || !step.All(char.IsAsciiLetter))
        {
            throw MetricsQueryException.Bad("step must be minute, hour or day", "step");
        }
        var length = BucketKey.Length(resolution);
        var first = BucketKey.Floor(start, resolution);
        var last = BucketKey.Floor(end - TimeSpan.FromTicks(1), resolution) + length;
        var points = (last - first).Ticks / length.Ticks;
        if (points > MetricsApi.MaxPoints)
        {
            throw MetricsQueryException.Bad(
                $"{points} {Step(resolution)} steps is more than {MetricsApi.MaxPoints}; use a shorter range or a coarser step", "step");
        }
        int? tierValue = null;
        if (tier is not null)
        {
            if (!int.TryParse(tier, NumberStyles.None, CultureInfo.InvariantCulture, out var t) || !TelemetrySchema.IsTier(t))
            {
                throw MetricsQueryException.Bad($"tier must be {TelemetrySchema.MinTier}, 1 or {TelemetrySchema.MaxTier}", "tier");
            }
            tierValue = t;
        }
        if (workspace is { Length: 0 or > TelemetrySchema.MaxTextLength })
        {
            throw MetricsQueryException.Bad($"workspace must be 1–{TelemetrySchema.MaxTextLength} characters", "workspace");
        }
        if (cohort is { Length: 0 or > TelemetrySchema.MaxTextLength })
        {
            throw MetricsQueryException.Bad($"cohort must be 1–{TelemetrySchema.MaxTextLength} characters", "cohort");
        }

        var query = new AggregateQuery(program, resolution, first, last, workspace, tierValue, cohort);
        var grouping = board switch
        {
            Dashboard.ModeAdoption => AggregateGrouping.Tier,
            Dashboard.FallbackRate => AggregateGrouping.Workspace,
            _ => AggregateGrouping.None,
        };
        var rows = await aggregates.ReadAsync(query, grouping, withLatency: board == Dashboard.SendLatency, ct);
        var d = board.Value;
        var byStart = rows.GroupBy(r => r.Start).ToDictionary(g => g.Key, g => g.ToList());
        var series = new List<MetricsPoint>((int)points);
        for (var at = first; at < last; at += length)
        {
            var inStep = byStart.GetValueOrDefault(at) ?? [];
            series.Add(new MetricsPoint(at, Dashboards.Figures(d, Sum(inStep)),
                d == Dashboard.ModeAdoption ? Groups(d, inStep, int.MaxValue) : null));
        }
        return new MetricsView(program, Dashboards.Name(d), first, last, Step(resolution),
            new MetricsFilter(workspace, tierValue, cohort), series, Dashboards.Figures(d, Sum(rows)),
            grouping == AggregateGrouping.None ? [] : Groups(d, rows, MetricsApi.MaxGroups),
            rows.Sum(r => r.Measures[Measure.Late] + r.Measures[Measure.Ahead]));
    }

    private static BucketMeasures Sum(IEnumerable<AggregateRow> rows) => rows.Aggregate(BucketMeasures.Empty, (sum, r) => sum.Merge(r.Measures));

    private static List<MetricsGroup> Groups(Dashboard d, IEnumerable<AggregateRow> rows, int limit) =>
    [
        .. rows.GroupBy(r => r.Group)
            .Select(g => (g.Key, Measures: Sum(g)))
            // Only groups the dashboard has something to say about (a session has no tier, a heartbeat no workspace).
            .Where(g => g.Measures[Measure.Modes] + g.Measures[Measure.Fallbacks] > 0)
            .OrderByDescending(g => g.Measures[Measure.Modes]).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(limit)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new MetricsGroup(g.Key, Dashboards.Figures(d, g.Measures))),
    ];

    private static string Step(AggregateResolution resolution) => resolution.ToString().ToLowerInvariant();

    /// <summary>An ISO 8601 time (no offset: UTC), or the fallback when absent; years 2000–9000, so a step's end always exists.</summary>
    private static bool TryTime(string? text, DateTimeOffset fallback, out DateTimeOffset time)
    {
        if (text is null)
        {
            time = fallback;
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
            && time.Year is >= 2000 and <= 9000;
    }
}
