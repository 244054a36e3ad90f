using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ripcord.Core.Telemetry;
using Ripcord.Core.Telemetry.Aggregation;
using System.Globalization;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Streaming;
using Ripcord.Server.Telemetry;
using Ripcord.Server.Webhooks;

namespace Ripcord.Server.Metrics;

/// <summary>
/// The server's own health as System.Diagnostics.Metrics instruments, exported by OpenTelemetry (Prometheus text at
/// <c>/metrics</c>, OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; docs/telemetry.md lists every name). Labels
/// are bounded: programs, closed codes and outcomes — never a user, workspace, instance or token. What needs the
/// database (the webhook backlog) is sampled by a background loop, so a scrape never queries it.
/// </summary>
public sealed class ServerMetrics : BackgroundService
{
    public const string MeterName = "Ripcord.Server";

    /// <summary>The meter of this server: <see cref="MeterName"/>, or its own name when the process hosts several servers.</summary>
    public static string MeterNameFor(ServerOptions options) => options.MeterScope is { } scope ? $"{MeterName}.{scope}" : MeterName;

    /// <summary>How often values that need a query are sampled.</summary>
    public static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(10);

    private readonly Databases _databases;
    private readonly TimeProvider _clock;
    private readonly Counter<long> _verifications;
    private readonly Counter<long> _operations;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _sends;
    private readonly Histogram<double> _ackLatency;
    private readonly Counter<long> _divergences;
    private readonly Counter<long> _sessions;
    private readonly Counter<long> _crashes;
    private readonly Counter<long> _securitySignals;
    private readonly AggregationOptions _aggregation;
    private long _webhookBacklog;

    public ServerMetrics(IMeterFactory meters, ServerOptions options, Databases databases, ProgramRegistry programs, ClientRegistry clients, StreamHub streams,
        TelemetryStats telemetry, TimeProvider clock)
    {
        _databases = databases;
        _clock = clock;
        var meter = meters.Create(MeterNameFor(options));
        _verifications = meter.CreateCounter<long>("ripcord.killswitch.verifications", "{verification}",
            "Kill-switch verifications decided, by outcome (verified, failed)");
        meter.CreateObservableGauge("ripcord.program.revision", () => programs.All.Select(p =>
            new Measurement<long>(p.Revision, new KeyValuePair<string, object?>("program", p.Program))), "{revision}",
            "The head revision of each program");
        meter.CreateObservableGauge("ripcord.sdk.streams", () => streams.Connections, "{stream}", "SDK streams connected to this node");
        meter.CreateObservableCounter("ripcord.sdk.stream.slow_disconnects", () => streams.SlowDisconnects, "{stream}",
            "SDK streams ended because the client did not read");
        meter.CreateObservableGauge("ripcord.sdk.instances", () => Instances(programs, clients), "{instance}",
            "SDK instances this node knows, by program and whether they applied the head revision (state: at-head, behind)");
        meter.CreateObservableCounter("ripcord.telemetry.events.accepted", () => telemetry.View().EventsAccepted, "{event}",
            "Telemetry events accepted and stored");
        meter.CreateObservableCounter("ripcord.telemetry.batches.refused", () => telemetry.View().RejectedBy.Select(r =>
            new Measurement<long>(r.Value, new KeyValuePair<string, object?>("code", r.Key))), "{batch}",
            "Telemetry batches refused, by code (rate-limited, store-full, key-material, …)");
        // The dashboards' figures (docs/telemetry.md), counted as the aggregates count them: on-time events only.
        _aggregation = options.Telemetry.Aggregation;
        _operations = meter.CreateCounter<long>("ripcord.telemetry.operations", "{operation}", "Operations (mode events), by program, tier and transport");
        _fallbacks = meter.CreateCounter<long>("ripcord.telemetry.fallbacks", "{decision}",
            "Fallback decisions, by program and decision (proceed, fallback-auto, fallback-prompt, blocked)");
        _sends = meter.CreateCounter<long>("ripcord.telemetry.sends", "{send}", "Sends, by program and outcome (ok, failed, timeout)");
        _ackLatency = meter.CreateHistogram<double>("ripcord.telemetry.send.ack_latency", "ms", "Send ack latency, by program");
        _divergences = meter.CreateCounter<long>("ripcord.telemetry.divergences", "{event}", "Projection divergence events, by program");
        _sessions = meter.CreateCounter<long>("ripcord.telemetry.sessions", "{session}", "Sessions started, by program");
        _crashes = meter.CreateCounter<long>("ripcord.telemetry.crashes", "{session}", "Sessions crashed, by program");
        _securitySignals = meter.CreateCounter<long>("ripcord.telemetry.security_signals", "{signal}", "Security signals, by program");
        meter.CreateObservableGauge("ripcord.webhook.backlog", () => Interlocked.Read(ref _webhookBacklog), "{delivery}",
            "Webhook deliveries waiting to be sent or retried");
    }

