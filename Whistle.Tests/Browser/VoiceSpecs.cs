using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Whistle.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Chinese all the way through (issue 13): a 409 in Chinese words (it read "操作未生效：The whistle is cancelled."),
/// countdowns in Chinese units that turn amber at the county's reminder share and red when overdue, the inbox by the
/// nearest limit, and the audit trail's changes old → new. On a 390 px phone where a clerk or a duty officer reads it.
/// The server's clock is a fake one set back, so that duties are already part-way through their limits by the
/// browser's clock. Every change is waited for with a stated deadline (<see cref="BrowserSession.Live"/>).
/// </summary>
[NonParallelizable]
public sealed class When_the_UI_speaks_Chinese_all_the_way_through : BrowserFixture
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddHours(-3));

    protected override TimeProvider Clock => _clock;

    private static async Task<JsonNode> LeadAsync(WhistleClient township, string id) =>
        (await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched"))["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!;

    [Test]
    public async Task Should_count_down_in_Chinese_units_turn_amber_then_red_and_put_the_nearest_limit_on_top()
    {
        using var township = await Server.SignInAsync("township.chengguan");
        // Raised three hours ago by the browser's clock: long past its report limit (red).
        var late = (await township.RaiseAsync(WhistleClient.Raise("河堤违建棚屋", "illegal-construction", "emergency"))).Str("id");
        var lateLead = (await LeadAsync(township, late)).Str("id");
        // Raised 20 minutes ago: past half of its 30-minute report limit (amber), not yet due.
        _clock.Advance(TimeSpan.FromMinutes(160));
        var warned = (await township.RaiseAsync(WhistleClient.Raise("楼顶加盖彩钢房", "illegal-construction", "emergency"))).Str("id");
        var warnedLead = (await LeadAsync(township, warned)).Str("id");
        var page = await Chromium.SignInAsync(Server.Api, "branch.urban-management.chengguan", BrowserSession.Phone390);

        var red = page.Locator($"[data-testid=assignment-row][data-assignment-id='{lateLead}'] [data-testid=deadline-report]");
        var amber = page.Locator($"[data-testid=assignment-row][data-assignment-id='{warnedLead}'] [data-testid=deadline-report]");
        await Expect(red).ToHaveAttributeAsync("data-state", "overdue", new() { Timeout = BrowserSession.Live });
        await Expect(amber).ToHaveAttributeAsync("data-state", "warning", new() { Timeout = BrowserSession.Live });
        await Expect(red.GetByTestId("deadline-count")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"^\s*超时 \d+小时(\d+分)?\s*$"), new() { Timeout = BrowserSession.Live });
        await Expect(amber.GetByTestId("deadline-count")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"^\s*剩 \d+分(\d+秒)?\s*$"), new() { Timeout = BrowserSession.Live });
        var order = await page.Locator("[data-testid=assignment-list] [data-testid=assignment-row]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.assignmentId)");
        Assert.That(Array.IndexOf(order, lateLead), Is.LessThan(Array.IndexOf(order, warnedLead)), "the overdue duty above the one still running");
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await BrowserSession.ScreenshotAsync(page, "branch-countdown-red-phone");
        await page.Locator($"[data-testid=assignment-row][data-assignment-id='{warnedLead}']").ScrollIntoViewIfNeededAsync();
        await BrowserSession.ScreenshotAsync(page, "branch-countdown-amber-phone");

        await page.GetByTestId("lang-switch").ClickAsync();
        await Expect(amber.GetByTestId("deadline-count")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\d+ min( \d+ s)? left"), new() { Timeout = BrowserSession.Live });
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_say_a_refused_action_in_Chinese()
    {
        using var township = await Server.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync(WhistleClient.Raise("占道摆摊", "street-vending", "urgent"))).Str("id");
        var lead = (await LeadAsync(township, id))!;
        var page = await Chromium.SignInAsync(Server.Api, $"branch.{lead.Str("branchId")}", BrowserSession.Phone390);
        // The phone misses the cancel (no live connection: a lift, a basement), so its 报到 button is stale.
        await page.RouteAsync("**/hubs/whistles/**", route => route.AbortAsync());
        await page.ReloadAsync();
        var row = page.Locator($"[data-testid=assignment-row][data-assignment-id='{lead.Str("id")}']");
        await Expect(row.GetByTestId("assignment-report")).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        Assert.That((await township.PostAsync($"/api/whistles/{id}/cancel")).Status, Is.EqualTo(HttpStatusCode.OK));

        await row.GetByTestId("assignment-report").ClickAsync();

        var message = page.Locator(".el-message").Last;
        await Expect(message).ToContainTextAsync("操作未生效：该吹哨已撤销", new() { Timeout = BrowserSession.Live });
        Assert.That(await message.InnerTextAsync(), Does.Not.Match("[A-Za-z]{3,}"), "no English words in the Chinese UI");
        await BrowserSession.ScreenshotAsync(page, "branch-409-chinese-phone");
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Should_show_a_changed_matter_old_to_new_on_the_audit_trail()
    {
        using var sysadmin = await Server.SignInAsync("sysadmin");
        var (_, list, _) = await sysadmin.GetAsync("/api/whistle-list");
        var matter = list!.AsArray().Single(m => m!.Str("code") == "street-vending")!;
        var limits = matter["limits"]!.AsObject().ToDictionary(kv => kv.Key, kv => (object)new
        {
            reportWithinMinutes = kv.Key == "urgent" ? 20 : kv.Value!["reportWithinMinutes"]!.GetValue<int>(),
            resolveWithinMinutes = kv.Value!["resolveWithinMinutes"]!.GetValue<int>(),
        });
        var (saved, body, _) = await sysadmin.SendAsync(HttpMethod.Put, "/api/whistle-list/street-vending", new
        {
            name = matter.Str("name") + "（含夜市）",
            nameEn = matter.Str("nameEn"),
            category = matter.Str("category"),
            categoryEn = matter.Str("categoryEn"),
            agencies = matter["agencies"]!.AsArray().Select(a => new { agencyCode = a!.Str("agencyCode"), role = a!.Str("role") }),
            limits,
        });
        Assert.That(saved, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());

        var page = await Chromium.SignInAsync(Server.Api, "auditadmin", BrowserSession.Desktop);
        var entry = page.Locator("[data-testid=audit-entry][data-entity=matter][data-action=changed]").First;
        await Expect(entry).ToBeVisibleAsync(new() { Timeout = BrowserSession.Live });
        var name = entry.Locator("[data-testid=audit-change][data-field=name]");
        await Expect(name).ToContainTextAsync("名称", new() { Timeout = BrowserSession.Live });
        await Expect(name).ToContainTextAsync("（含夜市）");
        var limit = entry.Locator("[data-testid=audit-change][data-field='limits.urgent.reportWithinMinutes']");
        await Expect(limit).ToContainTextAsync("时限 · 紧急 · 报到时限（分钟）");
        await Expect(limit).ToContainTextAsync("20");
        Assert.That(await entry.InnerTextAsync(), Does.Not.Contain("{\""), "no JSON on the audit page");
        await Expect(entry).ToContainTextAsync("吹哨事项");
        await BrowserSession.ScreenshotAsync(page, "auditadmin-matter-change-desktop");
        await page.Context.CloseAsync();
    }
}
