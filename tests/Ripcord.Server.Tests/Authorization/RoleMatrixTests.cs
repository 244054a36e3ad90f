using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Tests.Alerts;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;
using static Ripcord.Testing.RipcordTestServer;

namespace Ripcord.Server.Tests.Authorization;

/// <summary>
/// SPEC §9 governance, held to docs/roles.md: every row of the documented matrix is called with
/// a token of every role; allowed roles get through, denied roles get 403 and an audit entry
/// with outcome "denied". No token or a revoked token is 401. No endpoint escapes the table.
/// </summary>
public sealed class RoleMatrixTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private delegate Task<HttpRequestMessage> Recipe(RipcordTestServer server, string? token);

    private static Task<HttpRequestMessage> Send(HttpMethod method, string path, string? token, HttpContent? content = null) =>
        Task.FromResult(Request(method, path, token, content));

    private static HttpContent GroupsYaml() => Yaml(RipcordServer.BuiltInGroupsYaml());

    /// <summary>
    /// How to call each documented row (sent with ResponseHeadersRead, since the SDK stream never ends): a request that an allowed role can make succeed, built
    /// fresh per call (setup such as the override to delete is made as admin beforehand).
    /// </summary>
    private static readonly Dictionary<string, Recipe> Recipes = new(StringComparer.Ordinal)
    {
        ["GET /api/v1/programs"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs", t),
        ["GET /api/v1/programs/{program}"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups", t),
        ["GET /api/v1/programs/{program}/flags"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/flags", t),
        ["GET /api/v1/programs/{program}/definition"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/definition", t),
        ["POST /api/v1/programs/{program}/definition"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/definition", t, GroupsYaml()),
        ["POST /api/v1/definitions"] = (_, t) => Send(HttpMethod.Post, "/api/v1/definitions", t, GroupsYaml()),
        ["GET /api/v1/programs/{program}/cohorts"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/cohorts", t),
        ["PUT /api/v1/programs/{program}/cohorts/{id}"] = (_, t) => Send(HttpMethod.Put, "/api/v1/programs/groups/cohorts/pilot", t,
            Json(new { workspaces = new[] { "w-1" } })),
        ["GET /api/v1/programs/{program}/overrides"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/overrides", t),
        ["POST /api/v1/programs/{program}/overrides (user scope)"] = (s, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/overrides", t,
            Json(new { flag = "F3", scope = "user:u-1", value = true, reason = "diagnose", expiresAt = s.Clock.GetUtcNow().AddHours(4) })),
        ["POST /api/v1/programs/{program}/overrides (other scopes)"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/overrides", t,
            Json(new { flag = "F3", scope = "workspace:w-1", value = true, reason = "pilot" })),
        ["DELETE /api/v1/programs/{program}/overrides/{id} (user scope)"] = async (s, t) =>
        {
            var o = await s.SetOverrideAsync("F3", "user:u-1", true, s.Clock.GetUtcNow().AddHours(4));
            return Request(HttpMethod.Delete, $"/api/v1/programs/groups/overrides/{o.GetProperty("override").GetProperty("id").GetString()}", t);
        },
        ["DELETE /api/v1/programs/{program}/overrides/{id} (other scopes)"] = async (s, t) =>
        {
            var o = await s.SetOverrideAsync("F3", "workspace:w-1", true);
            return Request(HttpMethod.Delete, $"/api/v1/programs/groups/overrides/{o.GetProperty("override").GetProperty("id").GetString()}", t);
        },
        ["GET /api/v1/programs/{program}/stage"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/stage", t),
        ["PUT /api/v1/programs/{program}/stage"] = (_, t) => Send(HttpMethod.Put, "/api/v1/programs/groups/stage", t, Json(new { stage = "freeze" })),
        ["POST /api/v1/programs/{program}/stage/advance"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/stage/advance", t,
            Json(new { to = "1", dryRun = true })),
        ["POST /api/v1/programs/{program}/checks"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/checks", t,
            Json(new { kind = "quality", stage = "1", cohort = "pilot", status = "passed", evidence = "https://ci.example/run/1", commit = "3f2a1b2c" })),
        ["GET /api/v1/programs/{program}/checks"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/checks", t),
        ["POST /api/v1/programs/{program}/signoffs"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/signoffs", t,
            Json(new { tier = 1, stage = "1", reason = "threat model reviewed" })),
        ["GET /api/v1/programs/{program}/signoffs"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/signoffs", t),
        ["PUT /api/v1/programs/{program}/support-load"] = (_, t) => Send(HttpMethod.Put, "/api/v1/programs/groups/support-load", t,
            Json(new { ticketsPerDay = 3 })),
        ["GET /api/v1/programs/{program}/support-load"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/support-load", t),
        ["GET /api/v1/programs/{program}/ramps"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/ramps", t),
        // Stage 0 has no ramp: an allowed role gets 409 (past the role check), a denied one 403.
        ["POST /api/v1/programs/{program}/ramps"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/ramps", t),
        ["POST /api/v1/programs/{program}/ramps/pause"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/ramps/pause", t,
            Json(new { reason = "roles" })),
        ["POST /api/v1/programs/{program}/ramps/resume"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/ramps/resume", t),
        ["GET /api/v1/programs/{program}/revisions/known-safe"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/revisions/known-safe", t),
        ["GET /api/v1/programs/{program}/revisions/known-safe/latest"] = async (s, t) =>
        {
            using var tagged = await s.SendAsync(HttpMethod.Post, "/api/v1/programs/groups/revisions/1/known-safe", json: new { reason = "roles" });
            return Request(HttpMethod.Get, "/api/v1/programs/groups/revisions/known-safe/latest", t);
        },
        ["POST /api/v1/programs/{program}/revisions/{revision}/known-safe"] = async (s, t) =>
        {
            // A fresh revision per call: a revision is tagged once.
            var head = await s.PutCohortAsync("pilot", new { workspaces = new[] { "w-" + Guid.NewGuid().ToString("N")[..8] } });
            return Request(HttpMethod.Post, $"/api/v1/programs/groups/revisions/{head}/known-safe", t, Json(new { reason = "roles" }));
        },
        ["POST /api/v1/programs/{program}/evaluate"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/evaluate", t,
            Json(new { context = new { workspaceId = "w-1", tier = 1 } })),
        ["GET /api/v1/programs/{program}/revisions"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/revisions", t),
        ["GET /api/v1/programs/{program}/revisions/{revision}"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/revisions/1", t),
        ["GET /api/v1/programs/{program}/revisions/diff"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/revisions/diff?from=1&to=1", t),
        ["GET /api/v1/programs/{program}/override-grants"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/override-grants", t),
        ["POST /api/v1/programs/{program}/override-grants"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/override-grants", t,
            Json(new { workspaceId = "w-1", action = "send", reason = "tier-2 incident drill" })),
        ["DELETE /api/v1/programs/{program}/override-grants/{id}"] = async (s, t) =>
        {
            var grant = await s.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/override-grants", new { workspaceId = "w-1", action = "send", reason = "roles" });
            return Request(HttpMethod.Delete, $"/api/v1/programs/groups/override-grants/{grant.GetProperty("grant").GetProperty("id").GetString()}", t,
                Json(new { reason = "roles" }));
        },
        ["POST /api/v1/programs/{program}/override-grants/in-app"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/override-grants/in-app", t,
            Json(new { workspaceId = "w-1", action = "send", reason = "a group admin confirmed", role = "group-admin" })),
        ["GET /api/v1/programs/{program}/stream"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/stream", t),
        ["GET /api/v1/programs/{program}/clients"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/clients", t),
        ["POST /api/v1/telemetry"] = (s, t) => Send(HttpMethod.Post, "/api/v1/telemetry", t, Json(new
        {
            program = "groups",
            instance = "i-roles",
            events = new object[] { new { type = "mode", at = s.Clock.GetUtcNow(), tier = 1, workspaceId = "w-1", transport = "secure" } },
        })),
        ["GET /api/v1/telemetry/stats"] = (_, t) => Send(HttpMethod.Get, "/api/v1/telemetry/stats", t),
        ["GET /api/v1/programs/{program}/metrics/{dashboard}"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/metrics/crash-free", t),
        ["POST /ofrep/v1/evaluate/flags"] = (_, t) => Send(HttpMethod.Post, "/ofrep/v1/evaluate/flags", t,
            Json(new { context = new { targetingKey = "u-1", workspaceId = "w-1" } })),
        ["POST /ofrep/v1/evaluate/flags/{**key}"] = (_, t) => Send(HttpMethod.Post, "/ofrep/v1/evaluate/flags/F1", t,
            Json(new { context = new { targetingKey = "u-1", workspaceId = "w-1" } })),
        ["GET /ofrep/v1/configuration"] = (_, t) => Send(HttpMethod.Get, "/ofrep/v1/configuration", t),
        ["GET /metrics"] = (_, t) => Send(HttpMethod.Get, "/metrics", t),
        ["POST /api/v1/programs/{program}/incidents"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/incidents", t,
            Json(new { @class = "P3", severity = "high", trigger = "publish-ack-failures", summary = "roles" })),
        ["GET /api/v1/programs/{program}/incidents"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/incidents", t),
        ["GET /api/v1/programs/{program}/incidents/{id}"] = async (s, t) => Request(HttpMethod.Get, $"{IncidentsPath}/{await s.DeclareAsync()}", t),
        ["GET /api/v1/programs/{program}/incidents/{id}/recommendation"] = async (s, t) =>
            Request(HttpMethod.Get, $"{IncidentsPath}/{await s.DeclareAsync()}/recommendation", t),
        ["POST /api/v1/programs/{program}/incidents/{id}/notes"] = async (s, t) =>
            Request(HttpMethod.Post, $"{IncidentsPath}/{await s.DeclareAsync()}/notes", t, Json(new { text = "note" })),
        ["POST /api/v1/programs/{program}/incidents/{id}/actions"] = async (s, t) =>
            Request(HttpMethod.Post, $"{IncidentsPath}/{await s.DeclareAsync()}/actions", t, Json(new { text = "follow up" })),
        ["POST /api/v1/programs/{program}/incidents/{id}/actions/{action}/resolve"] = async (s, t) =>
        {
            var id = await s.DeclareAsync();
            await s.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{id}/actions", new { text = "follow up" });
            return Request(HttpMethod.Post, $"{IncidentsPath}/{id}/actions/a1/resolve", t);
        },
        ["POST /api/v1/programs/{program}/incidents/{id}/announcements"] = async (s, t) =>
            Request(HttpMethod.Post, $"{IncidentsPath}/{await s.DeclareAsync()}/announcements", t, Json(new { audience = "operator" })),
        ["POST /api/v1/programs/{program}/incidents/{id}/resolve"] = async (s, t) =>
            Request(HttpMethod.Post, $"{IncidentsPath}/{await s.DeclareAsync()}/resolve", t, Json(new { summary = "fixed" })),
        ["POST /api/v1/programs/{program}/incidents/{id}/close"] = async (s, t) =>
        {
            var id = await s.DeclareAsync();
            await s.OkAsync(HttpMethod.Post, $"{IncidentsPath}/{id}/resolve", new { summary = "fixed" });
            return Request(HttpMethod.Post, $"{IncidentsPath}/{id}/close", t);
        },
        ["GET /api/v1/programs/{program}/kill-switches"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/kill-switches", t),
        ["POST /api/v1/programs/{program}/kill-switches/{level}/activations"] = async (s, t) =>
            Request(HttpMethod.Post, "/api/v1/programs/groups/kill-switches/KS2/activations", t,
                Json(new { scope = "global", incident = await s.DeclareAsync(), reason = "roles" })),
        ["GET /api/v1/programs/{program}/kill-switches/{level}/activations/{id}"] = async (s, t) =>
            Request(HttpMethod.Get, $"/api/v1/programs/groups/kill-switches/KS2/activations/{await ActivationAsync(s)}", t),
        ["DELETE /api/v1/programs/{program}/kill-switches/{level}/activations/{id}"] = async (s, t) =>
            Request(HttpMethod.Delete, $"/api/v1/programs/groups/kill-switches/KS2/activations/{await ActivationAsync(s)}", t, Json(new { reason = "roles" })),
        ["GET /api/v1/programs/{program}/kill-switches/requests"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/kill-switches/requests", t),
        ["POST /api/v1/programs/{program}/kill-switches/requests/{id}/approve"] = async (s, t) =>
        {
            var (_, request) = await s.ActivateAsync("KS2", "global", await s.DeclareAsync(), await s.CreateTokenAsync("ops-lead", "requesting ops lead"));
            return Request(HttpMethod.Post, $"/api/v1/programs/groups/kill-switches/requests/{request.GetProperty("request").GetString()}/approve", t);
        },
        ["GET /api/v1/programs/{program}/alerts"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/alerts", t),
        ["POST /api/v1/programs/{program}/alerts/{id}/ack"] = async (s, t) =>
            Request(HttpMethod.Post, $"/api/v1/programs/groups/alerts/{await FiringAlertAsync(s)}/ack", t, Json(new { reason = "on it" })),
        ["GET /api/v1/reviews"] = (_, t) => Send(HttpMethod.Get, "/api/v1/reviews", t),
        ["GET /api/v1/reviews/{id}"] = async (s, t) => Request(HttpMethod.Get, $"/api/v1/reviews/{await ReviewAsync(s)}", t),
        ["POST /api/v1/reviews/{id}/complete"] = async (s, t) =>
            Request(HttpMethod.Post, $"/api/v1/reviews/{await ReviewAsync(s)}/complete", t, Json(new { findings = "proportionate" })),
        ["POST /api/v1/programs/{program}/freezes"] = (_, t) => Send(HttpMethod.Post, "/api/v1/programs/groups/freezes", t,
            Json(new { scope = "cohort:pilot", reason = "roles", forMinutes = 60 })),
        ["GET /api/v1/programs/{program}/freezes"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/freezes", t),
        ["DELETE /api/v1/programs/{program}/freezes/{id}"] = async (s, t) =>
        {
            var freeze = await s.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/freezes", new { scope = "global", reason = "roles" });
            return Request(HttpMethod.Delete, $"/api/v1/programs/groups/freezes/{freeze.GetProperty("id").GetString()}", t, Json(new { reason = "roles" }));
        },
        ["GET /api/v1/freezes/active"] = (_, t) => Send(HttpMethod.Get, "/api/v1/freezes/active?program=groups", t),
        ["GET /api/v1/programs/{program}/rollback/plan"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/rollback/plan?to=1", t),
        ["POST /api/v1/programs/{program}/rollbacks"] = async (s, t) => Request(HttpMethod.Post, "/api/v1/programs/groups/rollbacks", t,
            Json(new { incident = await s.DeclareAsync(), to = 1, reason = "roles" })),
        ["GET /api/v1/programs/{program}/rollbacks"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/rollbacks", t),
        ["GET /api/v1/programs/{program}/rollbacks/{id}"] = async (s, t) =>
            Request(HttpMethod.Get, $"/api/v1/programs/groups/rollbacks/{(await RollbackAsync(s)).GetProperty("id").GetString()}", t),
        ["GET /api/v1/programs/{program}/stage-lock"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/stage-lock", t),
        ["DELETE /api/v1/programs/{program}/stage-lock"] = async (s, t) =>
        {
            await RollbackAsync(s); // puts the lock in place (or finds it there)
            return Request(HttpMethod.Delete, "/api/v1/programs/groups/stage-lock", t, Json(new { reason = "roles" }));
        },
        ["POST /api/v1/programs/{program}/fixes"] = async (s, t) => Request(HttpMethod.Post, "/api/v1/programs/groups/fixes", t,
            Json(new { incident = await s.DeclareAsync(), reason = "roles" })),
        ["GET /api/v1/programs/{program}/fixes"] = (_, t) => Send(HttpMethod.Get, "/api/v1/programs/groups/fixes", t),
        ["GET /api/v1/programs/{program}/fixes/{id}"] = async (s, t) => Request(HttpMethod.Get, $"/api/v1/programs/groups/fixes/{await FixAsync(s)}", t),
        ["POST /api/v1/programs/{program}/fixes/{id}/mitigations"] = async (s, t) => Request(HttpMethod.Post,
            $"/api/v1/programs/groups/fixes/{await FixAsync(s)}/mitigations", t, Json(new
            {
                flag = "F3", scope = "workspace:w-" + Guid.NewGuid().ToString("N")[..8], value = false, expiresAt = s.Clock.GetUtcNow().AddHours(2), reason = "roles",
            })),
        ["POST /api/v1/programs/{program}/fixes/{id}/patch"] = async (s, t) => Request(HttpMethod.Post,
            $"/api/v1/programs/groups/fixes/{await FixAsync(s)}/patch", t, Json(new { flag = "F3", cohort = "pilot" })),
        ["POST /api/v1/programs/{program}/fixes/{id}/signoffs"] = async (s, t) => Request(HttpMethod.Post,
            $"/api/v1/programs/groups/fixes/{await FixAsync(s)}/signoffs", t, Json(new { note = "roles" })),
        ["POST /api/v1/programs/{program}/fixes/{id}/resume"] = async (s, t) => Request(HttpMethod.Post,
            $"/api/v1/programs/groups/fixes/{await ReadyFixAsync(s)}/resume", t, Json(new { reason = "roles" })),
        ["GET /api/v1/programs/{program}/incidents/{id}/document"] = async (s, t) =>
            Request(HttpMethod.Get, $"/api/v1/programs/groups/incidents/{await s.DeclareAsync()}/document", t),
        ["GET /api/v1/audit"] = (_, t) => Send(HttpMethod.Get, "/api/v1/audit", t),
        ["GET /api/v1/audit/verify"] = (_, t) => Send(HttpMethod.Get, "/api/v1/audit/verify", t),
        ["GET /api/v1/tokens"] = (_, t) => Send(HttpMethod.Get, "/api/v1/tokens", t),
        ["POST /api/v1/tokens"] = (_, t) => Send(HttpMethod.Post, "/api/v1/tokens", t, Json(new { name = "made in a test", role = "viewer" })),
        ["DELETE /api/v1/tokens/{id}"] = async (s, t) =>
        {
            var victim = await s.MintTokenAsync("viewer", "to revoke");
            return Request(HttpMethod.Delete, $"/api/v1/tokens/{victim.Id}", t);
        },
        ["GET /api/v1/webhooks"] = (_, t) => Send(HttpMethod.Get, "/api/v1/webhooks", t),
        ["POST /api/v1/webhooks"] = (_, t) => Send(HttpMethod.Post, "/api/v1/webhooks", t,
            Json(new { url = "http://127.0.0.1:1/hook", events = new[] { "killswitch.*" } })),
        ["DELETE /api/v1/webhooks/{id}"] = async (s, t) =>
        {
            var hook = await s.OkAsync(HttpMethod.Post, "/api/v1/webhooks", new { url = "http://127.0.0.1:1/hook", events = new[] { "*" } });
            return Request(HttpMethod.Delete, $"/api/v1/webhooks/{hook.GetProperty("id").GetString()}", t);
        },
        ["GET /api/v1/webhooks/deliveries"] = (_, t) => Send(HttpMethod.Get, "/api/v1/webhooks/deliveries", t),
    };

    /// <summary>A KS2 activation made by a release manager of its own (so every role's token is someone else).</summary>
    private static async Task<string> ActivationAsync(RipcordTestServer s)
    {
        var (status, created) = await s.ActivateAsync("KS2", "global", await s.DeclareAsync(), await s.CreateTokenAsync("release-manager", "activating rm"));
        Assert.Equal(HttpStatusCode.Created, status);
        return created.GetProperty("id").GetString()!;
    }

    /// <summary>A firing alert (the critical confidentiality-risk one, from a security signal); a fresh one each call, so each ack can succeed.</summary>
    private static async Task<string> FiringAlertAsync(RipcordTestServer s)
    {
        s.Clock.Advance(TimeSpan.FromMinutes(10)); // past the window: the last alert resolves in the pass below
        await s.PassAsync();
        await s.PostSecuritySignalAsync();
        s.Clock.Advance(TimeSpan.FromSeconds(1));
        await s.PassAsync();
        return (await s.AlertsOfAsync("confidentiality-risk")).First(a => a.GetProperty("status").GetString() == "firing").GetProperty("id").GetString()!;
    }

    /// <summary>A finished rollback run to revision 1, started as admin for an incident of its own.</summary>
    private static async Task<JsonElement> RollbackAsync(RipcordTestServer s) =>
        await s.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/rollbacks", new { incident = await s.DeclareAsync(), to = 1, reason = "roles" });

    /// <summary>A forward fix opened as admin for an incident of its own.</summary>
    private static async Task<string> FixAsync(RipcordTestServer s) =>
        (await s.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/fixes", new { incident = await s.DeclareAsync(), reason = "roles" }))
            .GetProperty("fix").GetProperty("id").GetString()!;

    /// <summary>A forward fix ready to resume: the patch for pilot, both checks passed since it opened, signed off by a release manager and a security lead of its own.</summary>
    private static async Task<string> ReadyFixAsync(RipcordTestServer s)
    {
        var fix = await FixAsync(s);
        await s.OkAsync(HttpMethod.Post, $"/api/v1/programs/groups/fixes/{fix}/patch", new { flag = "F3", cohort = "pilot" });
        foreach (var kind in new[] { "quality", "interop" })
        {
            await s.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/checks", new { kind, stage = 1, cohort = "pilot", status = "passed", evidence = "https://ci.example/1" });
        }
        foreach (var role in new[] { "release-manager", "security-lead" })
        {
            await s.OkAsync(HttpMethod.Post, $"/api/v1/programs/groups/fixes/{fix}/signoffs", new { note = "roles" }, token: await s.CreateTokenAsync(role, "signer " + role));
        }
        return fix;
    }

    private static async Task<string> ReviewAsync(RipcordTestServer s)
    {
        var activation = await ActivationAsync(s);
        return (await s.GetAsync("/api/v1/reviews?open=true")).EnumerateArray()
            .First(r => r.GetProperty("target").GetString()!.EndsWith(activation, StringComparison.Ordinal)).GetProperty("id").GetString()!;
    }

    public static TheoryData<string> Rows() => [.. RolesDocument.Rows.Select(r => r.Key)];

    private static Recipe RecipeFor(string key) =>
        Recipes.TryGetValue(key, out var recipe)
            ? recipe
            : throw new InvalidOperationException($"docs/roles.md lists '{key}' but RoleMatrixTests has no request recipe for it: add one");

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task EveryRole_IsAllowedOrDeniedExactlyAsRolesMdSays_AndDenialsAreAudited(string key)
    {
        var row = RolesDocument.Rows.Single(r => r.Key == key);
        var tokens = await _server.MintTokensAsync(RolesDocument.Roles);
        foreach (var role in RolesDocument.Roles)
        {
            using var request = await RecipeFor(key)(_server, tokens[role]);
            var path = request.RequestUri!.OriginalString;
            var head = await _server.HeadAsync();
            var auditHead = await _server.AuditHeadAsync();
            using var response = await _server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var status = (int)response.StatusCode;
            if (row.Allowed[role])
            {
                if (status is 401 or 403 || status >= 500)
                {
                    // Read the body only on failure: the SDK stream's body never ends.
                    Assert.Fail($"{key} as {role}: roles.md says ✓ but got {status}: {await response.Content.ReadAsStringAsync()}");
                }
                continue;
            }
            var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.Contains(role, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            var appended = await _server.AuditAfterAsync(auditHead);
            Assert.True(appended.Any(e => e.GetProperty("outcome").GetString() == "denied"
                    && e.GetProperty("role").GetString() == role
                    // the audit names the path, not the query string a recipe may add
                    && e.GetProperty("target").GetString()!.StartsWith($"{row.Method} {path.Split('?')[0]}", StringComparison.Ordinal)),
                $"{key} as {role}: no 'denied' audit entry for {row.Method} {path}; appended: {string.Join(", ", appended.Select(e => e.GetRawText()))}");
            Assert.Equal(head, await _server.HeadAsync());
        }
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task WithoutAValidToken_EveryEndpointIs401Problem(string key)
    {
        var attempts = new (string Label, string? Token, string? RawAuthorization)[]
        {
            ("no token", null, null),
            ("unknown token", "rc_usr_this-token-was-never-issued-000", null),
            ("short token", "abc", null),
            ("Basic credentials", null, "Basic YWRtaW46YWRtaW4="),
        };
        foreach (var (label, token, raw) in attempts)
        {
            using var request = await RecipeFor(key)(_server, token);
            if (raw is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", raw);
            }
            var head = await _server.HeadAsync();
            using var response = await _server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await ApiAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.True(response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer"), $"{key} with {label}: 401 names the Bearer scheme");
            Assert.Equal(head, await _server.HeadAsync());
        }
    }

    [Fact]
    public async Task RevokedToken_Is401OnEveryEndpoint()
    {
        var token = await _server.MintTokenAsync("admin", "soon revoked");
        using (var before = await _server.SendAsync(HttpMethod.Get, "/api/v1/tokens", token.Secret))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        var revoked = await _server.OkAsync(HttpMethod.Delete, $"/api/v1/tokens/{token.Id}");
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revokedAt").ValueKind);

        foreach (var row in RolesDocument.Rows)
        {
            using var request = await RecipeFor(row.Key)(_server, token.Secret);
            using var response = await _server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await ApiAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        }
    }

    private static IEnumerable<(string Endpoint, RouteEndpoint Route)> AppEndpoints(IServiceProvider services)
    {
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            if (path is "/healthz" or "/readyz" || path.StartsWith("/openapi/", StringComparison.Ordinal))
            {
                continue;
            }
            if (endpoint.Metadata.GetMetadata<Ripcord.Server.Ui.DashboardEndpoint>() is not null)
            {
                continue; // the dashboard's cookie-session endpoints: docs/roles.md's second table, held by DashboardRoutesTests
            }
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            Assert.True(methods is { Count: > 0 }, $"{path} accepts any method; every API endpoint should name its method");
            foreach (var method in methods!)
            {
                yield return ($"{method} {path}", endpoint);
            }
        }
    }

    [Fact]
    public void EveryEndpointOfTheApp_IsInRolesMd_AndEveryRowIsARealEndpoint()
    {
        var app = AppEndpoints(_server.Services).Select(e => e.Endpoint).ToHashSet(StringComparer.Ordinal);
        var documented = RolesDocument.Rows.Select(r => r.Endpoint).ToHashSet(StringComparer.Ordinal);
        var undocumented = app.Except(documented).Order(StringComparer.Ordinal).ToList();
        var phantom = documented.Except(app).Order(StringComparer.Ordinal).ToList();
        Assert.True(undocumented.Count == 0, "endpoints missing from docs/roles.md: " + string.Join(", ", undocumented));
        Assert.True(phantom.Count == 0, "docs/roles.md lists endpoints the server does not have: " + string.Join(", ", phantom));
        Assert.True(app.Count >= 20, $"expected the whole API, found {app.Count} endpoints");
    }

    [Fact]
    public void RolesMd_MatchesRoleMatrix_ForEveryEndpointsPolicy()
    {
        var byEndpoint = AppEndpoints(_server.Services).ToDictionary(e => e.Endpoint, e => e.Route, StringComparer.Ordinal);
        foreach (var row in RolesDocument.Rows)
        {
            Assert.True(byEndpoint.TryGetValue(row.Endpoint, out var route), $"no endpoint {row.Endpoint}");
            var policies = route!.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null).ToList();
            var policy = Assert.Single(policies);
            var permission = Enum.Parse<Permission>(policy!["perm:".Length..]);
            var roles = RoleMatrix.RoleNames(permission).ToHashSet(StringComparer.Ordinal);
            if (row.Variant == "other scopes")
            {
                roles.IntersectWith(RoleMatrix.RoleNames(Permission.OverridesWrite));
            }
            var documented = row.Allowed.Where(kv => kv.Value).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            Assert.True(roles.SetEquals(documented),
                $"{row.Key}: RoleMatrix ({permission}) allows [{string.Join(", ", roles.Order())}], docs/roles.md says [{string.Join(", ", documented.Order())}]");
        }
    }

    [Fact]
    public void RolesMd_Parses_WithEveryRoleAsAColumn_AndEveryRowHasARecipe()
    {
        Assert.Equal(Role.All.Select(r => r.Name), RolesDocument.Roles);
        Assert.All(RolesDocument.Rows, row => Assert.True(Recipes.ContainsKey(row.Key), $"no recipe for {row.Key}"));
        Assert.Contains(RolesDocument.Rows, r => r.Variant == "user scope" && r.Method == "POST");
        Assert.Contains(RolesDocument.Rows, r => r.Variant == "other scopes" && r.Method == "POST");
    }
}
