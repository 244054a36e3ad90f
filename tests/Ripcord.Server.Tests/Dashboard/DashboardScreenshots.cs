using Microsoft.Playwright;
using Ripcord.Server.Tests.KillSwitches;
using static Microsoft.Playwright.Assertions;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// Every main page rendered in Chromium with data in it, and a screenshot of each: into docs/images/ when
/// scripts/dashboard-screenshots.sh sets RIPCORD_SCREENSHOTS to that folder, else into a temporary folder that is deleted
/// (so the suite never rewrites docs, and still walks every page and checks each screenshot was taken).
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardScreenshots(DashboardBrowser browser)
{
    [Fact]
    public async Task MainPages()
    {
        var docs = Environment.GetEnvironmentVariable("RIPCORD_SCREENSHOTS") is { Length: > 0 } target ? target : null;
        var folder = docs ?? Path.Combine(Path.GetTempPath(), "ripcord-screenshots-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            await TakeAsync(folder);
            string[] pages = ["sign-in", "confirm", "kill-switch-panel", "overview", "why", "incident", "flags", "charts", "stage", "audit", "overview-phone"];
            foreach (var name in pages)
            {
                var file = new FileInfo(Path.Combine(folder, $"dashboard-{name}.png"));
                Assert.True(file.Exists && file.Length > 10_000, $"{file.Name} was not taken");
            }
        }
        finally
        {
            if (docs is null)
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private async Task TakeAsync(string folder)
    {
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
