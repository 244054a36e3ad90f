using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Ripcord.Core.Fallback;

using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>SPEC §4 over every tier × capability result × flag state × grant (docs/invariants.md).</summary>
public sealed class FallbackProperties
{
    private static readonly DateTimeOffset Now = Groups.Now;
    private static readonly FallbackCatalog Catalog = FallbackCatalog.For(Groups.Definition.Value);

    private static readonly Gen<OverrideGrant?> GrantGen = Gen.OneOf(
        Gen.Constant<OverrideGrant?>(null),
        from ws in Gen.Elements("w1", "w2")
        from action in Gen.Elements("send", "create")
        from minutes in Gen.Choose(-30, 30)
        select (OverrideGrant?)new OverrideGrant("g1", "groups", ws, action, Now.AddMinutes(minutes), "sec"));

    public static readonly Gen<FallbackRequest> Requests =
        from tier in Gen.Elements<int?>(0, 1, 2, null, 3, -1)
        from transport in Gen.Elements(Transport.Secure, Transport.Secure, Transport.Baseline)
        from capability in Gen.Elements("ok", "relay-unsupported", "adapter-disabled", "key-unavailable", "runtime-unstable", "something-new", "")
        from secure in ArbMap.Default.GeneratorFor<bool>()
        from baseline in ArbMap.Default.GeneratorFor<bool>()
        from strict in ArbMap.Default.GeneratorFor<bool>()
        from action in Gen.Elements("send", "create")
        from ws in Gen.Elements("w1", "w2")
        from grant in GrantGen
        from stateGrants in Gen.ListOf(GrantGen).Select(l => l.OfType<OverrideGrant>().Take(3).ToList())
        from locale in Gen.Elements<string?>(null, "en", "fr", "fr-CA", "de")
        select new FallbackRequest
        {
            Tier = tier, Requested = transport, Capability = capability, SecureEnabled = secure, BaselineEnabled = baseline,
            StrictTierEnforcement = strict, Action = action, WorkspaceId = ws, Grant = grant, Grants = stateGrants, Locale = locale,
        };

    private static FallbackDecision Decide(FallbackRequest r) => FallbackEngine.Decide(r, Catalog, Now);

    private static int EffectiveTier(FallbackRequest r) => r.Tier is 0 or 1 or 2 ? r.Tier.Value : r.StrictTierEnforcement ? 2 : 1;

    [Property(MaxTest = 2000)]
    [Invariant("FB-1", "tier 2 (or unknown tier under strict mode) never falls back automatically")]
    public Property Tier2_never_falls_back_automatically() => Prop.ForAll(Requests.ToArbitrary(), r =>
        EffectiveTier(r) != 2 || Decide(r).Outcome != FallbackOutcome.FallbackAuto);

    [Property(MaxTest = 2000)]
    [Invariant("FB-2", "every decision other than proceed carries a badge, a reason code and a reason text")]
    public Property Non_proceed_decisions_carry_badge_and_reason() => Prop.ForAll(Requests.ToArbitrary(), r =>
    {
        var d = Decide(r);
        return d.Outcome == FallbackOutcome.Proceed
            || (!string.IsNullOrEmpty(d.BadgeCode) && !string.IsNullOrEmpty(d.BadgeText) && d.ReasonCode.Length > 0
                && d.ReasonText.Length > 0 && !d.ReasonText.Contains('{', StringComparison.Ordinal));
    });

    [Property(MaxTest = 2000)]
    [Invariant("FB-3", "under tier 2 an intent is never replayed on a weaker transport without a valid grant for that workspace and action")]
    public Property Tier2_intent_is_not_replayed_without_grant() => Prop.ForAll(Requests.ToArbitrary(), r =>
    {
        var d = Decide(r);
        var replayed = d.Intent is IntentDisposition.ReplayOnBaseline or IntentDisposition.ReplayAfterConfirmation;
        return EffectiveTier(r) != 2 || r.Requested == Transport.Baseline || !replayed
            || FallbackEngine.IsValid(r.Grant, r, Now) || (r.Grants ?? []).Any(g => FallbackEngine.IsValid(g, r, Now));
    });

    [Property(MaxTest = 2000)]
    [Invariant("FB-4", "without the baseline flag nothing falls back")]
    public Property Without_baseline_nothing_falls_back() => Prop.ForAll(Requests.ToArbitrary(), r =>
        r.BaselineEnabled || Decide(r).Transport != Transport.Baseline);

