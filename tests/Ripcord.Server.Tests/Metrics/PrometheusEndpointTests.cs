using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Metrics;
using Ripcord.Server.Tests.Telemetry;

namespace Ripcord.Server.Tests.Metrics;

/// <summary>
/// Issue 10: the server's health through System.Diagnostics.Metrics and OpenTelemetry's Prometheus exporter at
/// <c>/metrics</c>, scraped and parsed as Prometheus text; every value matches what the API says, every name is
/// <c>ripcord_*</c>, and no label can carry a user, workspace, instance or token.
/// </summary>
public sealed partial class PrometheusEndpointTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>One sample: a metric name, its labels, its value.</summary>
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex Label();

    /// <summary>Parses the Prometheus text exposition format; a line that is neither a comment nor a sample fails the test.</summary>
    public static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var labels = Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value);
            var value = m.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(m.Groups["name"].Value, labels, value));
        }
        return samples;
    }

    private async Task<List<Sample>> ScrapeAsync()
    {
        // The exporter caches a scrape for a moment; wait past it so the values are this moment's.
        await Task.Delay(TimeSpan.FromMilliseconds(350));
        using var response = await _server.SendAsync(HttpMethod.Get, "/metrics", await _server.TokenAsync("viewer"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return Parse(text);
    }

    private static double Value(List<Sample> samples, string name, params (string Key, string Value)[] labels)
    {
        var match = samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(match.Count == 1, $"{name} {string.Join(",", labels)}: {match.Count} samples among {string.Join(", ", samples.Select(s => s.Name).Distinct())}");
        return match[0].Value;
    }

    [Fact]
    [Invariant("MX-1", "/metrics says what the API says: head revision, instances at head, telemetry accepted and refused, webhook backlog")]
    public async Task Scraped_ValuesMatchTheApi()
    {
        var key = await _server.TokenAsync("sdk");
        var head = await _server.HeadAsync();
        await _server.PostTelemetryAsync(key, TelemetryClient.Heartbeat(_server, "web-1", head)).ExpectAsync(HttpStatusCode.Accepted);
        await _server.PostTelemetryAsync(key, TelemetryClient.Heartbeat(_server, "web-2", head - 1)).ExpectAsync(HttpStatusCode.Accepted);
        await _server.PostTelemetryAsync(key, TelemetryClient.Sends(_server, "web-1", 40)).ExpectAsync(HttpStatusCode.Accepted);
        await _server.PostTelemetryAsync(key, """{"program":"groups","instance":"web-1","events":[{"type":"mode","at":"2030-01-01T00:00:00Z","workspaceId":"rc_sdk_notakey"}]}""")
            .ExpectAsync(HttpStatusCode.BadRequest);
        await _server.Services.GetRequiredService<ServerMetrics>().SampleAsync(default);

        var samples = await ScrapeAsync();

        Assert.Equal(head, Value(samples, "ripcord_program_revision", ("program", "groups")));
        Assert.Equal(1, Value(samples, "ripcord_sdk_instances", ("program", "groups"), ("state", "at-head")));
        Assert.Equal(1, Value(samples, "ripcord_sdk_instances", ("program", "groups"), ("state", "behind")));
        var stats = await _server.GetAsync("/api/v1/telemetry/stats");
        Assert.Equal(stats.GetProperty("eventsAccepted").GetInt64(), Value(samples, "ripcord_telemetry_events_accepted_total"));
        Assert.Equal(42, Value(samples, "ripcord_telemetry_events_accepted_total"));
        Assert.Equal(1, Value(samples, "ripcord_telemetry_batches_refused_total", ("code", "key-material")));
        Assert.Equal(0, Value(samples, "ripcord_sdk_streams"));
        Assert.Equal(0, Value(samples, "ripcord_webhook_backlog"));
        // ASP.NET Core's hosting meter is one per process name-wise: in this test process other servers' requests may add to it.
        Assert.True(samples.Where(s => s.Name == "ripcord_http_server_request_duration_seconds_count" && s.Labels.GetValueOrDefault("http_route") == "/api/v1/telemetry/"
            && s.Labels.GetValueOrDefault("http_request_method") == "POST" && s.Labels.GetValueOrDefault("http_response_status_code") == "202").Sum(s => s.Value) >= 3);
    }

    [Fact]
    [Invariant("MX-1", "/metrics says what the API says: the dashboards' figures match the metrics query API (late events in neither)")]
    public async Task DashboardFigures_MatchTheMetricsApi()
    {
        await MetricsScenario.PostAsync(_server);

        var samples = await ScrapeAsync();
        var mode = (await MetricsScenario.DashboardAsync(_server, "mode-adoption")).GetProperty("totals");
        var sends = (await MetricsScenario.DashboardAsync(_server, "send-latency")).GetProperty("totals");
        var fallbacks = (await MetricsScenario.DashboardAsync(_server, "fallback-rate")).GetProperty("totals");
        var crashFree = (await MetricsScenario.DashboardAsync(_server, "crash-free")).GetProperty("totals");
        var divergence = (await MetricsScenario.DashboardAsync(_server, "divergence")).GetProperty("totals");

        double Sum(string name, params (string Key, string Value)[] labels) =>
            samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);
        Assert.Equal(mode.GetProperty("operations").GetInt64(), Sum("ripcord_telemetry_operations_total", ("program", "groups")));
        Assert.Equal(mode.GetProperty("secure").GetInt64(), Sum("ripcord_telemetry_operations_total", ("transport", "secure")));
        Assert.Equal(mode.GetProperty("baseline").GetInt64(), Sum("ripcord_telemetry_operations_total", ("transport", "baseline")));
        Assert.Equal(sends.GetProperty("sends").GetInt64(), Sum("ripcord_telemetry_sends_total", ("program", "groups")));
        Assert.Equal(sends.GetProperty("failures").GetInt64(),
            Sum("ripcord_telemetry_sends_total", ("outcome", "failed")) + Sum("ripcord_telemetry_sends_total", ("outcome", "timeout")));
        Assert.Equal(fallbacks.GetProperty("fallbacks").GetInt64(),
            Sum("ripcord_telemetry_fallbacks_total") - Sum("ripcord_telemetry_fallbacks_total", ("decision", "proceed")));
        Assert.Equal(crashFree.GetProperty("sessions").GetInt64(), Sum("ripcord_telemetry_sessions_total", ("program", "groups")));
        Assert.Equal(crashFree.GetProperty("crashes").GetInt64(), Sum("ripcord_telemetry_crashes_total", ("program", "groups")));
        Assert.Equal(divergence.GetProperty("divergences").GetInt64(), Sum("ripcord_telemetry_divergences_total", ("program", "groups")));
        // The latency histogram counts the sends that carried a latency (the timeout did not).
        Assert.Equal(5, Value(samples, "ripcord_telemetry_send_ack_latency_milliseconds_count", ("program", "groups")));
        Assert.Equal(200, Value(samples, "ripcord_telemetry_send_ack_latency_milliseconds_sum", ("program", "groups")));
    }

    [Fact]
    [Invariant("MX-2", "every exported metric is ripcord_*; labels are bounded: never a user, workspace, instance, token or path")]
    public async Task EveryName_IsRipcords_AndNoLabelCarriesWhoOrWhere()
    {
        var key = await _server.TokenAsync("sdk");
        await _server.PostTelemetryAsync(key, TelemetryClient.Sends(_server, "web-secret-instance", 5)).ExpectAsync(HttpStatusCode.Accepted);
        await _server.SendAsync(HttpMethod.Get, "/api/v1/programs/groups/flags/does-not-exist-user-42", await _server.TokenAsync("viewer"));

        var samples = await ScrapeAsync();

        Assert.NotEmpty(samples);
        // target_info is OpenTelemetry's resource (service name, SDK version), the one standard name besides ours.
        var resource = Assert.Single(samples, s => s.Name == "target_info");
        Assert.Equal("ripcord", resource.Labels["service_name"]);
        samples.Remove(resource);
        Assert.All(samples, s => Assert.StartsWith("ripcord_", s.Name, StringComparison.Ordinal));
        string[] allowed = ["program", "state", "code", "outcome", "tier", "transport", "decision", "http_request_method", "http_route", "http_response_status_code",
            "otel_scope_name", "otel_scope_version", "otel_scope_schema_url", "le"];
        Assert.All(samples.SelectMany(s => s.Labels.Keys).Distinct(), k => Assert.Contains(k, allowed));
        Assert.DoesNotContain(samples.SelectMany(s => s.Labels.Values), v => v.Contains("web-secret", StringComparison.Ordinal)
            || v.Contains("user-42", StringComparison.Ordinal) || v.Contains("rc_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutAPersonsToken_MetricsAreRefused()
    {
        using var anonymous = await _server.SendAsync(HttpMethod.Get, "/metrics", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var sdk = await _server.SendAsync(HttpMethod.Get, "/metrics", await _server.TokenAsync("sdk"));
        Assert.Equal(HttpStatusCode.Forbidden, sdk.StatusCode);
    }
}
