using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Ripcord.Server.Tests.KillSwitches;
using static Microsoft.Playwright.Assertions;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The dashboard at / in a real headless Chromium against a real server on loopback (issue 12): sign-in and its
/// cookie, the overview updating live after an API change, a viewer refused with the reason, and the kill-switch
/// panel's declare → recommend → confirm → activate → verified with SDK instances connected.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardBrowserTests(DashboardBrowser browser) : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    // A real clock: cookie expiry, live updates and verification run on wall time here.
    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(clock: TimeProvider.System);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task SignIn_WithAToken_SetsAStrictHttpOnlyExpiringSessionCookie_WrongTokenIsRefused_SignOutEndsTheSession()
    {
        var page = await browser.OpenAsync(_server);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();

        await DashboardBrowser.SignInAsync(page, "rc_usr_this-token-was-never-issued-000");
        await Expect(page.Locator("[data-test=error]")).ToContainTextAsync("not valid");
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "ripcord_session");

        var operatorToken = await _server.CreateTokenAsync("operator", "dana");
        await DashboardBrowser.SignInAsync(page, operatorToken);
        await Expect(page.Locator("[data-test=who]")).ToHaveTextAsync("dana · operator");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-program=groups] [data-test=head]")).ToHaveTextAsync((await _server.HeadAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture));

        var session = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "ripcord_session");
        Assert.True(session.HttpOnly, "the session cookie is HttpOnly");
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        var expires = DateTimeOffset.FromUnixTimeSeconds((long)session.Expires);
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddHours(7), DateTimeOffset.UtcNow.AddHours(9)); // a session cookie with an expiry, not forever
        Assert.DoesNotContain(operatorToken, session.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(operatorToken, await page.ContentAsync(), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "ripcord_session");

        // The old session id is dead on the server too: replayed, it gets the sign-in page.
        using var replay = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = _server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Cookie", $"ripcord_session={session.Value}");
        using var response = await replay.SendAsync(request);
        Assert.Contains("<h1>Sign in</h1>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overview_ShowsAKillSwitchActivatedThroughTheApi_WithinASecond_WithoutAReload()
    {
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "watcher"));
        var overview = page.Locator("#overview");
        await Expect(overview).ToHaveAttributeAsync("data-updated", new Regex(".+")); // the live stream is connected
        await Expect(page.Locator("[data-program=groups] [data-test=no-kill-switches]")).ToBeVisibleAsync();

        var incident = await _server.DeclareAsync();
        var (status, created) = await _server.ActivateAsync("KS2", "global", incident);
        Assert.Equal(System.Net.HttpStatusCode.Created, status);
        var clock = Stopwatch.StartNew();
        var row = page.Locator("[data-program=groups] [data-test=kill-switches] tr", new() { HasText = incident });
        await Expect(row).ToContainTextAsync("KS2", new() { Timeout = 1500 });
        await Expect(row).ToContainTextAsync("global");
        var seen = clock.Elapsed;
        Assert.True(seen < TimeSpan.FromSeconds(1.5), $"the overview showed the activation {seen.TotalMilliseconds:0} ms after the API answered");
        await Expect(page.Locator("[data-program=groups] [data-test=head]")).ToHaveTextAsync(created.GetProperty("revision").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("[data-program=groups] [data-test=incidents]")).ToContainTextAsync(incident);
        // Changes that publish no revision (a known-safe tag) come with the next poll, still within the second.
        await Expect(page.Locator("[data-program=groups] [data-test=known-safe]")).ToHaveTextAsync("none tagged");
        await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/revisions/1/known-safe", new { reason = "dogfood was clean" });
        await Expect(page.Locator("[data-program=groups] [data-test=known-safe]")).ToContainTextAsync("1 (stage 0", new() { Timeout = 1500 });
        await Expect(page.Locator("[data-program=groups] [data-test=incidents]")).ToContainTextAsync("met ("); // the activation started the response
        Assert.Equal("/", new Uri(page.Url).AbsolutePath); // no navigation happened
    }

    [Fact]
    public async Task AViewer_WhoTriesToActivate_IsRefusedWithTheReason_EvenWithACraftedRequest_AndTheRefusalIsAudited()
    {
        var incident = await _server.DeclareAsync();
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "vera"));
        await page.GotoAsync(DashboardPath(incident));
        await Expect(page.Locator(".activate .note")).ToContainTextAsync("may not activate a kill switch"); // said up front
        var head = await _server.HeadAsync();
        var auditHead = await _server.AuditHeadAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Review activation…" }).ClickAsync();
        await Expect(page.Locator("[data-test=error]")).ToContainTextAsync("Refused: role 'viewer' may not activate a kill switch; it needs one of: ops-lead, release-manager, security-lead, admin.");

        // A crafted confirmation (right cookie, right antiforgery token, straight to the last step) is refused by the server too.
        var csrf = await page.Locator("input[name=__csrf]").First.GetAttributeAsync("value");
        var crafted = await page.APIRequest.PostAsync(DashboardPath(incident) + "/activate", new()
        {
            Form = FormOf(page, ("__csrf", csrf!), ("level", "KS2"), ("scope", "global"), ("reason", "crafted"), ("verifyWithinSeconds", "60"),
                ("step", "confirm")),
        });
        Assert.Equal(403, crafted.Status);
        Assert.Contains("Refused: role &#x27;viewer&#x27; may not activate", await crafted.TextAsync(), StringComparison.Ordinal);

        Assert.Equal(head, await _server.HeadAsync());
        var denied = (await _server.AuditAfterAsync(auditHead)).Where(e => e.GetProperty("outcome").GetString() == "denied").ToList();
        Assert.NotEmpty(denied);
        Assert.All(denied, e => Assert.Equal("viewer", e.GetProperty("role").GetString()));
        Assert.Contains(denied, e => e.GetProperty("target").GetString() == $"POST {DashboardPath(incident)}/activate");
    }

    [Fact]
    public async Task KillSwitchPanel_DeclareRecommendConfirmActivate_ShowsVerificationLive_NOfMInstances()
    {
        var sdkKey = await _server.CreateTokenAsync("sdk", "app");
        await using var a = await FakeInstance.ConnectAsync(_server, sdkKey, "i-a");
        await using var b = await FakeInstance.ConnectAsync(_server, sdkKey, "i-b");
        var head = await _server.HeadAsync();
        await a.ReportAsync(head);
        await b.ReportAsync(head);

        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("release-manager", "rita"));
        await Expect(page.Locator("[data-program=groups] [data-test=fleet]")).ToHaveTextAsync($"2 connected, 2 at revision {head}");

        var declare = page.Locator("section.declare form");
        await declare.GetByLabel("Class").SelectOptionAsync("P3");
        await declare.GetByLabel("Trigger").SelectOptionAsync("publish-ack-failures");
        await declare.GetByLabel("Summary").FillAsync("acks failing in the EU");
        await declare.GetByRole(AriaRole.Button, new() { Name = "Declare incident" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new("^Incident inc_") })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-test=recommendation]")).ToContainTextAsync("Recommended: KS3 at scope global");
        var incident = page.Url.Split('/').Last();
        await page.GetByRole(AriaRole.Button, new() { Name = "Review activation…" }).ClickAsync();

        // The confirmation names the level, the scope and how many instances it reaches; nothing is applied yet.
        await Expect(page.Locator("[data-test=affected]")).ToContainTextAsync("It affects scope global: 2 connected SDK instance(s) of groups");
        Assert.Equal(head, await _server.HeadAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Activate KS3 at global now" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(DashboardPath(incident)) + "$"));
        var verification = page.Locator("[data-test=verification]");
        await Expect(verification).ToContainTextAsync("pending: 0 of 2 instances");
        var applied = await _server.HeadAsync();
        Assert.Equal(head + 1, applied);
        await Expect(page.Locator("#incident")).ToHaveAttributeAsync("data-updated", new Regex(".+"));

        await a.ReportAsync(applied);
        await Expect(verification).ToContainTextAsync("1 of 2 instances");
        await b.ReportAsync(applied);
        await Expect(verification).ToContainTextAsync($"verified: 2 of 2 instances at revision {applied}");
        await Expect(page.Locator("[data-test=activation]")).ToContainTextAsync("time to mitigate");
        await Expect(page.Locator("[data-test=fleet]")).ToHaveTextAsync($"2 connected, 2 at revision {applied}");
    }

    [Fact]
    public async Task WhyExplorer_ShowsEachFlagsDecidingLayer_AndAnOverrideMadeThroughTheApiChangesItLive()
    {
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("support", "sam"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Why explorer" }).ClickAsync();
        await Expect(page.Locator("p.empty")).ToContainTextAsync("Enter a context");
        await page.GetByLabel("Workspace").FillAsync("w-why");
        await page.GetByLabel("Tier").SelectOptionAsync("1");
        await page.GetByLabel("Attributes").FillAsync("region=eu, seats=40");
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();

        const string F1 = "groups.routes.enabled";
        var f1 = page.Locator($"[data-test=why] tr[data-flag='{F1}']");
        var expected = await _server.EvaluateAsync(workspaceId: "w-why", tier: 1);
        await Expect(f1.Locator(".source")).ToHaveTextAsync(expected[F1].Source);
        await Expect(page.Locator("#why")).ToHaveAttributeAsync("data-updated", new Regex(".+"));

        await _server.SetOverrideAsync("F1", "workspace:w-why", true);
        await Expect(f1.Locator(".source")).ToHaveTextAsync("override@workspace:w-why", new() { Timeout = 1500 });
        await Expect(f1.Locator(".value")).ToHaveTextAsync("on");
        await Expect(f1.Locator(".reason")).ToHaveTextAsync("override");
        await Expect(page.Locator("[data-test=why-revision]")).ToHaveTextAsync((await _server.HeadAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture));

        await page.GetByLabel("Tier").SelectOptionAsync("");
        await page.GetByLabel("Attributes").FillAsync("not-a-pair");
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
        await Expect(page.Locator("[data-test=error]")).ToContainTextAsync("must read name=value");
    }

    [Fact]
    public async Task AnOpsLeadsActivation_IsARequest_AReleaseManagerApprovesItOnThePanel_TheOpsLeadSeesItLive_ThenLiftsIt()
    {
        var incident = await _server.DeclareAsync();
        var opsLead = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(opsLead, await _server.CreateTokenAsync("ops-lead", "olga"));
        await opsLead.GotoAsync(DashboardPath(incident));
        await opsLead.GetByRole(AriaRole.Button, new() { Name = "Review activation…" }).ClickAsync();
        await Expect(opsLead.Locator("[data-test=confirm]")).ToContainTextAsync("As an ops lead, this makes a request");
        var head = await _server.HeadAsync();
        await opsLead.GetByRole(AriaRole.Button, new() { Name = "Activate KS3 at global now" }).ClickAsync();
        await Expect(opsLead.Locator("[data-test=request]")).ToContainTextAsync("KS3 at global by olga — pending");
        Assert.Equal(head, await _server.HeadAsync());
        await Expect(opsLead.Locator("#incident")).ToHaveAttributeAsync("data-updated", new Regex(".+"));

        var manager = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(manager, await _server.CreateTokenAsync("release-manager", "rita"));
        await manager.GotoAsync(DashboardPath(incident));
        await manager.GetByRole(AriaRole.Button, new() { Name = "Approve and activate KS3 at global" }).ClickAsync();
        await Expect(manager.Locator("[data-test=activation]")).ToContainTextAsync("KS3 at global, revision");
        await Expect(manager.Locator("[data-test=activation]")).ToContainTextAsync("by rita");
        Assert.Equal(head + 1, await _server.HeadAsync());
        await Expect(opsLead.Locator("[data-test=activation]")).ToContainTextAsync("by rita"); // the ops lead's open page, live
        await Expect(opsLead.Locator("[data-test=request]")).ToContainTextAsync("approved");

        await manager.GetByLabel("Reason for lifting KS3 at global").FillAsync("acks recovered");
        await manager.GetByRole(AriaRole.Button, new() { Name = "Lift KS3 at global" }).ClickAsync();
        await Expect(manager.Locator("[data-test=activation]")).ToContainTextAsync("lifted by rita");
        Assert.Equal(head + 2, await _server.HeadAsync());
        await Expect(opsLead.Locator("[data-test=activation]")).ToContainTextAsync("lifted by rita");
    }

    private static string DashboardPath(string incident) => $"/ui/programs/groups/incidents/{incident}";

    private static IFormData FormOf(IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }
        return form;
    }
}
