using Ripcord.Core.Alerts;
using Ripcord.Core.Audit;
using Ripcord.Core.Telemetry;

namespace Ripcord.Core.Tests;

/// <summary>Alert metrics from the telemetry window and the audit rows: what counts, and for which program.</summary>
public sealed class AlertMeasuresTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static AuditEntry Row(string target, string outcome = "denied", string? after = null) => new()
    {
        Seq = 1, At = T0, Actor = "v", Role = "viewer", Action = outcome == "denied" ? "denied" : "override.create", Target = target,
        Outcome = outcome, After = after, PrevHash = "", Hash = "",
    };

    private static readonly AuditEntry[] Rows =
    [
        Row("POST /api/v1/programs/groups/kill-switches/KS3/activations"),
        Row("kill-switch:groups/KS3", after: "{\"repeatsSincePrevious\":4}"),
        Row("POST /api/v1/programs/groups/overrides scope=workspace:w1"),
        Row("POST /api/v1/programs/other/freezes"),
        Row("POST /api/v1/tokens"),
        Row("override:groups/o1", outcome: "ok"),
    ];

    [Theory]
    [InlineData(AlertMetric.AuditDenials, "groups", 8)]          // 1 + (1 + 4 repeats) + 1 + the token refusal (no program: counts for all)
    [InlineData(AlertMetric.EmergencyActionsOutsideRoles, "groups", 6)]
    [InlineData(AlertMetric.AuditDenials, "other", 2)]
    [InlineData(AlertMetric.EmergencyActionsOutsideRoles, "other", 1)]
    public void Audit_metrics_count_the_programs_refusals_with_their_folded_repeats(AlertMetric metric, string program, double expected) =>
        Assert.Equal(expected, AlertMeasures.FromAudit(metric, program, Rows));

    [Fact]
    public void Telemetry_rates_have_no_value_without_traffic_and_counts_are_counts()
    {
        var empty = WindowFigures.Empty(T0, T0.AddMinutes(5));
        Assert.Null(AlertMeasures.FromTelemetry(AlertMetric.SendFailureRate, empty));
        Assert.Null(AlertMeasures.FromTelemetry(AlertMetric.FallbackRate, empty));
        Assert.Equal(0, AlertMeasures.FromTelemetry(AlertMetric.SecuritySignals, empty));
        var busy = empty with { Sends = 20, SendFailures = 3, Operations = 10, Fallbacks = 1, SecuritySignals = 2 };
        Assert.Equal((0.15, 0.1, 2.0), (AlertMeasures.FromTelemetry(AlertMetric.SendFailureRate, busy), AlertMeasures.FromTelemetry(AlertMetric.FallbackRate, busy),
            AlertMeasures.FromTelemetry(AlertMetric.SecuritySignals, busy)));
    }
}
