using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 17's leftovers for the UI, in a real browser: the supervisor's board over both levels (a level filter kept in
/// the address) and the assessment's township drill-downs that never mix a work request in; a work request's card in
/// the city's words; a stationed branch's inbox naming the requesting department and the work item; a department's
/// joint meeting (联席会议) with the institutions of its relations; the establishment office's follow-up answered in the
/// department's workspace, live; the township's limits in 小时/天 on the raise form.
/// </summary>
[NonParallelizable]
public sealed class When_the_city_level_shows_in_every_workspace
{
    private WhistleSystem _system = null!;
    private BrowserSession _browser = null!;
    private string _townshipWhistle = "";
    private string _cityRequest = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _browser = await BrowserSession.LaunchAsync();
        _system = await WhistleSystem.EmbeddedAsync();

        // One branch, both levels: 城关市场监管所 answers the township's 无证无照食品经营 and the city's 食品安全专项抽查.
        using var township = await _system.SignInAsync("township.chengguan");
        var whistle = await township.RaiseAsync(WhistleClient.Raise("人民路无证早餐摊点", "unlicensed-food-business", "urgent"));
        _townshipWhistle = whistle.Str("id");
        using var market = await _system.SignInAsync("department.city-market");
        var (status, raised, _) = await market.PostAsync("/api/work-requests", new
        {
            institutionId = "market-service-center", workItemCode = "market-food-spot-check", title = "城关餐饮单位专项抽查",
            description = "本周内完成城关辖区学校周边餐饮单位抽查并上报结果。",
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        _cityRequest = raised!.Str("id");
        await township.WaitForWhistleAsync(_townshipWhistle, w => w["assignments"]!.AsArray().Count > 0);
        await market.WaitForWhistleAsync(_cityRequest, w => w["assignments"]!.AsArray().Count > 0);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        if (_system is not null) await _system.DisposeAsync();
    }

    private static ILocator Card(IPage page, string testId, string whistleId) =>
        page.Locator($"[data-testid={testId}][data-whistle-id='{whistleId}']");

    [Test]
    public async Task Should_filter_the_board_by_level_in_the_address_and_read_a_work_request_as_one()
    {
        var page = await _browser.SignInAsync(_system.Api, "supervisor", BrowserSession.Desktop);
        await page.WaitForAddressAsync(new Regex("/board$"));
        var township = Card(page, "whistle-row", _townshipWhistle);
        var work = Card(page, "whistle-row", _cityRequest);
        await Expect(township).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(work).ToHaveCountAsync(1);

        // The work request in the city's words: the requesting department → the branch it went to, the work item, no urgency.
        await Expect(work).ToHaveAttributeAsync("data-level", "city");
        await Expect(work.GetByTestId("level-city")).ToHaveTextAsync("市级工作事项");
        await Expect(work.GetByTestId("card-requester")).ToHaveTextAsync(new Regex(@"市市场监督管理局\s*→\s*青山县市场监管综合服务中心 · "));
        await Expect(work.GetByTestId("card-matter")).ToHaveTextAsync("工作事项：城关食品安全专项抽查");
        await Expect(work.Locator(".urgency-pill")).ToHaveCountAsync(0);
        await Expect(township.GetByTestId("card-requester")).ToHaveTextAsync("城关街道");
        await Expect(township.Locator(".urgency-pill")).ToHaveTextAsync("紧急");
        await BrowserSession.ScreenshotAsync(page, "leftovers-board-both-levels-desktop");

        // 乡镇: the address keeps it, the city's row leaves; 市级: the other way round; a reload keeps the choice.
        await page.GetByTestId("board-level-township").ClickAsync();
        await page.WaitForAddressAsync(new Regex(@"/board\?level=township$"));
        await Expect(work).ToHaveCountAsync(0);
        await Expect(township).ToHaveCountAsync(1);
        await page.GetByTestId("board-level-city").ClickAsync();
        await page.WaitForAddressAsync(new Regex(@"/board\?level=city$"));
        await Expect(township).ToHaveCountAsync(0);
        await Expect(work).ToHaveCountAsync(1);
        await Expect(page.Locator("label[for=board-township]")).ToHaveTextAsync("委办局");
        await page.GetByTestId("board-level-township").ClickAsync();
        await Expect(page.Locator("label[for=board-township]")).ToHaveTextAsync("乡镇(街道)");
        await Expect(page.Locator("label[for=board-from]")).ToHaveTextAsync("吹哨日期自");
        await page.GetByTestId("board-level-city").ClickAsync();
        await page.WaitForAddressAsync(new Regex(@"/board\?level=city$"));
        await page.ReloadAsync();
        await Expect(page.GetByTestId("board-level")).ToHaveAttributeAsync("data-level", "city");
        await Expect(work).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(township).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("board-chart-hint")).ToHaveTextAsync("点击柱条查看该委办局的在办工作事项"); // the bars are departments here
        // The filters in the city's words: a department asks, an institution answers, a work request is requested (提出), not whistled.
        await Expect(page.Locator("label[for=board-township]")).ToHaveTextAsync("委办局");
        await Expect(page.Locator("#c-open")).ToHaveTextAsync("在办工作事项");
        await Expect(page.Locator("label[for=board-agency]")).ToHaveTextAsync("事业单位");
        await Expect(page.Locator("label[for=board-from]")).ToHaveTextAsync("提出日期自");
        await Expect(page.GetByTestId("board-search-all")).ToHaveTextAsync("在全部工作事项中查询（含已结束）");
        await page.GetByTestId("board-township").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Option, new() { Name = "城关街道" })).ToHaveCountAsync(0); // no township at the city level
        await page.GetByRole(AriaRole.Option, new() { Name = "市市场监督管理局" }).ClickAsync();
        await Expect(work).ToHaveCountAsync(1);
        await BrowserSession.ScreenshotAsync(page, "leftovers-board-city-desktop");

        // The search over every whistle keeps the level, and names the department as one (not as a township).
        await page.GetByTestId("board-search-all").ClickAsync();
        await page.WaitForAddressAsync(new Regex(@"/whistles\?.*level=city"));
        Assert.That(page.Url, Does.Contain("departmentId=").And.Not.Contain("townshipId="));
        await Expect(page.GetByTestId("whistles-criteria")).ToContainTextAsync("市市场监督管理局"); // the list says what it is filtered by
        // …in the city's words: a department asks, an institution answers; no township, agency or branch to choose.
        await Expect(page.Locator("h1")).ToHaveTextAsync("工作事项查询");
        await Expect(page.Locator("label[for=wl-department]")).ToHaveTextAsync("委办局");
        await Expect(page.Locator("label[for=wl-institution]")).ToHaveTextAsync("事业单位");
        await Expect(page.Locator("label[for=wl-from]")).ToHaveTextAsync("提出日期自");
        await Expect(page.GetByTestId("whistles-township")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("whistles-branch")).ToHaveCountAsync(0);
        await BrowserSession.ScreenshotAsync(page, "leftovers-city-list-desktop");
        await Expect(Card(page, "whistles-row", _cityRequest)).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(Card(page, "whistles-row", _townshipWhistle)).ToHaveCountAsync(0);

        // English.
        await page.GotoAsync("/board?level=city");
        await page.GetByTestId("lang-switch").ClickAsync();
        await Expect(page.GetByTestId("board-level-city")).ToHaveTextAsync("City (work requests)");
        await Expect(work.GetByTestId("level-city")).ToHaveTextAsync("City work request");
        await Expect(page.Locator("label[for=board-township]")).ToHaveTextAsync("Department");
        await Expect(page.Locator("label[for=board-from]")).ToHaveTextAsync("Requested from");
        await page.GetByTestId("lang-switch").ClickAsync();
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_drill_down_from_a_township_ranking_row_to_township_whistles_only()
    {
        var page = await _browser.SignInAsync(_system.Api, "supervisor", BrowserSession.Desktop);
        await page.GotoAsync("/assessment");
        var row = page.Locator("[data-testid=ranking-row][data-unit-id='market-supervision.chengguan']");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await row.GetByTestId("ranking-open").ClickAsync();
        await page.WaitForAddressAsync(new Regex(@"/whistles\?.*branchId=market-supervision\.chengguan.*level=township|/whistles\?.*level=township.*branchId=market-supervision\.chengguan"));
        await Expect(page.GetByTestId("whistles-page")).ToHaveAttributeAsync("data-loading", "false", new() { Timeout = BrowserSession.Live });
        await Expect(Card(page, "whistles-row", _townshipWhistle)).ToHaveCountAsync(1);
        await Expect(Card(page, "whistles-row", _cityRequest)).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=whistles-row][data-level=city]")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("whistles-criteria")).ToContainTextAsync("乡镇（吹哨报到）");
        await BrowserSession.ScreenshotAsync(page, "leftovers-assessment-drilldown-desktop");
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_name_the_department_and_the_work_item_in_a_stationed_branch_s_inbox_on_a_phone()
    {
        var page = await _browser.SignInAsync(_system.Api, "branch.market-supervision.chengguan", BrowserSession.Phone);
        await page.WaitForAddressAsync(new Regex("/inbox$"));
        var row = page.Locator($"[data-testid=assignment-row][data-whistle-id='{_cityRequest}']");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(row.GetByTestId("inbox-requester")).ToHaveTextAsync("市市场监督管理局派发");
        await Expect(row.GetByTestId("level-city")).ToHaveTextAsync("市级工作事项");
        await Expect(row).ToContainTextAsync("城关食品安全专项抽查");
        await Expect(row).Not.ToContainTextAsync("city-market");
        await Expect(row).Not.ToContainTextAsync("market-food-spot-check");
        // The township's whistle beside it reads as before.
        var whistle = page.Locator($"[data-testid=assignment-row][data-whistle-id='{_townshipWhistle}']");
        await Expect(whistle).ToContainTextAsync("城关街道");
        await row.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(page, "leftovers-branch-inbox-work-request-phone");

        // Its detail page shows the work item's process and standard (the city it may now read).
        await row.Locator(".whistle-title").ClickAsync();
        await page.WaitForAddressAsync(new Regex("/whistles/"));
        await Expect(page.GetByTestId("whistle-requester")).ToHaveTextAsync("市市场监督管理局", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(page, "leftovers-branch-work-request-detail-phone");
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_show_a_department_s_own_list_with_the_shared_card_on_a_phone()
    {
        var page = await _browser.SignInAsync(_system.Api, "department.city-market", BrowserSession.Phone);
        await page.WaitForAddressAsync(new Regex("/department$"));
        var card = Card(page, "whistle-row", _cityRequest);
        await Expect(card).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(card).ToHaveAttributeAsync("data-level", "city");
        await Expect(card.GetByTestId("card-matter")).ToHaveTextAsync("工作事项：城关食品安全专项抽查");
        await Expect(card.GetByTestId("whistle-link")).ToHaveTextAsync("城关餐饮单位专项抽查");
        await Expect(card.GetByTestId("assignment-progress")).ToContainTextAsync("城关");
        // Its own list: no "who asked", no urgency, no township wording.
        await Expect(card.GetByTestId("card-requester")).ToHaveCountAsync(0);
        await Expect(card.Locator(".urgency-pill")).ToHaveCountAsync(0);
        await Expect(card).Not.ToContainTextAsync("吹哨");
        await BrowserSession.ScreenshotAsync(page, "leftovers-department-list-phone");
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_let_a_department_convene_a_joint_meeting_with_its_institutions_on_a_phone()
    {
        var clerk = await _browser.SignInAsync(_system.Api, "department.city-ndrc", BrowserSession.Phone);
        var duty = await _browser.SignInAsync(_system.Api, "institution.credit-center", BrowserSession.Desktop);
        await clerk.GotoAsync("/meetings");
        await Expect(clerk.Locator("h1")).ToHaveTextAsync("联席会议");
        await clerk.GetByTestId("meeting-new").ClickAsync();
        var form = clerk.GetByTestId("meeting-form");
        await Expect(form).ToBeVisibleAsync();

        // The picker: the institutions of the department's relations, none chosen, then all of them.
        var units = clerk.GetByTestId("meeting-units");
        await Expect(units).ToHaveAttributeAsync("data-chosen", "");
        await Expect(clerk.GetByTestId("meeting-unit-option-credit-center")).ToContainTextAsync("市信用中心");
        await Expect(clerk.GetByTestId("meeting-unit-option-inspection-center")).ToBeVisibleAsync();
        await Expect(units.Locator(".el-checkbox")).ToHaveCountAsync(2);
        await Expect(clerk.GetByTestId("meeting-units-count")).ToHaveTextAsync("已选 0 / 2");
        await clerk.GetByTestId("meeting-units-all").ClickAsync();
        await Expect(units).ToHaveAttributeAsync("data-chosen", "credit-center,inspection-center");
        await clerk.GetByTestId("meeting-unit-option-inspection-center").ClickAsync();
        await Expect(units).ToHaveAttributeAsync("data-chosen", "credit-center");
        await clerk.GetByTestId("meeting-title").FillAsync("一季度信用体系建设联席会议");
        await clerk.GetByTestId("meeting-place").FillAsync("市发展改革委 3 楼会议室");
        await BrowserSession.ScreenshotAsync(clerk, "leftovers-joint-meeting-form-phone");
        await clerk.GetByTestId("meeting-submit").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex("/meetings/"));
        await Expect(clerk.GetByTestId("meeting-convener")).ToHaveTextAsync("市发展改革委", new() { Timeout = BrowserSession.Live });
        await Expect(clerk.GetByTestId("summons-row")).ToHaveCountAsync(1);
        await Expect(clerk.GetByTestId("summons-row")).ToContainTextAsync("市信用中心");
        var meetingId = new Uri(clerk.Url).Segments.Last();
        await BrowserSession.ScreenshotAsync(clerk, "leftovers-joint-meeting-detail-phone");

        // The institution's duty officer: the summons in its inbox, live, from the department; it confirms.
        var summons = duty.Locator($"[data-testid=summons-item][data-meeting-id='{meetingId}']");
        await Expect(summons).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(summons.GetByTestId("summons-convener")).ToContainTextAsync("市发展改革委");
        await Expect(summons.Locator(".role-pill")).ToHaveTextAsync("定期会商");
        await Expect(duty.GetByTestId("nav-meetings")).ToHaveTextAsync("联席会议");
        await summons.GetByTestId("summons-attendee").FillAsync("王科长");
        await summons.GetByTestId("summons-confirm").ClickAsync();
        await Expect(summons).ToHaveAttributeAsync("data-status", "confirmed", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(duty, "leftovers-joint-meeting-summons-desktop");
        await Expect(clerk.GetByTestId("summons-row").GetByTestId("summons-status")).ToHaveAttributeAsync("data-status", "confirmed", new() { Timeout = BrowserSession.Live });

        // An office's account takes part but convenes nothing.
        var office = await _browser.SignInAsync(_system.Api, "office.credit-center.data", BrowserSession.Phone);
        await office.GotoAsync("/meetings");
        await Expect(office.Locator("h1")).ToHaveTextAsync("联席会议");
        await Expect(office.GetByTestId("meeting-new")).ToHaveCountAsync(0);
        foreach (var page in new[] { clerk, duty, office })
        {
            await page.Context.CloseAsync();
        }
    }

    [Test]
    public async Task Should_show_the_office_s_follow_up_to_the_department_live_and_take_its_reply_on_a_phone()
    {
        var clerk = await _browser.SignInAsync(_system.Api, "department.city-housing", BrowserSession.Phone);
        await clerk.WaitForAddressAsync(new Regex("/department$"));
        await Expect(clerk.GetByTestId("follow-ups")).ToHaveCountAsync(0);

        // The establishment office follows up 住建 × 建设工程质量中心 (its decision rule and document flow missing): it shows without a reload.
        using var office = await _system.SignInAsync("establishment-office");
        var due = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(5), TimeSpan.Zero).ToOffset(TimeSpan.FromHours(8));
        due = new DateTimeOffset(due.Year, due.Month, due.Day, 17, 30, 0, TimeSpan.FromHours(8));
        var (status, raised, _) = await office.PostAsync("/api/city/follow-ups", new { relationId = "construction-guidance", dueAt = due, note = "请于时限内补齐议事规则和公文流转制度。" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var id = raised!.Str("id");
        var row = clerk.Locator($"[data-testid=follow-up][data-follow-up-id='{id}']");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(row).ToHaveAttributeAsync("data-status", "open");
        await Expect(row.GetByTestId("follow-up-missing")).ToHaveTextAsync("缺少：议事规则、公文流转");
        await Expect(row.GetByTestId("follow-up-due")).ToContainTextAsync($"回复时限 {due:yyyy-MM-dd} 17:30");
        await Expect(row).ToContainTextAsync("市建设工程质量与安全监督服务中心");

        // An empty reply is refused in place; then the reply goes, and the office reads it.
        await row.GetByTestId("follow-up-reply-send").ClickAsync();
        await Expect(row.GetByTestId("follow-up-reply-text-error")).ToHaveTextAsync("请填写回复内容");
        await row.GetByTestId("follow-up-reply-text").FillAsync("议事规则已起草，12 月 10 日前提交局务会审定后登记。");
        await Expect(row.GetByTestId("follow-up-reply-text-error")).ToHaveCountAsync(0);
        await row.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(clerk, "leftovers-follow-up-reply-phone");
        await row.GetByTestId("follow-up-reply-send").ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-status", "answered", new() { Timeout = BrowserSession.Live });
        await Expect(row.GetByTestId("follow-up-reply")).ToContainTextAsync("议事规则已起草");
        var (_, after, _) = await office.GetAsync($"/api/city/follow-ups/{id}");
        Assert.That(after!.Str("status"), Is.EqualTo("answered"));
        await BrowserSession.ScreenshotAsync(clerk, "leftovers-follow-up-answered-phone");

        await clerk.GetByTestId("lang-switch").ClickAsync();
        await Expect(clerk.Locator("#follow-ups-heading")).ToContainTextAsync("Follow-ups from the establishment office");
        await clerk.GetByTestId("lang-switch").ClickAsync();
        await clerk.Context.CloseAsync();
    }

    [Test]
    public async Task Should_show_the_township_s_limits_in_hours_and_days_on_a_phone()
    {
        var page = await _browser.SignInAsync(_system.Api, "township.chengguan", BrowserSession.Phone);
        await page.GetByTestId("raise-whistle").ClickAsync();
        await page.GetByTestId("whistle-matter").ClickAsync();
        await page.GetByTestId("matter-option-illegal-construction").ClickAsync();
        await page.GetByTestId("urgency-routine").ClickAsync();
        var limits = page.GetByTestId("whistle-limits");
        // 240 and 4320 minutes: 4小时 to report, 3天 to resolve.
        await Expect(limits).ToContainTextAsync("4小时");
        await Expect(limits).ToContainTextAsync("3天");
        await Expect(limits).Not.ToContainTextAsync("分钟");
        await page.GetByTestId("urgency-urgent").ClickAsync();
        await Expect(limits).ToContainTextAsync("1小时");
        await Expect(limits).ToContainTextAsync("1天");
        await limits.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(page, "leftovers-raise-limits-phone");
        await page.GetByTestId("lang-switch").ClickAsync();
        await Expect(limits).Not.ToContainTextAsync("min");
        await page.GetByTestId("lang-switch").ClickAsync();
        await page.Context.CloseAsync();
    }
}