    [Property(MaxTest = 2000)]
    [Invariant("FB-5", "secure usable means proceed on secure, whatever the tier")]
    public Property Secure_usable_proceeds() => Prop.ForAll(Requests.ToArbitrary(), r =>
        !(r.Requested == Transport.Secure && r.SecureEnabled && r.Capability == "ok")
        || Decide(r) is { Outcome: FallbackOutcome.Proceed, Transport: Transport.Secure, Intent: IntentDisposition.SendNow });

    [Property(MaxTest = 500)]
    [Invariant("FB-6", "the decision is deterministic")]
    public Property Decision_is_deterministic() => Prop.ForAll(Requests.ToArbitrary(), r => Decide(r) == Decide(r) || Decide(r).Equals(Decide(r)));

    [Theory]
    [InlineData(0, true, "fallback-auto", "ReplayOnBaseline")]
    [InlineData(0, false, "fallback-auto", "ReplayOnBaseline")]
    [InlineData(1, true, "fallback-prompt", "ReplayAfterConfirmation")]
    [InlineData(1, false, "fallback-auto", "ReplayOnBaseline")]
    [InlineData(2, true, "blocked", "Held")]
    [InlineData(2, false, "blocked", "Held")]
    [InlineData(null, true, "blocked", "Held")]
    [InlineData(null, false, "fallback-auto", "ReplayOnBaseline")]
    public void The_spec_table_holds(int? tier, bool strict, string outcome, string intent)
    {
        var d = Decide(new FallbackRequest { Tier = tier, Capability = "relay-unsupported", SecureEnabled = true, BaselineEnabled = true, StrictTierEnforcement = strict });
        Assert.Equal(outcome, FallbackDecision.OutcomeName(d.Outcome));
        Assert.Equal(intent, d.Intent.ToString());
        Assert.Equal(tier is null, d.TierUnknown);
        Assert.Equal(outcome == "blocked", d.Overridable);
        Assert.Equal("relay-unsupported", d.ReasonCode);
    }

    [Fact]
    public void A_valid_grant_lets_tier2_fall_back_after_confirmation_only_for_its_workspace_and_action()
    {
        var grant = new OverrideGrant("g1", "groups", "w1", "send", Now.AddMinutes(10), "sec");
        var request = new FallbackRequest { Tier = 2, Capability = "key-unavailable", SecureEnabled = true, BaselineEnabled = true, WorkspaceId = "w1", Action = "send", Grant = grant };
        var d = Decide(request);
        Assert.Equal(FallbackOutcome.FallbackPrompt, d.Outcome);
        Assert.Equal(IntentDisposition.ReplayAfterConfirmation, d.Intent);
        Assert.Equal("g1", d.Telemetry.GrantId);
        Assert.Equal(FallbackOutcome.Blocked, Decide(request with { WorkspaceId = "w2" }).Outcome);
        Assert.Equal(FallbackOutcome.Blocked, Decide(request with { Action = "create" }).Outcome);
        Assert.Equal(FallbackOutcome.Blocked, FallbackEngine.Decide(request, Catalog, grant.ExpiresAt).Outcome);
    }

    [Fact]
    public void Reason_text_is_localised_from_the_definition_with_english_built_in()
    {
        var request = new FallbackRequest { Tier = 0, Capability = "relay-unsupported", SecureEnabled = true, BaselineEnabled = true };
        Assert.Equal("Secure mode is unavailable (the relay does not support it). Sent with baseline protection.", Decide(request).ReasonText);
        var fr = Decide(request with { Locale = "fr-CA" });
        Assert.StartsWith("Le mode sécurisé est indisponible", fr.ReasonText, StringComparison.Ordinal);
        Assert.Equal("Protection de base", fr.BadgeText);
        // A code the French catalog lacks falls back to English.
        Assert.Equal("Sent in secure mode.", Decide(request with { Capability = "ok", Locale = "fr" }).ReasonText);
    }

    [Fact]
    public void Translations_must_keep_the_placeholders()
    {
        Assert.Null(FallbackCatalog.CheckPlaceholders("decision.fallback-auto", "Indisponible ({cause})."));
        Assert.NotNull(FallbackCatalog.CheckPlaceholders("decision.fallback-auto", "Indisponible."));
        Assert.NotNull(FallbackCatalog.CheckPlaceholders("decision.nope", "x"));
    }
}
