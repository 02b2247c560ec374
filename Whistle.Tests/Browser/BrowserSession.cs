using Microsoft.Playwright;
using Whistle.Tests.Support;

namespace Whistle.Tests.Browser;

/// <summary>Headless Debian Chromium driven by Playwright (no browser download: /usr/bin/chromium).</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private BrowserSession(IPlaywright playwright, IBrowser browser)
    {
        Playwright = playwright;
        Browser = browser;
    }

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    public static async Task<BrowserSession> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            var reason = $"Chromium is not installed at {ChromiumPath}; run ./test.sh, which installs it.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(reason);
            }

            Assert.Ignore(reason);
        }

        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
        return new BrowserSession(playwright, browser);
    }

    /// <summary>The demo county's administrators (三员).</summary>
    public static readonly string[] Administrators = ["sysadmin", "secadmin", "auditadmin"];

    public static readonly ViewportSize Desktop = new() { Width = 1366, Height = 860 };

    public static readonly ViewportSize Phone = new() { Width = 360, Height = 780 };

    /// <summary>
    /// A larger phone (390 × 844): the pages whose layout checks (a column in view, a panel on the first screen) and
    /// README pictures were made on it.
    /// </summary>
    public static readonly ViewportSize Phone390 = new() { Width = 390, Height = 844 };

    /// <summary>How long a page may take to show what another page's action pushed to it (a busy two-core machine).</summary>
    public const float Live = 20_000;

    /// <summary>A fresh context (one user: the token lives in the tab's sessionStorage) signed in from the demo list.</summary>
    public async Task<IPage> SignInAsync(Uri baseAddress, string userName, ViewportSize viewport, string? locale = "zh-CN")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString().TrimEnd('/'),
            ViewportSize = viewport,
            Locale = locale,
            TimezoneId = "Asia/Shanghai",
            IsMobile = viewport.Width < 500,
            HasTouch = viewport.Width < 500,
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByTestId("demo-user-" + userName).ClickAsync();

        // In: the role's own page — the administrators have no live connection (they see no whistle), their one page is
        // the sign; everyone else's is the live connection. Not in: the sign-in page answers with its error or asks for a
        // second factor — say so at once with its text instead of waiting out the timeout on an address that stays /login.
        var landed = Administrators.Contains(userName)
            ? page.Locator("[data-testid=whistle-list-page], [data-testid=accounts-page], [data-testid=audit-page]")
            : page.Locator("[data-testid=connection-state][data-state=connected]");
        var refused = page.GetByTestId("login-error");
        var secondFactor = page.GetByTestId("login-second-factor");
        await landed.Or(refused).Or(secondFactor).First.WaitForAsync();
        if (await refused.IsVisibleAsync())
        {
            Assert.Fail($"Signing in as {userName} was refused: {await refused.InnerTextAsync()}");
        }

        if (await secondFactor.IsVisibleAsync())
        {
            Assert.Fail($"Signing in as {userName} asked for a second factor.");
        }

        return page;
    }

    /// <summary>
    /// Where screenshots go: the results folder (.artifacts/test-results/screenshots), never a tracked file;
    /// <c>WHISTLE_SCREENSHOTS</c> names another folder — docs/refresh-screenshots.sh sets it to docs/screenshots
    /// to refresh the README's pictures on purpose.
    /// </summary>
    public static string ScreenshotFolder
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("WHISTLE_SCREENSHOTS");
            var folder = string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(Repository.Root, ".artifacts", "test-results", "screenshots")
                : Path.GetFullPath(configured, Repository.Root);
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    /// <summary>
    /// The page has settled: no Vue transition is under way (a card fading into a list, a dialog opening) and no finite
    /// CSS animation or transition is running (a radio button's colour, the flash of a new card).
    /// </summary>
    private const string Settled = """
        () => !document.querySelector('[class*="-enter-active"], [class*="-leave-active"]')
          && document.getAnimations().every(a => a.playState !== 'running' || a.effect?.getComputedTiming().endTime === Infinity)
        """;

    /// <summary>
    /// A picture of what the user sees once it has settled (waited for, within 15 s, never guessed), so that it never
    /// catches a state half-way.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        await page.WaitForFunctionAsync(Settled, null, new PageWaitForFunctionOptions { Timeout = 15_000, PollingInterval = 50 });
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(ScreenshotFolder, name + ".png"),
            FullPage = false,
            Animations = ScreenshotAnimations.Disabled,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}

/// <summary>What the browser specs wait for on a page.</summary>
public static class PageWaits
{
    /// <summary>
    /// Until the page's address matches <paramref name="address"/> (within <see cref="BrowserSession.Live"/>), asked of
    /// the page itself, again and again. Not <c>IPage.WaitForURLAsync</c>: the .NET client compares the address it last
    /// heard of, then subscribes to the next navigation — a router push whose event arrives between the two is never
    /// seen and the wait runs out on a page that is already there ("waiting for navigation until Load"; three full runs
    /// failed that way, each in a different spec, each passing alone).
    /// </summary>
    public static Task WaitForAddressAsync(this IPage page, System.Text.RegularExpressions.Regex address) =>
        Assertions.Expect(page).ToHaveURLAsync(address, new() { Timeout = BrowserSession.Live });
}
