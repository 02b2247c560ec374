using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// 请示报告 in the browser (issue 17): an institution's officer on a phone files a 请示 with its managing department;
/// the department's clerk sees it arrive in the inbox live (no reload), counting down to the answer's limit, and
/// answers with a 批复 (同意 and its text); the officer's page shows the answer live. Before the answer the officer adds
/// the figures (补充材料), which reach the clerk's open page live.
/// </summary>
[NonParallelizable]
public sealed class When_an_institution_files_a_request_with_its_department_in_the_browser : BrowserFixture
{
    private static string SubmissionIdIn(string url) =>
        Regex.Match(url, "/submissions/(?<id>[^/?#]+)$").Groups["id"].Value is { Length: > 0 } id && id != "new"
            ? id
            : throw new AssertionException($"No submission id in {url}");

    [Test]
    public async Task Should_carry_a_request_to_the_department_and_its_reply_back_live()
    {
        var officer = await Chromium.SignInAsync(Server.Api, "institution.credit-center", BrowserSession.Phone390);
        var clerk = await Chromium.SignInAsync(Server.Api, "department.city-ndrc", BrowserSession.Desktop);
        var dialogs = 0;
        foreach (var page in new[] { officer, clerk })
        {
            page.Dialog += async (_, dialog) => { dialogs++; await dialog.DismissAsync(); };
        }

        // The clerk opens the inbox before anything is filed: it is empty and stays open (the row must come live).
        await clerk.WaitForAddressAsync(new Regex("/department$"));
        await Expect(clerk.GetByTestId("nav-submissions")).ToHaveTextAsync("请示报告");
        await clerk.GetByTestId("nav-submissions").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex("/submissions$"));
        await Expect(clerk.Locator("h1")).ToHaveTextAsync("请示报告待办");
        await Expect(clerk.GetByTestId("submissions-empty")).ToBeVisibleAsync();

