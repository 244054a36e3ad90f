using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Ripcord.Server.Tests.Webhooks;
using Ripcord.Server.Ui;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// Dashboard sessions on the server's (fake) clock, over plain HTTP: a session ends at its expiry even if the browser keeps
/// the cookie, a revoked token ends its sessions, and neither the token nor the session id is ever written to a log line
/// or put in a URL.
/// </summary>
public sealed partial class DashboardSessionTests : IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(configure: b => b.Logging.AddProvider(_logs));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ASession_EndsAtItsExpiry_OnTheServer_EvenWhenTheBrowserStillSendsTheCookie()
    {
        var (http, _) = await SignInAsync((await _server.MintTokenAsync("viewer", "vera")).Secret);
        using var _http = http;
        Assert.Contains("<h1>Overview</h1>", await http.GetStringAsync("/"), StringComparison.Ordinal);

        _server.Clock.Advance(TimeSpan.FromHours(8) - TimeSpan.FromMinutes(1));
        Assert.Contains("<h1>Overview</h1>", await http.GetStringAsync("/"), StringComparison.Ordinal);

        _server.Clock.Advance(TimeSpan.FromMinutes(2)); // past DashboardSessionLifetime
        Assert.Contains("<h1>Sign in</h1>", await http.GetStringAsync("/"), StringComparison.Ordinal);
        using var page = await http.GetAsync("/ui/programs/groups/incidents");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("event: signed-out", await http.GetStringAsync("/ui/events?view=overview"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokingTheToken_EndsItsSessions()
    {
        var minted = await _server.MintTokenAsync("operator", "olga");
        var (http, _) = await SignInAsync(minted.Secret);
        Assert.Contains("<h1>Overview</h1>", await http.GetStringAsync("/"), StringComparison.Ordinal);

        await _server.OkAsync(HttpMethod.Delete, $"/api/v1/tokens/{minted.Id}");
        _server.Clock.Advance(TimeSpan.FromSeconds(31)); // past the token cache, as for the API
        Assert.Contains("<h1>Sign in</h1>", await http.GetStringAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NeitherTheTokenNorTheSessionId_IsEverLogged_OrPutInAUrl()
    {
        var token = (await _server.MintTokenAsync("release-manager", "rita")).Secret;
        var (http, session) = await SignInAsync(token);
        var incident = await KillSwitches.KillSwitchHarness.DeclareAsync(_server);
        foreach (var path in new[] { "/", "/ui/programs/groups/flags", $"/ui/programs/groups/incidents/{incident}", "/ui/programs/groups/stage",
            "/ui/audit", "/ui/programs/groups/charts", "/ui/programs/groups/why?workspace=acme" })
        {
            var html = await http.GetStringAsync(path);
            Assert.DoesNotContain(token, html, StringComparison.Ordinal);
            Assert.DoesNotContain(session, html, StringComparison.Ordinal);
            // Every link and form target on the page: never the token or the session.
            foreach (Match link in LinkOrAction().Matches(html))
            {
                Assert.DoesNotContain(token, link.Value, StringComparison.Ordinal);
                Assert.DoesNotContain(session, link.Value, StringComparison.Ordinal);
            }
        }
        // A failed sign-in with a token that is not valid, and a refused action: logged at most as what happened, never the secret.
        using (var anon = new HttpClient(new SocketsHttpHandler { UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = _server.BaseAddress })
        {
            var form = DashboardHttp.Csrf(await anon.GetStringAsync("/"));
            using var refused = await anon.PostAsync("/session", new FormUrlEncodedContent([new("token", "rc_usr_" + new string('x', 40)), new("__csrf", form)]));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.NotEmpty(_logs.Lines);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(token, StringComparison.Ordinal) || l.Contains(session, StringComparison.Ordinal)
            || l.Contains(new string('x', 40), StringComparison.Ordinal));
    }

    private async Task<(HttpClient Http, string SessionId)> SignInAsync(string token)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = _server.BaseAddress };
        var csrf = DashboardHttp.Csrf(await http.GetStringAsync("/"));
        using var posted = await http.PostAsync("/session", new FormUrlEncodedContent([new("token", token), new("__csrf", csrf)]));
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var session = cookies.GetCookies(_server.BaseAddress)[DashboardSessions.CookieName]?.Value;
        Assert.False(string.IsNullOrEmpty(session));
        return (http, session!);
    }

    [GeneratedRegex("(?:href|action|src|data-live)=\"[^\"]*\"")]
    private static partial Regex LinkOrAction();
}
