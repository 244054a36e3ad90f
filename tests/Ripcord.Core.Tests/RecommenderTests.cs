using Ripcord.Core.Evaluation;
using Ripcord.Core.KillSwitches;

namespace Ripcord.Core.Tests;

/// <summary>SPEC §5's recommender over every trigger × typical affected sets, and the operations each level stops.</summary>
public sealed class RecommenderTests
{
    /// <summary>groups with pilot = 3 workspaces, secure-ready = 2 of them, internal = 7 including all of pilot's.</summary>
    internal static readonly Lazy<ProgramState> State = new(() => Groups.Initial
        .WithCohort("internal", "acme", "globex", "initech", "hooli", "stark", "wayne", "umbrella")
        .WithCohort("pilot", "acme", "globex", "initech")
        .WithCohort("secure-ready", "acme", "globex"));

    [Theory]
    [InlineData("KS1", "secure-transport")]
    [InlineData("KS2", "create")]
    [InlineData("KS3", "send")]
    [InlineData("KS4", "create,routes,secure-transport,send")] // F1 off: a prerequisite of the other three
    [InlineData("KS5", "create,routes,secure-transport,send")] // F5 on: every flag safe
    [InlineData("KS9", "")]
    public void Each_level_stops_the_operations_its_effects_reach(string level, string operations) =>
        Assert.Equal(operations, string.Join(",", LevelOperations.DisabledOperations(Groups.Definition.Value, level)));

    public static TheoryData<string, string?> TriggerLevels => new()
    {
        { "confidentiality-incident", "KS1" },
        { "projection-corruption", "KS4" },
        { "publish-ack-failures", "KS3" },
        { "crash-or-memory-regression", "KS5" },
        { "operator-escalation", null },
        { "meteor-strike", null },
    };

    public static TheoryData<string, string> AffectedScopes => new()
    {
        { "", "global" },                                                   // none named
        { "workspace:hooli", "workspace:hooli" },                           // one workspace
        { "cohort:pilot", "cohort:pilot" },                                 // one cohort
        { "workspace:acme workspace:globex", "cohort:secure-ready" },       // exactly a cohort (smallest wins)
        { "workspace:acme workspace:globex workspace:initech", "cohort:pilot" }, // exactly a cohort
        { "workspace:acme workspace:hooli workspace:stark workspace:wayne", "cohort:internal" }, // mostly: 4 of 7
        { "workspace:hooli workspace:stark", "global" },                   // in internal, but 2 of 7
        { "workspace:acme workspace:zeta", "global" },                     // no cohort lists zeta
        { "cohort:pilot workspace:acme", "cohort:pilot" },                 // a cohort and one of its members
        { "cohort:pilot workspace:hooli", "global" },                      // a cohort and a workspace outside it
        { "cohort:pilot cohort:internal", "global" },                      // two cohorts
        { "cohort:nobody", "global" },                                     // not a cohort of the program
        { "user:u1", "global" },                                           // kill switches are not per user
    };

    public static TheoryData<string, string?, string, string> Table()
    {
        var data = new TheoryData<string, string?, string, string>();
        foreach (var trigger in TriggerLevels)
        {
            foreach (var affected in AffectedScopes)
            {
                data.Add((string)trigger[0], (string?)trigger[1], (string)affected[0], (string)affected[1]);
            }
        }
        return data;
    }

    private static Scope[] Parse(string affected) =>
        [.. affected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Scope.Parse)];

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_trigger_and_affected_set(string trigger, string? level, string affected, string scope)
    {
        var r = Recommender.Recommend(State.Value, trigger, Parse(affected), null);
        Assert.Equal(level, r.Level);
        Assert.Equal(scope, r.Scope.ToString());
        Assert.True(r.Reasoning.Length >= 2, string.Join(" / ", r.Reasoning));
    }

    [Theory]
    [InlineData("send", "KS3")]
    [InlineData("create", "KS2")]
    [InlineData("secure-transport", "KS1")]
    [InlineData("routes", "KS4")] // KS4 forces 2 flags safe, KS5 all 8
    [InlineData("teleport", "KS5")] // not an operation: the mapped level stays
    public void A_crash_in_a_known_operation_gets_the_smallest_level_that_stops_it(string operation, string level) =>
        Assert.Equal(level, Recommender.Recommend(State.Value, "crash-or-memory-regression", [], operation).Level);

    [Fact]
    public void A_failing_operation_does_not_change_other_triggers_levels_but_is_noted()
    {
        var r = Recommender.Recommend(State.Value, "confidentiality-incident", [], "send");
        Assert.Equal("KS1", r.Level);
        Assert.Contains("note: KS1 does not stop the failing operation send", r.Reasoning);
    }

    [Fact]
    public void Reasoning_reads_as_sentences()
    {
        var r = Recommender.Recommend(State.Value, "publish-ack-failures", Parse("workspace:acme workspace:globex workspace:initech"), null);
        Assert.Equal(
        [
            "trigger publish-ack-failures maps to KS3 (Disable all group send operations.)",
            "3 affected workspaces (acme, globex, initech) are 3 of the 3 members of cohort pilot",
        ], r.Reasoning, StringComparer.Ordinal);

        var narrowed = Recommender.Recommend(State.Value, "crash-or-memory-regression", Parse("workspace:hooli workspace:stark"), "send");
        Assert.Equal(
        [
            "trigger crash-or-memory-regression maps to KS5 (Full subsystem disable.)",
            "the failing operation send is stopped by KS3 (Disable all group send operations.), the smallest level that stops it (1 flag forced to the safe value, against 8 flags for KS5)",
            "the smallest cohort listing all the 2 affected workspaces (hooli, stark) is internal, but the affected are only 2 of its 7 members (less than half), so the scope is global",
        ], narrowed.Reasoning, StringComparer.Ordinal);
    }
}