        // The officer (phone) files a 请示 with the managing department.
        await officer.WaitForAddressAsync(new Regex("/inbox$"));
        await officer.GetByTestId("nav-submissions").ClickAsync();
        await officer.GetByTestId("new-request").ClickAsync();
        await officer.WaitForAddressAsync(new Regex("/submissions/new"));
        await officer.GetByTestId("kind-request").ClickAsync();
        // One relation, one department: picked already.
        await Expect(officer.GetByTestId("submission-target-line")).ToContainTextAsync("归口管理");
        await officer.GetByTestId("submission-title-input").FillAsync("关于调整信用修复办理流程的请示");
        await officer.GetByTestId("submission-body-input").FillAsync("为落实信用修复“一网通办”，拟将线下受理改为线上受理、压缩办理时限至3个工作日。妥否，请批示。");
        // The signed and sealed 请示 goes with it, as a scan.
        await officer.GetByTestId("attach-file-input").SetInputFilesAsync(new FilePayload { Name = "信用修复流程调整请示（盖章扫描件）.pdf", MimeType = "application/pdf", Buffer = TestImages.Pdf() });
        await Expect(officer.GetByTestId("picker-done")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(officer, "institution-submit-request-phone");
        await officer.GetByTestId("submission-submit").ClickAsync();
        await officer.WaitForAddressAsync(new Regex("/submissions/(?!new)[^/]+$"));
        var detail = officer.GetByTestId("submission-detail");
        await Expect(detail).ToHaveAttributeAsync("data-status", "open");
        var id = SubmissionIdIn(officer.Url);
        await Expect(officer.GetByTestId("submission-department")).ToHaveTextAsync("市发展改革委");
        await Expect(detail.GetByTestId("deadline-resolve").GetByTestId("deadline-count")).ToBeVisibleAsync();
        await Expect(officer.Locator("[data-testid=timeline-entry][data-type=SubmissionFiled]")).ToHaveCountAsync(1);

        // The clerk hears of it (the notice opens it) and the inbox gets it live, marked new, counting down, with the 待批复 count.
        await Expect(clerk.GetByTestId("live-notice")).ToHaveAttributeAsync("data-submission-id", id, new() { Timeout = BrowserSession.Live });
        await Expect(clerk.GetByTestId("live-notice")).ToContainTextAsync("新请示：关于调整信用修复办理流程的请示");
        var row = clerk.Locator($"[data-testid=submission-row][data-submission-id='{id}']");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(row).ToHaveClassAsync(new Regex("highlighted"));
        await Expect(row.GetByTestId("submission-kind")).ToHaveTextAsync("请示");
        await Expect(row.GetByTestId("submission-parties")).ToContainTextAsync("市信用中心");
        await Expect(row.GetByTestId("deadline-resolve").GetByTestId("deadline-count")).ToBeVisibleAsync();
        await Expect(clerk.GetByTestId("submission-count-request")).ToHaveTextAsync("1");
        await BrowserSession.ScreenshotAsync(clerk, "department-submissions-inbox-desktop");

        // 批复: 同意, with its text.
        await row.ClickAsync();
        await clerk.WaitForAddressAsync(new Regex($"/submissions/{Regex.Escape(id)}$"));
        await Expect(clerk.GetByTestId("submission-body")).ToContainTextAsync("妥否，请批示");
        await Expect(clerk.GetByTestId("submission-files").GetByTestId("attachment-file")).ToContainTextAsync("信用修复流程调整请示（盖章扫描件）.pdf");

        // 补充材料: the officer (phone) adds the figures behind the 请示, with a note; the clerk's open page shows them live.
        await officer.GetByTestId("add-files").ClickAsync();
        var more = officer.GetByTestId("note-form");
        await more.GetByTestId("note-text").FillAsync("补充近三个月线下受理量及平均办理时限。");
        await more.GetByTestId("attach-file-input").SetInputFilesAsync(new FilePayload { Name = "信用修复办理数据（近三个月）.pdf", MimeType = "application/pdf", Buffer = TestImages.Pdf() });
        await Expect(more.GetByTestId("picker-done")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await more.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(officer, "institution-submission-add-files-phone");
        await more.GetByTestId("note-submit").ClickAsync();
        await Expect(officer.GetByTestId("note-form")).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });
        await Expect(officer.Locator("[data-testid=timeline-entry][data-type=AttachmentAdded]")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        var added = clerk.Locator("[data-testid=timeline-entry][data-type=AttachmentAdded]");
        await Expect(added).ToContainTextAsync("补充材料", new() { Timeout = BrowserSession.Live });
        await Expect(added).ToContainTextAsync("补充近三个月线下受理量");
        await Expect(added.GetByTestId("timeline-files")).ToContainTextAsync("信用修复办理数据（近三个月）.pdf");
        await Expect(clerk.GetByTestId("submission-files").GetByTestId("attachment-file")).ToHaveCountAsync(2, new() { Timeout = BrowserSession.Live });
        await Expect(clerk.GetByTestId("add-files")).ToHaveCountAsync(0);
        await clerk.GetByTestId("answer-send").ClickAsync();
        await Expect(clerk.GetByTestId("submission-answer-form")).ToContainTextAsync("请选择答复");
        await clerk.GetByTestId("answer-approved").ClickAsync();
        await clerk.GetByTestId("answer-send").ClickAsync();
        await Expect(clerk.GetByTestId("submission-answer-form")).ToContainTextAsync("请填写意见或理由");
        await clerk.GetByTestId("answer-text").FillAsync("同意。请于4月1日起按新流程办理，并将办理情况按季度报委信用处。");
        await BrowserSession.ScreenshotAsync(clerk, "department-submission-answer-desktop");
        await clerk.GetByTestId("answer-send").ClickAsync();
        var clerkDetail = clerk.GetByTestId("submission-detail");
        await Expect(clerkDetail).ToHaveAttributeAsync("data-answer", "approved");
        await Expect(clerk.GetByTestId("submission-answer-form")).ToHaveCountAsync(0);

        // The officer's page shows the 批复 live: the answer, its text, the timeline.
        await Expect(detail).ToHaveAttributeAsync("data-status", "answered", new() { Timeout = BrowserSession.Live });
        await Expect(officer.GetByTestId("submission-answer")).ToContainTextAsync("批复：同意");
        await Expect(officer.GetByTestId("submission-answer-text")).ToContainTextAsync("按季度报委信用处");
        await Expect(officer.Locator("[data-testid=timeline-entry][data-type=SubmissionAnswered]")).ToHaveCountAsync(1);
        await Expect(officer.GetByTestId("submission-answer-form")).ToHaveCountAsync(0);
        await Expect(officer.GetByTestId("live-notice")).ToHaveAttributeAsync("data-submission-id", id, new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(officer, "institution-submission-answered-phone");

        // The officer's list on the phone: answered.
        await officer.GetByTestId("nav-submissions").ClickAsync();
        var listed = officer.Locator($"[data-testid=submission-row][data-submission-id='{id}']");
        await Expect(listed).ToHaveAttributeAsync("data-answer", "approved");
        await Expect(listed.GetByTestId("submission-status")).ToHaveTextAsync("批复：同意");
        await BrowserSession.ScreenshotAsync(officer, "institution-submissions-phone");

        // The clerk's 待批复 is empty again; English after the switch.
        await clerk.GetByTestId("nav-submissions").ClickAsync();
        await Expect(clerk.GetByTestId("submissions-empty")).ToBeVisibleAsync();
        await clerk.GetByTestId("lang-switch").ClickAsync();
        await Expect(clerk.GetByTestId("nav-submissions")).ToHaveTextAsync("Submissions");
        await Expect(clerk.GetByTestId("submission-tab-request")).ToContainTextAsync("To reply");

        Assert.That(dialogs, Is.Zero);
        foreach (var page in new[] { officer, clerk })
        {
            await page.Context.CloseAsync();
        }
    }

    [Test]
    public async Task Should_file_a_stationed_branch_heads_appointment_and_let_the_establishment_office_read_it_only()
    {
        // The institution (phone) files the appointment of its stationed branch's head: no consultation was asked, so
        // it goes without the township's opinion, and says so.
        var officer = await Chromium.SignInAsync(Server.Api, "institution.market-service-center", BrowserSession.Phone390);
        await officer.GetByTestId("nav-submissions").ClickAsync();
        await officer.GetByTestId("new-filing").ClickAsync();
        await Expect(officer.GetByTestId("submission-target-line")).ToContainTextAsync("归口管理");
        await officer.GetByTestId("filing-unit").ClickAsync();
        await officer.GetByTestId("unit-option-market-supervision.chengguan").ClickAsync();
        await Expect(officer.GetByTestId("filing-stationed")).ToBeVisibleAsync();
        await officer.GetByTestId("filing-name").FillAsync("王五");
        await officer.GetByTestId("filing-title").FillAsync("所长");
        await officer.GetByTestId("submission-title-input").FillAsync("关于王五同志任城关市场监管所所长的备案");
        await officer.GetByTestId("submission-body-input").FillAsync("经党组会议研究决定，任命王五同志为城关市场监管所所长，现报备案。");
        await BrowserSession.ScreenshotAsync(officer, "institution-filing-phone");
        await officer.GetByTestId("submission-submit").ClickAsync();
        await officer.WaitForAddressAsync(new Regex("/submissions/(?!new)[^/]+$"));
        // From the address, not the page: the detail's attributes are empty until its answer has loaded.
        var id = SubmissionIdIn(officer.Url);
        await Expect(officer.GetByTestId("submission-head")).ToContainTextAsync("王五 · 所长");
        await Expect(officer.GetByTestId("without-opinion")).ToBeVisibleAsync();

        // The establishment office lands on every submission, reads this one, and answers none.
        var office = await Chromium.SignInAsync(Server.Api, "establishment-office", BrowserSession.Desktop);
        await office.WaitForAddressAsync(new Regex("/submissions$"));
        await Expect(office.GetByTestId("new-request")).ToHaveCountAsync(0);
        var row = office.Locator($"[data-testid=submission-row][data-submission-id='{id}']");
        await Expect(row.GetByTestId("submission-kind")).ToHaveTextAsync("选拔任用备案");
        await row.ClickAsync();
        await Expect(office.GetByTestId("without-opinion")).ToBeVisibleAsync();
        await Expect(office.GetByTestId("submission-answer-form")).ToHaveCountAsync(0);
        await office.GotoAsync("/submissions/new");
        await office.WaitForAddressAsync(new Regex("/submissions$"));
        foreach (var page in new[] { officer, office })
        {
            await page.Context.CloseAsync();
        }
    }
}
