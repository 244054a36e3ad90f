using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Telemetry;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Telemetry;

/// <summary>The filters a dashboard was read with (null: not filtered).</summary>
public sealed record MetricsFilter(string? Workspace, int? Tier, string? Cohort);

/// <summary>A dashboard's figures for one group with operations or fallbacks in it: a tier (<c>"0"</c>–<c>"2"</c>) or a workspace; null key: events without one.</summary>
public sealed record MetricsGroup(string? Key, DashboardFigures Figures);

/// <summary>One step: its start and figures (mode-adoption: also by tier).</summary>
public sealed record MetricsPoint(DateTimeOffset At, DashboardFigures Figures, IReadOnlyList<MetricsGroup>? Groups = null);

/// <summary>
/// A dashboard over [From, To) (the range asked for, widened to whole steps): a point per step,
/// zeros included, the totals over the range, the totals by group (mode-adoption by tier,
/// fallback-rate by workspace: the 100 with the most operations) and the events of the range that
/// came too late (or too far ahead) to be aggregated.
/// </summary>
public sealed record MetricsView(
    string Program, string Dashboard, DateTimeOffset From, DateTimeOffset To, string Step, MetricsFilter Filter,
    IReadOnlyList<MetricsPoint> Points, DashboardFigures Totals, IReadOnlyList<MetricsGroup> Groups, long Late);

/// <summary>GET /api/v1/programs/{program}/metrics/{dashboard}: the seed's five dashboards (docs/telemetry.md) over the aggregates.</summary>
public static class MetricsApi
{
    /// <summary>The most points one answer holds: a longer range needs a coarser step.</summary>
    public const int MaxPoints = 1_500;

    /// <summary>How many groups the totals list (fallback-rate by workspace), the most operations first.</summary>
    public const int MaxGroups = 100;

    public static RouteGroupBuilder MapMetrics(this RouteGroupBuilder api)
    {
        var metrics = api.MapGroup("/programs/{program}/metrics").WithTags("Telemetry");
        metrics.MapGet("/{dashboard}", GetAsync)
            .Read("GetMetrics", "A telemetry dashboard (mode-adoption, fallback-rate, send-latency, divergence, crash-free) over a time range")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));
        return api;
    }

    private static async Task<Results<Ok<MetricsView>, ProblemHttpResult>> GetAsync(
        string program, string dashboard, string? from, string? to, string? step, string? workspace, string? tier, string? cohort,
        ProgramRegistry registry, TelemetryAggregates aggregates, TimeProvider clock, CancellationToken ct)
    {
        if (!registry.TryGet(program, out _))
        {
            return Problems.NotFound($"no program '{program}'");
        }
        if (!Dashboards.TryParse(dashboard, out var board))
        {
            return Problems.NotFound($"no dashboard '{dashboard}'; the dashboards are {string.Join(", ", Dashboards.Names)}");
        }
        var now = clock.GetUtcNow();
        if (!TryTime(to, now, out var end))
        {
            return Problems.BadRequest("to must be an ISO 8601 time such as 2026-03-01T12:00:00Z", "to");
        }
        if (!TryTime(from, end - TimeSpan.FromHours(1), out var start))
        {
            return Problems.BadRequest("from must be an ISO 8601 time such as 2026-03-01T11:00:00Z", "from");
        }
        if (start >= end)
        {
            return Problems.BadRequest($"from ({start:O}) must be before to ({end:O})", "from");
        }
        AggregateResolution resolution;
        if (step is null)
        {
            resolution = (end - start) <= TimeSpan.FromHours(6) ? AggregateResolution.Minute
                : (end - start) <= TimeSpan.FromDays(31) ? AggregateResolution.Hour : AggregateResolution.Day;
        }
        else if (!Enum.TryParse(step, ignoreCase: true, out resolution) || !Enum.IsDefined(resolution) || !step.All(char.IsAsciiLetter))
        {
            return Problems.BadRequest("step must be minute, hour or day", "step");
        }
        var length = BucketKey.Length(resolution);
        var first = BucketKey.Floor(start, resolution);
        var last = BucketKey.Floor(end - TimeSpan.FromTicks(1), resolution) + length;
        var points = (last - first).Ticks / length.Ticks;
        if (points > MaxPoints)
        {
            return Problems.BadRequest(
                $"{points} {Step(resolution)} steps is more than {MaxPoints}; use a shorter range or a coarser step", "step");
        }
        int? tierValue = null;
        if (tier is not null)
        {
            if (!int.TryParse(tier, NumberStyles.None, CultureInfo.InvariantCulture, out var t) || !TelemetrySchema.IsTier(t))
            {
                return Problems.BadRequest($"tier must be {TelemetrySchema.MinTier}, 1 or {TelemetrySchema.MaxTier}", "tier");
            }
            tierValue = t;
        }
        if (workspace is { Length: 0 or > TelemetrySchema.MaxTextLength })
        {
            return Problems.BadRequest($"workspace must be 1–{TelemetrySchema.MaxTextLength} characters", "workspace");
        }
        if (cohort is { Length: 0 or > TelemetrySchema.MaxTextLength })
        {
            return Problems.BadRequest($"cohort must be 1–{TelemetrySchema.MaxTextLength} characters", "cohort");
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
        return TypedResults.Ok(new MetricsView(program, Dashboards.Name(d), first, last, Step(resolution),
            new MetricsFilter(workspace, tierValue, cohort), series, Dashboards.Figures(d, Sum(rows)),
            grouping == AggregateGrouping.None ? [] : Groups(d, rows, MaxGroups),
            rows.Sum(r => r.Measures[Measure.Late] + r.Measures[Measure.Ahead])));
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
