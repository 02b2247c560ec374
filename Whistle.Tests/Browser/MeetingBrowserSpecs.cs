using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// A township runs a coordination meeting in the browser, from summons to a decision in a branch's inbox. The server's
/// clock is a fake one an hour behind the browser's, so a meeting that began a few minutes ago by the browser's clock
/// still lies ahead on the server's until the test moves it on: attendance and minutes are refused before the start,
/// in the browser as in the API (issue 13). Every live change is waited for with a stated deadline.
/// </summary>
[NonParallelizable]
public sealed class When_a_township_runs_a_meeting_in_the_browser : BrowserFixture
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddHours(-1));

    protected override TimeProvider Clock => _clock;

    private static string Local(DateTimeOffset t) => t.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    [Test]
    public async Task Should_summon_confirm_record_attendance_and_turn_a_decision_into_an_assignment()
    {
        const string branchId = "urban-management.shuangqiao";
        var township = await Chromium.SignInAsync(Server.Api, "township.shuangqiao", BrowserSession.Desktop);
        var branch = await Chromium.SignInAsync(Server.Api, $"branch.{branchId}", BrowserSession.Phone);
        var outsider = await Chromium.SignInAsync(Server.Api, "branch.urban-management.baiyun", BrowserSession.Phone);

        await township.GetByTestId("nav-meetings").ClickAsync();
        await township.GetByTestId("meeting-new").ClickAsync();
        await township.GetByTestId("meeting-title").FillAsync("双桥镇12月派驻机构协调会");
        await township.GetByTestId("meeting-agenda").FillAsync("一、通报11月吹哨报到情况；二、研究集镇环境整治");
        await township.GetByTestId("meeting-place").FillAsync("双桥镇政府二楼会议室");
        await township.GetByTestId("meeting-starts-at").FillAsync(Local(DateTimeOffset.UtcNow.AddHours(3)));

        // The unit picker starts empty: the clerk ticks the units wanted (全选 / 清空 for the rest).
        var picker = township.GetByTestId("meeting-units");
        await Expect(picker).ToHaveAttributeAsync("data-chosen", "", new() { Timeout = BrowserSession.Live });
        await township.GetByTestId("meeting-units-all").ClickAsync();
        await Expect(picker).ToHaveAttributeAsync("data-chosen", new Regex(@"(^|,)urban-management(,|$)"), new() { Timeout = BrowserSession.Live });
        await Expect(picker).ToHaveAttributeAsync("data-chosen", new Regex(@"^[^,]+(,[^,]+){9}$"), new() { Timeout = BrowserSession.Live }); // all ten agencies
        await township.GetByTestId("meeting-units-none").ClickAsync();
        await Expect(picker).ToHaveAttributeAsync("data-chosen", "", new() { Timeout = BrowserSession.Live });
        await township.GetByTestId("meeting-unit-option-urban-management").ClickAsync();
        await township.GetByTestId("meeting-unit-option-ecology-environment").ClickAsync();
        await Expect(picker).ToHaveAttributeAsync("data-chosen", "urban-management,ecology-environment", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(township, "township-meeting-new-desktop");
        await township.GetByTestId("meeting-submit").ClickAsync();
        await township.WaitForAddressAsync(new Regex("/meetings/[^/]+$"));
        var meetingId = (await township.GetByTestId("meeting-detail").GetAttributeAsync("data-meeting-id"))!;
        await Expect(township.GetByTestId("summons-row")).ToHaveCountAsync(2, new() { Timeout = BrowserSession.Live });

        // The branch gets the summons live and confirms who will come.
        await Expect(branch.Locator("[data-testid=live-notice][data-kind=meeting]")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        var item = branch.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}']");
        await item.GetByTestId("summons-attendee").FillAsync("周中队长");
        await item.GetByTestId("summons-confirm").ClickAsync();
        await Expect(branch.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}'][data-status=confirmed]")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(branch, "branch-summons-phone");

        // The township sees the answer live; before the meeting begins nobody can be marked as reported in.
        var row = township.Locator($"[data-testid=summons-row][data-branch-id='{branchId}']");
        await Expect(row).ToHaveAttributeAsync("data-status", "confirmed", new() { Timeout = BrowserSession.Live });
        await Expect(township.GetByTestId("meeting-not-started")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        Assert.That(await township.Locator("[data-testid^='attendance-']").CountAsync(), Is.Zero, "no attendance before the start");
        Assert.That(await township.GetByTestId("meeting-minutes").CountAsync(), Is.Zero, "no minutes before the start");
        await BrowserSession.ScreenshotAsync(township, "township-meeting-not-started-desktop");

        // A meeting that began ten minutes ago by the browser's clock (still ahead on the server's, an hour behind).
        using var api = await Server.SignInAsync("township.shuangqiao");
        var started = DateTimeOffset.UtcNow.AddMinutes(-10);
        var (created, body, _) = await api.PostAsync("/api/meetings", new
        {
            kind = "ad-hoc", title = "双桥集镇现场协调会", place = "双桥集镇主街", startsAt = started, agencyCodes = new[] { "urban-management" },
        });
        Assert.That(created, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        var heldId = body!.AsArray()[0]!.Str("id");
        var heldSummons = body.AsArray()[0]!["summons"]!.AsArray()[0]!.Str("id");
        var (early, problem, _) = await api.PostAsync($"/api/meetings/{heldId}/attendance", new { entries = new[] { new { summonsId = heldSummons, attendance = "present" } } });
        Assert.That(early, Is.EqualTo(HttpStatusCode.Conflict), "the server's clock has not reached the start: " + problem?.ToJsonString());
        _clock.Advance(TimeSpan.FromMinutes(55)); // the server's clock passes the start too

        // The township records who reported in, and the minutes with one decision.
        await township.GotoAsync($"/meetings/{heldId}");
        var heldRow = township.Locator($"[data-testid=summons-row][data-summons-id='{heldSummons}']");
        await township.GetByTestId($"attendance-{heldSummons}-present").ClickAsync();
        await township.GetByTestId("attendance-save").ClickAsync();
        await Expect(heldRow).ToHaveAttributeAsync("data-attendance", "present", new() { Timeout = BrowserSession.Live });
        await township.GetByTestId("meeting-minutes").FillAsync("会议通报了11月工作情况，研究了集镇环境整治，议定事项如下。");
        await township.GetByTestId("decision-add").ClickAsync();
        await township.GetByTestId("decision-text-0").FillAsync("一周内整治集镇主街占道经营");
        await township.GetByTestId("decision-agency-0").ClickAsync();
        await township.GetByTestId("decision-agency-0-option-urban-management").ClickAsync();
        await township.GetByTestId("decision-due-0").FillAsync(Local(DateTimeOffset.UtcNow.AddDays(7)));
        // The signed sign-in sheet, photographed, goes with the minutes (issue 14).
        await township.Locator(".minutes-panel").GetByTestId("attach-gallery-input").SetInputFilesAsync(new FilePayload
        {
            Name = "签到表.jpg", MimeType = "image/jpeg", Buffer = TestImages.JpegWithGps(1024, 768, 30.1, 120.2),
        });
        await Expect(township.Locator(".minutes-panel").GetByTestId("picker-done")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await township.GetByTestId("minutes-save").ClickAsync();
        await Expect(township.GetByTestId("meeting-detail")).ToHaveAttributeAsync("data-status", "held", new() { Timeout = BrowserSession.Live });
        var minutesThumb = township.GetByTestId("meeting-minutes-files").GetByTestId("attachment-thumb").Locator("img");
        await Expect(minutesThumb).ToHaveJSPropertyAsync("complete", true, new() { Timeout = BrowserSession.Live });
        Assert.That(await minutesThumb.EvaluateAsync<int>("img => img.naturalWidth"), Is.GreaterThan(0));
        var decisionWhistle = (await township.GetByTestId("decision-row").First.GetAttributeAsync("data-whistle-id"))!;
        await BrowserSession.ScreenshotAsync(township, "township-meeting-held-desktop");

        // The decision is an assignment in the branch's inbox, live.
        await Expect(branch.Locator($"[data-testid=assignment-row][data-whistle-id='{decisionWhistle}'][data-status=dispatched]")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(branch, "branch-decision-phone");
        await branch.GotoAsync($"/meetings/{heldId}");
        await Expect(branch.GetByTestId("meeting-minutes-files").GetByTestId("attachment-thumb")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        Assert.That(await outsider.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}']").CountAsync(), Is.Zero);
        Assert.That(await outsider.Locator($"[data-testid=assignment-row][data-whistle-id='{decisionWhistle}']").CountAsync(), Is.Zero);
        Assert.That(await branch.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0));

        // Attendance enters the assessment beside the three rates.
        var supervisor = await Chromium.SignInAsync(Server.Api, "supervisor", BrowserSession.Desktop);
        var day = started.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await supervisor.GotoAsync($"/assessment?period=month&date={day}");
        var unit = supervisor.Locator($"[data-testid=ranking-row][data-unit-id='{branchId}']");
        await Expect(unit.GetByTestId("ranking-reported-in")).ToHaveTextAsync("1", new() { Timeout = BrowserSession.Live });
        await Expect(unit.GetByTestId("ranking-absent")).ToHaveTextAsync("0", new() { Timeout = BrowserSession.Live });
        await Expect(unit.GetByTestId("ranking-confirmed-on-time")).ToHaveTextAsync(new Regex(@"^(\d)/\d$"), new() { Timeout = BrowserSession.Live });

        foreach (var page in new IPage[] { township, branch, outsider, supervisor })
        {
            await page.Context.CloseAsync();
        }
    }
}
