using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SkiaSharp;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 14, done when: a clerk raises a whistle with two phone photos (JPEGs with GPS EXIF), the branch sees the
/// thumbnails live, resolves with an after photo, and the township confirms with both side by side; the supervisor's
/// view shows the same. Screenshots at 390 px and desktop.
/// </summary>
[NonParallelizable]
public sealed class When_a_whistle_carries_photos_in_the_browser : BrowserFixture
{
    private static FilePayload Photo(string name, SKColor sky, string label) =>
        new() { Name = name, MimeType = "image/jpeg", Buffer = TestImages.JpegWithGps(1280, 960, 30.2741, 120.1551, sky, label) };

    private static ILocator Row(IPage page, string whistleId) => page.Locator($"[data-testid=assignment-row][data-whistle-id='{whistleId}']");

    /// <summary>Every thumbnail in the locator has loaded a real picture.</summary>
    private static async Task ExpectLoadedAsync(ILocator thumbs, int count)
    {
        await Expect(thumbs).ToHaveCountAsync(count, new() { Timeout = BrowserSession.Live });
        for (var i = 0; i < count; i++)
        {
            await Expect(thumbs.Nth(i).Locator("img")).ToHaveJSPropertyAsync("complete", true, new() { Timeout = BrowserSession.Live });
            Assert.That(await thumbs.Nth(i).Locator("img").EvaluateAsync<int>("img => img.naturalWidth"), Is.GreaterThan(0));
        }
    }

