using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 13, a day in the life: what a township clerk and a branch duty officer met on their phones. A cancelled
/// whistle stayed actionable on the branch's phone (待报到, a running countdown, 报到 and 退回 that answered "操作未生效");
/// a 3,000-character paste was cut to 2,000 without a word. Every live change is waited for with a stated deadline.
/// </summary>
[NonParallelizable]
public sealed class When_a_day_passes_on_the_phones : BrowserFixture
{
    private static async Task<(string Whistle, string Lead, string Co)> RaiseAsync(WhistleClient township, string title)
    {
        var id = (await township.RaiseAsync(WhistleClient.Raise(title, "street-vending", "urgent"))).Str("id");
        var w = await township.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        string Of(string role) => w["assignments"]!.AsArray().Single(a => a!.Str("role") == role)!.Str("id");
        return (id, Of("lead"), Of("co"));
    }

    [Test]
    public async Task Should_close_a_cancelled_duty_on_the_branchs_phone_live_and_bring_a_reopened_one_back()
    {
        var branch = await Chromium.SignInAsync(Server.Api, "branch.urban-management.qingshi", BrowserSession.Phone);
        using var township = await Server.SignInAsync("township.qingshi");
        using var lead = await Server.SignInAsync("branch.urban-management.qingshi");
        using var co = await Server.SignInAsync("branch.market-supervision.qingshi");
        var notice = branch.GetByTestId("live-notice");

        // A new duty: in 在办 with 报到 and a countdown; one notice.
        var first = await RaiseAsync(township, "青石老街夜市占道");
        var card = branch.Locator($"[data-testid=assignment-row][data-assignment-id='{first.Lead}']");
        await Expect(card).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(card.GetByTestId("assignment-report")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(card.Locator(".deadline-count")).Not.ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await Expect(notice).ToHaveAttributeAsync("data-count", "1", new() { Timeout = BrowserSession.Live });

        // The township cancels: the branch hears it live; the card leaves 在办; the count stays true (the cancel
        // replaces the notice of the duty it ends).
        Assert.That((await township.PostAsync($"/api/whistles/{first.Whistle}/cancel")).Status, Is.EqualTo(HttpStatusCode.OK));
        await Expect(branch.Locator("[data-testid=live-notice][data-kind=cancelled]")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(notice).ToContainTextAsync("撤销", new() { Timeout = BrowserSession.Live });
        await Expect(notice).ToHaveAttributeAsync("data-count", "1", new() { Timeout = BrowserSession.Live });
        await Expect(card).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await Expect(branch).ToHaveTitleAsync(new Regex(@"^\(1\) "), new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(branch, "branch-cancelled-notice-phone");

        // Under 已结束 the card says 已撤销, with no button and no countdown.
        await branch.GetByTestId("assignment-filter").GetByText("已结束").ClickAsync();
        await Expect(card).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(card).ToHaveAttributeAsync("data-open", "false", new() { Timeout = BrowserSession.Live });
        await Expect(card.GetByTestId("assignment-status")).ToHaveTextAsync("已撤销", new() { Timeout = BrowserSession.Live });
        await Expect(card.GetByTestId("assignment-ended")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await card.Locator("button").CountAsync(), Is.Zero, "nothing actionable on a closed duty");
            Assert.That(await card.Locator(".deadline-count").CountAsync(), Is.Zero, "no countdown on a closed duty");
            Assert.That(await card.Locator("[data-overdue=true]").CountAsync(), Is.Zero);
        });
        await BrowserSession.ScreenshotAsync(branch, "branch-cancelled-card-phone");
        await branch.GetByTestId("live-notice-dismiss").ClickAsync();
        await Expect(branch).ToHaveTitleAsync(new Regex(@"^[^(]"), new() { Timeout = BrowserSession.Live });
        await branch.GetByTestId("assignment-filter").GetByText("在办").ClickAsync();

        // A second duty: both units report and resolve; the township is not satisfied and reopens it. The branch hears
        // it live and the duty is back in 在办, reported, with 办结 to do again.
        var second = await RaiseAsync(township, "青石菜场门口摆摊");
        var again = branch.Locator($"[data-testid=assignment-row][data-assignment-id='{second.Lead}']");
        await Expect(again).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(notice).ToHaveAttributeAsync("data-count", "1", new() { Timeout = BrowserSession.Live });
        foreach (var (client, duty) in new[] { (lead, second.Lead), (co, second.Co) })
        {
            Assert.That((await client.PostAsync($"/api/assignments/{duty}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await client.PostAsync($"/api/assignments/{duty}/resolve", new { note = "已劝离" })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        await township.WaitForWhistleAsync(second.Whistle, w => w.Str("status") == "resolved");
        await Expect(again).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live }); // resolved: out of 在办
        Assert.That((await township.PostAsync($"/api/whistles/{second.Whistle}/reopen", new { reason = "摊贩晚上又回来了" })).Status, Is.EqualTo(HttpStatusCode.OK));
        await Expect(branch.Locator("[data-testid=live-notice][data-kind=reopened]")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(notice).ToHaveAttributeAsync("data-count", "2", new() { Timeout = BrowserSession.Live });
        await Expect(branch).ToHaveTitleAsync(new Regex(@"^\(2\) "), new() { Timeout = BrowserSession.Live });
        await Expect(again).ToHaveAttributeAsync("data-status", "reported", new() { Timeout = BrowserSession.Live });
        await Expect(again.GetByTestId("assignment-resolve")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(branch, "branch-reopened-phone");
        Assert.That(await branch.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0));
        await branch.Context.CloseAsync();
    }

    [Test]
    public async Task Should_keep_a_long_paste_whole_say_how_long_it_is_and_send_it_only_when_shortened()
    {
        var page = await Chromium.SignInAsync(Server.Api, "township.shuangqiao", BrowserSession.Phone);
        await page.GotoAsync("/township/raise");
        await page.GetByTestId("whistle-matter").ClickAsync();
        await page.GetByTestId("matter-option-street-vending").ClickAsync();
        await page.GetByTestId("urgency-urgent").ClickAsync();
        await page.GetByTestId("whistle-title").FillAsync("双桥集镇占道经营（长描述）");
        await page.GetByTestId("whistle-address").FillAsync("双桥镇集镇主街");
        var pasted = string.Concat(Enumerable.Repeat("摊位占道，", 600)); // 3,000 characters
        var description = page.GetByTestId("whistle-description");
        await description.FillAsync(pasted);

        // Nothing cut: the field holds all 3,000 and says so.
        Assert.That((await description.InputValueAsync()).Length, Is.EqualTo(3000));
        await Expect(page.GetByTestId("whistle-description-error")).ToHaveTextAsync("最多 2000 字，当前 3000 字", new() { Timeout = BrowserSession.Live });
        await Expect(page.GetByTestId("whistle-description-count")).ToHaveTextAsync("3000 / 2000", new() { Timeout = BrowserSession.Live });
        await page.GetByTestId("whistle-description-error").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(page, "township-long-paste-phone");

        // Not sent until shortened.
        using var api = await Server.SignInAsync("township.shuangqiao");
        var before = (await api.GetAsync("/api/whistles?status=all")).Body!["total"]!.GetValue<int>();
        await page.GetByTestId("whistle-submit").ClickAsync();
        await Expect(page.GetByTestId("whistle-errors")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        Assert.That(page.Url, Does.EndWith("/township/raise"));
        Assert.That((await api.GetAsync("/api/whistles?status=all")).Body!["total"]!.GetValue<int>(), Is.EqualTo(before));

        await description.FillAsync(pasted[..2000]);
        await Expect(page.GetByTestId("whistle-description-error")).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await page.GetByTestId("whistle-submit").ClickAsync();
        // Sent: the whistle's page. Refused: the form's own message — say which, instead of waiting out the timeout.
        var sent = page.GetByTestId("whistle-detail");
        await sent.Or(page.GetByTestId("whistle-errors")).First.WaitForAsync(new() { Timeout = BrowserSession.Live });
        Assert.That(await page.GetByTestId("whistle-errors").IsVisibleAsync(), Is.False,
            () => "The shortened whistle was refused: " + page.GetByTestId("whistle-errors").InnerTextAsync().GetAwaiter().GetResult());
        Assert.That(page.Url, Does.Match("/whistles/"));
        Assert.That((await api.GetAsync("/api/whistles?status=all")).Body!["total"]!.GetValue<int>(), Is.EqualTo(before + 1));
        await page.Context.CloseAsync();
    }
}
