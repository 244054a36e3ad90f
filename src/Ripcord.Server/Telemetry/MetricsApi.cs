using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Telemetry.Aggregation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

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
        MetricsService metrics, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await metrics.ReadAsync(program, new MetricsRequest(dashboard, from, to, step, workspace, tier, cohort), ct));
        }
        catch (MetricsQueryException ex)
        {
            return ex.NotFound ? Problems.NotFound(ex.Message) : Problems.BadRequest(ex.Message, ex.Field);
        }
    }
}
