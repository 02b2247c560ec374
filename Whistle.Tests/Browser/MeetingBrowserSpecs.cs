using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>A township runs a coordination meeting in the browser, from summons to a decision in a branch's inbox.</summary>
[NonParallelizable]
public sealed class When_a_township_runs_a_meeting_in_the_browser
{
    private Support.WhistleSystem _system = null!;
    private BrowserSession _browser = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _browser = await BrowserSession.LaunchAsync();
        _system = await Support.WhistleSystem.EmbeddedAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_summon_confirm_record_attendance_and_turn_a_decision_into_an_assignment()
    {
        const string branchId = "urban-management.shuangqiao";
        var township = await _browser.SignInAsync(_system.Api, "township.shuangqiao", BrowserSession.Desktop);
        var branch = await _browser.SignInAsync(_system.Api, $"branch.{branchId}", BrowserSession.Phone);
        var outsider = await _browser.SignInAsync(_system.Api, "branch.urban-management.baiyun", BrowserSession.Phone);

        await township.GetByTestId("nav-meetings").ClickAsync();
        await township.GetByTestId("meeting-new").ClickAsync();
        await township.GetByTestId("meeting-title").FillAsync("双桥镇12月派驻机构协调会");
        await township.GetByTestId("meeting-agenda").FillAsync("一、通报11月吹哨报到情况；二、研究集镇环境整治");
        await township.GetByTestId("meeting-place").FillAsync("双桥镇政府二楼会议室");
        var start = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).AddDays(1);
        await township.GetByTestId("meeting-starts-at").FillAsync(start.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await BrowserSession.ScreenshotAsync(township, "township-meeting-new-desktop");
        await township.GetByTestId("meeting-submit").ClickAsync();
        await township.WaitForURLAsync("**/meetings/*");
        var meetingId = (await township.GetByTestId("meeting-detail").GetAttributeAsync("data-meeting-id"))!;

        // The branch gets the summons live and confirms who will come.
        await Expect(branch.Locator("[data-testid=live-notice][data-kind=meeting]")).ToBeVisibleAsync();
        var item = branch.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}']");
        await item.GetByTestId("summons-attendee").FillAsync("周中队长");
        await item.GetByTestId("summons-confirm").ClickAsync();
        await Expect(branch.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}'][data-status=confirmed]")).ToHaveCountAsync(1);
        await BrowserSession.ScreenshotAsync(branch, "branch-summons-phone");

        // The township sees the answer live, records who reported in, and the minutes with one decision.
        var row = township.Locator($"[data-testid=summons-row][data-branch-id='{branchId}']");
        await Expect(row).ToHaveAttributeAsync("data-status", "confirmed");
        var summonsId = (await row.GetAttributeAsync("data-summons-id"))!;
        await township.GetByTestId($"attendance-{summonsId}-present").ClickAsync();
        await township.GetByTestId("attendance-save").ClickAsync();
        await Expect(township.Locator($"[data-testid=summons-row][data-summons-id='{summonsId}']")).ToHaveAttributeAsync("data-attendance", "present");
        await township.GetByTestId("meeting-minutes").FillAsync("会议通报了11月工作情况，研究了集镇环境整治，议定事项如下。");
        await township.GetByTestId("decision-add").ClickAsync();
        await township.GetByTestId("decision-text-0").FillAsync("一周内整治集镇主街占道经营");
        await township.GetByTestId("decision-agency-0").ClickAsync();
        await township.GetByTestId("decision-agency-0-option-urban-management").ClickAsync();
        await township.GetByTestId("decision-due-0").FillAsync(start.AddDays(7).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await township.GetByTestId("minutes-save").ClickAsync();
        await Expect(township.GetByTestId("meeting-detail")).ToHaveAttributeAsync("data-status", "held");
        var decisionWhistle = (await township.GetByTestId("decision-row").First.GetAttributeAsync("data-whistle-id"))!;
        await BrowserSession.ScreenshotAsync(township, "township-meeting-held-desktop");

        // The decision is an assignment in the branch's inbox, live.
        await Expect(branch.Locator($"[data-testid=assignment-row][data-whistle-id='{decisionWhistle}'][data-status=dispatched]")).ToHaveCountAsync(1);
        await BrowserSession.ScreenshotAsync(branch, "branch-decision-phone");
        Assert.That(await outsider.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}']").CountAsync(), Is.Zero);
        Assert.That(await outsider.Locator($"[data-testid=assignment-row][data-whistle-id='{decisionWhistle}']").CountAsync(), Is.Zero);
        Assert.That(await branch.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0));

        // Attendance enters the assessment beside the three rates.
        var supervisor = await _browser.SignInAsync(_system.Api, "supervisor", BrowserSession.Desktop);
        var day = start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await supervisor.GotoAsync($"/assessment?period=month&date={day}");
        var unit = supervisor.Locator($"[data-testid=ranking-row][data-unit-id='{branchId}']");
        await Expect(unit.GetByTestId("ranking-confirmed-on-time")).ToHaveTextAsync("1/1");
        await Expect(unit.GetByTestId("ranking-reported-in")).ToHaveTextAsync("1");
        await Expect(unit.GetByTestId("ranking-absent")).ToHaveTextAsync("0");

        foreach (var page in new IPage[] { township, branch, outsider, supervisor })
        {
            await page.Context.CloseAsync();
        }
    }
}
