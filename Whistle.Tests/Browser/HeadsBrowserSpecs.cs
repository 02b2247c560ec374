using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Whistle.Dispatcher;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 16 in the browser: a township clerk on a phone grades a branch head with the period's evidence in front of
/// them and recommends a 约谈; the institution answers; the supervisor sees it all and opens the printable form. The
/// server's clock is a fake one: a whistle is rated in the last days of 2026, then the year closes.
/// </summary>
[NonParallelizable]
public sealed class When_a_township_grades_and_recommends_on_a_branch_head_in_the_browser : BrowserFixture
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 30, 1, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);

    protected override TimeProvider Clock => _clock;

    [OneTimeSetUp]
    public async Task Seed()
    {
        using var township = await Server.SignInAsync("township.chengguan");
        using var um = await Server.SignInAsync("branch.urban-management.chengguan");
        var id = (await township.RaiseAsync(WhistleClient.Raise("人民路占道经营", "street-vending", "emergency"))).Str("id");
        var w = await township.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        var others = w["assignments"]!.AsArray().Where(a => a!.Str("agencyCode") != "urban-management").Select(a => a!.Str("id")).ToList();
        var lead = w["assignments"]!.AsArray().Single(a => a!.Str("agencyCode") == "urban-management")!.Str("id");
        _clock.Advance(TimeSpan.FromMinutes(45)); // late: report-by is 30 minutes
        Assert.That((await um.PostAsync($"/api/assignments/{lead}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await um.PostAsync($"/api/assignments/{lead}/resolve", new { note = "已劝离" })).Status, Is.EqualTo(HttpStatusCode.OK));
        foreach (var other in others)
        {
            var branch = w["assignments"]!.AsArray().Single(a => a!.Str("id") == other)!.Str("branchId");
            using var c = await Server.SignInAsync($"branch.{branch}");
            await c.PostAsync($"/api/assignments/{other}/report", new { });
            await c.PostAsync($"/api/assignments/{other}/resolve", new { note = "已处置" });
        }

        await township.WaitForWhistleAsync(id, x => x.Str("status") == "resolved");
        var ratings = new List<object> { new { assignmentId = lead, rating = "unsatisfied", comment = "第二天摊位又回来了，未形成长效管理" } };
        ratings.AddRange(others.Select(o => (object)new { assignmentId = o, rating = "satisfied" }));
        Assert.That((await township.PostAsync($"/api/whistles/{id}/confirm", new { ratings })).Status, Is.EqualTo(HttpStatusCode.OK));
        _clock.SetUtcNow(new DateTimeOffset(2027, 1, 2, 1, 0, 0, TimeSpan.Zero)); // the year 2026 has closed
        await Server.Apis[0].Services.GetRequiredService<HeadsScheduler>().RunDueAsync(CancellationToken.None);
    }

    [Test]
    public async Task Should_let_the_township_grade_with_the_evidence_and_recommend_the_institution_answer_and_the_supervisor_print()
    {
        const string branchId = "urban-management.chengguan";
        var township = await Chromium.SignInAsync(Server.Api, "township.chengguan", BrowserSession.Phone);
        await township.GetByTestId("nav-heads").ClickAsync();
        await Expect(township.GetByTestId($"branch-{branchId}")).ToContainTextAsync("王建国", new() { Timeout = BrowserSession.Live });
        var openForm = township.Locator($"[data-testid='open-form-{branchId}'][data-period='2026']");
        await Expect(openForm).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(township, "township-heads-phone");

        // The form: the evidence of the year in front of the clerk, then the grade and the opinion.
        await openForm.ClickAsync();
        await Expect(township.GetByTestId("evidence-unsatisfied")).ToContainTextAsync("未形成长效管理", new() { Timeout = BrowserSession.Live });
        await Expect(township.GetByTestId("evidence-score")).Not.ToHaveTextAsync("—", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(township, "township-heads-form-phone");
        await township.GetByTestId("grade-competent").ClickAsync();
        await township.GetByTestId("form-opinion").FillAsync("能按要求报到处置，个别事项报到超时、办结后反弹，评为称职。");
        await township.GetByTestId("form-submit").ClickAsync();
        await township.Locator(".el-message-box__btns .el-button--primary").ClickAsync();
        await Expect(township.GetByTestId("assessment-form")).ToHaveAttributeAsync("data-status", "submitted", new() { Timeout = BrowserSession.Live });
        await Expect(township.GetByTestId("form-grade-name")).ToHaveTextAsync("称职", new() { Timeout = BrowserSession.Live });
        var formUrl = township.Url;

        // A recommendation of its own, with the evidence attached.
        await township.GetByTestId("nav-heads").ClickAsync();
        await township.GetByTestId($"recommend-{branchId}").ClickAsync();
        await township.GetByTestId("action-talk").ClickAsync();
        await township.GetByTestId("draft-reasons").FillAsync("年内不满意评价集中在占道经营反弹，建议约谈中队长，落实长效管理。");
        await township.GetByTestId("draft-evidence").Locator("label").First.ClickAsync();
        await BrowserSession.ScreenshotAsync(township, "township-heads-recommend-phone");
        await township.GetByTestId("draft-send").ClickAsync();
        await Expect(township.GetByTestId("heads-recommendations").Locator("li")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });

        // The institution answers: accepted, and what it did.
        var agency = await Chromium.SignInAsync(Server.Api, "agency.urban-management", BrowserSession.Desktop);
        await agency.GetByTestId("nav-heads").ClickAsync();
        await agency.GetByTestId("heads-recommendations").Locator("li a").First.ClickAsync();
        await agency.GetByTestId("answer-accepted").ClickAsync();
        await agency.GetByTestId("rec-answer-reasons").FillAsync("情况属实，接受乡镇建议。");
        await agency.GetByTestId("rec-answer-action").FillAsync("局分管领导已于1月5日约谈该中队长，制定长效管理方案。");
        await agency.GetByTestId("rec-answer-send").ClickAsync();
        await Expect(agency.GetByTestId("recommendation")).ToHaveAttributeAsync("data-status", "answered", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(agency, "agency-recommendation-answered-desktop");

        // The township sees the answer live; the branch has no such page.
        await Expect(township.GetByTestId("heads-recommendations")).ToContainTextAsync("已答复", new() { Timeout = BrowserSession.Live });
        var branch = await Chromium.SignInAsync(Server.Api, $"branch.{branchId}", BrowserSession.Phone);
        await Expect(branch.GetByTestId("nav-heads")).ToHaveCountAsync(0);

        // The supervisor: every open form with its deadline, the year's summary, and the form printed.
        var supervisor = await Chromium.SignInAsync(Server.Api, "supervisor", BrowserSession.Desktop);
        await supervisor.GetByTestId("nav-heads").ClickAsync();
        await Expect(supervisor.GetByTestId("summary-urban-management")).ToContainTextAsync("1", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(supervisor, "supervisor-heads-desktop");
        var formId = formUrl[(formUrl.LastIndexOf('/') + 1)..];
        await supervisor.GotoAsync($"/heads/forms/{formId}/print");
        await Expect(supervisor.GetByTestId("form-print")).ToHaveAttributeAsync("data-ready", "true", new() { Timeout = BrowserSession.Live });
        await Expect(supervisor.GetByTestId("form-print")).ToContainTextAsync("称职");
        await supervisor.EmulateMediaAsync(new() { Media = Media.Print });
        await BrowserSession.ScreenshotAsync(supervisor, "supervisor-heads-form-print");
    }
}
