using System.Net;

namespace Ripcord.Server.Tests.Authorization;

/// <summary>Issue 9, item 6: a changed RIPCORD_ADMIN_TOKEN replaces (revokes) the previous bootstrap token instead of adding another.</summary>
public sealed class BootstrapTokenTests
{
    private const string First = "rc_bootstrap_first_0123456789abcdef";
    private const string Second = "rc_bootstrap_second_0123456789abcdef";

    private static async Task<HttpStatusCode> StatusAsync(RipcordTestServer server, string token)
    {
        using var response = await server.SendAsync(HttpMethod.Get, "/api/v1/tokens", token);
        return response.StatusCode;
    }

    [Fact]
    public async Task AChangedAdminToken_RevokesThePreviousBootstrapToken()
    {
        var data = TestPaths.NewDataDirectory("bootstrap");
        try
        {
            await using (var before = await RipcordTestServer.StartAsync(customize: o => o with { DataDirectory = data, AdminToken = First },
                deleteDataDirectory: false))
            {
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(before, First));
            }
            await using (var again = await RipcordTestServer.StartAsync(customize: o => o with { DataDirectory = data, AdminToken = First },
                deleteDataDirectory: false))
            {
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(again, First)); // unchanged: nothing replaced
            }
            await using var after = await RipcordTestServer.StartAsync(customize: o => o with { DataDirectory = data, AdminToken = Second },
                deleteDataDirectory: false);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(after, Second));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(after, First));
            var bootstrap = (await after.GetAsync("/api/v1/tokens", Second)).EnumerateArray()
                .Where(t => t.GetProperty("name").GetString() == "admin (RIPCORD_ADMIN_TOKEN)").ToList();
            Assert.Equal(2, bootstrap.Count);
            Assert.Single(bootstrap, t => t.GetProperty("revokedAt").ValueKind == System.Text.Json.JsonValueKind.Null);
        }
        finally
        {
            TestPaths.TryDelete(data);
        }
    }
}
