using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Ripcord.Bench.Shared;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Server.Programs;
using Microsoft.Extensions.DependencyInjection;

namespace Ripcord.Sdk.Bench;

/// <summary>
/// The SDK's hot paths on a live client: a real server runs in this process on 127.0.0.1, a
/// <see cref="RipcordClient"/> follows its stream, and every benchmark reads the snapshot the
/// stream delivered. F3 (groups.transport.securePilot.enabled) has cohort-scoped stage rules and
/// a workspace override, so it is not constant-folded (Evaluator.FoldConstants): evaluating it
/// walks the emergency flag, the override layers and the F1 prerequisite.
/// <para>The "Core_*" and "Clock_*" rows take the SDK call apart: the same evaluation with a fixed
/// instant, the flag-key lookup, the clock read, and the fallback table without telemetry.</para>
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SdkEvaluationBenchmarks
{
    private const string Workspace = "ws-bench";
    private LoopbackServer _server = null!;
    private AdminApi _admin = null!;
    private RipcordClient _client = null!;
    private RipcordClient _tinyQueue = null!;
    private EvaluationContext _hit = null!;
    private EvaluationContext _miss = null!;
    private FallbackRequest _request = null!;
    private CompiledProgram _program = null!;
    private FallbackCatalog _catalog = null!;
    private int _f3;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _admin = new AdminApi(_server.Url, LoopbackServer.AdminToken);
        var key = await _admin.CreateTokenAsync("sdk", "sdk bench");
        // F3 on for one workspace, and its prerequisite F1 too, so the override path returns true.
        await _admin.SetOverrideAsync("groups", "F1", "workspace:" + Workspace, true, "sdk bench");
        var head = (await _admin.SetOverrideAsync("groups", "F3", "workspace:" + Workspace, true, "sdk bench")).Revision;

        _client = new RipcordClient(new RipcordClientOptions
        {
            ServerUrl = _server.Url,
            SdkKey = key,
            CacheDirectory = null,
            // No background telemetry flush while measuring (Decide enqueues an event per call).
            TelemetryFlushInterval = TimeSpan.FromHours(1),
            HeartbeatInterval = TimeSpan.FromHours(1),
        });
        // The same, with a telemetry queue of one: each Decide's event replaces the last. While events
        // were dictionaries this separated building them from the GC cost of 10,000 of them queued
        // (gen 1/2); with the struct ring both clients should cost the same.
        _tinyQueue = new RipcordClient(new RipcordClientOptions
        {
            ServerUrl = _server.Url,
            SdkKey = key,
            CacheDirectory = null,
            TelemetryFlushInterval = TimeSpan.FromHours(1),
            HeartbeatInterval = TimeSpan.FromHours(1),
            TelemetryQueueCapacity = 1,
        });
        if (!await _client.WaitUntilLiveAsync(TimeSpan.FromSeconds(30)) || !await _tinyQueue.WaitUntilLiveAsync(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("the SDK did not go live within 30 s");
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((_client.Revision < head || _tinyQueue.Revision < head) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        if (_client.Revision < head || _tinyQueue.Revision < head)
        {
            throw new InvalidOperationException($"the SDK is at revision {_client.Revision}, expected {head}");
        }

        _hit = new EvaluationContext(workspaceId: Workspace, userId: "u-1", tier: 1);
        _miss = new EvaluationContext(workspaceId: "ws-other", userId: "u-2", tier: 1);
        _program = _server.App.Services.GetRequiredService<ProgramRegistry>().Current("groups");
        if (!_program.TryGetFlagIndex("F3", out _f3))
        {
            throw new InvalidOperationException("no F3");
        }
        _catalog = FallbackCatalog.For(_program.State.Definition);
        _now = DateTimeOffset.UtcNow;
        _request = new FallbackRequest
        {
            Tier = 1,
            Capability = "relay-unsupported",
            SecureEnabled = true,
            BaselineEnabled = true,
            StrictTierEnforcement = true,
            Action = "send",
            WorkspaceId = Workspace,
        };

        _telemetryTemplate = FallbackEngine.Decide(_request, _catalog, _now).Telemetry;

        // Sanity: the benchmarks measure the paths they claim to.
        Check(_client.IsEnabled("F3", _hit), "F3 for the override workspace is on");
        Check(!_client.IsEnabled("F3", _miss), "F3 for another workspace is off");
        Check(_client.Evaluate("F3", _hit).Reason == "override", "F3 is decided by the override");
        Check(_client.Evaluate("F4", _hit).Reason == "stage", "F4 (constant-folded) comes from the stage");
        Check(_client.Decide(_hit, "relay-unsupported").Outcome == FallbackOutcome.FallbackPrompt, "tier 1 strict prompts");
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("benchmark set-up is not what it claims: " + what);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _tinyQueue.Dispose();
        _admin.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    // ---- the SDK API (targets: IsEnabled <= 100 ns and 0 B; Decide <= 1 us) -----------------

    [Benchmark(Baseline = true), BenchmarkCategory("IsEnabled")]
    public bool IsEnabled_F3_WorkspaceOverride() => _client.IsEnabled("F3", _hit);

    [Benchmark, BenchmarkCategory("IsEnabled")]
    public bool IsEnabled_F3_NoOverride_StageCohorts() => _client.IsEnabled("F3", _miss);

    [Benchmark, BenchmarkCategory("IsEnabled")]
    public bool IsEnabled_F4_ConstantFolded() => _client.IsEnabled("F4", _hit);

    [Benchmark, BenchmarkCategory("IsEnabled")]
    public bool IsEnabled_ByKey_F3() => _client.IsEnabled("groups.transport.securePilot.enabled", _hit);

    [Benchmark, BenchmarkCategory("IsEnabled")]
    public EvaluationDetail Evaluate_F3_WorkspaceOverride() => _client.Evaluate("F3", _hit);

    // ---- the same evaluation taken apart -------------------------------------------------------

    [Benchmark, BenchmarkCategory("IsEnabled")]
    public bool Core_Evaluate_F3_FixedInstant() => Evaluator.Evaluate(_program, _f3, _hit, _now).Value;

    [Benchmark, BenchmarkCategory("IsEnabled")]
    public bool Core_FlagIndexLookup() => _program.TryGetFlagIndex("F3", out _);

    [Benchmark, BenchmarkCategory("IsEnabled")]
    public DateTimeOffset Clock_SystemGetUtcNow() => TimeProvider.System.GetUtcNow();

    // ---- fallback ------------------------------------------------------------------------------

    [Benchmark, BenchmarkCategory("Decide")]
    public FallbackDecision Decide_Context_Proceed() => _client.Decide(_hit, "ok");

    [Benchmark, BenchmarkCategory("Decide")]
    public FallbackDecision Decide_Context_FallbackPrompt() => _client.Decide(_hit, "relay-unsupported");

    [Benchmark(Baseline = true), BenchmarkCategory("Decide")]
    public FallbackDecision Decide_FallbackRequest() => _client.Decide(_request);

    [Benchmark, BenchmarkCategory("Decide")]
    public FallbackDecision Decide_FallbackRequest_TelemetryQueueOfOne() => _tinyQueue.Decide(_request);

    [Benchmark, BenchmarkCategory("Decide")]
    public FallbackDecision Core_FallbackEngine_NoTelemetry() => FallbackEngine.Decide(_request, _catalog, _now);

    /// <summary>
    /// A line-for-line replica of what RipcordClient.Decide(FallbackRequest) added after the engine
    /// before telemetry events became structs in a ring: a Dictionary of eleven boxed fields and
    /// the clock formatted as ISO-8601 — built and dropped, not queued. Kept for comparison.
    /// </summary>
    [Benchmark, BenchmarkCategory("Decide")]
    public Dictionary<string, object?> Replica_DecideTelemetryEvent()
    {
        var t = _telemetryTemplate;
        var fields = new Dictionary<string, object?>
        {
            ["decision"] = t.Decision, ["reasonCode"] = t.ReasonCode, ["tier"] = t.Tier is >= 0 and <= 2 ? t.Tier : null, ["effectiveTier"] = t.EffectiveTier,
            ["capability"] = t.Capability, ["transport"] = t.Transport, ["action"] = t.Action,
            ["workspaceId"] = _request.WorkspaceId, ["grantId"] = t.GrantId,
        };
        fields["type"] = "fallback";
        fields["at"] = TimeProvider.System.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        return fields;
    }

    private FallbackTelemetry _telemetryTemplate = null!;
}
