using System.Diagnostics.Metrics;
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
        meter.CreateObservableGauge("ripcord.webhook.backlog", () => Interlocked.Read(ref _webhookBacklog), "{delivery}",
            "Webhook deliveries waiting to be sent or retried");
    }

    /// <summary>A kill-switch verification was decided.</summary>
    public void Verified(bool verified) =>
        _verifications.Add(1, new KeyValuePair<string, object?>("outcome", verified ? "verified" : "failed"));

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
