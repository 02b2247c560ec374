using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// A city department holds a joint meeting (联席会议) in the browser, from convening to a decision in the institution's
/// inbox (issue 17): the department's clerk, on a phone, convenes the institution of its relation; once the meeting has
/// begun records the minutes with a decision to that institution; the decision is a work request (工作事项) of the
/// department, read in the city's words, that reaches the institution's duty officer live.
/// <para>
/// Time: the meeting is convened a few minutes ahead (the form refuses a start that has passed), then both clocks pass
/// its start without waiting — the server's (a fake one, frozen where the test leaves it) and the clerk's browser's
/// (Playwright's clock, set forward; its timers keep running in real time). The institution's page keeps the real clock.
/// </para>
/// </summary>
[NonParallelizable]
public sealed class When_a_department_holds_a_joint_meeting_in_the_browser : BrowserFixture
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider Clock => _clock;

    private static string Local(DateTimeOffset t) => t.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    private static DateTimeOffset WholeMinute(DateTimeOffset t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, t.Offset);

    [Test]
    public async Task Should_record_the_minutes_of_a_joint_meeting_whose_decision_reaches_the_institution_as_a_work_request_live()
    {
        var clerk = await Chromium.SignInAsync(Server.Api, "department.city-ndrc", BrowserSession.Phone);
        var duty = await Chromium.SignInAsync(Server.Api, "institution.credit-center", BrowserSession.Phone);
        await duty.WaitForAddressAsync(new Regex("/inbox$"));

        // 1. The clerk convenes 市信用中心 (of the department's relation 社会信用体系建设…), a few minutes ahead by both clocks.
        var starts = WholeMinute(DateTimeOffset.UtcNow.AddMinutes(4));
        await clerk.GotoAsync("/meetings");
        await clerk.GetByTestId("meeting-new").ClickAsync();
        await Expect(clerk.GetByTestId("meeting-form")).ToBeVisibleAsync();
        await clerk.GetByTestId("meeting-title").FillAsync("二季度社会信用体系建设联席会议");
        await clerk.GetByTestId("meeting-agenda").FillAsync("一、通报公共信用信息归集情况；二、研究信用修复工作");
        await clerk.GetByTestId("meeting-place").FillAsync("市发展改革委 3 楼会议室");
        await clerk.GetByTestId("meeting-starts-at").FillAsync(Local(starts));
        await clerk.GetByTestId("meeting-unit-option-credit-center").ClickAsync();
        await Expect(clerk.GetByTestId("meeting-units")).ToHaveAttributeAsync("data-chosen", "credit-center");
        await clerk.GetByTestId("meeting-submit").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex("/meetings/[^/]+$"));
        var detail = clerk.GetByTestId("meeting-detail");
        await Expect(clerk.GetByTestId("meeting-convener")).ToHaveTextAsync("市发展改革委", new() { Timeout = BrowserSession.Live });
        var meetingId = (await detail.GetAttributeAsync("data-meeting-id"))!;
        await Expect(clerk.Locator("#summons-heading")).ToHaveTextAsync("参会单位及答复"); // the institution takes part; the department convenes (发起单位)
        await Expect(clerk.GetByTestId("summons-row")).ToHaveCountAsync(1);
        await Expect(clerk.GetByTestId("summons-row")).ToContainTextAsync("市信用中心");
        await Expect(clerk.GetByTestId("meeting-not-started")).ToBeVisibleAsync();
        await Expect(clerk.GetByTestId("meeting-minutes")).ToHaveCountAsync(0); // nothing to record before the start
        await BrowserSession.ScreenshotAsync(clerk, "joint-minutes-convened-phone");

        // The duty officer's summons arrives live; it confirms who comes.
        var summons = duty.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}']");
        await Expect(summons).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await summons.GetByTestId("summons-attendee").FillAsync("李主任");
        await summons.GetByTestId("summons-confirm").ClickAsync();
        await Expect(summons).ToHaveAttributeAsync("data-status", "confirmed", new() { Timeout = BrowserSession.Live });

        // 2. The meeting begins: the server's clock and the clerk's browser pass its start (no waiting).
        var begun = starts.AddMinutes(2);
        _clock.SetUtcNow(begun);
        await clerk.Clock.SetSystemTimeAsync(begun.UtcDateTime);
        await Expect(clerk.GetByTestId("meeting-minutes")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(clerk.GetByTestId("meeting-not-started")).ToHaveCountAsync(0);
        // The hint in the city's words: each decision a work request (工作事项) to its handling unit, not an assignment (报到单).
        await Expect(clerk.GetByTestId("minutes-hint")).ToContainTextAsync("每个议定事项作为一项工作事项，按工作关系派发给承办单位");
        await Expect(clerk.Locator(".minutes-panel")).Not.ToContainTextAsync("报到单");

        // The minutes with one decision to the institution itself, due in a week at 17:30 (Beijing time).
        await clerk.GetByTestId("meeting-minutes").FillAsync("会议通报了一季度公共信用信息归集情况，研究了信用修复工作，议定事项如下。");
        await clerk.GetByTestId("decision-add").ClickAsync();
        await clerk.GetByTestId("decision-text-0").FillAsync("6 月底前完成全市信用修复案件梳理并报委信用处");
        await Expect(clerk.Locator("label[for=decision-agency-input-0]")).ToHaveTextAsync("承办单位（按工作关系派发）");
        await clerk.GetByTestId("minutes-save").ClickAsync(); // no handling unit yet: refused in place, in the same words
        await Expect(clerk.Locator("[data-testid=decision-editor][data-index='0'] .field-error")).ToHaveTextAsync("请选择承办单位");
        await Expect(detail).ToHaveAttributeAsync("data-status", "scheduled");
        await clerk.GetByTestId("decision-agency-0").ClickAsync();
        // The targets: along the department's relation with the summoned institution only — the institution itself and
        // its two offices; nothing of 市检验检测认证技术服务中心 (a relation of the department, not summoned).
        var targets = clerk.Locator("[data-testid^='decision-target-0-option-']");
        await Expect(targets).ToHaveCountAsync(3);
        await Expect(clerk.GetByTestId("decision-target-0-option-ndrc-credit")).ToHaveTextAsync("市信用中心（本级）（社会信用体系建设工作协作配合机制）");
        await Expect(clerk.GetByTestId("decision-target-0-option-ndrc-credit--credit-center.repair")).ToContainTextAsync("市信用中心 · 信用修复科");
        await Expect(targets.Filter(new() { HasText = "检验检测" })).ToHaveCountAsync(0);
        await BrowserSession.ScreenshotAsync(clerk, "joint-minutes-decision-targets-phone");
        await clerk.GetByTestId("decision-target-0-option-ndrc-credit").ClickAsync();
        var due = new DateTimeOffset(begun.ToOffset(TimeSpan.FromHours(8)).Date.AddDays(7).AddHours(17.5), TimeSpan.FromHours(8));
        await clerk.GetByTestId("decision-due-0").FillAsync(Local(due));
        await clerk.Locator("[data-testid=decision-editor][data-index='0']").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(clerk, "joint-minutes-form-phone");
        await clerk.GetByTestId("minutes-save").ClickAsync();

        // 3. The meeting is held; its minutes and the decision show, the decision naming the institution and linking its work request.
        await Expect(detail).ToHaveAttributeAsync("data-status", "held", new() { Timeout = BrowserSession.Live });
        await Expect(clerk.GetByTestId("meeting-status")).ToHaveTextAsync("已召开");
        await Expect(clerk.GetByTestId("meeting-minutes-text")).ToHaveTextAsync("会议通报了一季度公共信用信息归集情况，研究了信用修复工作，议定事项如下。");
        var decision = clerk.GetByTestId("decision-row");
        await Expect(decision).ToHaveCountAsync(1);
        await Expect(decision).ToHaveAttributeAsync("data-agency-code", "credit-center");
        await Expect(decision).ToContainTextAsync("6 月底前完成全市信用修复案件梳理并报委信用处");
        await Expect(decision.GetByTestId("decision-unit")).ToHaveTextAsync("承办单位：市信用中心（本级）");
        await Expect(decision.GetByTestId("decision-due")).ToHaveTextAsync($"完成时限：{due:yyyy-MM-dd} 17:30");
        await Expect(decision.GetByTestId("decision-link")).ToHaveTextAsync("查看工作事项");
        await Expect(decision).Not.ToContainTextAsync("credit-center");
        var whistleId = (await decision.GetAttributeAsync("data-whistle-id"))!;
        Assert.That(whistleId, Is.Not.Empty);
        await decision.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(clerk, "joint-minutes-held-phone");
        Assert.That(await clerk.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0), "nothing wider than the phone");

        // 4. The decision's link opens its work request, in the city's words: asked by the department, answered by the institution.
        await decision.GetByTestId("decision-link").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex($"/whistles/{Regex.Escape(whistleId)}$"));
        var request = clerk.GetByTestId("whistle-detail");
        await Expect(request).ToHaveAttributeAsync("data-whistle-id", whistleId, new() { Timeout = BrowserSession.Live });
        await Expect(request.Locator("h1")).ToHaveTextAsync("6 月底前完成全市信用修复案件梳理并报委信用处");
        await Expect(request.Locator("dt").First).ToHaveTextAsync("工作事项");
        await Expect(clerk.GetByTestId("whistle-requester")).ToHaveTextAsync("市发展改革委");
        await Expect(clerk.Locator("#assignments-heading")).ToHaveTextAsync("承办单位");
        var duty1 = clerk.GetByTestId("assignment-row");
        await Expect(duty1).ToHaveCountAsync(1);
        await Expect(duty1).ToContainTextAsync("市信用中心（本级）");
        await Expect(duty1).ToHaveAttributeAsync("data-status", "dispatched");
        await Expect(clerk.GetByTestId("whistle-detail-description")).ToContainTextAsync("二季度社会信用体系建设联席会议");
        await Expect(request).Not.ToContainTextAsync("吹哨");
        await Expect(request).Not.ToContainTextAsync("meeting-decision");
        await BrowserSession.ScreenshotAsync(clerk, "joint-minutes-work-request-phone");

        // 5. The institution's duty officer has it in its inbox, without a reload: from the department, a city work request.
        var row = duty.Locator($"[data-testid=assignment-row][data-whistle-id='{whistleId}']");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(row).ToHaveAttributeAsync("data-status", "dispatched");
        await Expect(row.GetByTestId("inbox-requester")).ToHaveTextAsync("市发展改革委派发");
        await Expect(duty.Locator("h1")).ToHaveTextAsync("工作事项待办"); // all of an institution's inbox is the city's: no level pill
        await Expect(row).ToContainTextAsync("6 月底前完成全市信用修复案件梳理并报委信用处");
        await Expect(row).Not.ToContainTextAsync("city-ndrc");
        await Expect(row).Not.ToContainTextAsync("meeting-decision");
        await row.Locator(".whistle-title").EvaluateAsync("title => title.scrollIntoView({ block: 'center' })"); // the row's head, below the sticky header
        await BrowserSession.ScreenshotAsync(duty, "joint-minutes-institution-inbox-phone");

        // The duty officer reads the held meeting too: the minutes and its decision, in the same words.
        await duty.GotoAsync($"/meetings/{meetingId}");
        await Expect(duty.GetByTestId("meeting-detail")).ToHaveAttributeAsync("data-status", "held", new() { Timeout = BrowserSession.Live });
        await Expect(duty.GetByTestId("decision-row").GetByTestId("decision-unit")).ToHaveTextAsync("承办单位：市信用中心（本级）");
        await Expect(duty.GetByTestId("decision-row").GetByTestId("decision-link")).ToHaveTextAsync("查看工作事项");
        await Expect(duty.GetByTestId("meeting-minutes")).ToHaveCountAsync(0); // the participant reads; only the convener records
        await duty.GetByTestId("decision-row").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(duty, "joint-minutes-institution-meeting-phone");

        // English: the same rows in the city's English words.
        await clerk.GoBackAsync();
        await clerk.WaitForAddressAsync(new Regex($"/meetings/{Regex.Escape(meetingId)}$"));
        await clerk.GetByTestId("lang-switch").ClickAsync();
        await Expect(clerk.GetByTestId("decision-row").GetByTestId("decision-link")).ToHaveTextAsync("Open work request");
        await Expect(clerk.GetByTestId("decision-row").GetByTestId("decision-unit")).ToHaveTextAsync("Handling unit: Municipal Credit Center (itself)");
        await Expect(clerk.GetByTestId("decision-row").GetByTestId("decision-due")).ToHaveTextAsync(new Regex("^Due by: [^：]+$"));
        await Expect(clerk.Locator("#summons-heading")).ToHaveTextAsync("Participants and their answers");
        await clerk.GetByTestId("lang-switch").ClickAsync();

        foreach (var page in new[] { clerk, duty })
        {
            await page.Context.CloseAsync();
        }
    }
}
