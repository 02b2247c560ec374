using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Whistle.Api.Auth;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>身份鉴别 in the browser: an administrator enrols a second factor and then signs in with a code; an expired password is changed first.</summary>
[NonParallelizable]
public sealed class When_an_account_secures_itself_in_the_browser : BrowserFixture
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider Clock => _clock;

    private async Task CreateAsync(string userName, string role, string org, string password)
    {
        using var supervisor = await Server.SignInAsync("secadmin");
        var (status, body, _) = await supervisor.PostAsync("/api/users", new { userName, displayName = "测试账号", role, orgId = org, password });
        Assert.That(status, Is.EqualTo(System.Net.HttpStatusCode.Created), body?.ToJsonString());
    }

    private async Task<IPage> PageAsync()
    {
        var context = await Chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.Api.ToString().TrimEnd('/'), ViewportSize = BrowserSession.Desktop, Locale = "zh-CN", TimezoneId = "Asia/Shanghai",
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        return page;
    }

    private static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GetByTestId("login-user").FillAsync(userName);
        await page.GetByTestId("login-password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
    }

    private string Code(string secret, int offset = 0) => Totp.Code(Base32.Decode(secret), Totp.StepAt(_clock.GetUtcNow()) + offset);

    private static string Shot(string name) => Path.Combine(Path.GetTempPath(), "whistle-tests", $"{name}.png");

    [Test]
    public async Task Should_make_an_administrator_enrol_an_authenticator_and_then_ask_for_its_code()
    {
        await CreateAsync("zhang.admin", "supervisor", "qingshan", "Zhang-Admin-2026");
        var page = await PageAsync();
        await SignInAsync(page, "zhang.admin", "Zhang-Admin-2026");

        // The role requires a second factor: the page to enrol it, and no other.
        await page.WaitForAddressAsync(new Regex("/account\\?force=second-factor"));
        await Expect(page.GetByTestId("account-force-second-factor")).ToBeVisibleAsync();
        await page.GotoAsync("/board");
        await page.WaitForAddressAsync(new Regex("/account"));
        await page.GetByTestId("account-factor-start").ClickAsync();
        await Expect(page.GetByTestId("account-qr")).ToBeVisibleAsync();
        var secret = (await page.GetByTestId("account-secret").InnerTextAsync()).Trim();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("account-enrol-second-factor") });
        await page.GetByTestId("account-factor-code").FillAsync(Code(secret));
        await page.GetByTestId("account-factor-confirm").ClickAsync();
        await page.WaitForAddressAsync(new Regex("/board"));
        await page.Locator("[data-testid=connection-state][data-state=connected]").WaitForAsync();

        // Signed out and in again: the password, then the code.
        await page.GetByTestId("sign-out").ClickAsync();
        await SignInAsync(page, "zhang.admin", "Zhang-Admin-2026");
        await Expect(page.GetByTestId("login-second-factor")).ToBeVisibleAsync();
        await page.GetByTestId("login-code").FillAsync("000000");
        await page.GetByTestId("login-code-submit").ClickAsync();
        await Expect(page.GetByTestId("login-error")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("login-second-factor") });
        await page.GetByTestId("login-code").FillAsync(Code(secret, 1)); // the next step's code: the current one was used
        await page.GetByTestId("login-code-submit").ClickAsync();
        await page.WaitForAddressAsync(new Regex("/board"));
        await page.Locator("[data-testid=connection-state][data-state=connected]").WaitForAsync();
    }

    [Test]
    public async Task Should_keep_an_expired_password_on_the_change_page_until_it_is_changed()
    {
        await CreateAsync("li.township", "township", "baiyun", "Bai-Yun-duty-1");
        _clock.Advance(TimeSpan.FromDays(91));
        var page = await PageAsync();
        await SignInAsync(page, "li.township", "Bai-Yun-duty-1");
        await page.WaitForAddressAsync(new Regex("/account\\?force=password"));
        await Expect(page.GetByTestId("account-force-password")).ToBeVisibleAsync();
        await page.GetByTestId("account-current-password").FillAsync("Bai-Yun-duty-1");
        await page.GetByTestId("account-new-password").FillAsync("password");
        await page.GetByTestId("account-repeat-password").FillAsync("password");
        await page.GetByTestId("account-password-submit").ClickAsync();
        await Expect(page.Locator(".field-error").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("account-forced-password") });
        await page.GetByTestId("account-new-password").FillAsync("Bai-Yun-duty-2");
        await page.GetByTestId("account-repeat-password").FillAsync("Bai-Yun-duty-2");
        await page.GetByTestId("account-password-submit").ClickAsync();
        await page.WaitForAddressAsync(new Regex("/township"));
        await page.Locator("[data-testid=connection-state][data-state=connected]").WaitForAsync();
    }
}
