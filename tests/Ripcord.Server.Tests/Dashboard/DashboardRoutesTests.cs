using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server.Auth;
using Ripcord.Server.Tests.Authorization;
using Ripcord.Server.Ui;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The dashboard's endpoints over plain HTTP: docs/roles.md's dashboard table matches them; without a session every
/// page answers the sign-in page (or a redirect to it), never an error; every action refuses a role without its
/// permission (403, the reason, an audited denial, nothing written); forms without an antiforgery token are refused;
/// pages carry a CSP.
/// </summary>
public sealed class DashboardRoutesTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(clock: TimeProvider.System);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private sealed record DashboardRow(string Endpoint, string Needs);

    private static List<DashboardRow> DocumentedRows()
    {
        var lines = File.ReadAllLines(RolesDocument.FindPath());
        var header = Array.FindIndex(lines, l => l.StartsWith("| Dashboard endpoint |", StringComparison.Ordinal));
        Assert.True(header >= 0, "docs/roles.md has no '| Dashboard endpoint |' table");
        return [.. lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim().Replace("`", "", StringComparison.Ordinal)).ToArray())
            .Select(c => new DashboardRow(c[0], c[1]))];
    }

    private Dictionary<string, DashboardEndpoint> AppEndpoints()
    {
        var found = new Dictionary<string, DashboardEndpoint>(StringComparer.Ordinal);
        foreach (var e in _server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (e.Metadata.GetMetadata<DashboardEndpoint>() is { } d)
            {
                foreach (var method in e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
                {
                    found[$"{method} /{(e.RoutePattern.RawText ?? "").Trim('/')}"] = d;
                }
            }
        }
        return found;
    }

    private static string Needs(DashboardEndpoint d) => d.Needs?.ToString() ?? (d.NeedsSession ? "session" : "nothing");

    [Fact]
    public void RolesMdDashboardTable_ListsEveryDashboardEndpoint_WithWhatItNeeds()
    {
        var documented = DocumentedRows().ToDictionary(r => r.Endpoint, r => r.Needs, StringComparer.Ordinal);
        var app = AppEndpoints().ToDictionary(kv => kv.Key, kv => Needs(kv.Value), StringComparer.Ordinal);
        Assert.Equal(app.OrderBy(kv => kv.Key, StringComparer.Ordinal), documented.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task WithoutASession_EveryPageIsTheSignInPageOrARedirectToIt_AndEveryActionWritesNothing()
    {
        var incident = await _server.DeclareAsync();
        using var http = Client(new CookieContainer());
        var head = await _server.HeadAsync();
        foreach (var (endpoint, d) in AppEndpoints())
        {
            var method = endpoint[..endpoint.IndexOf(' ', StringComparison.Ordinal)];
            var path = endpoint[(method.Length + 1)..].Replace("{program}", "groups", StringComparison.Ordinal).Replace("{id}", incident, StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST")
            {
                request.Content = new FormUrlEncodedContent([new("level", "KS2"), new("scope", "global"), new("reason", "x"), new("step", "confirm")]);
            }
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500, $"{endpoint} without a session: {(int)response.StatusCode}");
            if (!d.NeedsSession)
            {
                continue;
            }
            if (path == "/ui/events")
            {
                Assert.StartsWith("event: signed-out", body, StringComparison.Ordinal);
            }
            else if (response.StatusCode != HttpStatusCode.BadRequest) // a post without antiforgery token is refused before anything else
            {
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.Equal("/", response.Headers.Location!.OriginalString);
            }
        }
        using var unknown = await http.GetAsync("/ui/programs/nope/incidents/inc_nope");
        Assert.Equal(HttpStatusCode.Redirect, unknown.StatusCode);
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Fact]
    public async Task EveryAction_IsRefusedForARoleWithoutItsPermission_WithTheReason_Audited_AndNothingWritten()
    {
        var incident = await _server.DeclareAsync();
        var viewer = await SignedInAsync("viewer");
        foreach (var (endpoint, d) in AppEndpoints().Where(e => e.Value.Needs is not null))
        {
            Assert.False(RoleMatrix.Allows(d.Needs!.Value, Core.Governance.Role.Viewer), $"{endpoint}: pick another role for this test");
            var path = endpoint["POST ".Length..].Replace("{program}", "groups", StringComparison.Ordinal).Replace("{id}", incident, StringComparison.Ordinal);
            path = System.Text.RegularExpressions.Regex.Replace(path, "{([a-z]+)}", "no-such-$1"); // the permission is checked before the id is looked up
            var head = await _server.HeadAsync();
            var auditHead = await _server.AuditHeadAsync();
            var incidents = (await _server.GetAsync("/api/v1/programs/groups/incidents")).GetArrayLength();
            using var response = await viewer.PostAsync(path, await FormAsync(viewer,
                ("class", "P3"), ("severity", "high"), ("trigger", "publish-ack-failures"), ("summary", "crafted"),
                ("level", "KS2"), ("scope", "global"), ("reason", "crafted"), ("verifyWithinSeconds", "60"), ("step", "confirm")));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("Refused: role &#x27;viewer&#x27; may not", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(head, await _server.HeadAsync());
            Assert.Equal(incidents, (await _server.GetAsync("/api/v1/programs/groups/incidents")).GetArrayLength());
            Assert.Contains(await _server.AuditAfterAsync(auditHead), e => e.GetProperty("outcome").GetString() == "denied"
                && e.GetProperty("role").GetString() == "viewer" && e.GetProperty("target").GetString() == $"POST {path}");
        }
    }

    [Fact]
    public async Task AFormWithoutItsAntiforgeryToken_IsRefused_EvenWithASession()
    {
        var incident = await _server.DeclareAsync();
        var admin = await SignedInAsync("admin");
        var head = await _server.HeadAsync();
        using var response = await admin.PostAsync($"/ui/programs/groups/incidents/{incident}/activate", new FormUrlEncodedContent(
            [new("level", "KS2"), new("scope", "global"), new("reason", "forged"), new("step", "confirm")]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The form expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());

        // The same form with the page's token goes through.
        using var confirmed = await admin.PostAsync($"/ui/programs/groups/incidents/{incident}/activate",
            await FormAsync(admin, ("level", "KS2"), ("scope", "global"), ("reason", "real"), ("verifyWithinSeconds", "60"), ("step", "confirm")));
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        Assert.Equal(head + 1, await _server.HeadAsync());
    }

    [Fact]
    public async Task Pages_CarryAContentSecurityPolicy_AndNeverTheToken()
    {
        var token = await _server.CreateTokenAsync("operator", "oscar");
        using var http = Client(new CookieContainer());
        using var signIn = await http.GetAsync("/");
        var csp = string.Join(";", signIn.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        using var posted = await http.PostAsync("/session", new FormUrlEncodedContent(
            [new("token", token), new("__csrf", Csrf(await signIn.Content.ReadAsStringAsync()))]));
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        using var overview = await http.GetAsync("/");
        var html = await overview.Content.ReadAsStringAsync();
        Assert.Contains("oscar · operator", html, StringComparison.Ordinal);
        Assert.DoesNotContain(token, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASession_EndsWhenItExpires_AndWhenItsTokenIsRevoked()
    {
        await using var server = await RipcordTestServer.StartAsync(); // a fake clock
        var expiring = await DashboardHttp.SignedInAsync(server, await server.CreateTokenAsync("operator", "olive"));
        Assert.Contains("olive · operator", await expiring.GetStringAsync("/"), StringComparison.Ordinal);
        server.Clock.Advance(new ServerOptions().DashboardSessionLifetime - TimeSpan.FromSeconds(1));
        Assert.Contains("olive · operator", await expiring.GetStringAsync("/"), StringComparison.Ordinal);
        server.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains("<h1>Sign in</h1>", await expiring.GetStringAsync("/"), StringComparison.Ordinal);

        var token = await server.MintTokenAsync("operator", "rory");
        var revoked = await DashboardHttp.SignedInAsync(server, token.Secret);
        Assert.Contains("rory · operator", await revoked.GetStringAsync("/"), StringComparison.Ordinal);
        await server.OkAsync(HttpMethod.Delete, $"/api/v1/tokens/{token.Id}");
        Assert.Contains("<h1>Sign in</h1>", await revoked.GetStringAsync("/"), StringComparison.Ordinal);
        using var events = await revoked.GetAsync("/ui/events");
        Assert.StartsWith("event: signed-out", await events.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnSdkKey_CannotSignIn()
    {
        using var http = Client(new CookieContainer());
        using var page = await http.GetAsync("/");
        using var posted = await http.PostAsync("/session", new FormUrlEncodedContent(
            [new("token", await _server.CreateTokenAsync("sdk")), new("__csrf", Csrf(await page.Content.ReadAsStringAsync()))]));
        Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
        Assert.Contains("That is an SDK key", await posted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(posted.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("ripcord_session=", StringComparison.Ordinal)));
    }

    private HttpClient Client(CookieContainer cookies) =>
        new(new SocketsHttpHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = _server.BaseAddress };

    private async Task<HttpClient> SignedInAsync(string role) => await DashboardHttp.SignedInAsync(_server, await _server.CreateTokenAsync(role));

    /// <summary>A form with the antiforgery token of a page the session just loaded.</summary>
    private static Task<FormUrlEncodedContent> FormAsync(HttpClient http, params (string Name, string Value)[] fields) => DashboardHttp.FormAsync(http, "/", fields);

    private static string Csrf(string html) => DashboardHttp.Csrf(html);
}
