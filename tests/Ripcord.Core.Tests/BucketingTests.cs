using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Rules;

using Ripcord.Testing;

namespace Ripcord.Core.Tests;

public sealed class BucketingTests
{
    [Fact]
    public void Murmur3_matches_the_reference_vectors()
    {
        // Reference values of MurmurHash3_x86_32 (Appleby's test vectors).
        Assert.Equal(0u, Bucketing.Murmur3([], 0));
        Assert.Equal(0x514E28B7u, Bucketing.Murmur3([], 1));
        Assert.Equal(0x24884CBAu, Bucketing.Murmur3("Hello, world!"u8, 0x9747b28c));
        Assert.Equal(0x2E4FF723u, Bucketing.Murmur3("The quick brown fox jumps over the lazy dog"u8, 0));
    }

    [Property(MaxTest = 500)]
    [Invariant("BK-1", "raising a percentage keeps every workspace that was already in")]
    public Property Widening_keeps_everyone_already_in() => Prop.ForAll(
        ArbMap.Default.ArbFor<NonEmptyString>(), Gen.Choose(0, 10_000).ToArbitrary(), Gen.Choose(0, 10_000).ToArbitrary(),
        (ws, a, b) =>
        {
            var (low, high) = (Math.Min(a, b), Math.Max(a, b));
            return !Bucketing.IsInBucket("groups.limited-ga", ws.Get, low) || Bucketing.IsInBucket("groups.limited-ga", ws.Get, high);
        });

    [Property(MaxTest = 300)]
    [Invariant("BK-2", "a workspace's percentage membership is the same whether or not the program already knows it (has an override or list entry for it)")]
    public Property Known_and_unknown_workspaces_bucket_alike() => Prop.ForAll(ArbMap.Default.ArbFor<int>(), n =>
    {
        var ws = "ws-" + n;
        // Stage 2 turns F1 on for limited-ga, the 10% bucket.
        var atStage2 = ProgramChanges.SetStage(Groups.Initial, "2");
        var known = atStage2.WithOverride("groups.state.readonly", "workspace:" + ws, true);
        var context = new EvaluationContext(ws);
        var expected = Bucketing.IsInBucket("groups.limited-ga", ws, 1000);
        var unknownResult = atStage2.Eval("F1", context);
        var knownResult = known.Eval("F1", context);
        return unknownResult.Value == expected && knownResult == unknownResult;
    });

    [Fact]
    public void One_cohort_instance_in_two_programs_buckets_with_each_programs_seed()
    {
        // Compiled cohorts are reused per cohort instance; the default seed names the program, so
        // the same instance under another program key must not reuse the first program's seed.
        var groups = ProgramChanges.SetStage(Groups.Initial, "2");
        var renamed = groups with { Definition = groups.Definition with { Key = "groups2" } };
        Assert.Same(groups.FindCohort("limited-ga"), renamed.FindCohort("limited-ga"));
        var differ = 0;
        for (var i = 0; i < 400; i++)
        {
            var ws = "ws-" + i;
            var inGroups = Bucketing.IsInBucket("groups.limited-ga", ws, 1000);
            var inGroups2 = Bucketing.IsInBucket("groups2.limited-ga", ws, 1000);
            Assert.Equal(inGroups, groups.Eval("F1", new EvaluationContext(ws)).Value);
            Assert.Equal(inGroups2, renamed.Eval("F1", new EvaluationContext(ws)).Value);
            differ += inGroups != inGroups2 ? 1 : 0;
        }
        Assert.True(differ > 0, "the two seeds should put some workspaces in different buckets");
    }

    [Fact]
    public void Zero_admits_nobody_and_hundred_admits_everybody()
    {
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(Bucketing.IsInBucket("s", "w" + i, 0));
            Assert.True(Bucketing.IsInBucket("s", "w" + i, 10_000));
        }
    }

    [Fact]
    public void Ten_percent_admits_about_ten_percent()
    {
        var admitted = Enumerable.Range(0, 20_000).Count(i => Bucketing.IsInBucket("groups.limited-ga", $"workspace-{i}", 1000));
        Assert.InRange(admitted, 1800, 2200);
    }

    [Theory]
    [InlineData("tier >= 1", 1, null, true)]
    [InlineData("tier >= 1", 0, null, false)]
    [InlineData("tier >= 1", null, null, false)]
    [InlineData("workspaceType == \"pilot\"", 0, "pilot", true)]
    [InlineData("workspaceType != \"pilot\"", 0, null, false)]
    [InlineData("workspaceType in [\"pilot\", \"beta\"] && tier < 2", 1, "beta", true)]
    [InlineData("not (workspaceType == 'pilot') or tier == 2", 2, "pilot", true)]
    [InlineData("attributes.workspaceType not in ['pilot']", 0, "ga", true)]
    public void Rules_match_as_documented(string rule, int? tier, string? workspaceType, bool expected)
    {
        var attributes = workspaceType is null ? null : new Dictionary<string, AttributeValue> { ["workspaceType"] = workspaceType };
        Assert.Equal(expected, CohortRule.Parse(rule).Matches(new EvaluationContext("w", "u", tier, attributes)));
    }

    [Theory]
    [InlineData("tier >=")]
    [InlineData("tier >= \"one\"")]
    [InlineData("(tier >= 1")]
    [InlineData("workspaceType == pilot")]
    [InlineData("== 3")]
    public void Bad_rules_are_refused_with_a_message(string rule)
    {
        Assert.Null(CohortRule.TryParse(rule, out var error));
        Assert.StartsWith($"rule '{rule}':", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(200_000, "longer than")]
    [InlineData(1_000, "nesting deeper than")]
    public void Hostile_rules_are_refused_not_a_stack_overflow(int bangs, string expected)
    {
        Assert.Null(CohortRule.TryParse(new string('!', bangs) + "x", out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Null(CohortRule.TryParse(new string('(', 1_000) + "x" + new string(')', 1_000), out error));
        Assert.Contains("nesting deeper than", error, StringComparison.Ordinal);
    }
}

public sealed class EvaluationContextTests
{
    [Property(MaxTest = 300)]
    public Property Attributes_answer_exactly_like_the_dictionary_given() => Prop.ForAll(
        Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Elements("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "A", "plan", "tier2"), n)
            .Select(keys => keys.Distinct().Select((k, i) => (k, i)).ToDictionary(p => p.k, p => AttributeValue.Of(p.i)))).ToArbitrary(),
        given =>
        {
            var context = new EvaluationContext("w", "u", 1, given);
            given["added-later"] = "x"; // the context keeps its own copy
            given.Remove("added-later");
            var probes = new[] { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "A", "plan", "tier2", "missing", "" };
            return context.Attributes.Count == given.Count
                && probes.All(k => context.Attributes.TryGetValue(k, out var v) == given.TryGetValue(k, out var w) && v == w)
                && context.Attributes.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(given.OrderBy(p => p.Key, StringComparer.Ordinal));
        });

    [Fact]
    public void Attributes_are_a_copy()
    {
        var given = new Dictionary<string, AttributeValue> { ["plan"] = "enterprise" };
        var context = new EvaluationContext("w", attributes: given);
        given["plan"] = "free";
        Assert.Equal("enterprise", context.Attributes["plan"].Text);
        Assert.True(CohortRule.Parse("plan == \"enterprise\"").Matches(context));
    }
}
