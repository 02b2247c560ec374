using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Core.Assessment;
using Whistle.Dispatcher;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Time limits in the browser. The server's clock is a fake one set three hours back, so a whistle raised
/// now on it is long overdue by the browser's clock; moving the fake clock fires the chain. Every live change is
/// waited for with a stated deadline (<see cref="BrowserSession.Live"/>), never with the default one.
/// </summary>
[NonParallelizable]
public sealed class When_time_limits_bite_in_the_browser : BrowserFixture
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddHours(-3));

    protected override TimeProvider Clock => _clock;

    [Test]
    public async Task Should_turn_an_overdue_duty_red_escalate_it_live_and_list_it_for_the_supervisor()
    {
        var branch = await Chromium.SignInAsync(Server.Api, "branch.urban-management.chengguan", BrowserSession.Phone);
        var board = await Chromium.SignInAsync(Server.Api, "supervisor", BrowserSession.Desktop);
        using var township = await Server.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync(WhistleClient.Raise("河堤违建棚屋", "illegal-construction", "emergency"))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var lead = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id");

        var row = branch.Locator($"[data-testid=assignment-row][data-assignment-id='{lead}']");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(row.Locator("[data-testid=deadline-report]")).ToHaveAttributeAsync("data-overdue", "true", new() { Timeout = BrowserSession.Live });

        // The fake clock reaches report-by: the dispatcher escalates, the branch sees it live — the notice and the row
        // both from the pushed event (the row is patched from the event's assignment; it used to wait for a reload
        // whose inbox answer had no escalation counts, and lost the badge it had just shown).
        _clock.Advance(TimeSpan.FromMinutes(31));
        await Server.Apis[0].Services.GetRequiredService<DeadlineScheduler>().RunDueAsync(CancellationToken.None);
        await Expect(branch.Locator("[data-testid=live-notice][data-kind=escalation]")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(row.GetByTestId("assignment-escalation")).ToHaveAttributeAsync("data-escalations", new Regex("^[1-9]"), new() { Timeout = BrowserSession.Live });
        // After a reload (the refresh button) the badge is still there: the inbox answer carries the counts.
        await branch.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "刷新" }).ClickAsync();
        await Expect(row.GetByTestId("assignment-escalation")).ToHaveAttributeAsync("data-escalations", new Regex("^[1-9]"), new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(branch, "branch-escalated-phone");

        var overdueRow = board.Locator($"[data-testid=overdue-row][data-assignment-id='{lead}']");
        await Expect(overdueRow).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(board, "supervisor-overdue-desktop");

        // The supervisor moves the duty from the overdue list. Within the same agency the dialog offers the agency
        // itself (本部) and shows the current branch disabled, saying why; the default (that branch) cannot be chosen.
        await overdueRow.GetByTestId("overdue-reassign").ClickAsync();
        await board.GetByTestId("reassign-agency").ClickAsync();
        await board.GetByTestId("reassign-agency-option-urban-management").ClickAsync();
        await Expect(board.GetByTestId("reassign-branch")).ToHaveAttributeAsync("data-value", "@agency", new() { Timeout = BrowserSession.Live });
        await Expect(board.GetByTestId("reassign-default-blocked")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await board.GetByTestId("reassign-branch").ClickAsync();
        var current = board.GetByTestId("reassign-branch-option-urban-management.chengguan");
        await Expect(current).ToHaveClassAsync(new Regex("is-disabled"), new() { Timeout = BrowserSession.Live });
        await Expect(current).ToContainTextAsync("当前承办单位", new() { Timeout = BrowserSession.Live });
        await Expect(board.GetByTestId("reassign-branch-option-default")).ToHaveClassAsync(new Regex("is-disabled"), new() { Timeout = BrowserSession.Live });
        var itself = board.GetByTestId("reassign-branch-option-agency");
        await Expect(itself).Not.ToHaveClassAsync(new Regex("is-disabled"), new() { Timeout = BrowserSession.Live });
        await Expect(itself).ToContainTextAsync("本部", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(board, "supervisor-reassign-dialog-desktop");
        await itself.ClickAsync();
        await board.GetByTestId("reassign-reason").FillAsync("城管中队人手不足，由局本部直接处置");
        await board.GetByTestId("reassign-submit").ClickAsync();
        var after = await township.WaitForWhistleAsync(id, w => w["assignments"]!.AsArray().Any(a => (string?)a!["previousAssignmentId"] == lead));
        var successor = after["assignments"]!.AsArray().Single(a => (string?)a!["previousAssignmentId"] == lead)!;
        Assert.Multiple(() =>
        {
            Assert.That(after["assignments"]!.AsArray().Single(a => a!.Str("id") == lead)!.Str("status"), Is.EqualTo("reassigned"), "moved, not declined by the branch");
            Assert.That((successor.Str("agencyCode"), successor["branchId"]), Is.EqualTo(("urban-management", (System.Text.Json.Nodes.JsonNode?)null)));
        });
        await Expect(overdueRow).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        // The branch's card leaves 在办 at once (patched from the reassignment's event), with nothing left to do.
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await branch.Context.CloseAsync();
        await board.Context.CloseAsync();
    }

    [Test]
    public async Task Should_show_the_ranking_on_the_assessment_page_and_print_the_monthly_report()
    {
        using var township = await Server.SignInAsync("township.liuhe");
        var id = (await township.RaiseAsync(WhistleClient.Raise("农田违规取土", "farmland-occupation", "urgent"))).Str("id");
        var w = await township.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        var lead = w["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!;
        using var branch = await Server.SignInAsync($"branch.{lead.Str("branchId")}");
        Assert.That((await branch.PostAsync($"/api/assignments/{lead.Str("id")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));

        var day = ChinaTime.LocalDate(_clock.GetUtcNow()).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var page = await Chromium.SignInAsync(Server.Api, "supervisor", BrowserSession.Desktop);
        await page.GetByTestId("nav-assessment").ClickAsync();
        await page.GetByTestId("assessment-period-month").ClickAsync();
        await page.GetByTestId("assessment-date").FillAsync(day);
        await page.Locator($"[data-testid=assessment-page][data-date='{day}'][data-loading=false]").WaitForAsync();
        var first = page.Locator("[data-testid=ranking-row][data-rank='1']").First;
        await Expect(first).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        Assert.That(await first.GetAttributeAsync("data-unit-id"), Is.EqualTo(lead.Str("branchId")), "the only branch that reported in time leads");
        // The rate says what it counts: the one reported duty, in time (1/1); the others are still inside their limit.
        await Expect(first.GetByTestId("ranking-response")).ToHaveAttributeAsync("data-whole", "1", new() { Timeout = BrowserSession.Live });
        await Expect(first.GetByTestId("ranking-response")).ToContainTextAsync("1/1", new() { Timeout = BrowserSession.Live });
        // The charts have drawn (ECharts' finished event), not "probably by now".
        await Expect(page.Locator("[data-testid^=chart-][data-rendered=true]")).ToHaveCountAsync(3, new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(page, "supervisor-assessment-desktop");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("assessment-export").ClickAsync());
        Assert.That(download.SuggestedFilename, Does.StartWith("assessment-").And.EndWith(".csv"));
        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));

        await page.GetByTestId("assessment-report-link").ClickAsync();
        await page.Locator("[data-testid=monthly-report][data-loading=false]").WaitForAsync();
        await Expect(page.GetByTestId("report-title")).ToContainTextAsync("实绩考核月报");
        await page.EmulateMediaAsync(new() { Media = Microsoft.Playwright.Media.Print });
        var pdf = await page.PdfAsync(new() { Format = "A4" });
        Assert.That(pdf.Take(4), Is.EqualTo("%PDF"u8.ToArray()));
        await BrowserSession.ScreenshotAsync(page, "supervisor-monthly-report-print");
        await page.EmulateMediaAsync(new() { Media = Microsoft.Playwright.Media.Screen });

        // The whistle list is the system administrator's (三员分立), no longer the supervisor's.
        await Expect(page.GetByTestId("nav-whistle-list")).ToHaveCountAsync(0);
        var sysadmin = await Chromium.SignInAsync(Server.Api, "sysadmin", BrowserSession.Desktop);
        await sysadmin.GetByTestId("whistle-list-page").WaitForAsync();
        await Expect(sysadmin.GetByTestId("matter-row")).Not.ToHaveCountAsync(0);
        await BrowserSession.ScreenshotAsync(sysadmin, "sysadmin-whistle-list-desktop");
        await sysadmin.Context.CloseAsync();

        var phone = await Chromium.SignInAsync(Server.Api, "township.liuhe", BrowserSession.Phone);
        await phone.GotoAsync($"/assessment?period=month&date={day}");
        await phone.Locator("[data-testid=assessment-page][data-scope=township][data-loading=false]").WaitForAsync();
        Assert.That(await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0));
        await BrowserSession.ScreenshotAsync(phone, "township-assessment-phone");
        await phone.Context.CloseAsync();
        await page.Context.CloseAsync();
    }
}
