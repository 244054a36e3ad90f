using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Tests;

/// <summary>The built-in groups program, read from definitions/groups.yaml as the server reads it.</summary>
public static class Groups
{
    public static readonly Lazy<ProgramDefinition> Definition = new(() =>
    {
        var result = DefinitionReader.Read(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "definitions", "groups.yaml")));
        return result.IsValid ? result.Definition! : throw new InvalidOperationException(string.Join("; ", result.Errors));
    });

    public static ProgramState Initial => ProgramState.Initial(Definition.Value);

    public static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public static ProgramState WithCohort(this ProgramState state, string id, params string[] workspaces) =>
        ProgramChanges.PutCohort(state, new CohortDefinition { Id = id, Workspaces = [.. workspaces] }).State;

    public static ProgramState WithOverride(this ProgramState state, string flag, string scope, bool value, DateTimeOffset? expires = null) =>
        ProgramChanges.AddOverride(state, new OverrideRequest(flag, scope, value, "test", expires), "o" + state.Overrides.Length, "test", Now).State;

    public static ProgramState WithKillSwitch(this ProgramState state, string level, string scope) =>
        ProgramChanges.ActivateKillSwitch(state, new KillSwitchActivation
        {
            Id = "ks" + state.KillSwitches.Length, Level = level, Scope = Scope.Parse(scope), Reason = "test",
            ActivatedAt = Now, ActivatedBy = "test",
        });

    public static FlagResult Eval(this ProgramState state, string flag, EvaluationContext context, DateTimeOffset? at = null) =>
        Evaluator.Evaluate(CompiledProgram.Compile(state, 1), flag, context, at ?? Now);
}
