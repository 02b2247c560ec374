using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// The city level in the browser (issue 17): a department clerk raises a work request from the list of work items of
/// a relation, the institution's duty officer on a phone gets it live (no reload), reports and resolves it, and the
/// department confirms and rates it — the township's and the branch's workspaces, on the same engine, in the city's words.
/// </summary>
[NonParallelizable]
public sealed class When_a_department_and_an_institution_work_in_the_browser : BrowserFixture
{
    private static ILocator Row(IPage page, string whistleId) =>
        page.Locator($"[data-testid=assignment-row][data-whistle-id='{whistleId}']");

    [Test]
    public async Task Should_carry_a_work_request_from_the_department_to_the_institution_live_and_back()
    {
        var clerk = await Chromium.SignInAsync(Server.Api, "department.city-ndrc", BrowserSession.Desktop);
        var duty = await Chromium.SignInAsync(Server.Api, "institution.credit-center", BrowserSession.Phone390);
        var office = await Chromium.SignInAsync(Server.Api, "office.credit-center.data", BrowserSession.Phone390);
        var dialogs = 0;

        // Units the request is not for, listening: the credit center's data office (the item is the institution's own),
        // another department, another institution, a township and one of its branches.
        using var ndrc = await Server.SignInAsync("department.city-ndrc");
        using var dataOffice = await Server.SignInAsync("office.credit-center.data");
        using var water = await Server.SignInAsync("department.city-water");
        using var inspection = await Server.SignInAsync("institution.inspection-center");
        using var township = await Server.SignInAsync("township.chengguan");
        using var branch = await Server.SignInAsync("branch.urban-management.chengguan");
        await using var dataOfficePush = await Server.ConnectAsync(dataOffice);
        await using var waterPush = await Server.ConnectAsync(water);
        await using var inspectionPush = await Server.ConnectAsync(inspection);
        await using var townshipPush = await Server.ConnectAsync(township);
        await using var branchPush = await Server.ConnectAsync(branch);
        foreach (var page in new[] { clerk, duty, office })
        {
            page.Dialog += async (_, dialog) => { dialogs++; await dialog.DismissAsync(); };
        }

        // Each lands on its workspace, its menu in the city's words.
        await clerk.WaitForAddressAsync(new Regex("/department$"));
        await Expect(clerk.GetByTestId("nav-department")).ToHaveTextAsync("工作事项");
        await duty.WaitForAddressAsync(new Regex("/inbox$"));
        await Expect(duty.Locator("h1")).ToHaveTextAsync("工作事项待办");

        // The clerk raises a work request: the institution (its relation), then an item of that relation's list.
        await clerk.GetByTestId("raise-work-request").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex("/department/raise$"));
        await clerk.GetByTestId("work-relation").ClickAsync();
        await clerk.GetByTestId("relation-option-ndrc-credit").ClickAsync();
        await Expect(clerk.GetByTestId("work-relation-name")).ToContainTextAsync("归口管理");
        await clerk.GetByTestId("work-item").ClickAsync();
        await clerk.GetByTestId("work-item-option-credit-report-analysis").ClickAsync();
        var preview = clerk.GetByTestId("work-preview");
        await Expect(preview.GetByTestId("work-item-process")).ToContainTextAsync("委提出分析主题");
        await Expect(preview.GetByTestId("work-item-standard")).ToContainTextAsync("按期报送");
        await Expect(preview.GetByTestId("preview-unit")).ToHaveAttributeAsync("data-unit-id", "credit-center");
        await Expect(preview.GetByTestId("work-limits")).ToContainTextAsync("8小时");
        await clerk.GetByTestId("whistle-title").FillAsync("一季度全市信用状况分析");
        await clerk.GetByTestId("whistle-description").FillAsync("请围绕一季度行政许可、行政处罚信息编制分析报告，4月10日前报委信用处。");
        await BrowserSession.ScreenshotAsync(clerk, "department-raise-desktop");
        await clerk.GetByTestId("whistle-submit").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex("/whistles/"));
        var detail = clerk.GetByTestId("whistle-detail");
        var whistleId = (await detail.GetAttributeAsync("data-whistle-id"))!;
        await Expect(clerk.GetByTestId("whistle-requester")).ToHaveTextAsync("市发展改革委");
        await Expect(clerk.GetByTestId("whistle-relation")).ToContainTextAsync("社会信用体系建设工作协作配合机制");

        // The duty officer's phone: the notice and the row, without reloading, counting down to the nearest limit.
        await Expect(duty.GetByTestId("live-notice")).ToHaveAttributeAsync("data-whistle-id", whistleId, new() { Timeout = BrowserSession.Live });
        var row = Row(duty, whistleId);
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(row).ToHaveClassAsync(new Regex("highlighted"));
        await Expect(row.GetByTestId("inbox-requester")).ToContainTextAsync("市发展改革委");
        await Expect(row.GetByTestId("deadline-report").GetByTestId("deadline-count")).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(duty, "institution-inbox-phone");

        // The office is not concerned: the item is the institution's own.
        Assert.That(await Row(office, whistleId).CountAsync(), Is.Zero);

        // 报到, then 办结; the clerk's page follows live.
        var assignmentId = (await row.GetAttributeAsync("data-assignment-id"))!;
        await row.GetByTestId("assignment-note").FillAsync("已安排综合科牵头编制");
        await row.GetByTestId("assignment-report").ClickAsync();
        await Expect(clerk.Locator($"[data-testid=assignment-row][data-assignment-id='{assignmentId}']")).ToHaveAttributeAsync("data-status", "reported", new() { Timeout = BrowserSession.Live });
        await Expect(detail).ToHaveAttributeAsync("data-status", "in-progress", new() { Timeout = BrowserSession.Live });
        var reported = duty.Locator($"[data-testid=assignment-row][data-assignment-id='{assignmentId}'][data-status=reported]");
        await reported.GetByTestId("assignment-note").FillAsync("分析报告已报送委信用处");
        await BrowserSession.ScreenshotAsync(duty, "institution-resolve-phone");
        await reported.GetByTestId("assignment-resolve").ClickAsync();
        await Expect(detail).ToHaveAttributeAsync("data-status", "resolved", new() { Timeout = BrowserSession.Live });

        // The department confirms and rates.
        await Expect(clerk.GetByTestId("confirm-panel")).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(clerk, "department-work-request-desktop");
        await clerk.GetByTestId($"rating-{assignmentId}-satisfied").ClickAsync();
        await clerk.GetByTestId("confirm-whistle").ClickAsync();
        await Expect(detail).ToHaveAttributeAsync("data-status", "closed");
        await Expect(clerk.Locator("[data-testid=timeline-entry][data-type=WhistleConfirmed]")).ToHaveCountAsync(1);
        await Expect(clerk.Locator("[data-testid=timeline-entry][data-type=WhistleRaised]")).ToContainTextAsync("发起事项");

        // The duty leaves the officer's open list live; the clerk's list on a phone shows the request with its progress.
        await Expect(Row(duty, whistleId)).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await clerk.SetViewportSizeAsync(BrowserSession.Phone390.Width, BrowserSession.Phone390.Height);
        await clerk.GetByTestId("nav-department").ClickAsync();
        await clerk.GetByTestId("whistle-filter").GetByText("全部").ClickAsync();
        var listed = clerk.Locator($"[data-testid=whistle-row][data-whistle-id='{whistleId}']");
        await Expect(listed).ToHaveAttributeAsync("data-status", "closed");
        await Expect(listed).ToContainTextAsync("信用状况分析报告");
        await BrowserSession.ScreenshotAsync(clerk, "department-list-phone");

        // English after the switch.
        await clerk.GetByTestId("lang-switch").ClickAsync();
        await Expect(clerk.GetByTestId("raise-work-request")).ToHaveTextAsync("Raise a work request");
        await Expect(clerk.GetByTestId("nav-department")).ToHaveTextAsync("Work requests");

        Assert.That(await office.GetByTestId("live-notice").CountAsync(), Is.Zero, "the office heard nothing of another unit's duty");
        Assert.That(dialogs, Is.Zero);

        // Nobody else heard of it live: the duty officer's page heard the request's last event (the duty left its list),
        // so every one was pushed; each outsider then hears a later event of its own, and would have heard the
        // request's before it.
        var data = (await ndrc.RaiseWorkRequestAsync("credit-center", "credit-data-collection", "4月行政处罚信息归集")).Str("id");
        var works = (await water.RaiseWorkRequestAsync("construction-quality-center", "water-works-inspection", "水利工程质量抽查")).Str("id");
        var price = (await ndrc.RaiseWorkRequestAsync("inspection-center", "price-certification", "涉案财物价格认定")).Str("id");
        var vending = (await township.RaiseAsync(WhistleClient.Raise("占道经营", "street-vending", "routine"))).Str("id");
        await dataOfficePush.WaitForAsync("AssignmentDispatched", data);
        await waterPush.WaitForAsync("AssignmentDispatched", works);
        await inspectionPush.WaitForAsync("AssignmentDispatched", price);
        await townshipPush.WaitForAsync("AssignmentDispatched", vending);
        await branchPush.WaitForAsync("AssignmentDispatched", vending);
        Assert.Multiple(() =>
        {
            foreach (var (name, push) in new[]
            {
                ("the institution's office", dataOfficePush), ("another department", waterPush), ("another institution", inspectionPush),
                ("a township", townshipPush), ("a branch", branchPush),
            })
            {
                Assert.That(push.ReceivedAbout(whistleId), Is.Empty, $"{name} heard nothing of the request live");
            }
        });

        foreach (var page in new[] { clerk, duty, office })
        {
            await page.Context.CloseAsync();
        }
    }

    [Test]
    public async Task Should_send_an_office_its_own_item_and_keep_the_department_out_of_the_inbox()
    {
        var clerk = await Chromium.SignInAsync(Server.Api, "department.city-ndrc", BrowserSession.Phone390);
        var office = await Chromium.SignInAsync(Server.Api, "office.credit-center.data", BrowserSession.Phone390);

        await clerk.GetByTestId("raise-work-request").ClickAsync();
        await clerk.GetByTestId("work-relation").ClickAsync();
        await clerk.GetByTestId("relation-option-ndrc-credit").ClickAsync();
        await clerk.GetByTestId("work-item").ClickAsync();
        await clerk.GetByTestId("work-item-option-credit-data-collection").ClickAsync();
        await Expect(clerk.GetByTestId("work-preview").GetByTestId("preview-unit")).ToContainTextAsync("数据归集科");
        await clerk.GetByTestId("whistle-title").FillAsync("3月行政处罚信息归集");
        await BrowserSession.ScreenshotAsync(clerk, "department-raise-phone");
        await clerk.GetByTestId("whistle-submit").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex("/whistles/"));
        var whistleId = (await clerk.GetByTestId("whistle-detail").GetAttributeAsync("data-whistle-id"))!;

        // The office's duty officer gets it live and may act on it.
        var row = Row(office, whistleId);
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(row.GetByTestId("assignment-report")).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(clerk, "department-work-request-phone");

        // A department has no inbox: the guard sends it home.
        await clerk.GotoAsync("/inbox");
        await clerk.WaitForAddressAsync(new Regex("/department$"));
        await office.GotoAsync("/department/raise");
        await office.WaitForAddressAsync(new Regex("/inbox$"));
        foreach (var page in new[] { clerk, office })
        {
            await page.Context.CloseAsync();
        }
    }
}
