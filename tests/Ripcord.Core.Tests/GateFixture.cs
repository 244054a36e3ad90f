using Ripcord.Core.Definitions;
using Ripcord.Core.Gates;
using Ripcord.Core.Incidents;
using Ripcord.Core.Telemetry;

namespace Ripcord.Core.Tests;

/// <summary>A stage 0 → 1 move of the built-in groups program whose every criterion passes exactly; tests break one thing at a time.</summary>
public static class GateFixture
{
    public static readonly DateTimeOffset Entered = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset Soaked = Entered.AddHours(24);

    public static GateFacts Passing(ProgramDefinition? definition = null) => new()
    {
        Definition = definition ?? Groups.Definition.Value,
        CurrentStage = "0",
        TargetStage = "1",
        StageEnteredAt = Entered,
        Now = Soaked,
        Window = Window(operations: 1000, fallbacks: 0, sends: 1000, failures: 0),
        Checks =
        [
            Check("c1", CheckKind.Quality, "1", "cohort:pilot", CheckStatus.Passed),
            Check("c2", CheckKind.Interop, "1", "cohort:pilot", CheckStatus.Passed),
            Check("c3", CheckKind.Interop, "1", "cohort:pilot-secure", CheckStatus.Passed),
        ],
        Signoffs = [Signoff(0), Signoff(1), Signoff(2)],
        SupportLoad = [new SupportLoadFigure("2030-01-01", 5, Entered.AddHours(1), "ops")],
        Drills = ["rollback-drill"],
    };

    public static WindowFigures Window(long operations, long fallbacks, long sends, long failures) =>
        new(Entered, Soaked, operations, fallbacks, sends, failures, 0, 0, 0, operations + sends > 0 ? Entered : null);

    public static GateCheck Check(string id, CheckKind kind, string stage, string target, CheckStatus status, int minute = 0) =>
        new(id, kind, stage, target, status, $"https://ci.example/run/{id}", "3f2a1b2c", Entered.AddMinutes(minute), "ci");

    public static SecuritySignoff Signoff(int tier, string stage = "1") => new($"s{tier}", tier, stage, "reviewed", Entered, "sec");

    public static Incident Incident(IncidentClass cls, IncidentStatus status, params bool[] openActions) => new()
    {
        Id = "inc_1", Program = "groups", Class = cls, Severity = IncidentSeverity.High, Trigger = "operator-escalation", Summary = "s",
        Status = status, DeclaredAt = Entered, DeclaredBy = "op",
        Actions = [.. openActions.Select((open, i) => new ActionItem { Id = $"a{i + 1}", Text = "t", Open = open, CreatedAt = Entered })],
    };

    public static GateCriterion Criterion(this GateVerdict verdict, string name) => verdict.Criteria.Single(c => c.Name == name);

    public static ProgramDefinition With(Func<StageThresholds, StageThresholds> thresholds) =>
        Groups.Definition.Value with { Thresholds = thresholds(Groups.Definition.Value.Thresholds) };

    public static string[] Failing(GateFacts facts) => [.. StageGate.Evaluate(facts).Failing.Select(c => c.Name)];
}
