using Microsoft.Playwright;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// Debian's headless Chromium (/usr/bin/chromium, installed by scripts/test.sh; never a downloaded browser), driven by
/// Playwright, one per test class. Its resolver maps every name but 127.0.0.1 to nowhere: the tests reach only the loopback server.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: scripts/test.sh installs it (apt-get install chromium)");
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
    }

    /// <summary>A fresh browser context (its own cookies) with a page open at the server's sign-in page.</summary>
    public async Task<IPage> OpenAsync(RipcordTestServer server)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Url, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(10_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        return page;
    }

    /// <summary>Signs in on the page with a token, as a person does.</summary>
    public static async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync("/");
        await page.GetByLabel("Token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardBrowser>
{
    /// <summary>Browser tests run one at a time: the machine's cores are shared.</summary>
    public const string Name = "Dashboard browser";
}
