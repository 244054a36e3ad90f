using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;
using Ripcord.Sdk;
using Ripcord.Server.Telemetry;
using static Microsoft.Playwright.Assertions;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The dashboard with the real SDK (<see cref="RipcordClient"/>) connected, on the real clock: a kill switch activated on the
/// panel is verified on every client; what an application records — modes per tier, sends with their ack latency — is
/// what Chart.js shows in Chromium a moment later.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardSdkTests(DashboardBrowser browser) : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(clock: TimeProvider.System);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AKillSwitchActivatedOnThePanel_IsVerifiedOnEveryConnectedSdkClient()
    {
        var key = await _server.CreateTokenAsync("sdk", "app");
        var clients = Enumerable.Range(0, 3).Select(i => new RipcordClient(new RipcordClientOptions
        {
            ServerUrl = _server.BaseAddress,
            SdkKey = key,
            InstanceId = $"panel-sdk-{i}",
            CacheDirectory = Path.Combine(_server.DataDirectory, $"sdk-cache-panel-{i}"),
        })).ToList();
        try
        {
            var head = await _server.HeadAsync();
            var page = await browser.OpenAsync(_server);
            await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("release-manager", "rita"));
            await Expect(page.Locator("[data-program=groups] [data-test=fleet]")).ToHaveTextAsync($"3 connected, 3 at revision {head}");

            var incident = await KillSwitches.KillSwitchHarness.DeclareAsync(_server);
            await page.GotoAsync($"/ui/programs/groups/incidents/{incident}");
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Review activation…" }).ClickAsync();
            await Expect(page.Locator("[data-test=affected]")).ToContainTextAsync("3 connected SDK instance(s)");
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Activate KS3 at global now" }).ClickAsync();

            var applied = head + 1;
            await Expect(page.Locator("[data-test=verification]")).ToContainTextAsync($"verified: 3 of 3 instances at revision {applied}");
            Assert.All(clients, c => Assert.True(c.Revision >= applied, $"a client verified at revision {c.Revision}"));
            await Expect(page.Locator("[data-test=milestones] [data-step=verified]")).ToHaveClassAsync("done");
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
    public async Task TelemetryFromTheSdk_IsDrawnOnTheCharts()
    {
        await using (var client = new RipcordClient(new RipcordClientOptions
        {
            ServerUrl = _server.BaseAddress,
            SdkKey = await _server.CreateTokenAsync("sdk", "app"),
            InstanceId = "charts-sdk",
            CacheDirectory = Path.Combine(_server.DataDirectory, "sdk-cache-charts"),
            TelemetryFlushInterval = TimeSpan.FromMilliseconds(200),
        }))
        {
            var tier1 = new EvaluationContext("acme", "u1", 1);
            var tier2 = new EvaluationContext("globex", "u2", 2);
            for (var i = 0; i < 30; i++)
            {
                client.RecordMode(tier1, Transport.Secure);
                client.RecordSend(tier1, Transport.Secure, TimeSpan.FromMilliseconds(40), i < 3 ? SendOutcome.Failed : SendOutcome.Ok);
            }
            for (var i = 0; i < 10; i++)
            {
                client.RecordMode(tier2, Transport.Baseline);
            }
            var store = _server.Services.GetRequiredService<ITelemetryStore>();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!(await store.CountAsync("groups", "send") == 30 && await store.CountAsync("groups", "mode") == 40))
            {
                Assert.True(DateTime.UtcNow < deadline, "the SDK's 70 events were not stored within 15 s");
                await Task.Delay(50);
            }
        }

        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "val"));
        await page.GotoAsync("/ui/programs/groups/charts?range=1h");
        await Expect(page.Locator("canvas#chart-send-latency")).ToBeVisibleAsync();
        var json = await page.EvaluateAsync<string>("""
            () => JSON.stringify(Array.from(document.querySelectorAll("canvas")).map(c => {
              const chart = Chart.getChart(c);
              return { id: c.id, datasets: chart ? chart.data.datasets.map(d => ({ label: d.label, data: d.data })) : null };
            }))
            """);
        var charts = JsonDocument.Parse(json).RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("datasets"));
        // The last point with data in a series: the events are from the last minute or two.
        double Latest(string chart, string label) => charts[chart].EnumerateArray().Single(d => d.GetProperty("label").GetString() == label)
            .GetProperty("data").EnumerateArray().Where(v => v.ValueKind == JsonValueKind.Number).Select(v => v.GetDouble()).Last();

        Assert.Equal(100, Latest("chart-mode-adoption", "secure share, tier 1"));
        Assert.Equal(0, Latest("chart-mode-adoption", "secure share, tier 2"));
        Assert.InRange(Latest("chart-send-latency", "p50"), 39.2, 40.8); // the histogram's 2% relative error
        // Over the whole range (the events may fall in two minutes): 30 sends, 3 failed, 10 %.
        // The client was disposed right after its events were stored: it sent none of them twice.
        Assert.Equal(30L, await _server.Services.GetRequiredService<ITelemetryStore>().CountAsync("groups", "send"));
        var total = await page.Locator("[data-test=figures-send-latency] tr.total td").AllInnerTextsAsync();
        Assert.Equal(["30", "3", "10 %"], total.Take(3));
    }
}
