using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;

namespace Ripcord.EndToEnd.Tests;

/// <summary>
/// The golden evaluation cases (tests/golden/evaluation) against a real server: the file's changes
/// go through the server's one writer, and every case is evaluated over POST …/evaluate and over
/// OFREP's bulk endpoint, with the server's clock at the case's instant. Core and SDK run the same
/// files (GoldenEvaluationTests, GoldenSdkTests).
/// </summary>
public sealed class GoldenServerTests
{
    public static TheoryData<string> Files() => [.. GoldenFile.All().Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Server_evaluate_and_OFREP_give_the_golden_result(string file)
    {
        var golden = GoldenFile.All().Single(f => f.Name == file);
        await using var server = await RipcordTestServer.StartAsync();
        server.Clock.AdjustTime(golden.ChangedAt);
        var writer = server.Services.GetRequiredService<ProgramWriter>();
        var actor = new Actor(new Principal("prn_golden", "golden"), Role.Admin, "tok_golden");
        foreach (var command in golden.Commands)
        {
            await writer.ExecuteAsync("groups", command, actor, null, CancellationToken.None);
        }
        var sdk = server.NewClient(await server.TokenAsync("sdk"));
        foreach (var c in golden.Cases)
        {
            server.Clock.AdjustTime(c.Now);
            var restContext = JsonNode.Parse(c.ContextJson)!.AsObject();
            using var rest = await sdk.PostAsJsonAsync("api/v1/programs/groups/evaluate", new JsonObject { ["context"] = restContext });
            await E2eHttp.EnsureAsync(rest);
            var restFlags = (await rest.Content.ReadFromJsonAsync<JsonObject>())!["flags"]!.AsObject();

            var ofrepContext = OfrepContext(restContext);
            using var ofrep = await sdk.PostAsJsonAsync("ofrep/v1/evaluate/flags", new JsonObject { ["context"] = ofrepContext });
            await E2eHttp.EnsureAsync(ofrep);
            var ofrepFlags = (await ofrep.Content.ReadFromJsonAsync<JsonObject>())!["flags"]!.AsArray();

            foreach (var e in c.Expect)
            {
                var key = BuiltInGroups.Key(e.Flag);
                var r = restFlags[key]!;
                var where = $"{file} / {c.Name} / {e.Flag}";
                Assert.True(e.Value == r["value"]!.GetValue<bool>(), $"{where}: REST says {r.ToJsonString()}");
                Assert.True(e.Reason is null || e.Reason == r["reason"]!.GetValue<string>(), $"{where}: REST says {r.ToJsonString()}");
                Assert.True(e.Scope is null || e.Scope == r["scope"]!.GetValue<string>(), $"{where}: REST says {r.ToJsonString()}");
                Assert.True(e.Source is null || e.Source == r["source"]!.GetValue<string>(), $"{where}: REST says {r.ToJsonString()}");
                Assert.True(e.Conflict is null || e.Conflict == (r["conflict"]?.GetValue<bool>() ?? false), $"{where}: REST says {r.ToJsonString()}");

                var o = ofrepFlags.Single(f => f!["key"]!.GetValue<string>() == key)!;
                var metadata = o["metadata"]!;
                Assert.True(e.Value == o["value"]!.GetValue<bool>(), $"{where}: OFREP says {o.ToJsonString()}");
                Assert.True(e.Reason is null || e.Reason == metadata["ripcordReason"]!.GetValue<string>(), $"{where}: OFREP says {o.ToJsonString()}");
                Assert.True(e.Scope is null || e.Scope == metadata["scope"]!.GetValue<string>(), $"{where}: OFREP says {o.ToJsonString()}");
                Assert.True(e.Source is null || e.Source == metadata["source"]!.GetValue<string>(), $"{where}: OFREP says {o.ToJsonString()}");
            }
        }
    }

    /// <summary>The OpenFeature context for a REST one: userId → targetingKey, attributes flattened.</summary>
    private static JsonObject OfrepContext(JsonObject rest)
    {
        var context = new JsonObject();
        foreach (var (name, value) in rest)
        {
            if (name == "attributes")
            {
                foreach (var (attribute, v) in value!.AsObject())
                {
                    context[attribute] = v?.DeepClone();
                }
            }
            else
            {
                context[name == "userId" ? "targetingKey" : name] = value?.DeepClone();
            }
        }
        return context;
    }
}
