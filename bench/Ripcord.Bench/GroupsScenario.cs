using System.Reflection;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Bench;

/// <summary>
/// The built-in <c>groups</c> program (definitions/groups.yaml) as operators would run it at
/// stage 1: two pilot workspaces, a workspace override on F3 (secure pilot transport) for one
/// of them and a diagnostic user override on F1. The benchmarked flag is F3 for the pilot
/// workspace with the override: the override layer decides, then prerequisite F1 is
/// evaluated through the pilot cohort — neither flag is constant-folded.
/// </summary>
public sealed class GroupsScenario
{
    public const string PilotWorkspace = "ws-pilot-acme";
    public const string OtherPilotWorkspace = "ws-pilot-globex";

    private GroupsScenario(CompiledProgram program, int flagIndex, EvaluationContext context)
    {
        Program = program;
        FlagIndex = flagIndex;
        Context = context;
    }

    public CompiledProgram Program { get; }
    public int FlagIndex { get; }
    public EvaluationContext Context { get; }

    public static string ReadDefinitionYaml()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("groups.yaml")
            ?? throw new InvalidOperationException("groups.yaml is not embedded in the benchmark assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static GroupsScenario Create()
    {
        var read = DefinitionReader.Read(ReadDefinitionYaml());
        var definition = read.Definition
            ?? throw new InvalidOperationException("groups.yaml: " + string.Join("; ", read.Errors.Select(e => $"line {e.Line}: {e.Message}")));
        var now = SyntheticProgram.Now;
        var state = ProgramState.Initial(definition);
        var pilot = state.FindCohort("pilot") ?? throw new InvalidOperationException("groups has no pilot cohort");
        (state, _) = ProgramChanges.PutCohort(state, pilot with { Workspaces = [PilotWorkspace, OtherPilotWorkspace] });
        (state, _, _) = ProgramChanges.AddOverride(state,
            new OverrideRequest("F3", "workspace:" + PilotWorkspace, true, "secure relay verified for acme", null),
            "ovr-1", "bench", now.AddDays(-1));
        (state, _, _) = ProgramChanges.AddOverride(state,
            new OverrideRequest("F1", "user:u-support-7", true, "support reproduction", now.AddHours(24)),
            "ovr-2", "bench", now.AddHours(-1));
        state = ProgramChanges.SetStage(state, "1");
        var program = CompiledProgram.Compile(state, revision: 4);

        if (!program.TryGetFlagIndex("F3", out var f3))
        {
            throw new InvalidOperationException("groups has no F3");
        }
        var context = new EvaluationContext(PilotWorkspace, "u-acme-42", tier: 1);
        var scenario = new GroupsScenario(program, f3, context);
        var result = Evaluator.Evaluate(program, f3, context, now);
        if (!result.Value || result.Reason != EvaluationReason.Override)
        {
            throw new InvalidOperationException($"groups F3 for {PilotWorkspace}: expected on by override, got {Describe(result)}");
        }
        return scenario;
    }

    public static string Describe(FlagResult r) =>
        $"{(r.Value ? "on" : "off")} reason={r.ReasonName} scope={r.Scope} source={r.Source}{(r.Conflict ? " CONFLICT" : "")}";
}
