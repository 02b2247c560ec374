using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// 三员分立 in the browser: each administrator signs in to its one page — the whistle list, the accounts, the audit
/// trail — with no live connection and no business page.
/// </summary>
[NonParallelizable]
public sealed class When_the_administrators_work_in_the_browser : BrowserFixture
{
    [Test]
    public async Task Should_give_each_administrator_its_own_page_and_nothing_of_the_business()
    {
        // The system administrator keeps two things of its own: the whistle list and (issue 13) the notice channels.
        foreach (var (user, page, nav, pages) in new[] { ("sysadmin", "whistle-list-page", "nav-whistle-list", 2), ("secadmin", "accounts-page", "nav-accounts", 1), ("auditadmin", "audit-page", "nav-audit", 1) })
        {
            var p = await Chromium.SignInAsync(Server.Api, user, BrowserSession.Desktop);
            await p.GetByTestId(page).WaitForAsync();
            await Expect(p.Locator("nav.main-nav a")).ToHaveCountAsync(pages);
            await Expect(p.GetByTestId(nav)).ToBeVisibleAsync();
            await Expect(p.GetByTestId("connection-state")).ToHaveCountAsync(0);
            await p.GotoAsync("/board");
            await p.GetByTestId(page).WaitForAsync(); // sent back to its own page
            await p.Context.CloseAsync();
        }
    }

    [Test]
    public async Task Should_let_the_security_administrator_open_an_account()
    {
        var page = await Chromium.SignInAsync(Server.Api, "secadmin", BrowserSession.Desktop);
        await Expect(page.GetByTestId("account-row")).Not.ToHaveCountAsync(0);
        await page.GetByTestId("account-new").ClickAsync();
        await page.GetByTestId("account-user").FillAsync("zhao.liu");
        await page.GetByTestId("account-name").FillAsync("赵六");
        await page.GetByTestId("account-org").ClickAsync();
        await page.GetByTestId("account-org-baiyun").ClickAsync();
        await page.GetByTestId("account-password-new").FillAsync("Zhao-Liu-2026-duty");
        await page.GetByTestId("account-create").ClickAsync();
        await Expect(page.Locator("[data-testid=account-row][data-user='zhao.liu']")).ToBeVisibleAsync();
        // Administrators' accounts offer no password reset here.
        await Expect(page.Locator("[data-testid=account-row][data-user='auditadmin'] [data-testid=account-password]")).ToHaveCountAsync(0);
        await BrowserSession.ScreenshotAsync(page, "secadmin-accounts-desktop");
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_let_the_audit_administrator_read_apart_export_and_verify_the_trail()
    {
        var page = await Chromium.SignInAsync(Server.Api, "auditadmin", BrowserSession.Desktop);
        await page.GetByTestId("audit-kind-sign-ins").ClickAsync();
        await Expect(page.Locator("[data-testid=audit-entry][data-action='signed-in']").First).ToBeVisibleAsync();
        await page.GetByTestId("audit-verify").ClickAsync();
        await Expect(page.GetByTestId("audit-verified")).ToBeVisibleAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("audit-export-csv").ClickAsync());
        Assert.That(download.SuggestedFilename, Is.EqualTo("audit.csv"));
        await BrowserSession.ScreenshotAsync(page, "auditadmin-audit-desktop");
        await page.Context.CloseAsync();
    }
}