    [Test]
    public async Task Should_carry_the_photos_from_the_clerk_to_the_branch_and_back_side_by_side()
    {
        var branch = await Chromium.SignInAsync(Server.Api, "branch.urban-management.chengguan", BrowserSession.Phone390);
        var clerk = await Chromium.SignInAsync(Server.Api, "township.chengguan", BrowserSession.Phone390);

        // The clerk fills the form on her phone and attaches two photos while she types.
        await clerk.GetByTestId("raise-whistle").ClickAsync();
        await clerk.GetByTestId("whistle-matter").ClickAsync();
        await clerk.GetByTestId("matter-option-street-vending").ClickAsync();
        await clerk.GetByTestId("urgency-urgent").ClickAsync();
        await clerk.GetByTestId("attach-gallery-input").SetInputFilesAsync(new[]
        {
            Photo("IMG_0412.jpg", new SKColor(0x87, 0xB5, 0xE0), "BEFORE 1"),
            Photo("IMG_0413.jpg", new SKColor(0xA0, 0xC4, 0xE8), "BEFORE 2"),
        });
        await clerk.GetByTestId("whistle-title").FillAsync("滨河路早市占道经营");
        await clerk.GetByTestId("whistle-description").FillAsync("早市摊位占用人行道和盲道，行人只能走机动车道。");
        await clerk.GetByTestId("whistle-address").FillAsync("城关街道滨河路12号");
        await Expect(clerk.GetByTestId("picker-done")).ToHaveCountAsync(2, new() { Timeout = BrowserSession.Live });

        // The photos' position is offered, used only when she says so.
        await Expect(clerk.GetByTestId("gps-offer")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await clerk.GetByTestId("use-photo-gps").ClickAsync();
        await Expect(clerk.GetByTestId("whistle-location")).ToContainTextAsync("30.2741", new() { Timeout = BrowserSession.Live });
        await clerk.GetByTestId("attachment-picker").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(clerk, "township-raise-photos-phone");
        await clerk.GetByTestId("whistle-submit").ClickAsync();
        await clerk.WaitForAddressAsync(new Regex("/whistles/"));
        var whistleId = (await clerk.GetByTestId("whistle-detail").GetAttributeAsync("data-whistle-id"))!;

        // The branch's phone shows the new duty live, with the two thumbnails.
        var row = Row(branch, whistleId);
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await ExpectLoadedAsync(row.GetByTestId("attachment-thumb"), 2);
        await row.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(branch, "branch-inbox-photos-phone");

        // A tap opens the viewer; a swipe goes to the next photo.
        await row.GetByTestId("attachment-thumb").First.ClickAsync();
        var viewer = branch.GetByTestId("attachment-viewer");
        await Expect(viewer).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await Expect(viewer.Locator(".viewer-count")).ToHaveTextAsync("1 / 2");
        await Expect(viewer.Locator("img")).ToHaveJSPropertyAsync("complete", true, new() { Timeout = BrowserSession.Live });
        await BrowserSession.ScreenshotAsync(branch, "branch-photo-viewer-phone");
        await viewer.Locator(".viewer-nav.next").ClickAsync();
        await Expect(viewer.Locator(".viewer-count")).ToHaveTextAsync("2 / 2");
        await branch.GetByTestId("viewer-close").ClickAsync();
        await Expect(viewer).ToHaveCountAsync(0);

        // The branch reports, then resolves with the after photo.
        await row.GetByTestId("assignment-report").ClickAsync();
        var reported = branch.Locator($"[data-testid=assignment-row][data-whistle-id='{whistleId}'][data-status=reported]");
        await Expect(reported).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await reported.GetByTestId("attach-gallery-input").SetInputFilesAsync(Photo("after.jpg", new SKColor(0xC8, 0xE6, 0xC9), "AFTER"));
        await Expect(reported.GetByTestId("picker-done")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await reported.GetByTestId("assignment-note").FillAsync("摊位已清理，人行道恢复通行");
        await reported.GetByTestId("assignment-resolve").ClickAsync();

        // The co-handling branch resolves over the API.
        using var township = await Server.SignInAsync("township.chengguan");
        var whistle = (await township.GetAsync($"/api/whistles/{whistleId}")).Body!;
        foreach (var other in whistle["assignments"]!.AsArray().Select(a => a!).Where(a => a.Str("branchId") != "urban-management.chengguan"))
        {
            using var owner = await Server.SignInAsync($"branch.{other.Str("branchId")}");
            Assert.That((await owner.PostAsync($"/api/assignments/{other.Str("id")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await owner.PostAsync($"/api/assignments/{other.Str("id")}/resolve", new { note = "已配合处置" })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        // The township sees before and after side by side on its confirm panel, on the phone and the desktop.
        await Expect(clerk.GetByTestId("whistle-detail")).ToHaveAttributeAsync("data-status", "resolved", new() { Timeout = BrowserSession.Live });
        var pair = clerk.GetByTestId("before-after");
        await ExpectLoadedAsync(pair.GetByTestId("before").GetByTestId("attachment-thumb"), 2);
        await ExpectLoadedAsync(pair.GetByTestId("after").GetByTestId("attachment-thumb"), 1);
        await pair.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(clerk, "township-before-after-phone");

        var desk = await Chromium.SignInAsync(Server.Api, "township.chengguan", BrowserSession.Desktop);
        await desk.GotoAsync(new Uri(Server.Api, $"/whistles/{whistleId}").ToString());
        await ExpectLoadedAsync(desk.GetByTestId("before-after").GetByTestId("before").GetByTestId("attachment-thumb"), 2);
        await ExpectLoadedAsync(desk.GetByTestId("before-after").GetByTestId("after").GetByTestId("attachment-thumb"), 1);
        await Expect(desk.GetByTestId("confirm-panel")).ToBeVisibleAsync();
        await desk.GetByTestId("before-after").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(desk, "township-before-after-desktop");
        foreach (var a in whistle["assignments"]!.AsArray())
        {
            await desk.GetByTestId($"rating-{a!.Str("id")}-satisfied").ClickAsync();
        }

        await desk.GetByTestId("confirm-whistle").ClickAsync();
        await Expect(desk.GetByTestId("whistle-detail")).ToHaveAttributeAsync("data-status", "closed", new() { Timeout = BrowserSession.Live });

        // The supervisor checks the same pair in the whistle's view.
        var supervisor = await Chromium.SignInAsync(Server.Api, "supervisor", BrowserSession.Desktop);
        await supervisor.GotoAsync(new Uri(Server.Api, $"/whistles/{whistleId}").ToString());
        await ExpectLoadedAsync(supervisor.GetByTestId("before-after").GetByTestId("after").GetByTestId("attachment-thumb"), 1);
        await supervisor.GetByTestId("before-after").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(supervisor, "supervisor-before-after-desktop");

        // The timeline lists who added which photos.
        Assert.That(await supervisor.GetByTestId("whistle-timeline").GetByTestId("attachment-thumb").CountAsync(), Is.EqualTo(3));
    }

    /// <summary>
    /// 补充说明 / 补充照片: the branch adds a photo and a note to a whistle it works on from its phone; the township's open
    /// whistle view shows it on the timeline live, and the supervisor's view too.
    /// </summary>
    [Test]
    public async Task Should_add_a_later_note_with_a_photo_from_the_whistle_view_shown_live_on_the_timeline()
    {
        using var api = await Server.SignInAsync("township.chengguan");
        var whistleId = (await api.RaiseAsync(WhistleClient.Raise("桥下违规堆放杂物", "street-vending", "routine"))).Str("id");
        await api.WaitForWhistleAsync(whistleId, w => w.Str("status") == "dispatched");

        var clerk = await Chromium.SignInAsync(Server.Api, "township.chengguan", BrowserSession.Desktop);
        await clerk.GotoAsync(new Uri(Server.Api, $"/whistles/{whistleId}").ToString());
        await Expect(clerk.GetByTestId("whistle-detail")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });

        var branch = await Chromium.SignInAsync(Server.Api, "branch.urban-management.chengguan", BrowserSession.Phone390);
        await branch.GotoAsync(new Uri(Server.Api, $"/whistles/{whistleId}").ToString());
        await branch.GetByTestId("add-note").ClickAsync();
        var form = branch.GetByTestId("note-form");
        await form.GetByTestId("note-submit").ClickAsync();
        await Expect(form.GetByTestId("note-error")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        await form.GetByTestId("attach-gallery-input").SetInputFilesAsync(Photo("IMG_0520.jpg", new SKColor(0x90, 0xA4, 0xAE), "NOTE"));
        await form.GetByTestId("note-text").FillAsync("杂物已部分清运，剩余建筑垃圾明日清完");
        await Expect(form.GetByTestId("picker-done")).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await form.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(branch, "branch-later-note-phone");
        await form.GetByTestId("note-submit").ClickAsync();
        await Expect(branch.GetByTestId("note-form")).ToHaveCountAsync(0, new() { Timeout = BrowserSession.Live });

        // The township's view, open all along, shows the note and its photo on the timeline without a reload.
        var entry = clerk.Locator("[data-testid=timeline-entry][data-type=AttachmentAdded]");
        await Expect(entry).ToHaveCountAsync(1, new() { Timeout = BrowserSession.Live });
        await Expect(entry).ToContainTextAsync("杂物已部分清运", new() { Timeout = BrowserSession.Live });
        await ExpectLoadedAsync(entry.GetByTestId("attachment-thumb"), 1);
        await entry.ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(clerk, "township-later-note-desktop");

        var supervisor = await Chromium.SignInAsync(Server.Api, "supervisor", BrowserSession.Desktop);
        await supervisor.GotoAsync(new Uri(Server.Api, $"/whistles/{whistleId}").ToString());
        await ExpectLoadedAsync(supervisor.Locator("[data-testid=timeline-entry][data-type=AttachmentAdded]").GetByTestId("attachment-thumb"), 1);
        await Expect(supervisor.GetByTestId("add-note")).ToBeVisibleAsync();
    }
}
