using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Alerts;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Incidents;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;
using Ripcord.Server.Webhooks;

namespace Ripcord.Server.Alerts;

/// <summary>
/// Evaluates every alert rule of every program each <see cref="ServerOptions.AlertInterval"/> (on the
/// injected clock), feeding the pure <see cref="AlertEvaluator"/> one observation per rule. A firing or a
/// resolution is stored with its audit row and its webhook in one write; a critical alert whose rule names a
/// trigger declares a suggested incident in that same write, and applies the recommended kill switch only
/// where the rule says <c>autoActivate: true</c>. Passes run one at a time (and acknowledgements between
/// them), so a pass never overwrites an acknowledgement with what it read before it.
/// </summary>
public sealed partial class AlertService(ProgramRegistry registry, AlertStore store, ITelemetryFigures figures, IAuditLog audit,
    IncidentService incidents, KillSwitchService killSwitches, Databases databases, ServerOptions options, TimeProvider clock,
    ILogger<AlertService> log) : BackgroundService
{
    /// <summary>Audit rows read per pass for the audit metrics; a window with more refusals than this is over every default threshold anyway.</summary>
    public const int MaxAuditRows = 10_000;

    private readonly SemaphoreSlim _gate = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.AlertInterval <= TimeSpan.Zero)
        {
            return; // switched off: passes run only when asked (EvaluateAsync)
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.AlertInterval, clock, stoppingToken);
                await EvaluateAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPassFailed(log, e);
            }
        }
    }

    /// <summary>One evaluation pass over every rule of every program, at the clock's now. Returns the alerts that fired or resolved.</summary>
    public async Task<IReadOnlyList<Alert>> EvaluateAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var now = SqlDatabase.Storable(clock.GetUtcNow());
            var changed = new List<Alert>();
            foreach (var program in registry.All)
            {
                var rules = program.State.Definition.Alerts;
                var states = await store.StatesAsync(program.Program, ct);
                foreach (var rule in rules)
                {
                    var before = states.GetValueOrDefault(rule.Id) ?? AlertRuleState.Initial(program.Program, rule.Id);
                    var value = await MeasureAsync(program.Program, rule, now, ct);
                    var step = AlertEvaluator.Step(rule, before, new AlertObservation(now, value), IncidentService.NewId("al_"));
                    if (await RecordAsync(program.State, rule, before, step, now, ct) is { } alert)
                    {
                        changed.Add(alert);
                    }
                }
                // A rule the definition no longer has: its firing alert resolves rather than staying open for ever.
                foreach (var orphan in states.Values.Where(s => !rules.Any(r => string.Equals(r.Id, s.Rule, StringComparison.Ordinal))))
                {
                    var retired = new AlertRule { Id = orphan.Rule, Metric = orphan.Alert?.Metric ?? AlertMetric.AuditDenials };
                    if (await RecordAsync(program.State, retired, orphan, AlertEvaluator.Retire(orphan, now), now, ct) is { } alert)
                    {
                        changed.Add(alert);
                    }
                }
            }
            return changed;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<List<Alert>> ListAsync(string program, int limit, CancellationToken ct) => store.ListAsync(program, limit, ct);

    /// <summary>Acknowledges a firing alert with a reason: audited, announced (<c>alert.acknowledged</c>).</summary>
    public async Task<Alert> AcknowledgeAsync(string program, string id, string reason, Actor actor, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var now = SqlDatabase.Storable(clock.GetUtcNow());
            await using var session = await databases.Config.BeginWriteAsync(ct);
            var alert = await store.GetAsync(session, id, ct);
            if (alert is null || !string.Equals(alert.Program, program, StringComparison.Ordinal))
            {
                throw new ChangeRejectedException(ChangeError.NotFound, "alert", $"no alert '{id}' in program '{program}'");
            }
            var acked = AlertEvaluator.Acknowledge(alert, actor.Name, reason, now);
            await store.PutAlertAsync(session, acked, now, ct);
            if (await store.StateAsync(session, program, alert.Rule, ct) is { } state && state.Alert?.Id == id)
            {
                await store.PutStateAsync(session, state with { Alert = acked }, now, ct);
            }
            await AuditAsync(session, actor, AuditAction.AlertAcknowledge, acked, alert, now, ct);
            await incidents.NotifyAsync(session, WebhookEventTypes.AlertAcknowledged, program, Payload(acked), ct);
            await session.CommitAsync(ct);
            return acked;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<double?> MeasureAsync(string program, AlertRule rule, DateTimeOffset now, CancellationToken ct)
    {
        var from = now - rule.Window;
        if (AlertMeasures.IsAuditMetric(rule.Metric))
        {
            return AlertMeasures.FromAudit(rule.Metric, program, await audit.ReadLatestAsync(MaxAuditRows, from, ct));
        }
        return AlertMeasures.FromTelemetry(rule.Metric, await figures.WindowAsync(program, null, from, now, ct));
    }

    /// <summary>Stores a step that changed something; for a firing or resolution, with its audit row, webhook and suggested incident.</summary>
    private async Task<Alert?> RecordAsync(ProgramState program, AlertRule rule, AlertRuleState before, AlertStep step, DateTimeOffset now,
        CancellationToken ct)
    {
        if (step.Transition == AlertTransition.None && step.State.Alert == before.Alert)
        {
            return null; // nothing an operator would see changed: no write each pass
        }
        var state = step.State;
        await using (var session = await databases.Config.BeginWriteAsync(ct))
        {
            if (step.Transition == AlertTransition.Fired)
            {
                if (rule.Severity == AlertSeverity.Critical && rule.Trigger is not null)
                {
                    state = state with { Alert = await SuggestIncidentAsync(session, program, rule, state.Alert!, now, ct) };
                }
                await AuditAsync(session, Actor.System, AuditAction.AlertFire, state.Alert!, null, now, ct);
                await incidents.NotifyAsync(session, WebhookEventTypes.AlertFiring, program.Program, Payload(state.Alert!), ct);
            }
            else if (step.Transition == AlertTransition.Resolved)
            {
                await AuditAsync(session, Actor.System, AuditAction.AlertResolve, state.Alert!, before.Alert, now, ct);
                await incidents.NotifyAsync(session, WebhookEventTypes.AlertResolved, program.Program, Payload(state.Alert!), ct);
            }
            if (state.Alert is { } alert && alert != before.Alert)
            {
                await store.PutAlertAsync(session, alert, now, ct);
            }
            await store.PutStateAsync(session, state, now, ct);
            await session.CommitAsync(ct);
        }
        if (step.Transition == AlertTransition.Fired && rule.AutoActivate && state.Alert!.IncidentId is { } incident
            && state.Alert.RecommendedLevel is { } level)
        {
            state = await AutoActivateAsync(program.Program, rule, state, incident, level, ct);
        }
        return step.Transition is AlertTransition.Fired or AlertTransition.Resolved ? state.Alert : null;
    }

    /// <summary>
    /// Declares the incident a critical alert suggests, as the automation actor, inside the alert's write: the
    /// class follows the metric, the severity the rule's, and the recommender's level and scope are kept on the alert.
    /// </summary>
    private async Task<Alert> SuggestIncidentAsync(WriteSession session, ProgramState program, AlertRule rule, Alert alert, DateTimeOffset now,
        CancellationToken ct)
    {
        var declaration = new IncidentDeclaration(ClassOf(rule.Metric), SeverityOf(rule.Severity), rule.Trigger!, [],
            $"Suggested by alert {alert.Id} ({rule.Id}): {DescribeBreach(rule, alert)}. Confirm and apply the recommended kill switch, or resolve.");
        var incident = IncidentWorkflow.Declare(IncidentService.NewId("inc_"), program, declaration, Actor.System.Name, now)
            with { SuggestedByAlert = alert.Id };
        var advice = KillSwitchAdvice.For(program, incident);
        await incidents.DeclareAsync(session, incident, Actor.System, now, ct);
        return alert with { IncidentId = incident.Id, RecommendedLevel = advice.Level, RecommendedScope = advice.Scope };
    }

    /// <summary>Applies the recommended kill switch as the automation actor (KillSwitchService opens its post-action review), then links it.</summary>
    private async Task<AlertRuleState> AutoActivateAsync(string program, AlertRule rule, AlertRuleState state, string incident, string level,
        CancellationToken ct)
    {
        var alert = state.Alert!;
        try
        {
            var outcome = await killSwitches.ActivateAsync(program, new ActivationInput(level, alert.RecommendedScope ?? "global", incident,
                $"automatic activation by alert {alert.Id} ({rule.Id}, autoActivate: true)", KillSwitchService.DefaultVerifySeconds), Actor.System, ct);
            var linked = alert with { ActivationId = outcome.Activation?.Id };
            var now = SqlDatabase.Storable(clock.GetUtcNow());
            await using var session = await databases.Config.BeginWriteAsync(ct);
            await store.PutAlertAsync(session, linked, now, ct);
            var after = state with { Alert = linked };
            await store.PutStateAsync(session, after, now, ct);
            await session.CommitAsync(ct);
            return after;
        }
        catch (ChangeRejectedException e)
        {
            // The alert and its incident stand; the on-call person applies the switch by hand.
            LogAutoActivationRefused(log, program, rule.Id, e.Message);
            return state;
        }
    }

    private Task AuditAsync(WriteSession session, Actor actor, AuditAction action, Alert after, Alert? before, DateTimeOffset now, CancellationToken ct) =>
        audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, action, $"alert:{after.Program}/{after.Id}",
            before is null ? null : JsonSerializer.Serialize(Payload(before), CoreJson.Options), JsonSerializer.Serialize(Payload(after), CoreJson.Options)), ct);

    /// <summary>What webhooks and audit rows carry of an alert.</summary>
    private static object Payload(Alert a) => new
    {
        alert = a.Id, program = a.Program, rule = a.Rule, metric = a.Metric, severity = a.Severity, status = a.Status, value = a.Value,
        lastValue = a.LastValue, threshold = a.Threshold, firedAt = a.FiredAt, resolvedAt = a.ResolvedAt, acknowledgedBy = a.AcknowledgedBy,
        acknowledgeReason = a.AcknowledgeReason, incident = a.IncidentId, recommendedLevel = a.RecommendedLevel, recommendedScope = a.RecommendedScope,
        activation = a.ActivationId,
    };

    private static string DescribeBreach(AlertRule rule, Alert alert) =>
        $"{JsonSerializer.Serialize(rule.Metric, CoreJson.Options).Trim('"')} {alert.Value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)} "
        + $"above {rule.Threshold.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)} over {rule.Window.TotalMinutes:0}m";

    /// <summary>SPEC §5's incident classes by what the alert measures.</summary>
    private static IncidentClass ClassOf(AlertMetric metric) => metric switch
    {
        AlertMetric.SecuritySignals => IncidentClass.P1,
        AlertMetric.AuditDenials or AlertMetric.EmergencyActionsOutsideRoles => IncidentClass.P2,
        AlertMetric.SendFailureRate => IncidentClass.P3,
        _ => IncidentClass.P4,
    };

    private static IncidentSeverity SeverityOf(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => IncidentSeverity.Critical,
        AlertSeverity.High => IncidentSeverity.High,
        AlertSeverity.Medium => IncidentSeverity.Medium,
        _ => IncidentSeverity.Low,
    };

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "alert evaluation pass failed; the next pass retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "automatic kill-switch activation for {Program} alert rule {Rule} was refused: {Reason}")]
    private static partial void LogAutoActivationRefused(ILogger logger, string program, string rule, string reason);

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }
}
