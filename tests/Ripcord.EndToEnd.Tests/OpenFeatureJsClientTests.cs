using System.Text.Json.Nodes;

namespace Ripcord.EndToEnd.Tests;

/// <summary>
/// The OpenFeature JavaScript server SDK with the community OFREP provider, unchanged, against a
/// real server: for every groups flag and every context its value is the REST evaluate value.
/// </summary>
[Collection(GroupsScenarioCollection.Name)]
public sealed class OpenFeatureJsClientTests(GroupsScenario scenario)
{
    private const string UnknownFlag = "groups.does.not.exist";

    private JsonObject Cases(IEnumerable<(string Name, JsonObject Context)> contexts, params string[] extraFlags) => new()
    {
        ["extraFlags"] = new JsonArray([.. extraFlags.Select(f => (JsonNode)f)]),
        ["contexts"] = new JsonArray([.. contexts.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["context"] = c.Context.DeepClone() })]),
    };

    [Fact]
    public async Task Every_flag_and_context_matches_the_REST_evaluation()
    {
        var server = scenario.Server;
        var output = await NodeScript.EvaluateAsync(server.Url, scenario.SdkToken, Cases(scenario.Contexts, UnknownFlag));

        // The script listed the flags itself (through the REST API with the SDK key).
        var flags = output["flags"]!.AsArray().Select(f => (string)f!).ToList();
        var sdk = server.NewClient(scenario.SdkToken);
        var expectedFlags = E2eHttp.Parse($"{{\"f\":{await sdk.GetStringAsync("api/v1/programs/groups/flags")}}}")["f"]!
            .AsArray().Select(f => (string)f!["key"]!).ToList();
        Assert.Equal(expectedFlags, flags);
        Assert.Equal(8, flags.Count);

        var results = output["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(scenario.Contexts.Count * (flags.Count + 1), results.Count);
        var reasonsSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, context) in scenario.Contexts)
        {
            var rest = await server.RestEvaluateAsync(sdk, "groups", E2eHttp.ToRestContext(context));
            foreach (var flag in flags)
            {
                var js = results.Single(r => (string)r["context"]! == name && (string)r["flag"]! == flag);
                var expected = rest["flags"]![flag]!;
                var where = $"{flag} for {name}: JS {js.ToJsonString()} vs REST {expected.ToJsonString()}";
                Assert.True(js["errorCode"] is null, where);
                Assert.True((bool)expected["value"]! == (bool)js["value"]!, where);
                Assert.True(((bool)js["value"]! ? "on" : "off") == (string?)js["variant"], where);
                var metadata = js["metadata"]!;
                Assert.True((string?)metadata["ripcordReason"] == (string?)expected["reason"], where);
                Assert.True((string?)metadata["scope"] == (string?)expected["scope"], where);
                Assert.True((string?)metadata["source"] == (string?)expected["source"], where);
                Assert.True((long?)metadata["revision"] == (long?)rest["revision"], where);
                Assert.True(ExpectedReason(expected) == (string?)js["reason"], where);
                reasonsSeen.Add((string)js["reason"]!);
            }

            var unknown = results.Single(r => (string)r["context"]! == name && (string)r["flag"]! == UnknownFlag);
            Assert.Equal("FLAG_NOT_FOUND", (string?)unknown["errorCode"]);
            Assert.False((bool)unknown["value"]!); // the caller's default
        }

        // The scenario reaches every OpenFeature reason Ripcord produces.
        Assert.Equal(["DEFAULT", "DISABLED", "SPLIT", "STATIC", "TARGETING_MATCH"], reasonsSeen.Order(StringComparer.Ordinal));

        // Spot checks that read as the rollout: pilots get routes by the stage cohort, the
        // frozen workspace is disabled by the emergency flag, the bucket is a split.
        string Reason(string context, string flag) =>
            (string)results.Single(r => (string)r["context"]! == context && (string)r["flag"]! == flag)["reason"]!;
        Assert.Equal("TARGETING_MATCH", Reason("pilot-tier0", "groups.routes.enabled"));
        Assert.Equal("DEFAULT", Reason("anonymous", "groups.routes.enabled"));
        Assert.Equal("DISABLED", Reason("anonymous", "groups.transport.baseline.enabled")); // prerequisite F1 off
        Assert.Equal("STATIC", Reason("anonymous", "groups.state.readonly")); // global override
        Assert.Equal("DISABLED", Reason("frozen-workspace", "groups.routes.enabled")); // emergency
        Assert.Equal("TARGETING_MATCH", Reason("frozen-workspace", "groups.emergency.disableAll"));
        Assert.Equal("SPLIT", Reason("limited-ga-bucket", "groups.transport.baseline.enabled"));
        Assert.Equal("TARGETING_MATCH", Reason("diagnostic-user", "groups.routes.enabled")); // user override
    }

    /// <summary>The mapping the OFREP endpoints promise, restated from the REST reason and scope.</summary>
    private static string ExpectedReason(JsonNode rest)
    {
        var reason = (string)rest["reason"]!;
        var scope = (string)rest["scope"]!;
        return reason switch
        {
            "kill-switch" or "emergency" or "prerequisite" => "DISABLED",
            "default" => "DEFAULT",
            _ when rest["conflict"] is not null => "TARGETING_MATCH",
            _ when scope == "global" || scope == "cohort:all" => "STATIC",
            _ when scope == "cohort:limited-ga" => "SPLIT",
            _ => "TARGETING_MATCH",
        };
    }

    [Fact]
    public async Task A_bad_key_gives_an_error_and_the_default_value()
    {
        var cases = Cases([("pilot", new JsonObject { ["targetingKey"] = "u-1", ["workspaceId"] = "w-pilot-1" })]);
        cases["flags"] = new JsonArray("groups.routes.enabled", "groups.policy.strictTierEnforcement");
        var output = await NodeScript.EvaluateAsync(scenario.Server.Url, "rc_sdk_this-key-was-never-issued-0000", cases);

        var results = output["results"]!.AsArray();
        Assert.Equal(2, results.Count);
        foreach (var r in results)
        {
            // The provider turns 401 into a non-OpenFeature error, which the SDK reports as GENERAL.
            Assert.Equal("GENERAL", (string?)r!["errorCode"]);
            Assert.Equal("ERROR", (string?)r["reason"]);
            Assert.False((bool)r["value"]!);
        }
    }

    [Fact]
    public async Task A_context_Ripcord_cannot_use_gives_INVALID_CONTEXT_and_an_unknown_program_too()
    {
        var cases = Cases(
        [
            ("tier-x", new JsonObject { ["targetingKey"] = "u-1", ["tier"] = "x" }),
            ("no-such-program", new JsonObject { ["targetingKey"] = "u-1", ["program"] = "nope" }),
        ]);
        cases["flags"] = new JsonArray("groups.routes.enabled");
        var output = await NodeScript.EvaluateAsync(scenario.Server.Url, scenario.SdkToken, cases);

        foreach (var r in output["results"]!.AsArray())
        {
            Assert.Equal("INVALID_CONTEXT", (string?)r!["errorCode"]);
            Assert.False((bool)r["value"]!);
        }
    }

    [Fact]
    public async Task The_program_context_attribute_selects_another_program()
    {
        var cases = Cases([("checkout", new JsonObject { ["targetingKey"] = "u-1", ["program"] = "checkout" })], "C1");
        cases["flags"] = new JsonArray("checkout.newFlow.enabled", "groups.routes.enabled");
        var output = await NodeScript.EvaluateAsync(scenario.Server.Url, scenario.SdkToken, cases);

        var results = output["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var byFlag = results.ToDictionary(r => (string)r["flag"]!);
        Assert.Null(byFlag["checkout.newFlow.enabled"]["errorCode"]);
        Assert.Equal("STATIC", (string?)byFlag["checkout.newFlow.enabled"]["reason"]);
        Assert.Equal("checkout", (string?)byFlag["checkout.newFlow.enabled"]["metadata"]!["program"]);
        Assert.Null(byFlag["C1"]["errorCode"]); // aliases resolve too
        Assert.Equal("FLAG_NOT_FOUND", (string?)byFlag["groups.routes.enabled"]["errorCode"]);
    }
}
