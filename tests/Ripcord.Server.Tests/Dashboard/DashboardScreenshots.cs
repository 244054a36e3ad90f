using Microsoft.Playwright;
using Ripcord.Server.Tests.KillSwitches;
using static Microsoft.Playwright.Assertions;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// Regenerates the dashboard screenshots in docs/images/ (scripts/dashboard-screenshots.sh sets RIPCORD_SCREENSHOTS to the folder);
/// without the variable it returns at once, so the suite does not rewrite docs.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardScreenshots(DashboardBrowser browser)
{
    [Fact]
    public async Task MainPages()
    {
        if (Environment.GetEnvironmentVariable("RIPCORD_SCREENSHOTS") is not { Length: > 0 } folder)
        {
            return;
        }
        Directory.CreateDirectory(folder);
        await using var server = await RipcordTestServer.StartAsync(clock: TimeProvider.System);
        var sdkKey = await server.CreateTokenAsync("sdk", "app");
        await using var a = await FakeInstance.ConnectAsync(server, sdkKey, "i-a");
        await using var b = await FakeInstance.ConnectAsync(server, sdkKey, "i-b");
        await a.ReportAsync(await server.HeadAsync());
        await b.ReportAsync(await server.HeadAsync());

        var page = await browser.OpenAsync(server);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-sign-in.png") });
        await DashboardBrowser.SignInAsync(page, await server.CreateTokenAsync("release-manager", "rita"));
        var incident = await server.DeclareAsync();
        await page.GotoAsync($"/ui/programs/groups/incidents/{incident}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Review activation…" }).ClickAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-confirm.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Activate KS3 at global now" }).ClickAsync();
        var head = await server.HeadAsync();
        await a.ReportAsync(head);
        await b.ReportAsync(head);
        await Expect(page.Locator("[data-test=verification]")).ToContainTextAsync("verified");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-kill-switch-panel.png"), FullPage = true });
        await page.GotoAsync("/");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-overview.png"), FullPage = true });
        await page.GotoAsync("/ui/programs/groups/why?workspace=acme&tier=1");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-why.png"), FullPage = true });

        // Telemetry for the charts: sends from two workspaces, through the ingest API the SDKs use.
        for (var i = 0; i < 20; i++)
        {
            await a.SendAsync(head - 1, i % 3 == 0 ? "acme" : "initech"); // before the kill switch: not violations of it
        }
        await server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
            new { flag = "groups.routes.enabled", scope = "workspace:acme", value = true, reason = "pilot customer asked early", expiresAt = DateTimeOffset.UtcNow.AddHours(6) });
        await server.OkAsync(HttpMethod.Post, $"/api/v1/programs/groups/incidents/{incident}/actions", new { text = "add an ack-latency canary", owner = "rita" });
        await page.GotoAsync($"/ui/programs/groups/incidents/{incident}");
        await page.Locator("article.announcement[data-audience=operator] button").ClickAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-incident.png"), FullPage = true });
        await page.GotoAsync("/ui/programs/groups/flags");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-flags.png"), FullPage = true });
        await page.GotoAsync("/ui/programs/groups/charts?range=1h");
        await Expect(page.Locator("canvas").First).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(500); // Chart.js animates its first draw
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-charts.png"), FullPage = true });
        await page.GotoAsync("/ui/programs/groups/stage");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-stage.png"), FullPage = true });
        await page.GotoAsync("/ui/audit");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-audit.png") });

        // The on-call person's phone.
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "dashboard-overview-phone.png"), FullPage = true });
    }
}
