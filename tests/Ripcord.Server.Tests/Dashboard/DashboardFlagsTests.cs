using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The flags and overrides page in Chromium against a real server: an override set on the page with a reason shows with its
/// expiry countdown and changes the "why" explorer live; removed with a reason (audited), the explorer goes back. A viewer's
/// crafted set is refused (403, audited, nothing written); support is held to user scope as in the API; the service's notes show.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardFlagsTests(DashboardBrowser browser) : IAsyncLifetime
{
    private const string F1 = "groups.routes.enabled";
    private const string Flags = "/ui/programs/groups/flags";
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(clock: TimeProvider.System);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AnOperator_SetsAnOverrideOnThePage_SeesItsCountdown_AndTheWhyExplorerChanges_ThenRemovesItWithAReason()
    {
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("operator", "olly"));
        var before = (await _server.EvaluateAsync(workspaceId: "w-ui"))[F1];
        Assert.NotEqual("override@workspace:w-ui", before.Source);

        // The why explorer for the context, open in a second tab: it follows the change live.
        var why = await page.Context.NewPageAsync();
        await why.GotoAsync("/ui/programs/groups/why?workspace=w-ui");
        var whyF1 = why.Locator($"[data-test=why] tr[data-flag='{F1}']");
        await Expect(whyF1.Locator(".source")).ToHaveTextAsync(before.Source);

        await page.GetByRole(AriaRole.Link, new() { Name = "Flags" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Flags and overrides of groups" })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-test=flags] tr[data-flag='groups.emergency.disableAll'] [data-test=emergency]")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-test=emergency]")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-test=overrides-workspace]")).ToHaveCountAsync(0);
        var head = await _server.HeadAsync();

        var form = page.Locator("form.override");
        await form.GetByLabel("Flag").SelectOptionAsync(F1);
        await form.GetByLabel("Value").SelectOptionAsync("true");
        await form.Locator("select[name=scopeKind]").SelectOptionAsync("workspace");
        await form.GetByLabel("Scope id").FillAsync("w-ui");
        await form.GetByLabel("Reason").FillAsync("pilot customer asked for routes");
        await form.GetByLabel("Expires in (hours)").FillAsync("2.25");
        await form.GetByRole(AriaRole.Button, new() { Name = "Set override" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Override set" })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-test=notes]")).ToContainTextAsync($"Set {F1} on at workspace:w-ui");
        Assert.Equal(head + 1, await _server.HeadAsync());
        await Expect(whyF1.Locator(".source")).ToHaveTextAsync("override@workspace:w-ui", new() { Timeout = 1500 });
        await Expect(whyF1.Locator(".value")).ToHaveTextAsync("on");

        await page.GetByRole(AriaRole.Link, new() { Name = "Back to flags" }).ClickAsync();
        var row = page.Locator("[data-test=overrides-workspace] tr", new() { HasText = "w-ui" });
        await Expect(row).ToContainTextAsync("pilot customer asked for routes");
        await Expect(row).ToContainTextAsync("olly");
        await Expect(row.Locator(".expiry")).ToContainTextAsync(new Regex(@"expires in 2 h 1[34] min"));
        var id = await row.GetAttributeAsync("data-override");
        Assert.NotNull(id);

        var auditHead = await _server.AuditHeadAsync();
        var remove = page.Locator($"form.remove-override[data-override='{id}']");
        await remove.GetByLabel(new Regex("Reason for removing")).FillAsync("pilot ended");
        await remove.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Override removed" })).ToBeVisibleAsync();
        Assert.Equal(head + 2, await _server.HeadAsync());
        await Expect(whyF1.Locator(".source")).ToHaveTextAsync(before.Source, new() { Timeout = 1500 });
        Assert.Contains(await _server.AuditAfterAsync(auditHead), e => e.ToString().Contains("pilot ended", StringComparison.Ordinal)
            && e.GetProperty("outcome").GetString() != "denied");
        Assert.Empty((await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray());
    }

    [Fact]
    public async Task AViewersCraftedSet_WithAValidAntiforgeryToken_IsRefused_Audited_AndWritesNothing()
    {
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "vic"));
        await page.GotoAsync(Flags);
        await Expect(page.Locator("section.set-override .note")).ToContainTextAsync("may not set an override");
        var csrf = await page.Locator("input[name=__csrf]").First.GetAttributeAsync("value");
        var head = await _server.HeadAsync();
        var auditHead = await _server.AuditHeadAsync();

        var form = page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in new[] { ("__csrf", csrf!), ("flag", F1), ("value", "true"), ("scopeKind", "global"), ("reason", "crafted") })
        {
            form.Set(name, value);
        }
        var crafted = await page.APIRequest.PostAsync("/ui/programs/groups/overrides", new() { Form = form });
        Assert.Equal(403, crafted.Status);
        Assert.Contains("Refused: role &#x27;viewer&#x27; may not set an override", await crafted.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());
        Assert.Empty((await _server.GetAsync("/api/v1/programs/groups/overrides")).EnumerateArray());
        Assert.Contains(await _server.AuditAfterAsync(auditHead), e => e.GetProperty("outcome").GetString() == "denied"
            && e.GetProperty("role").GetString() == "viewer" && e.GetProperty("target").GetString() == "POST /ui/programs/groups/overrides");
    }

    [Fact]
    public async Task Support_MaySetOnlyUserScope_AsInTheApi_AndTheServicesNotesShow()
    {
        var support = await SignedInAsync("support");
        var head = await _server.HeadAsync();
        using var refused = await support.PostAsync("/ui/programs/groups/overrides", await FormAsync(support,
            ("flag", F1), ("value", "true"), ("scopeKind", "workspace"), ("scopeId", "w-1"), ("reason", "try")));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("may only set user-scope (diagnostic) overrides", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(head, await _server.HeadAsync());

        // User scope without an expiry is the service's refusal (user overrides expire), shown with the API's status.
        using var noExpiry = await support.PostAsync("/ui/programs/groups/overrides", await FormAsync(support,
            ("flag", F1), ("value", "true"), ("scopeKind", "user"), ("scopeId", "u-1"), ("reason", "repro")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noExpiry.StatusCode);
        Assert.Equal(head, await _server.HeadAsync());

        using var set = await support.PostAsync("/ui/programs/groups/overrides", await FormAsync(support,
            ("flag", F1), ("value", "false"), ("scopeKind", "user"), ("scopeId", "u-1"), ("reason", "repro"), ("expiresInHours", "1")));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(head + 1, await _server.HeadAsync());

        // An operator's global override that the user override shadows: the note names it.
        var operatorClient = await SignedInAsync("operator");
        using var global = await operatorClient.PostAsync("/ui/programs/groups/overrides", await FormAsync(operatorClient,
            ("flag", F1), ("value", "true"), ("scopeKind", "global"), ("reason", "open routes")));
        var html = await global.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, global.StatusCode);
        Assert.Contains("Shadowed at user:u-1", html, StringComparison.Ordinal);

        var page = await operatorClient.GetStringAsync(Flags);
        Assert.Matches(new Regex("data-test=\"overrides-user\".*u-1.*expires in (59 min|1 h 0 min)", RegexOptions.Singleline), page);
        Assert.Contains("data-test=\"overrides-global\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExpiredOverride_IsShownAsExpired()
    {
        await using var server = await RipcordTestServer.StartAsync(); // a fake clock
        await server.SetOverrideAsync("F1", "workspace:w-old", true, server.Clock.GetUtcNow().AddHours(1), "short test");
        var http = await DashboardHttp.SignedInAsync(server, await server.CreateTokenAsync("viewer"));
        Assert.Contains("expires in 1 h 0 min", await http.GetStringAsync(Flags), StringComparison.Ordinal);
        server.Clock.Advance(TimeSpan.FromMinutes(61));
        var html = await http.GetStringAsync(Flags);
        Assert.Matches(new Regex("w-old.*<span class=\"error\">expired</span>", RegexOptions.Singleline), html);
        Assert.DoesNotContain("expires in", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyOverrides_AreListedAPageAtATime_AndTheFilterFindsAnyOfThem_SoThePageStaysSmall()
    {
        for (var i = 0; i < 230; i++)
        {
            await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
                new { flag = F1, scope = $"workspace:ws-{i:D3}", value = i % 2 == 0, reason = i == 217 ? "the needle" : "bulk" });
        }
        var http = await SignedInAsync("viewer");

        var first = await http.GetStringAsync(Flags);
        Assert.Contains("230 override(s); showing 1–100", first, StringComparison.Ordinal);
        Assert.Equal(100, Regex.Matches(first, "<tr data-override=").Count);
        Assert.Contains("ws-000", first, StringComparison.Ordinal);
        Assert.DoesNotContain("ws-100", first, StringComparison.Ordinal);

        var last = await http.GetStringAsync(Flags + "?page=2");
        Assert.Contains("showing 201–230", last, StringComparison.Ordinal);
        Assert.Equal(30, Regex.Matches(last, "<tr data-override=").Count);
        Assert.Contains("data-test=\"previous\"", last, StringComparison.Ordinal);
        Assert.DoesNotContain("data-test=\"next\"", last, StringComparison.Ordinal);

        // The filter matches the reason (and flag, scope, author, id); the live stream follows the same filter.
        var found = await http.GetStringAsync(Flags + "?q=NEEDLE");
        Assert.Contains("230 override(s), 1 matching", found, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(found, "<tr data-override="));
        Assert.Contains("workspace:ws-217", found, StringComparison.Ordinal);
        Assert.Contains("view=flags&amp;program=groups&amp;q=NEEDLE", found, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(found, "class=\"remove-override\""));
    }

    private async Task<HttpClient> SignedInAsync(string role) => await DashboardHttp.SignedInAsync(_server, await _server.CreateTokenAsync(role));

    private static Task<FormUrlEncodedContent> FormAsync(HttpClient http, params (string Name, string Value)[] fields) =>
        DashboardHttp.FormAsync(http, Flags, fields);
}
