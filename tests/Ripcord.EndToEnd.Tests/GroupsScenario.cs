using System.Text.Json.Nodes;

namespace Ripcord.EndToEnd.Tests;

/// <summary>
/// One server set up through the REST API the way an operator would at stage 1 of the Groups
/// rollout, so every Ripcord layer shows up in some context: pilot cohorts (stage at a cohort),
/// stage-wide values, a workspace override, a cohort override on a rule cohort, a percentage
/// cohort override, a global override, an expiring diagnostic user override, an emergency flag
/// turned on for one workspace, and prerequisites. A second program, <c>checkout</c>, is there
/// for the <c>program</c> context attribute and for tests that change configuration.
/// </summary>
public sealed class GroupsScenario : IAsyncLifetime
{
    public const string CheckoutYaml = """
        program: checkout
        description: A second program for the OFREP end-to-end tests.
        flags:
          - key: checkout.newFlow.enabled
            alias: C1
            default: false
            safe: false
            description: New checkout flow.
        stages:
          - id: "0"
            name: Everyone off
            flags:
              C1: false
        """;

    private RipcordTestServer? _server;

    public RipcordTestServer Server => _server ?? throw new InvalidOperationException("not started");

    public string SdkToken { get; private set; } = "";

    /// <summary>A workspace id that falls in the 10% <c>limited-ga</c> bucket.</summary>
    public string BucketedWorkspace { get; private set; } = "";

    /// <summary>Named OpenFeature contexts, as an OFREP client sends them.</summary>
    public IReadOnlyList<(string Name, JsonObject Context)> Contexts { get; private set; } = [];

    public async Task InitializeAsync()
    {
        _server = await RipcordTestServer.StartAsync(clock: TimeProvider.System);
        var s = _server;
        SdkToken = await s.CreateTokenAsync("sdk", "e2e OpenFeature client");

        await s.PutJsonAsync("api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w-pilot-1", "w-pilot-2", "w-frozen" } });
        await s.PutJsonAsync("api/v1/programs/groups/cohorts/pilot-secure", new { workspaces = new[] { "w-pilot-1" } });
        await s.SetStageAsync(1);
        await Override("groups.send.enabled", "workspace:w-pilot-2", false, null);
        await Override("groups.create.enabled", "cohort:tier-eligible", false, null);
        await Override("groups.transport.baseline.enabled", "cohort:limited-ga", false, null);
        await Override("groups.state.readonly", "global", false, null);
        await Override("groups.routes.enabled", "user:u-diag", true, DateTimeOffset.UtcNow.AddHours(24));
        await Override("groups.emergency.disableAll", "workspace:w-frozen", true, null);
        await s.ApplyDefinitionAsync(CheckoutYaml);

        BucketedWorkspace = await FindBucketedWorkspaceAsync();
        Contexts =
        [
            ("anonymous", new JsonObject()),
            ("pilot-tier0", new JsonObject { ["targetingKey"] = "u-1", ["workspaceId"] = "w-pilot-1", ["tier"] = 0 }),
            ("pilot-send-off-tier2", new JsonObject { ["targetingKey"] = "u-2", ["workspaceId"] = "w-pilot-2", ["tier"] = 2, ["platform"] = "android" }),
            ("outside-tier1", new JsonObject { ["targetingKey"] = "u-3", ["workspaceId"] = "w-outside-7", ["tier"] = 1 }),
            ("diagnostic-user", new JsonObject { ["targetingKey"] = "u-diag", ["workspaceId"] = "w-outside-8" }),
            ("limited-ga-bucket", new JsonObject { ["targetingKey"] = "u-4", ["workspaceId"] = BucketedWorkspace, ["tier"] = 0 }),
            ("frozen-workspace", new JsonObject { ["targetingKey"] = "u-5", ["workspaceId"] = "w-frozen", ["tier"] = 1 }),
            ("attributes-only", new JsonObject { ["targetingKey"] = "u-6", ["workspaceType"] = "pilot", ["appVersion"] = 3.2, ["beta"] = true }),
        ];

        async Task Override(string flag, string scope, bool value, DateTimeOffset? expiresAt) =>
            await s.PostJsonAsync("api/v1/programs/groups/overrides",
                new { flag, scope, value, reason = "e2e scenario", expiresAt });
    }

    /// <summary>Asks the REST evaluate endpoint which workspace the baseline override at cohort:limited-ga reaches.</summary>
    private async Task<string> FindBucketedWorkspaceAsync()
    {
        for (var i = 0; i < 200; i++)
        {
            var workspace = $"w-bucket-{i}";
            var result = await Server.RestEvaluateAsync(Server.Admin, "groups", new JsonObject { ["workspaceId"] = workspace });
            if ((string?)result["flags"]!["groups.transport.baseline.enabled"]!["scope"] == "cohort:limited-ga")
            {
                return workspace;
            }
        }
        throw new InvalidOperationException("no workspace among 200 fell in the 10% limited-ga bucket");
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GroupsScenarioCollection : ICollectionFixture<GroupsScenario>
{
    public const string Name = "groups scenario";
}
