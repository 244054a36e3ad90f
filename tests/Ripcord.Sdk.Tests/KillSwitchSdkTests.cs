using System.Net.Http.Json;
using System.Text.Json;
using Ripcord.Core.Evaluation;

namespace Ripcord.Sdk.Tests;

/// <summary>
/// Kill switches against real SDK clients on a real clock: the server verifies an activation from
/// the clients' own revision heartbeats, the clients stop the operation at once and show the user
/// notice, lifting it restores everything — and clients that never apply fail the verification, named.
/// </summary>
public sealed class KillSwitchSdkTests
{
    private static readonly EvaluationContext Pilot = new(workspaceId: "w1", userId: "u1", tier: 0);
    private static readonly EvaluationContext Outside = new(workspaceId: "w9", userId: "u9", tier: 0);

    private static async Task<string> DeclareAsync(RipcordTestServer server)
    {
        using var response = await server.Admin.PostAsJsonAsync("api/v1/programs/groups/incidents",
            new { @class = "P3", severity = "high", trigger = "publish-ack-failures", summary = "acks failing", affected = new[] { "cohort:pilot" } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> ActivateAsync(RipcordTestServer server, string incident, int verifyWithinSeconds)
    {
        using var response = await server.Admin.PostAsJsonAsync("api/v1/programs/groups/kill-switches/KS3/activations",
            new { scope = "cohort:pilot", incident, reason = "sdk test", verifyWithinSeconds });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> DecidedAsync(RipcordTestServer server, string id, int timeoutMs)
    {
        JsonElement view = default;
        await Eventually.TrueAsync(async () =>
        {
            view = await server.Admin.GetFromJsonAsync<JsonElement>($"api/v1/programs/groups/kill-switches/KS3/activations/{id}");
            return view.GetProperty("verification").GetProperty("status").GetString() != "pending";
        }, "the verification to be decided", timeoutMs);
        return view;
    }

    [Fact]
    [Invariant("KS-1", "a kill switch reaches connected SDKs, which stop the operation and show the notice; lifting it restores the previous values")]
    public async Task RealSdks_ApplyTheKillSwitch_AreVerified_ShowTheNotice_AndRecover()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        await server.WriteAsync(HttpMethod.Put, "api/v1/programs/groups/cohorts/pilot", new { workspaces = new[] { "w1" } });
        var head = await server.SetStageAsync(1);
        var clients = Enumerable.Range(0, 5).Select(_ => new RipcordClient(server.SdkOptions(key))).ToList();
        try
        {
            await Eventually.TrueAsync(() => clients.All(c => c.Revision == head), "every SDK at the head");
            Assert.All(clients, c => Assert.True(c.IsEnabled("groups.send.enabled", Pilot)));
            Assert.All(clients, c => Assert.Empty(c.Notices(Pilot)));
            var outsideBefore = clients[0].Evaluate("groups.send.enabled", Outside);

            var created = await ActivateAsync(server, await DeclareAsync(server), 30);
            var view = await DecidedAsync(server, created.GetProperty("id").GetString()!, 15_000);
            var verification = view.GetProperty("verification");
            Assert.Equal("verified", verification.GetProperty("status").GetString());
            Assert.Equal(5, verification.GetProperty("applied").GetInt32());
            Assert.Equal(5, verification.GetProperty("total").GetInt32());
            Assert.True(view.GetProperty("activationToVerifiedMs").GetDouble() >= 0);

            Assert.All(clients, c =>
            {
                Assert.False(c.IsEnabled("groups.send.enabled", Pilot));
                Assert.Equal(outsideBefore.Value, c.IsEnabled("groups.send.enabled", Outside)); // outside the scope: untouched
                Assert.Equal(outsideBefore.Reason, c.Evaluate("groups.send.enabled", Outside).Reason);
                var notice = Assert.Single(c.Notices(Pilot, "fr"));
                Assert.Equal("KS3", notice.Level);
                Assert.Equal("fr", notice.Locale);
                Assert.False(string.IsNullOrWhiteSpace(notice.Text));
                Assert.Empty(c.Notices(Outside));
            });

            using var lift = await server.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete,
                $"api/v1/programs/groups/kill-switches/KS3/activations/{created.GetProperty("id").GetString()}?reason=fixed"));
            Assert.True(lift.IsSuccessStatusCode, await lift.Content.ReadAsStringAsync());
            var lifted = long.Parse(lift.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
            await Eventually.TrueAsync(() => clients.All(c => c.Revision == lifted), "every SDK at the lifting revision");
            Assert.All(clients, c =>
            {
                Assert.True(c.IsEnabled("groups.send.enabled", Pilot));
                Assert.Empty(c.Notices(Pilot));
            });
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    [Invariant("KS-2", "clients that never apply the revision fail the verification at its deadline, named as stragglers")]
    public async Task ClientsThatStopReadingTheStream_FailTheVerification_Named()
    {
        await using var server = await SdkTestServer.StartAsync();
        var key = await server.CreateTokenAsync("sdk");
        var clients = Enumerable.Range(0, 3).Select(_ => new RipcordClient(server.SdkOptions(key))).ToList();
        // Two "clients" that connect to the stream and then never read it nor report anything.
        var stuck = new List<(HttpRequestMessage Request, HttpResponseMessage Response)>();
        try
        {
            var head = await server.HeadAsync();
            await Eventually.TrueAsync(() => clients.All(c => c.Revision == head), "every SDK at the head");
            foreach (var id in new[] { "stuck-1", "stuck-2" })
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/programs/groups/stream");
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
                request.Headers.Add("X-Ripcord-Instance", id);
                stuck.Add((request, await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead)));
            }

            var created = await ActivateAsync(server, await DeclareAsync(server), 2);
            var view = await DecidedAsync(server, created.GetProperty("id").GetString()!, 15_000);
            var verification = view.GetProperty("verification");
            Assert.Equal("failed", verification.GetProperty("status").GetString());
            Assert.Equal(3, verification.GetProperty("applied").GetInt32());
            Assert.Equal(5, verification.GetProperty("total").GetInt32());
            Assert.Equal(["stuck-1", "stuck-2"], verification.GetProperty("stragglers").EnumerateArray().Select(s => s.GetString()!));
        }
        finally
        {
            foreach (var (request, response) in stuck)
            {
                response.Dispose();
                request.Dispose();
            }
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }
}
