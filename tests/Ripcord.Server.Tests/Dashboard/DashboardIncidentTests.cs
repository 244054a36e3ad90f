using System.Text.Json;
using Microsoft.Playwright;
using Ripcord.Server.Tests.Alerts;
using Ripcord.Server.Tests.KillSwitches;
using Ripcord.Server.Tests.Telemetry;
using static Microsoft.Playwright.Assertions;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The incident pages in a real headless Chromium (issue 12): an incident's course as a visual timeline that follows
/// changes live, action items and notes, announcements rendered per audience and sent, resolve and close with the
/// workflow's rules, the post-incident document; acknowledging a firing alert; completing someone else's review.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardIncidentTests(DashboardBrowser browser) : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    // A real clock (session cookies, live updates); the alert loop is off so the test runs its passes itself.
    public async Task InitializeAsync() =>
        _server = await RipcordTestServer.StartAsync(clock: TimeProvider.System, customize: o => o with { AlertInterval = TimeSpan.Zero });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task IncidentPage_ActionItemsAnnouncementsResolveAndClose_FollowTheWorkflow_AndTheTimelineShowsEachStepLive()
    {
        var incident = await _server.DeclareAsync();
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("operator", "olga"));

        // The incident list links to it.
        await page.GotoAsync("/ui/programs/groups/incidents");
        await Expect(page.Locator($"[data-test=incident-list] tr[data-incident={incident}]")).ToContainTextAsync("declared");
        await page.Locator($"[data-test=incident-list] a", new() { HasText = incident }).ClickAsync();
        await Expect(page.Locator("[data-test=milestones] [data-step=declared]")).ToHaveClassAsync("done");
        await Expect(page.Locator("[data-test=milestones] [data-step=announced]")).ToHaveClassAsync("todo");
        await Expect(page.Locator("#incident")).ToHaveAttributeAsync("data-updated", new System.Text.RegularExpressions.Regex(".+"));

        // A step made elsewhere (a note through the API) reaches the open page's timeline without a reload.
        await _server.OkAsync(HttpMethod.Post, $"/api/v1/programs/groups/incidents/{incident}/notes", new { text = "paged the EU on-call" });
        await Expect(page.Locator("[data-test=timeline]")).ToContainTextAsync("paged the EU on-call", new() { Timeout = 1500 });

        // An action item, from the page.
        var add = page.Locator("form[action$='/actions']");
        await add.GetByLabel("Action item").FillAsync("add a canary for ack latency");
        await add.GetByLabel("Owner (optional)").FillAsync("olga");
        await add.GetByRole(AriaRole.Button, new() { Name = "Add action item" }).ClickAsync();
        await Expect(page.Locator("[data-test=action-items] tr[data-action=a1]")).ToContainTextAsync("add a canary for ack latency");
        await Expect(page.Locator("[data-test=timeline]")).ToContainTextAsync("action a1: add a canary for ack latency (owner olga)");

        // Announcements: each audience's template rendered now; sending one puts it on the timeline and the course.
        var operatorNote = page.Locator("article.announcement[data-audience=operator]");
        await Expect(operatorNote.Locator("[data-test=announcement]")).ToContainTextAsync(incident);
        await operatorNote.GetByRole(AriaRole.Button, new() { NameRegex = new("^Send to operator") }).ClickAsync();
        await Expect(page.Locator("[data-test=milestones] [data-step=announced]")).ToHaveClassAsync("done");
        await Expect(page.Locator("article.announcement[data-audience=operator]")).ToContainTextAsync("last sent");
        var stored = await _server.GetAsync($"/api/v1/programs/groups/incidents/{incident}");
        Assert.Contains(stored.GetProperty("incident").GetProperty("timeline").EnumerateArray(),
            t => t.GetProperty("kind").GetString() == "announced" && t.GetProperty("by").GetString() == "olga");

        // Resolve, then closing is refused while an action item is open — the workflow's own message, its status.
        var resolve = page.Locator("form[action$='/resolve']").Filter(new() { HasText = "Summary" });
        await resolve.GetByLabel("Summary").FillAsync("a bad broker config, rolled back");
        await resolve.GetByRole(AriaRole.Button, new() { Name = "Resolve incident" }).ClickAsync();
        await Expect(page.Locator("[data-test=milestones] [data-step=resolved]")).ToHaveClassAsync("done");
        var close = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Close incident" }).ClickAsync(), r => r.Url.EndsWith("/close", StringComparison.Ordinal));
        Assert.Equal(409, close.Status);
        await Expect(page.Locator("[data-test=error]")).ToContainTextAsync("has open action items: a1");

        await page.GotoAsync($"/ui/programs/groups/incidents/{incident}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resolve a1" }).ClickAsync();
        await Expect(page.Locator("[data-test=action-items] tr[data-action=a1]")).ToContainTextAsync("resolved by olga");
        await page.GetByRole(AriaRole.Button, new() { Name = "Close incident" }).ClickAsync();
        await Expect(page.Locator("[data-test=incident-status]")).ToHaveTextAsync("closed");
        await Expect(page.Locator("[data-test=milestones] [data-step=closed]")).ToHaveClassAsync("done");

        // The post-incident document is the API's markdown.
        await page.Locator("[data-test=document-link]").ClickAsync();
        using var markdown = await _server.SendAsync(HttpMethod.Get, $"/api/v1/programs/groups/incidents/{incident}/document");
        var expected = await markdown.Content.ReadAsStringAsync();
        // The document ends with when it was generated (to the second): the two were generated moments apart.
        static string Body(string document) => System.Text.RegularExpressions.Regex.Replace(document.ReplaceLineEndings("\n"), @"_Generated [^_]+\._", "_Generated …_").Trim();
        Assert.Equal(Body(expected), Body(await page.Locator("[data-test=document]").InnerTextAsync()));
        Assert.Contains("_Generated ", expected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnAPhoneWidthScreen_NoPageScrollsSideways_AndTheKeyboardAloneSignsInAndReachesThePages()
    {
        var incident = await _server.DeclareAsync();
        await _server.ActivateAsync("KS2", "global", incident);
        var page = await browser.OpenAsync(_server);
        await page.SetViewportSizeAsync(390, 844);

        // Keyboard only: the token field has the focus, Enter signs in, Tab reaches the header's links.
        await page.Keyboard.TypeAsync(await _server.CreateTokenAsync("ops-lead", "otto"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("[data-test=who]")).ToHaveTextAsync("otto · ops-lead");
        string? focused = null;
        for (var i = 0; i < 10 && focused != "Incidents"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            focused = await page.EvaluateAsync<string>("() => document.activeElement.textContent");
        }
        Assert.Equal("Incidents", focused);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator($"[data-test=incident-list] tr[data-incident={incident}]")).ToBeVisibleAsync();

        foreach (var path in new[] { "/", "/ui/programs/groups/incidents", $"/ui/programs/groups/incidents/{incident}", "/ui/programs/groups/flags",
            "/ui/programs/groups/stage", "/ui/programs/groups/charts", "/ui/audit", "/ui/programs/groups/why?workspace=acme" })
        {
            await page.GotoAsync(path);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"{path} scrolls sideways by {overflow} px at 390 px wide");
        }
    }

    [Fact]
    public async Task AViewer_CannotChangeAnIncident_EvenWithACraftedRequest_AndNothingIsWritten()
    {
        var incident = await _server.DeclareAsync();
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "vera"));
        await page.GotoAsync($"/ui/programs/groups/incidents/{incident}");
        await Expect(page.Locator("section.work .note").First).ToContainTextAsync("may not change an incident");
        var before = await _server.GetAsync($"/api/v1/programs/groups/incidents/{incident}");

        var csrf = await page.Locator("input[name=__csrf]").First.GetAttributeAsync("value");
        foreach (var (path, field, value) in new[] { ("/notes", "text", "crafted"), ("/actions", "text", "crafted"), ("/resolve", "summary", "crafted") })
        {
            var form = page.Context.APIRequest.CreateFormData();
            form.Set("__csrf", csrf!);
            form.Set(field, value);
            var crafted = await page.APIRequest.PostAsync($"/ui/programs/groups/incidents/{incident}{path}", new() { Form = form });
            Assert.Equal(403, crafted.Status);
        }
        var after = await _server.GetAsync($"/api/v1/programs/groups/incidents/{incident}");
        Assert.Equal(before.GetProperty("incident").GetProperty("timeline").GetArrayLength(), after.GetProperty("incident").GetProperty("timeline").GetArrayLength());
        Assert.Equal("declared", after.GetProperty("incident").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AFiringAlert_IsAcknowledgedOnTheAlertsPage_WithAReason()
    {
        await _server.PostTelemetryAsync(await _server.TokenAsync("sdk"), new
        {
            program = "groups",
            instance = "alerts-1",
            events = new[] { new { type = "security-signal", at = DateTimeOffset.UtcNow, kind = "confidentiality-risk", severity = "critical", workspaceId = "w1" } },
        }).ExpectAsync(System.Net.HttpStatusCode.Accepted);
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // past the rule's sustain, on the real clock
        await _server.PassAsync();
        var alert = Assert.Single(await _server.AlertsAsync());
        var id = alert.GetProperty("id").GetString()!;

        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("operator", "olga"));
        await page.GetByRole(AriaRole.Link, new() { Name = "all alerts, acknowledge" }).ClickAsync();
        var row = page.Locator($"[data-test=alert-list] tr[data-alert={id}]");
        await Expect(row).ToContainTextAsync("firing");
        await row.GetByLabel("Reason").FillAsync("looking into it");
        await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(page.Locator($"[data-test=alert-list] tr[data-alert={id}]")).ToContainTextAsync("by olga");

        var acked = Assert.Single(await _server.AlertsAsync());
        Assert.Equal(("olga", "looking into it"), (acked.GetProperty("acknowledgedBy").GetString(), acked.GetProperty("acknowledgeReason").GetString()));
    }

    [Fact]
    public async Task AReview_IsCompletedOnTheDashboard_BySomeoneOtherThanTheActor()
    {
        var rita = await _server.CreateTokenAsync("release-manager", "rita");
        var incident = await _server.DeclareAsync();
        var (status, _) = await _server.ActivateAsync("KS2", "global", incident, token: rita);
        Assert.Equal(System.Net.HttpStatusCode.Created, status);
        var review = (await _server.GetAsync("/api/v1/reviews?open=true")).EnumerateArray().Single().GetProperty("id").GetString()!;

        // The actor sees that someone else reviews it, and has no form for it.
        var ritaPage = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(ritaPage, rita);
        await ritaPage.GotoAsync("/ui/programs/groups/reviews");
        await Expect(ritaPage.Locator($"[data-review={review}]")).ToContainTextAsync("someone else reviews it");
        await Expect(ritaPage.Locator($"[data-review={review}] form")).ToHaveCountAsync(0);

        // A security lead completes it from the incident page, and lands back there.
        var sam = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(sam, await _server.CreateTokenAsync("security-lead", "sam"));
        await sam.GotoAsync($"/ui/programs/groups/incidents/{incident}");
        var form = sam.Locator($"[data-review={review}] form");
        await form.GetByLabel("Findings").FillAsync("proportionate");
        await form.GetByRole(AriaRole.Button, new() { Name = "Complete review" }).ClickAsync();
        await Expect(sam.Locator($"[data-review={review}] [data-test=review-done]")).ToContainTextAsync("Completed by sam");
        Assert.EndsWith($"/incidents/{incident}", new Uri(sam.Url).AbsolutePath, StringComparison.Ordinal);

        JsonElement done = await _server.GetAsync($"/api/v1/reviews/{review}");
        Assert.Equal(("sam", "proportionate"), (done.GetProperty("completedBy").GetString(), done.GetProperty("findings").GetString()));
        await sam.GotoAsync("/ui/programs/groups/reviews");
        await Expect(sam.Locator("[data-test=no-reviews]")).ToBeVisibleAsync();
    }
}
