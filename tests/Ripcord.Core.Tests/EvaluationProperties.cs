using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;

using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>The invariants of SPEC §2, over random groups configurations and contexts (docs/invariants.md).</summary>
public sealed class EvaluationProperties
{
    private static FlagResult[] All(Scenario s) => Evaluator.EvaluateAll(CompiledProgram.Compile(s.State, 1), s.Context, s.Now);

    [Property(MaxTest = 300)]
    [Invariant("EV-1", "evaluation is deterministic: same state, context and instant, same results")]
    public Property Evaluation_is_deterministic() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var again = CompiledProgram.Compile(s.State, 1);
        var first = All(s);
        for (var i = 0; i < first.Length; i++)
        {
            if (first[i] != Evaluator.Evaluate(again, i, s.Context, s.Now))
            {
                return false;
            }
        }
        return first.SequenceEqual(All(s));
    });

    [Property(MaxTest = 300)]
    [Invariant("EV-2", "evaluation is total: every flag has a value, a reason and a scope")]
    public Property Every_flag_has_a_reason() => Prop.ForAll(Scenario.Arbitrary, s =>
        All(s).All(r => r.Reason != EvaluationReason.FlagNotFound && r.Scope.Length > 0 && r.Source.Length > 0));

    [Property(MaxTest = 300)]
    [Invariant("EM-1", "with the emergency flag on, every other flag takes its safe value")]
    public Property Emergency_on_makes_every_flag_safe() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var program = CompiledProgram.Compile(s.State, 1);
        var results = Evaluator.EvaluateAll(program, s.Context, s.Now);
        program.TryGetFlagIndex("F5", out var f5);
        // A kill switch on the flag itself comes first (SPEC §2) and also holds the safe value.
        return !results[f5].Value || results.Select((r, i) => i == f5
            || (r.Value == program.FlagAt(i).Safe && r.Reason is EvaluationReason.Emergency or EvaluationReason.KillSwitch)).All(x => x);
    });

    [Property(MaxTest = 300)]
    [Invariant("EM-2", "the emergency flag is monotone: any applicable override turning it on turns it on")]
    public Property Emergency_flag_is_monotone() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var c = s.Context;
        var anyOn = s.State.Overrides.Any(o => o.Flag == "groups.emergency.disableAll" && o.Value && !o.IsExpired(s.Now) && o.Scope.Kind switch
        {
            ScopeKind.Global => true,
            ScopeKind.Workspace => o.Scope.Id == c.WorkspaceId,
            ScopeKind.User => o.Scope.Id == c.UserId,
            _ => s.State.FindCohort(o.Scope.Id!) is { } cohort && cohort.Workspaces.Contains(c.WorkspaceId ?? "\0"),
        });
        var program = CompiledProgram.Compile(s.State, 1);
        return !anyOn || Evaluator.Evaluate(program, "F5", c, s.Now).Value;
    });

    [Property(MaxTest = 300)]
    [Invariant("KS-1", "an active kill-switch effect that applies to the context is never overridden")]
    public Property Kill_switch_effect_is_never_overridden() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var program = CompiledProgram.Compile(s.State, 1);
        var results = Evaluator.EvaluateAll(program, s.Context, s.Now);
        foreach (var ks in s.State.KillSwitches)
        {
            var applies = ks.Scope.Kind switch
            {
                ScopeKind.Global => true,
                ScopeKind.Workspace => ks.Scope.Id == s.Context.WorkspaceId,
                _ => s.State.FindCohort(ks.Scope.Id!) is { Kind: Definitions.CohortKind.Explicit } cohort && cohort.Workspaces.Contains(s.Context.WorkspaceId ?? "\0"),
            };
            if (!applies)
            {
                continue;
            }
            foreach (var effect in s.State.Definition.KillSwitchLevels.Single(l => l.Id == ks.Level).Effects)
            {
                program.TryGetFlagIndex(effect.Flag, out var i);
                if (results[i].Value != effect.Value)
                {
                    return false;
                }
            }
        }
        return true;
    });

    [Property(MaxTest = 300)]
    [Invariant("PR-1", "a flag whose prerequisite is off holds its safe value")]
    public Property Off_prerequisite_gives_safe_value() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var program = CompiledProgram.Compile(s.State, 1);
        var results = Evaluator.EvaluateAll(program, s.Context, s.Now);
        for (var i = 0; i < results.Length; i++)
        {
            foreach (var pre in program.FlagAt(i).Prerequisites)
            {
                program.TryGetFlagIndex(pre, out var p);
                if (!results[p].Value && results[i].Value != program.FlagAt(i).Safe)
                {
                    return false;
                }
            }
        }
        return true;
    });

    [Property(MaxTest = 300)]
    [Invariant("OV-1", "an expired override never decides a value")]
    public Property Expired_override_never_applies() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var results = All(s);
        var expiredSources = s.State.Overrides.Where(o => o.IsExpired(s.Now)).Select(o => (o.Flag, Scope: o.Scope.ToString())).ToHashSet();
        var flags = s.State.Definition.Flags;
        return results.Select((r, i) => r.Reason != EvaluationReason.Override || r.Conflict || !expiredSources.Contains((flags[i].Key, r.Scope))).All(x => x);
    });

    [Property(MaxTest = 300)]
    [Invariant("OV-2", "only override expiry makes evaluation depend on the instant: where NeedsClock is false, every instant gives the same result")]
    public Property The_instant_matters_only_where_NeedsClock_says_so() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var program = CompiledProgram.Compile(s.State, 1);
        return Enumerable.Range(0, program.FlagCount).All(i => program.NeedsClock(i)
            || (Evaluator.Evaluate(program, i, s.Context, s.Now) == Evaluator.Evaluate(program, i, s.Context, DateTimeOffset.MinValue)
                && Evaluator.Evaluate(program, i, s.Context, s.Now) == Evaluator.Evaluate(program, i, s.Context, DateTimeOffset.MaxValue)));
    });

    [Fact]
    public void Only_flags_an_expiring_override_can_reach_need_the_clock()
    {
        var live = ProgramChanges.SetStage(Groups.Initial.WithCohort("pilot", "w1"), "1");
        bool Needs(ProgramState state, string flag)
        {
            var program = CompiledProgram.Compile(state, 1);
            Assert.True(program.TryGetFlagIndex(flag, out var index));
            return program.NeedsClock(index);
        }

        var onF3 = live.WithOverride("F3", "user:u1", true, Groups.Now.AddHours(3));
        Assert.True(Needs(onF3, "F3"));
        Assert.False(Needs(onF3, "F1"));
        Assert.False(Needs(onF3, "groups.create.enabled"));

        var onF1 = live.WithOverride("F1", "user:u1", true, Groups.Now.AddHours(3));
        Assert.True(Needs(onF1, "groups.create.enabled")); // F1 is its prerequisite
        Assert.False(Needs(onF1, "F4"));

        var onEmergency = live.WithOverride("F5", "user:u1", true, Groups.Now.AddHours(3));
        Assert.True(Needs(onEmergency, "F1")); // every flag consults the emergency flag first
        Assert.True(Needs(onEmergency, "groups.create.enabled"));
    }

    [Property(MaxTest = 300)]
    [Invariant("CF-1", "two cohort overrides that disagree for one context give the safe value")]
    public Property Conflicts_give_the_safe_value() => Prop.ForAll(Scenario.Arbitrary, s =>
    {
        var program = CompiledProgram.Compile(s.State, 1);
        var results = Evaluator.EvaluateAll(program, s.Context, s.Now);
        return results.Select((r, i) => !r.Conflict || r.Value == program.FlagAt(i).Safe).All(x => x);
    });

    [Property(MaxTest = 200)]
    [Invariant("CF-2", "adding a conflicting cohort override moves the flag to its safe value when no higher layer decides")]
    public Property Adding_a_disagreeing_cohort_override_gives_safe() => Prop.ForAll(
        Gen.Elements(Scenario.FlagKeys.Where(k => k != "groups.emergency.disableAll").ToArray()).ToArbitrary(), flag =>
    {
        var state = Groups.Initial.WithCohort("pilot", "w1").WithCohort("internal", "w1")
            .WithOverride(flag, "cohort:pilot", true).WithOverride(flag, "cohort:internal", false);
        var r = state.Eval(flag, new EvaluationContext("w1"));
        var safe = Groups.Definition.Value.FindFlag(flag)!.Safe;
        return r.Value == safe && (r.Conflict || r.Reason == EvaluationReason.Prerequisite);
    });
}
