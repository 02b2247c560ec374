using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 13, what each role expected and did not find, in a real browser at desktop and on a 390 px phone: the
/// supervisor's map (over the county's own tiles, served here from loopback), the drill-down from a ranking row, the score
/// in view on a phone, the board's search; the system administrator's notice channels with a test notice; the
/// supervisor's exports; the agency's filtered inbox and its 催办; a meeting decision reported with a day; the township's
/// banner that leaves after confirming, and a rating panel that a long description does not push off the screen.
/// </summary>
[NonParallelizable]
public sealed class When_each_role_looks_for_what_it_expected
{
    private readonly ShiftedClock _clock = new();
    private WhistleSystem _system = null!;
    private BrowserSession _browser = null!;
    private NoticeReceiver _receiver = null!;
    private WebApplication _tiles = null!;
    private int _tilesServed;

    [OneTimeSetUp]
    public async Task Start()
    {
        _browser = await BrowserSession.LaunchAsync();
        _receiver = await NoticeReceiver.StartAsync();
        _tiles = await StartTileServerAsync();
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock), new Dictionary<string, string?>
        {
            ["Whistle:Map:TileUrl"] = $"{_tiles.Urls.Single()}/tiles/{{z}}/{{x}}/{{y}}.png",
            ["Whistle:Notices:AllowedNetworks"] = "127.0.0.1/32",
            ["Whistle:Notices:PollInterval"] = "00:00:00.200",
        });
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        if (_system is not null) await _system.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
        if (_tiles is not null) await _tiles.DisposeAsync();
    }

    /// <summary>The county's tile service, as a 天地图 on the intranet would be: 256 px PNG tiles by z/x/y, on loopback.</summary>
    private async Task<WebApplication> StartTileServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        // A light grey-green 1×1 PNG, stretched to the tile: land.
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPo6OgAAAMAAYHaR8sAAAAASUVORK5CYII=");
        app.MapGet("/tiles/{z:int}/{x:int}/{y:int}.png", () =>
        {
            Interlocked.Increment(ref _tilesServed);
            return Results.File(png, "image/png");
        });
        await app.StartAsync();
        return app;
    }

    private async Task<string> RaiseAsync(WhistleClient township, string title, double? latitude = null, double? longitude = null, string matter = "street-vending",
        string urgency = "urgent", string? description = null)
    {
        var (status, body, _) = await township.PostAsync("/api/whistles", new
        {
            matterCode = matter, title, description = description ?? "现场有人占道经营，影响通行。", address = $"{title}现场", urgency, latitude, longitude,
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        var id = body!.Str("id");
        await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        return id;
    }

    /// <summary>
    /// A signed-in page on the server's clock. A spec here moves the server's clock on (a meeting begins 45 minutes
    /// later), and a page counts "today" by its own clock (an export's period, the assessment's): with the server ahead,
    /// a whistle raised between the browser's 23:15 and midnight fell on the server's next day, outside the page's period,
    /// and the export and drill-down specs failed every evening.
    /// </summary>
    private async Task<IPage> SignInAsync(string userName, ViewportSize viewport)
    {
        var page = await _browser.SignInAsync(_system.Api, userName, viewport);
        if (_clock.Offset > TimeSpan.Zero)
        {
            await page.Clock.SetSystemTimeAsync(_clock.GetUtcNow().UtcDateTime);
        }

        return page;
    }

    [Test]
    public async Task Should_show_the_supervisor_the_open_whistles_on_a_map_over_the_countys_tiles_and_open_one_from_its_dot()
    {
        using var chengguan = await _system.SignInAsync("township.chengguan");
        using var qingshi = await _system.SignInAsync("township.qingshi");
        var market = await RaiseAsync(chengguan, "解放路农贸市场门口占道", 36.492, 118.03);
        var shed = await RaiseAsync(qingshi, "青石村河边违建棚屋", 36.56, 117.9, "illegal-construction", "routine");
        var nowhere = await RaiseAsync(chengguan, "人民路口流动摊贩");

        foreach (var (viewport, name) in new[] { (BrowserSession.Desktop, "supervisor-map-desktop"), (BrowserSession.Phone390, "supervisor-map-phone") })
        {
            var page = await SignInAsync("supervisor", viewport);
            await page.GotoAsync("/map");
            var map = page.GetByTestId("whistle-map");
            await Expect(map).ToHaveAttributeAsync("data-rendered", "true", new() { Timeout = BrowserSession.Live });
            var dot = page.Locator($"[data-testid=map-dot][data-whistle-id='{market}']");
            await Expect(dot).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
            await Expect(page.Locator($"[data-testid=map-dot][data-whistle-id='{shed}']")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
            await Expect(page.Locator($"[data-testid=map-dot][data-whistle-id='{nowhere}']")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("map-unplaced")).ToBeVisibleAsync();
            await Expect(page.Locator($"[data-testid=map-row][data-whistle-id='{nowhere}']")).ToHaveCountAsync(1);
            // The county's tiles are under the townships: loaded from its service (the CSP lets them in), nothing from the internet.
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=map-tile]')].some(i => i.complete && i.naturalWidth > 0)", null, new() { Timeout = BrowserSession.Live });
            Assert.That(await page.GetByTestId("map-tile").CountAsync(), Is.GreaterThan(0));
            Assert.That(_tilesServed, Is.GreaterThan(0));
            // Each dot lies within the map, over the township it was raised in: the market in 城关 is east of the shed in 青石.
            var box = (await map.BoundingBoxAsync())!;
            var marketBox = (await dot.BoundingBoxAsync())!;
            var shedBox = (await page.Locator($"[data-testid=map-dot][data-whistle-id='{shed}']").BoundingBoxAsync())!;
            Assert.Multiple(() =>
            {
                Assert.That(marketBox.X, Is.InRange(box.X, box.X + box.Width));
                Assert.That(marketBox.Y, Is.InRange(box.Y, box.Y + box.Height));
                Assert.That(marketBox.X, Is.GreaterThan(shedBox.X), "east is right");
                Assert.That(marketBox.Y, Is.GreaterThan(shedBox.Y), "south is down");
            });
            Assert.That(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0), name);
            await BrowserSession.ScreenshotAsync(page, name);

            // The dot opens the whistle.
            await dot.ClickAsync();
            await page.WaitForAddressAsync(new Regex($"/whistles/{Regex.Escape(market)}$"));
            await Expect(page.GetByTestId("whistle-detail")).ToHaveAttributeAsync("data-whistle-id", market, new() { Timeout = BrowserSession.Live });
            await page.Context.CloseAsync();
        }
    }

    [Test]
    public async Task Should_open_the_whistles_behind_a_ranking_row_and_keep_the_score_in_view_on_a_phone()
    {
        using var dongfeng = await _system.SignInAsync("township.dongfeng");
        var id = await RaiseAsync(dongfeng, "东风路早市占道（考核追溯）");
        var page = await SignInAsync("supervisor", BrowserSession.Phone390);
        await page.GotoAsync("/assessment");
        var table = page.GetByTestId("ranking-table");
        await Expect(table).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        var row = page.Locator("[data-testid=ranking-row][data-unit-id='urban-management.dongfeng']");
        await row.ScrollIntoViewIfNeededAsync();

        // The table is wider than the phone, yet its score is on screen.
        var scroller = page.Locator(".table-scroll").First;
        Assert.That(await scroller.EvaluateAsync<int>("e => e.scrollWidth - e.clientWidth"), Is.GreaterThan(0), "the ranking scrolls sideways on a phone");
        var score = (await row.GetByTestId("ranking-score").BoundingBoxAsync())!;
        Assert.That(score.X + score.Width, Is.LessThanOrEqualTo(BrowserSession.Phone390.Width), "the score column stays in view");
        Assert.That(score.X, Is.GreaterThanOrEqualTo(0));
        await BrowserSession.ScreenshotAsync(page, "supervisor-ranking-phone");

        // The ranking filtered by township, then its row opens the whistles behind it.
        await page.GetByTestId("ranking-township").ClickAsync();
        await page.GetByTestId("ranking-township-dongfeng").ClickAsync();
        await Expect(page.Locator("[data-testid=ranking-row][data-unit-id='urban-management.chengguan']")).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await row.GetByTestId("ranking-open").ClickAsync();
        await page.WaitForAddressAsync(new Regex(@"/whistles\?.*branchId=urban-management\.dongfeng"));
        await Expect(page.Locator($"[data-testid=whistles-row][data-whistle-id='{id}']")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        Assert.That(await page.Locator("[data-testid=whistles-row]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.townshipId)"), Is.All.EqualTo("dongfeng"));
        await BrowserSession.ScreenshotAsync(page, "supervisor-drilldown-phone");
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_search_the_board()
    {
        using var liuhe = await _system.SignInAsync("township.liuhe");
        var wanted = await RaiseAsync(liuhe, "柳河桥头烧烤摊占道");
        var other = await RaiseAsync(liuhe, "柳河小学门口流动摊贩");
        var page = await SignInAsync("supervisor", BrowserSession.Desktop);
        await Expect(page.Locator($"[data-testid=whistle-row][data-whistle-id='{other}']")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await page.GetByTestId("board-search").FillAsync("烧烤");
        await Expect(page.Locator($"[data-testid=whistle-row][data-whistle-id='{other}']")).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await Expect(page.Locator($"[data-testid=whistle-row][data-whistle-id='{wanted}']")).ToHaveCountAsync(1);
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_let_the_system_administrator_add_a_channel_and_send_it_a_test_notice()
    {
        foreach (var (viewport, name, id) in new[] { (BrowserSession.Desktop, "sysadmin-notice-channels-desktop", "cg-um-hook"), (BrowserSession.Phone390, "sysadmin-notice-channels-phone", "qs-um-hook") })
        {
            var page = await SignInAsync("sysadmin", viewport);
            await page.GetByTestId("nav-notice-channels").ClickAsync();
            await page.GetByTestId("notice-channel-new").ClickAsync();
            await page.GetByTestId("nc-id").FillAsync(id);
            await page.GetByTestId("nc-unit").ClickAsync();
            var branch = id.StartsWith("cg", StringComparison.Ordinal) ? "urban-management.chengguan" : "urban-management.qingshi";
            await page.GetByTestId($"nc-unit-{branch}").ClickAsync();
            await page.GetByTestId("nc-kind").ClickAsync();
            await page.GetByTestId("nc-kind-webhook").ClickAsync();
            await page.GetByTestId("nc-url").FillAsync(_receiver.Url($"/{id}"));
            await page.GetByTestId("nc-save").ClickAsync();
            var card = page.Locator($"[data-testid=notice-channel][data-channel-id='{id}']");
            await Expect(card).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });

            await card.GetByTestId("notice-channel-test").ClickAsync();
            var delivery = page.Locator("[data-testid=delivery-log] [data-testid=delivery][data-event-type=NoticeTest]").First;
            await Expect(delivery).ToHaveAttributeAsync("data-status", "sent", new() { Timeout = BrowserSession.Live });
            await Expect(delivery.GetByTestId("delivery-status")).ToHaveTextAsync("已送达");
            await _receiver.WaitForAsync($"/{id}", "NoticeTest", succeeded: true);
            Assert.That(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0), name);
            await BrowserSession.ScreenshotAsync(page, name);
            await page.Context.CloseAsync();
        }
    }

    [Test]
    public async Task Should_let_the_supervisor_download_the_whistles_of_a_period()
    {
        using var baiyun = await _system.SignInAsync("township.baiyun");
        var id = await RaiseAsync(baiyun, "白云山脚违规烧秸秆", matter: "straw-burning");
        var page = await SignInAsync("supervisor", BrowserSession.Phone390);
        await page.GetByTestId("nav-exports").ClickAsync();
        await Expect(page.GetByTestId("exports-page")).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(page, "supervisor-exports-phone");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-whistles-csv").ClickAsync());
        Assert.That(download.SuggestedFilename, Does.Match(@"^whistles-\d{8}-\d{8}\.csv$"));
        var path = Path.Combine(Path.GetTempPath(), $"whistle-export-{Guid.NewGuid():N}.csv");
        await download.SaveAsAsync(path);
        try
        {
            Assert.That(await File.ReadAllTextAsync(path), Does.Contain(id).And.Contain("白云山脚违规烧秸秆"));
        }
        finally
        {
            File.Delete(path);
        }

        var timeline = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-timeline-jsonl").ClickAsync());
        Assert.That(timeline.SuggestedFilename, Does.Match(@"^timeline-\d{8}-\d{8}\.jsonl$"));
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_let_an_agency_filter_its_branches_duties_and_urge_one()
    {
        using var chengguan = await _system.SignInAsync("township.chengguan");
        using var qingshi = await _system.SignInAsync("township.qingshi");
        using var branch = await _system.SignInAsync("branch.urban-management.qingshi");
        await using var branchPush = await _system.ConnectAsync(branch);
        var inChengguan = await RaiseAsync(chengguan, "城关夜市油烟占道");
        var inQingshi = await RaiseAsync(qingshi, "青石集市占道卖菜");

        var page = await SignInAsync("agency.urban-management", BrowserSession.Phone390);
        var rowOf = (string whistle) => page.Locator($"[data-testid=assignment-row][data-whistle-id='{whistle}']");
        await Expect(rowOf(inChengguan)).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(rowOf(inQingshi)).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await page.GetByTestId("inbox-township").ClickAsync();
        await page.GetByTestId("inbox-township-qingshi").ClickAsync();
        await Expect(rowOf(inChengguan)).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await Expect(rowOf(inQingshi)).ToHaveCountAsync(1);
        Assert.That(page.Url, Does.Contain("townshipId=qingshi"), "the filter is kept in the address");
        await BrowserSession.ScreenshotAsync(page, "agency-inbox-filtered-phone");

        await rowOf(inQingshi).GetByTestId("assignment-urge").ClickAsync();
        await page.GetByTestId("urge-note").FillAsync("请今天上午到场处置");
        await page.GetByTestId("urge-submit").ClickAsync();
        var urged = await branchPush.WaitForAsync(e => e.Str("type") == "AssignmentReminded" && e.Str("whistleId") == inQingshi, TimeSpan.FromSeconds(BrowserSession.Live / 1000));
        Assert.That(urged["actor"]!.Str("userName"), Is.EqualTo("agency.urban-management"));
        await Expect(rowOf(inQingshi).GetByTestId("assignment-escalation")).ToHaveAttributeAsync("data-reminders", "1", new() { Timeout = BrowserSession.Live });

        // Its own assessment: itself and its branches.
        await page.GetByTestId("nav-assessment").ClickAsync();
        await Expect(page.GetByTestId("assessment-page")).ToHaveAttributeAsync("data-scope", "agency", new() { Timeout = BrowserSession.Live });
        await Expect(page.Locator("[data-testid=ranking-row]").First).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        var units = await page.Locator("[data-testid=ranking-row]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.unitId)");
        Assert.That(units, Is.Not.Empty.And.All.StartsWith("urban-management."));
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_ask_a_branch_for_the_day_a_meeting_decision_will_be_done_not_for_minutes()
    {
        using var township = await _system.SignInAsync("township.shuangqiao");
        var meeting = (await township.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "双桥镇月度协调会", place = "镇政府二楼会议室", startsAt = _clock.GetUtcNow().AddMinutes(30), agencyCodes = new[] { "urban-management" },
        })).Body!.AsArray()[0]!;
        _clock.Shift(TimeSpan.FromMinutes(45));
        var due = _clock.GetUtcNow().AddDays(7);
        var (held, minutes, _) = await township.PostAsync($"/api/meetings/{meeting.Str("id")}/minutes", new
        {
            minutes = "议定事项如下。",
            decisions = new[] { new { text = "一周内整治双桥集镇主街占道", agencyCode = "urban-management", dueAt = due } },
        });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), minutes?.ToJsonString());
        var duty = minutes!["decisions"]![0]!.Str("assignmentId");

        var page = await SignInAsync("branch.urban-management.shuangqiao", BrowserSession.Phone390);
        var card = page.Locator($"[data-testid=assignment-row][data-assignment-id='{duty}']");
        await Expect(card.GetByTestId("assignment-report")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        Assert.That(await card.GetByTestId("assignment-eta").CountAsync(), Is.Zero, "no ETA in minutes for a week-long task");
        var day = card.GetByTestId("assignment-expected-on");
        await Expect(day).ToBeVisibleAsync();
        var dueDay = due.ToOffset(TimeSpan.FromHours(8)).AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await day.FillAsync(dueDay);
        await card.GetByTestId("assignment-report").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(page, "branch-decision-report-phone");
        await card.GetByTestId("assignment-report").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-status", "reported", new() { Timeout = BrowserSession.Live });
        await Expect(card.GetByTestId("assignment-expected")).ToContainTextAsync(dueDay, new() { Timeout = BrowserSession.Live });
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_keep_the_rating_panel_in_reach_of_a_long_description_and_drop_the_banner_once_confirmed()
    {
        using var township = await _system.SignInAsync("township.dongfeng");
        using var lead = await _system.SignInAsync("branch.urban-management.dongfeng");
        using var co = await _system.SignInAsync("branch.market-supervision.dongfeng");
        var description = string.Concat(Enumerable.Repeat("东风路早市摊位占用人行道和非机动车道，早高峰行人只能走机动车道，存在安全隐患；", 60))[..2000];
        var page = await SignInAsync("township.dongfeng", BrowserSession.Phone390);
        var id = await RaiseAsync(township, "东风路早市长期占道（群众反映材料）", description: description);
        var whistle = (await township.GetAsync($"/api/whistles/{id}")).Body!;
        foreach (var (client, agency) in new[] { (lead, "urban-management"), (co, "market-supervision") })
        {
            var duty = whistle["assignments"]!.AsArray().Single(a => a!.Str("agencyCode") == agency)!.Str("id");
            Assert.That((await client.PostAsync($"/api/assignments/{duty}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await client.PostAsync($"/api/assignments/{duty}/resolve", new { note = "已清理，设置隔离栏" })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        var banner = page.Locator($"[data-testid=live-notice][data-kind=resolved][data-whistle-id='{id}']");
        await Expect(banner).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(banner).ToContainTextAsync("已全部办结，待确认");
        await page.GotoAsync($"/whistles/{id}");
        var panel = page.GetByTestId("confirm-panel");
        await Expect(panel).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        var top = (await panel.BoundingBoxAsync())!.Y;
        Assert.That(top, Is.LessThan(BrowserSession.Phone390.Height), "the rating panel starts on the first screen, under a 2,000-character description");
        await Expect(page.GetByTestId("whistle-detail-description")).ToHaveAttributeAsync("data-clamped", "true");
        await panel.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(page, "township-confirm-phone");

        // The whole text is a tap away.
        await page.GetByTestId("description-toggle").ClickAsync();
        await Expect(page.GetByTestId("whistle-detail-description")).ToHaveAttributeAsync("data-clamped", "false");
        await page.GetByTestId("description-toggle").ClickAsync();

        foreach (var a in whistle["assignments"]!.AsArray())
        {
            await page.GetByTestId($"rating-{a!.Str("id")}-satisfied").ClickAsync();
        }

        await page.GetByTestId("confirm-whistle").ClickAsync();
        await Expect(page.GetByTestId("whistle-detail")).ToHaveAttributeAsync("data-status", "closed", new() { Timeout = BrowserSession.Live });
        await Expect(page.Locator("[data-testid=live-notice][data-kind=resolved]")).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await Expect(page).ToHaveTitleAsync(new Regex(@"^[^(]"), new() { Timeout = BrowserSession.Live });
        await page.Context.CloseAsync();
    }
}
