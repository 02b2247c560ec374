using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// The three workspaces in a real browser against the embedded system on real Kestrel: a township
/// blows the whistle, branches see it live, the supervisor's board follows.
/// </summary>
[NonParallelizable]
public sealed partial class When_staff_work_in_the_browser : BrowserFixture
{
    private const string Hostile = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> 夜间施工扰民";

    private static ILocator Row(IPage page, string whistleId) =>
        page.Locator($"[data-testid=assignment-row][data-whistle-id='{whistleId}']");

    private static async Task<int> OpenCountAsync(IPage board) =>
        int.Parse(await board.GetByTestId("board-open-count").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public async Task Should_carry_a_whistle_from_the_township_to_the_branch_live_and_back()
    {
        var township = await Chromium.SignInAsync(Server.Api, "township.chengguan", BrowserSession.Desktop);
        var branch = await Chromium.SignInAsync(Server.Api, "branch.urban-management.chengguan", BrowserSession.Phone);
        var outsider = await Chromium.SignInAsync(Server.Api, "branch.urban-management.dongfeng", BrowserSession.Phone);
        var board = await Chromium.SignInAsync(Server.Api, "supervisor", BrowserSession.Desktop);
        var dialogs = 0;
        var policyViolations = new List<string>();
        foreach (var page in new[] { township, branch, board })
        {
            page.Dialog += async (_, dialog) => { dialogs++; await dialog.DismissAsync(); };
            page.Console += (_, message) =>
            {
                if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) policyViolations.Add(message.Text);
            };
        }

        var openBefore = await OpenCountAsync(board);

        // The township blows the whistle from the form.
        await township.GetByTestId("raise-whistle").ClickAsync();
        await township.GetByTestId("whistle-matter").ClickAsync();
        await township.GetByTestId("matter-option-illegal-construction").ClickAsync();
        await township.GetByTestId("urgency-emergency").ClickAsync();
        await Expect(township.GetByTestId("whistle-preview").Locator("[data-testid=preview-unit][data-agency-code=urban-management]")).ToBeVisibleAsync();
        await township.GetByTestId("whistle-title").FillAsync("人民路工地违规搭建");
        await township.GetByTestId("whistle-description").FillAsync(Hostile);
        await township.GetByTestId("whistle-address").FillAsync("城关街道人民路18号");
        await BrowserSession.ScreenshotAsync(township, "township-raise-desktop");
        await township.GetByTestId("whistle-submit").ClickAsync();
        await township.WaitForAddressAsync(new Regex("/whistles/"));
        var whistleId = (await township.GetByTestId("whistle-detail").GetAttributeAsync("data-whistle-id"))!;

        // The branch on a phone gets the notice and the row without reloading.
        await Expect(branch.GetByTestId("live-notice")).ToBeVisibleAsync();
        await Expect(branch.GetByTestId("live-notice")).ToHaveAttributeAsync("data-whistle-id", whistleId);
        await Expect(Row(branch, whistleId)).ToHaveCountAsync(1);
        await Expect(Row(branch, whistleId)).ToHaveClassAsync(new Regex("highlighted"));
        Assert.That(await branch.TitleAsync(), Does.StartWith("(1) "));
        await BrowserSession.ScreenshotAsync(branch, "branch-inbox-phone");

        // The supervisor's board counts it.
        await Expect(board.GetByTestId("board-open-count")).ToHaveTextAsync((openBefore + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(board.Locator(".chart[data-rendered=true]")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live }); // the chart has drawn
        await BrowserSession.ScreenshotAsync(board, "supervisor-board-desktop");

        // The branch reports; the township's page follows live.
        var row = Row(branch, whistleId);
        var assignmentId = (await row.GetAttributeAsync("data-assignment-id"))!;
        await row.GetByTestId("assignment-eta").FillAsync("20");
        await row.GetByTestId("assignment-note").FillAsync("二十分钟内到场");
        await row.GetByTestId("assignment-report").ClickAsync();
        await Expect(township.Locator($"[data-testid=assignment-row][data-assignment-id='{assignmentId}']")).ToHaveAttributeAsync("data-status", "reported");
        await Expect(township.GetByTestId("whistle-detail")).ToHaveAttributeAsync("data-status", "in-progress");

        // The co-handling branches act over the API; the branch in the browser resolves last.
        using var api = await Server.SignInAsync("township.chengguan");
        var whistle = (await api.GetAsync($"/api/whistles/{whistleId}")).Body!;
        foreach (var other in whistle["assignments"]!.AsArray().Select(a => a!).Where(a => a.Str("id") != assignmentId))
        {
            using var owner = await Server.SignInAsync($"branch.{other.Str("branchId")}");
            Assert.That((await owner.PostAsync($"/api/assignments/{other.Str("id")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await owner.PostAsync($"/api/assignments/{other.Str("id")}/resolve", new { note = "已配合处置" })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        var reportedRow = branch.Locator($"[data-testid=assignment-row][data-assignment-id='{assignmentId}'][data-status=reported]");
        await reportedRow.GetByTestId("assignment-note").FillAsync("违建已拆除，现场恢复");
        await reportedRow.GetByTestId("assignment-resolve").ClickAsync();
        await Expect(township.GetByTestId("whistle-detail")).ToHaveAttributeAsync("data-status", "resolved");

        // The description is text, never HTML.
        await Expect(township.GetByTestId("whistle-detail-description")).ToHaveTextAsync(Hostile);
        Assert.That(await township.GetByTestId("whistle-detail-description").Locator("img, script").CountAsync(), Is.Zero);
        Assert.That(await township.EvaluateAsync<object?>("() => window.__pwned ?? null"), Is.Null);

        // The township confirms with a rating per branch.
        await BrowserSession.ScreenshotAsync(township, "township-whistle-desktop");
        foreach (var a in whistle["assignments"]!.AsArray())
        {
            await township.GetByTestId($"rating-{a!.Str("id")}-satisfied").ClickAsync();
        }

        await township.GetByTestId("confirm-whistle").ClickAsync();
        await Expect(township.GetByTestId("whistle-detail")).ToHaveAttributeAsync("data-status", "closed");
        await Expect(board.GetByTestId("board-open-count")).ToHaveTextAsync(openBefore.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // A branch of another township saw nothing of it.
        Assert.That(await Row(outsider, whistleId).CountAsync(), Is.Zero);
        Assert.That(await outsider.GetByTestId("live-notice").CountAsync(), Is.Zero);
        Assert.That(dialogs, Is.Zero, "no script of the user's ran");
        Assert.That(policyViolations, Is.Empty, "the UI runs under the Content-Security-Policy");

        await township.GotoAsync("/township");
        await Expect(township.Locator($"[data-testid=whistle-row][data-whistle-id='{whistleId}']")).ToHaveCountAsync(0).ConfigureAwait(false);
        foreach (var page in new[] { township, branch, outsider, board })
        {
            await page.Context.CloseAsync();
        }
    }

    [Test]
    public async Task Should_show_events_raised_while_the_connection_was_cut_exactly_once()
    {
        var branch = await Chromium.SignInAsync(Server.Api, "branch.market-supervision.qingshi", BrowserSession.Phone);
        using var township = await Server.SignInAsync("township.qingshi");

        await branch.Context.SetOfflineAsync(true);
        await Expect(branch.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "offline");
        var first = (await township.RaiseAsync(WhistleClient.Raise("农贸市场售卖病死禽", "unlicensed-food-business", "urgent"))).Str("id");
        var second = (await township.RaiseAsync(WhistleClient.Raise("学校食堂疑似食物中毒", "food-poisoning", "emergency"))).Str("id");
        await township.WaitForWhistleAsync(second, w => w.Str("status") == "dispatched");
        Assert.That(await Row(branch, first).CountAsync(), Is.Zero, "nothing arrives while offline");

        await branch.Context.SetOfflineAsync(false);
        await Expect(branch.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "connected");
        await Expect(Row(branch, first)).ToHaveCountAsync(1);
        await Expect(Row(branch, second)).ToHaveCountAsync(1);

        // A second cut, as a network failure rather than the browser going offline.
        await branch.EvaluateAsync("() => window.__whistle.dropConnection()");
        var third = (await township.RaiseAsync(WhistleClient.Raise("燃气瓶违规存放", "gas-safety", "urgent"))).Str("id");
        await Expect(branch.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "connected");
        await Expect(Row(branch, third)).ToHaveCountAsync(1);

        // Exactly once, not "once so far": a later whistle, raised live after the catch-up, reaches the page only after
        // everything before it was applied (one ordered stream per page) — then nothing earlier can still arrive twice.
        var later = (await township.RaiseAsync(WhistleClient.Raise("沿街商铺油烟扰民", "gas-safety", "urgent"))).Str("id");
        await township.WaitForWhistleAsync(later, w => w.Str("status") == "dispatched");
        await Expect(Row(branch, later)).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });

        // The page applies every event the branch is owed, up to the newest, and shows each whistle once.
        using var branchApi = await Server.SignInAsync("branch.market-supervision.qingshi");
        await using var push = await Server.ConnectAsync(branchApi);
        var newest = (await push.CatchUpAsync(0)).Max(e => e.Seq());
        await branch.WaitForFunctionAsync("n => window.__whistle.lastSequence >= n", newest, new() { Timeout = BrowserSession.Live });
        Assert.That(await branch.EvaluateAsync<long>("() => window.__whistle.lastSequence"), Is.EqualTo(newest), "the page applied every event up to the newest");
        foreach (var id in new[] { first, second, third, later })
        {
            Assert.That(await Row(branch, id).CountAsync(), Is.EqualTo(1), id);
        }
        await branch.Context.CloseAsync();
    }

    [Test]
    public async Task Should_speak_Chinese_by_default_and_English_after_the_switch()
    {
        using (var api = await Server.SignInAsync("township.baiyun"))
        {
            foreach (var (title, matter, urgency) in new[] { ("白云山林区秸秆焚烧", "straw-burning", "emergency"), ("白云乡卫生院旁无证诊所", "illegal-medical-practice", "urgent"), ("白云村供水管网停水", "water-supply-outage", "routine") })
            {
                var id = (await api.RaiseAsync(WhistleClient.Raise(title, matter, urgency))).Str("id");
                await api.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
            }
        }

        var township = await Chromium.SignInAsync(Server.Api, "township.baiyun", BrowserSession.Desktop);
        await Expect(township.GetByTestId("whistle-row")).ToHaveCountAsync(3);
        await Expect(township.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
        await Expect(township.GetByTestId("raise-whistle")).ToContainTextAsync("吹哨");
        await BrowserSession.ScreenshotAsync(township, "township-list-desktop");
        await township.GetByTestId("lang-switch").ClickAsync();
        await Expect(township.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(township.GetByTestId("raise-whistle")).ToContainTextAsync("whistle", new() { IgnoreCase = true });
        await township.ReloadAsync();
        await Expect(township.GetByTestId("raise-whistle")).ToContainTextAsync("whistle", new() { IgnoreCase = true });
        await BrowserSession.ScreenshotAsync(township, "township-list-desktop-en");
        await township.Context.CloseAsync();
    }

    [Test]
    public async Task Should_fit_a_360_pixel_phone_without_horizontal_scrolling()
    {
        using var api = await Server.SignInAsync("township.liuhe");
        var id = (await api.RaiseAsync(WhistleClient.Raise("柳河镇河道漂浮垃圾与排污口", "water-pollution", "routine"))).Str("id");
        await api.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");

        var pages = new (string User, string[] Paths, string Shot)[]
        {
            ("township.liuhe", ["/township", "/township/raise", $"/whistles/{id}"], "township-phone"),
            ("branch.ecology-environment.liuhe", ["/inbox", $"/whistles/{id}"], "branch-whistle-phone"),
            ("supervisor", ["/board"], "supervisor-board-phone"),
        };
        foreach (var (user, paths, shot) in pages)
        {
            var page = await Chromium.SignInAsync(Server.Api, user, BrowserSession.Phone);
            foreach (var path in paths)
            {
                await page.GotoAsync(path);
                await page.Locator("[data-testid=connection-state][data-state=connected]").WaitForAsync();
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                Assert.That(overflow, Is.LessThanOrEqualTo(0), $"{user} {path} scrolls sideways by {overflow}px");
            }

            await BrowserSession.ScreenshotAsync(page, shot);
            await page.Context.CloseAsync();
        }

        var login = await Chromium.Browser.NewPageAsync(new() { ViewportSize = BrowserSession.Phone, BaseURL = Server.Api.ToString().TrimEnd('/') });
        await login.GotoAsync("/login");
        await login.GetByTestId("demo-users").WaitForAsync();
        Assert.That(await login.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"), Is.LessThanOrEqualTo(0));
        await BrowserSession.ScreenshotAsync(login, "login-phone");
        await login.CloseAsync();
    }
}