    /// <summary>A kill-switch verification was decided.</summary>
    public void Verified(bool verified) =>
        _verifications.Add(1, new KeyValuePair<string, object?>("outcome", verified ? "verified" : "failed"));

    /// <summary>A stored batch's events, counted like the aggregates count them (late and ahead events are not).</summary>
    public void Stored(ValidatedBatch batch, DateTimeOffset receivedAt)
    {
        var program = new KeyValuePair<string, object?>("program", batch.Program);
        var counts = new Dictionary<(Counter<long> Counter, string? Label, string? Value, string? Label2, string? Value2), long>();
        void Count(Counter<long> counter, string? label = null, string? value = null, string? label2 = null, string? value2 = null) =>
            counts[(counter, label, value, label2, value2)] = counts.GetValueOrDefault((counter, label, value, label2, value2)) + 1;
        foreach (var e in batch.Events)
        {
            if (!_aggregation.OnTime(e.At, receivedAt))
            {
                continue;
            }
            var f = e.Facts ?? TelemetryFacts.None;
            switch (e.Type)
            {
                case TelemetryEventTypes.Mode:
                    Count(_operations, "tier", f.Tier?.ToString(CultureInfo.InvariantCulture) ?? "none", "transport", f.Transport ?? "none");
                    break;
                case TelemetryEventTypes.Fallback:
                    Count(_fallbacks, "decision", f.Decision ?? "none");
                    break;
                case TelemetryEventTypes.Send:
                    Count(_sends, "outcome", f.Outcome ?? "none");
                    if (f.AckLatencyMs is { } ms)
                    {
                        _ackLatency.Record(ms, program);
                    }
                    break;
                case TelemetryEventTypes.Divergence:
                    Count(_divergences);
                    break;
                case TelemetryEventTypes.SessionStart:
                    Count(_sessions);
                    break;
                case TelemetryEventTypes.SessionCrash:
                    Count(_crashes);
                    break;
                case TelemetryEventTypes.SecuritySignal:
                    Count(_securitySignals);
                    break;
            }
        }
        foreach (var ((counter, label, value, label2, value2), n) in counts)
        {
            var tags = new TagList { program };
            if (label is not null)
            {
                tags.Add(label, value);
            }
            if (label2 is not null)
            {
                tags.Add(label2, value2);
            }
            counter.Add(n, tags);
        }
    }

    private static IEnumerable<Measurement<long>> Instances(ProgramRegistry programs, ClientRegistry clients)
    {
        foreach (var program in programs.All)
        {
            var views = clients.For(program.Program);
            var atHead = views.Count(v => v.AppliedRevision == program.Revision);
            var tag = new KeyValuePair<string, object?>("program", program.Program);
            yield return new Measurement<long>(atHead, tag, new KeyValuePair<string, object?>("state", "at-head"));
            yield return new Measurement<long>(views.Count - atHead, tag, new KeyValuePair<string, object?>("state", "behind"));
        }
    }

    /// <summary>Samples what needs a query; a failed sample keeps the last value.</summary>
    public async Task SampleAsync(CancellationToken ct)
    {
        var backlog = await _databases.Config.ScalarAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE status = @pending", ct,
            ("@pending", DeliveryStatus.Pending));
        Interlocked.Exchange(ref _webhookBacklog, Convert.ToInt64(backlog, CultureInfo.InvariantCulture));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SampleAsync(stoppingToken);
                await Task.Delay(SampleEvery, _clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
            {
                await Task.Delay(SampleEvery, _clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
