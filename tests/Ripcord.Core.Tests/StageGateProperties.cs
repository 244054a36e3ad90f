using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Definitions;
using Ripcord.Core.Gates;
using Ripcord.Testing;
using static Ripcord.Core.Tests.GateFixture;

namespace Ripcord.Core.Tests;

/// <summary>The stage gate over random recorded facts and thresholds (docs/invariants.md, SG-*).</summary>
public sealed class StageGateProperties
{
    private static readonly string[] Targets = ["cohort:pilot", "cohort:pilot-secure", "global"];

    public sealed record Limits(decimal MaxErrorRate, decimal MinFallback, decimal MaxFallback, decimal SoakHours, long MinOperations, decimal MaxSupportLoad)
    {
        public ProgramDefinition Apply(ProgramDefinition d) => d with
        {
            Thresholds = new StageThresholds
            {
                MaxErrorRate = MaxErrorRate, MinFallbackRate = MinFallback, MaxFallbackRate = MaxFallback, SoakHours = SoakHours, MinOperations = MinOperations,
            },
            Gates = new GatePolicy { MaxSupportLoad = MaxSupportLoad },
        };
    }

    public sealed record Case(GateFacts Facts, Limits Limits, Limits Tighter)
    {
        public override string ToString() =>
            $"{Facts.Window} now=+{(Facts.Now - Entered).TotalHours}h checks={Facts.Checks.Length} signoffs={Facts.Signoffs.Length} load={string.Join(",", Facts.SupportLoad.Select(s => s.TicketsPerDay))} drills={Facts.Drills.Length} holds={Facts.Holds.Length} {Limits} → {Tighter}";
    }

    private static readonly Gen<decimal> Fraction = Gen.Elements(0m, 0.001m, 0.005m, 0.01m, 0.02m, 0.05m, 0.1m, 0.5m, 1m);

    private static readonly Gen<Limits> LimitsGen =
        from err in Fraction
        from lo in Fraction
        from hi in Fraction
        from soak in Gen.Elements(0m, 0.5m, 1m, 12m, 24m, 36m)
        from ops in Gen.Elements(0L, 1L, 500L, 1000L, 1500L)
        from load in Gen.Elements(0m, 5m, 20m, 30m)
        select new Limits(err, Math.Min(lo, hi), Math.Max(lo, hi), soak, ops, load);

    private static Gen<Limits> TighterThan(Limits l) =>
        from err in Gen.Elements(0m, 0.001m, 0.01m, 0.5m)
        from lo in Gen.Elements(0m, 0.001m, 0.01m, 0.1m)
        from hi in Gen.Elements(0m, 0.001m, 0.01m, 0.1m)
        from soak in Gen.Elements(0m, 1m, 12m)
        from ops in Gen.Elements(0L, 1L, 500L)
        from load in Gen.Elements(0m, 1m, 10m)
        select new Limits(Math.Max(0, l.MaxErrorRate - err), l.MinFallback + lo, Math.Max(0, l.MaxFallback - hi), l.SoakHours + soak, l.MinOperations + ops,
            Math.Max(0, l.MaxSupportLoad - load));

    private static readonly Gen<GateCheck> CheckGen =
        from kind in Gen.Elements(CheckKind.Quality, CheckKind.Interop)
        from stage in Gen.Elements("1", "2")
        from target in Gen.Elements(Targets)
        from status in Gen.Elements(CheckStatus.Passed, CheckStatus.Passed, CheckStatus.Failed, CheckStatus.Pending)
        from minute in Gen.Choose(0, 60)
        from id in Gen.Choose(0, 1_000_000)
        select Check("c" + id, kind, stage, target, status, minute);

    private static readonly Gen<GateFacts> FactsGen =
        from ops in Gen.Choose(0, 2000)
        from fallbacks in Gen.Choose(0, 200)
        from sends in Gen.Choose(0, 2000)
        from failures in Gen.Choose(0, 40)
        from minutes in Gen.Choose(0, 48 * 60)
        from checks in Gen.ListOf(CheckGen)
        from tiers in Gen.SubListOf(new[] { 0, 1, 2 })
        from load in Gen.Elements<decimal?>(null, 0m, 4m, 20m, 25m)
        from drilled in Gen.Elements(true, false)
        from held in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        select Passing() with
        {
            Window = Window(ops, Math.Min(fallbacks, ops), sends, Math.Min(failures, sends)),
            Now = Entered.AddMinutes(minutes),
            Checks = [.. checks],
            Signoffs = [.. tiers.Select(t => Signoff(t))],
            SupportLoad = load is { } l ? [new SupportLoadFigure("2030-01-01", l, Entered, "ops")] : [],
            Drills = drilled ? ["rollback-drill"] : [],
            Holds = held ? [new StageHold("freeze", "frz_1", "P1")] : [],
        };

    public static readonly Gen<Case> Cases =
        from facts in Gen.Frequency((1, Gen.Constant(Passing())), (4, FactsGen))
        from limits in LimitsGen
        from tighter in TighterThan(limits)
        select new Case(facts, limits, tighter);

    [Property(MaxTest = 500)]
    [Invariant("SG-1", "a move is allowed exactly when every criterion passed; the checklist lists every criterion")]
    public Property Allowed_iff_every_criterion_passed() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var verdict = StageGate.Evaluate(c.Facts with { Definition = c.Limits.Apply(c.Facts.Definition) });
        return verdict.Allowed == verdict.Criteria.All(x => x.Passed)
            && verdict.Criteria.Select(x => x.Name).SequenceEqual(CriterionNames.All)
            && verdict.Failing.All(x => !x.Passed);
    });

    [Property(MaxTest = 500)]
    [Invariant("SG-4", "tightening a threshold never turns a refusal into an allow, nor a failing criterion into a passing one")]
    public Property Tightening_never_allows_more() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var loose = StageGate.Evaluate(c.Facts with { Definition = c.Limits.Apply(c.Facts.Definition) });
        var tight = StageGate.Evaluate(c.Facts with { Definition = c.Tighter.Apply(c.Facts.Definition) });
        var failedLoose = loose.Failing.Select(x => x.Name).ToHashSet(StringComparer.Ordinal);
        return (loose.Allowed || !tight.Allowed) && failedLoose.IsSubsetOf(tight.Failing.Select(x => x.Name));
    });

    [Property(MaxTest = 300)]
    [Invariant("SG-5", "gate evaluation is a pure function: the same facts give the same checklist")]
    public Property Evaluation_is_deterministic() => Prop.ForAll(Cases.ToArbitrary(), c =>
        StageGate.Evaluate(c.Facts).Criteria.SequenceEqual(StageGate.Evaluate(c.Facts with { }).Criteria));
}
