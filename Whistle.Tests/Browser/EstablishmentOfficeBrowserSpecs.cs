using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 17 in the browser: the establishment office's (编办) clerk opens the mechanisms page, sees which relations have
/// their mechanism (ticks) and which does not (crosses on the decision rule and document flow of 住建 × 建设工程质量中心),
/// filters to the missing one and sends it a follow-up; the lead department gets it live.
/// </summary>
[NonParallelizable]
public sealed class When_the_establishment_office_checks_the_mechanisms_in_the_browser : BrowserFixture
{
    [Test]
    public async Task Should_show_which_relations_have_their_mechanism_and_send_a_follow_up_for_the_missing_one()
    {
        using var housing = await Server.SignInAsync("department.city-housing");
        await using var housingPush = await Server.ConnectAsync(housing);
        var page = await Chromium.SignInAsync(Server.Api, "establishment-office", BrowserSession.Desktop);
        await page.GetByTestId("nav-office").ClickAsync();
        await Expect(page.GetByTestId("office-page")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(page.GetByTestId("office-summary")).ToContainTextAsync("机制已建立 4 对", new() { Timeout = BrowserSession.Live });
        await Expect(page.GetByTestId("office-relations")).ToContainTextAsync("建设工程质量", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(page, "office-mechanisms");
        await Expect(page.GetByTestId("mech-construction-guidance-decision-rule")).ToContainTextAsync("✘");
        await Expect(page.GetByTestId("mech-construction-guidance-document-flow")).ToContainTextAsync("✘");
        await Expect(page.GetByTestId("mech-construction-guidance-supervision")).ToContainTextAsync("✔");
        await Expect(page.GetByTestId("mech-inspection-guidance-decision-rule")).ToContainTextAsync("✔");
        await Expect(page.GetByTestId("send-followup-inspection-guidance")).ToHaveCountAsync(0);

        // Only the pairs missing a record, then the follow-up to the lead department with the missing records named.
        await page.GetByTestId("office-filter-missing").ClickAsync();
        await Expect(page.GetByTestId("office-relations").Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByTestId("send-followup-construction-guidance").ClickAsync();
        await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Dialog)).ToContainTextAsync("议事规则、公文流转");
        await page.GetByTestId("followup-days").Locator("input").FillAsync("5");
        await BrowserSession.ScreenshotAsync(page, "office-follow-up-dialog");
        await page.GetByTestId("followup-send").ClickAsync();
        await Expect(page.GetByTestId("followup-construction-guidance")).ToContainTextAsync("待回复", new() { Timeout = BrowserSession.Live });
        await Expect(page.GetByTestId("office-followups")).ToContainTextAsync("市住房城乡建设局", new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(page, "office-follow-up-sent");

        var (_, list, _) = await housing.GetAsync("/api/city/follow-ups");
        var followUp = list!.AsArray().Single()!;
        Assert.That(followUp.Str("relationId"), Is.EqualTo("construction-guidance"));
        await housingPush.WaitForAsync("FollowUpRaised", followUp.Str("id"));
    }
}
