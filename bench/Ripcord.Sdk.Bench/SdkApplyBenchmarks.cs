using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Ripcord.Core;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Core.Sync;

namespace Ripcord.Sdk.Bench;

/// <summary>
/// What one SDK client spends applying one streamed delta (RipcordClient.Handle → Apply), step by
/// step, on the built-in groups program with a handful of overrides: parse the delta, apply it
/// and check its digest (StateSync.Apply re-serialises the whole state and hashes it), compile
/// the new snapshot (CompiledProgram.Compile), rebuild the fallback catalog. Pure Core calls —
/// the same ones the SDK makes, in the same order. (The SDK then also records a heartbeat and
/// wakes its telemetry loop, which POSTs it; that part is not measured here.)
/// </summary>
[MemoryDiagnoser]
public class SdkApplyBenchmarks
{
    private ProgramState _previous = null!;
    private ProgramState _next = null!;
    private StateDelta _delta = null!;
    private string _deltaJson = "";
    private long _revision;

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        var state = ProgramState.Initial(BuiltInPrograms.Groups);
        var n = 0;
        foreach (var (flag, scope) in new[] { ("F1", "workspace:ws-a"), ("F3", "workspace:ws-a"), ("F2", "cohort:pilot"), ("F4", "global"), ("F3", "workspace:ws-b") })
        {
            state = ProgramChanges.AddOverride(state, new OverrideRequest(flag, scope, true, "bench", null), $"ovr_{n++:D12}", "bench", now).State;
        }
        _previous = state;
        _next = ProgramChanges.AddOverride(state, new OverrideRequest("F3", "workspace:ws-propagation", true, "bench round", null), "ovr_round0000001", "bench", now).State;
        _revision = 7;
        _delta = StateSync.Compute(_previous, _revision - 1, _next, _revision);
        _deltaJson = JsonSerializer.Serialize(_delta, CoreJson.Options);
        if (StateSync.Apply(_previous, _delta) is null)
        {
            throw new InvalidOperationException("the delta does not apply in-process");
        }
    }

    [Benchmark]
    public StateDelta? Step1_DeserializeDelta() => JsonSerializer.Deserialize<StateDelta>(_deltaJson, CoreJson.Options);

    [Benchmark]
    public ProgramState? Step2_ApplyDeltaWithDigest() => StateSync.Apply(_previous, _delta);

    [Benchmark]
    public string Step2a_DigestAlone() => StateSync.Digest(_next);

    [Benchmark]
    public CompiledProgram Step3_Compile() => CompiledProgram.Compile(_next, _revision);

    [Benchmark]
    public FallbackCatalog Step4_FallbackCatalog() => FallbackCatalog.For(_next.Definition);

    [Benchmark(Baseline = true)]
    public CompiledProgram AllSteps()
    {
        var delta = JsonSerializer.Deserialize<StateDelta>(_deltaJson, CoreJson.Options)!;
        var next = StateSync.Apply(_previous, delta)!;
        var compiled = CompiledProgram.Compile(next, delta.ToRevision);
        _ = FallbackCatalog.For(next.Definition);
        return compiled;
    }
}
