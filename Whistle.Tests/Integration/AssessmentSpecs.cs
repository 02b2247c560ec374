using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// 实绩考核 over a scripted history on a fake clock; every expected figure below is worked out by hand
/// in the comments. Street vending (占道经营), emergency: report within 30 minutes, resolve within 120;
/// lead urban-management (城管), co-handling market-supervision (市场监管).
/// </summary>
[NonParallelizable]
public sealed class When_the_county_assesses_its_units
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 1, 0, 0, TimeSpan.Zero); // 09:00 in Shanghai
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task ScriptTheHistory()
    {
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock));
        using var chengguan = await _system.SignInAsync("township.chengguan");
        using var dongfeng = await _system.SignInAsync("township.dongfeng");
        using var umC = await _system.SignInAsync("branch.urban-management.chengguan");
        using var msC = await _system.SignInAsync("branch.market-supervision.chengguan");
        using var umD = await _system.SignInAsync("branch.urban-management.dongfeng");

        async Task<(string Id, string Um, string Ms)> Raise(WhistleClient township, string title)
        {
            var id = (await township.RaiseAsync(WhistleClient.Raise(title, "street-vending", "emergency"))).Str("id");
            var w = await township.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
            string Of(string agency) => w["assignments"]!.AsArray().Single(a => a!.Str("agencyCode") == agency)!.Str("id");
            return (id, Of("urban-management"), Of("market-supervision"));
        }

        async Task Act(WhistleClient client, string path, object body) =>
            Assert.That((await client.PostAsync(path, body)).Status, Is.EqualTo(HttpStatusCode.OK), path);

        var scheduler = _system.Apis[0].Services.GetRequiredService<Whistle.Dispatcher.DeadlineScheduler>();

        // The clock moves a minute at a time with the dispatcher ticking, as an always-on dispatcher would.
        async Task At(DateTimeOffset when)
        {
            while (_clock.GetUtcNow() < when)
            {
                _clock.Advance(TimeSpan.FromMinutes(1));
                await scheduler.RunDueAsync(CancellationToken.None);
            }
        }

        // W1 at T0: 城管 reports at +10, resolves at +100 (both in time); 市场监管 reports at +20, resolves at +110.
        var w1 = await Raise(chengguan, "W1");
        await At(T0.AddMinutes(10)); await Act(umC, $"/api/assignments/{w1.Um}/report", new { });
        await At(T0.AddMinutes(20)); await Act(msC, $"/api/assignments/{w1.Ms}/report", new { });
        await At(T0.AddMinutes(100)); await Act(umC, $"/api/assignments/{w1.Um}/resolve", new { note = "ok" });
        await At(T0.AddMinutes(110)); await Act(msC, $"/api/assignments/{w1.Ms}/resolve", new { note = "ok" });
        await Act(chengguan, $"/api/whistles/{w1.Id}/confirm", new { ratings = new[] { new { assignmentId = w1.Um, rating = "satisfied" }, new { assignmentId = w1.Ms, rating = "basically-satisfied" } } });

        // W2 at T0+2h: 市场监管 declines at +5; 城管 reports at +40 (late, escalated at +30), resolves at +150 (late).
        var t2 = T0.AddHours(2);
        await At(t2);
        var w2 = await Raise(chengguan, "W2");
        await At(t2.AddMinutes(5)); await Act(msC, $"/api/assignments/{w2.Ms}/decline", new { reason = "非本单位职责" });
        await At(t2.AddMinutes(40)); await Act(umC, $"/api/assignments/{w2.Um}/report", new { });
        await At(t2.AddMinutes(150)); await Act(umC, $"/api/assignments/{w2.Um}/resolve", new { note = "ok" });
        await Act(chengguan, $"/api/whistles/{w2.Id}/confirm", new { ratings = new[] { new { assignmentId = w2.Um, rating = "unsatisfied" } } });

        // W3 at T0+5h in 东风街道: its 城管 reports at +15; its 市场监管 never acts.
        var t3 = T0.AddHours(5);
        await At(t3);
        var w3 = await Raise(dongfeng, "W3");
        await At(t3.AddMinutes(15)); await Act(umD, $"/api/assignments/{w3.Um}/report", new { });
        await At(T0.AddHours(8));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private static JsonNode Unit(JsonNode report, string list, string id) =>
        report[list]!.AsArray().Single(u => u!.Str("unitId") == id)!;

    [Test]
    public async Task Should_match_the_figures_worked_out_by_hand_for_branches_and_agencies()
    {
        using var supervisor = await _system.SignInAsync("supervisor");
        var (status, report, _) = await supervisor.GetAsync("/api/stats/assessment?period=month&date=2026-11-03");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), report?.ToJsonString());

        // 城关 城管: 2 duties; reported 10 and 40 minutes (1 in time); resolved 100 and 150 (1 in time);
        // escalated once (W2); rated satisfied + unsatisfied. Rates 1/2, 2/2, 1/2 → score 100 × (0.4×0.5 + 0.3×1 + 0.3×0.5) = 65.
        var um = Unit(report!, "branches", "urban-management.chengguan");
        Assert.Multiple(() =>
        {
            Assert.That(Ints(um, "assignments", "reported", "reportedWithinLimit", "resolved", "resolvedWithinLimit", "declined", "escalated", "rated", "satisfied", "basicallySatisfied", "unsatisfied"),
                Is.EqualTo(new[] { 2, 2, 1, 2, 1, 0, 1, 2, 1, 0, 1 }));
            Assert.That(Doubles(um, "timeToReportP50", "timeToReportP90", "timeToResolveP50", "timeToResolveP90"), Is.EqualTo(new double?[] { 600, 2400, 6000, 9000 }));
            Assert.That(Doubles(um, "responseRate", "resolutionRate", "satisfactionRate", "score"), Is.EqualTo(new double?[] { 0.5, 1, 0.5, 65 }));
        });

        // 城关 市场监管: 2 duties, 1 declined; the other reported at 20 (in time), resolved at 110 (in time),
        // basically satisfied; reminded but never escalated. Rates 1/1, 1/1, 1/1 → 100, first of the branches.
        var ms = Unit(report!, "branches", "market-supervision.chengguan");
        Assert.Multiple(() =>
        {
            Assert.That(Ints(ms, "assignments", "reported", "reportedWithinLimit", "resolved", "resolvedWithinLimit", "declined", "escalated", "rated", "basicallySatisfied"),
                Is.EqualTo(new[] { 2, 1, 1, 1, 1, 1, 0, 1, 1 }));
            Assert.That(Doubles(ms, "responseRate", "resolutionRate", "satisfactionRate", "score"), Is.EqualTo(new double?[] { 1, 1, 1, 100 }));
        });

        // 东风 城管: 1 duty reported at 15 (in time), not resolved, not rated: rates 1, 0, none →
        // 100 × (0.4×1 + 0.3×0) ÷ 0.7 = 57.14. 东风 市场监管: never acted: 0, 0, none → 0.
        var umD = Unit(report!, "branches", "urban-management.dongfeng");
        var msD = Unit(report!, "branches", "market-supervision.dongfeng");
        Assert.Multiple(() =>
        {
            Assert.That(Doubles(umD, "responseRate", "resolutionRate", "satisfactionRate", "score"), Is.EqualTo(new double?[] { 1, 0, null, 57.14 }));
            Assert.That(Doubles(msD, "responseRate", "resolutionRate", "satisfactionRate", "score"), Is.EqualTo(new double?[] { 0, 0, null, 0 }));
            Assert.That(Ints(msD, "assignments", "escalated"), Is.EqualTo(new[] { 1, 1 }));
            // Ranking: 100, 65, 57.14, 0; branches without work are not ranked.
            Assert.That(new[] { ms, um, umD, msD }.Select(u => u["rank"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2, 3, 4 }));
            Assert.That(Unit(report!, "branches", "health.chengguan")["rank"], Is.Null);
        });

        // Agencies. 城管: W1 (10, 100, satisfied), W2 (40 late, 150 late, unsatisfied, escalated), W3 (15, open;
        // escalated when its resolve-by passed at W3 + 120 minutes):
        // time to report 600, 900, 2400 s → p50 = 900, p90 = 2400; rates 2/3, 2/3, 1/2 → 61.67.
        // 市场监管: W1 (20, 110, basically), W2 declined, W3 never (escalated): rates 1/2, 1/2, 1/1 → 65, first.
        var umA = Unit(report!, "agencies", "urban-management");
        var msA = Unit(report!, "agencies", "market-supervision");
        Assert.Multiple(() =>
        {
            Assert.That(Ints(umA, "assignments", "reported", "reportedWithinLimit", "resolved", "resolvedWithinLimit", "declined", "escalated", "rated"), Is.EqualTo(new[] { 3, 3, 2, 2, 1, 0, 2, 2 }));
            Assert.That(Doubles(umA, "timeToReportP50", "timeToReportP90", "timeToResolveP50", "timeToResolveP90", "score"), Is.EqualTo(new double?[] { 900, 2400, 6000, 9000, 61.67 }));
            Assert.That(Ints(msA, "assignments", "reported", "resolved", "declined", "escalated", "rated"), Is.EqualTo(new[] { 3, 1, 1, 1, 1, 1 }));
            Assert.That(Doubles(msA, "responseRate", "resolutionRate", "satisfactionRate", "score"), Is.EqualTo(new double?[] { 0.5, 0.5, 1, 65 }));
            Assert.That((msA["rank"]!.GetValue<int>(), umA["rank"]!.GetValue<int>()), Is.EqualTo((1, 2)));
        });

        // Time to report of every duty: 10, 20, 40, 15 minutes.
        var histogram = report!["timeToReportHistogram"]!.AsArray().Select(b => b!["count"]!.GetValue<int>()).ToArray();
        Assert.That(histogram, Is.EqualTo(new[] { 0, 1, 1, 1, 1, 0, 0, 0, 0 }));
        var day = report["trend"]!.AsArray().Single(p => p!.Str("date") == "2026-11-03")!;
        Assert.That(day["assignments"]!.GetValue<int>(), Is.EqualTo(6));
        Assert.That(report["trend"]!.AsArray(), Has.Count.EqualTo(30));
    }

    [Test]
    public async Task Should_count_nothing_in_a_period_without_work()
    {
        using var supervisor = await _system.SignInAsync("supervisor");
        var (_, report, _) = await supervisor.GetAsync("/api/stats/assessment?period=day&date=2026-11-04");
        Assert.That(report!["branches"]!.AsArray().Select(u => u!["assignments"]!.GetValue<int>()), Is.All.Zero);
        Assert.That(report["branches"]!.AsArray().Select(u => u!["rank"]), Is.All.Null);
        var (week, weekly, _) = await supervisor.GetAsync("/api/stats/assessment?period=week&date=2026-11-03");
        Assert.That(week, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Unit(weekly!, "agencies", "urban-management")["assignments"]!.GetValue<int>(), Is.EqualTo(3));
        var (bad, problem, _) = await supervisor.GetAsync("/api/stats/assessment?period=year&date=2026-13-01");
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem!["errors"]!.AsObject().Select(e => e.Key), Is.SupersetOf(new[] { "period", "date" }));
    }

    [Test]
    public async Task Should_show_a_township_only_the_branches_stationed_in_it()
    {
        using var chengguan = await _system.SignInAsync("township.chengguan");
        var (status, report, _) = await chengguan.GetAsync("/api/stats/assessment?period=month&date=2026-11-03");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.Multiple(() =>
        {
            Assert.That(report!["agencies"]!.AsArray(), Is.Empty);
            Assert.That(report["branches"]!.AsArray().Select(u => u!.Str("townshipId")), Is.All.EqualTo("chengguan"));
            Assert.That(Unit(report, "branches", "market-supervision.chengguan")["rank"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(Unit(report, "branches", "urban-management.chengguan")["rank"]!.GetValue<int>(), Is.EqualTo(2));
        });

        using var branch = await _system.SignInAsync("branch.urban-management.chengguan");
        Assert.That((await branch.GetAsync("/api/stats/assessment")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await branch.GetAsync("/api/stats/response-times")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        var (_, times, _) = await chengguan.GetAsync($"/api/stats/response-times?from={Uri.EscapeDataString(T0.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(T0.AddDays(1).ToString("O"))}");
        Assert.That(times!["branches"]!.AsArray().Select(u => u!.Str("townshipId")), Is.All.EqualTo("chengguan"));
        Assert.That(Unit(times, "branches", "urban-management.chengguan")["timeToReportP50"]!.GetValue<double>(), Is.EqualTo(600));
    }

    [Test]
    public async Task Should_export_a_CSV_that_Excel_opens_as_UTF8()
    {
        using var supervisor = await _system.SignInAsync("supervisor");
        var response = await supervisor.Http.GetAsync("/api/stats/assessment?period=month&date=2026-11-03&format=csv");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
        Assert.That(response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName, Does.Contain("assessment-2026-11.csv"));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "a UTF-8 byte-order mark");
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("类别,排名,单位,单位编码,所属部门,乡镇(街道),报到单数"));
        var umRow = lines.Single(l => l.Contains(",urban-management.chengguan,", StringComparison.Ordinal)).Split(',');
        Assert.Multiple(() =>
        {
            Assert.That(umRow[0], Is.EqualTo("派驻分支机构"));
            Assert.That(umRow[1], Is.EqualTo("2"));
            Assert.That(umRow[2], Is.EqualTo("城关街道城管执法中队"));
            Assert.That(umRow[6], Is.EqualTo("2"));
            Assert.That(umRow[27], Is.EqualTo("65.00"));
            Assert.That(umRow, Has.Length.EqualTo(33));
        });
        Assert.That(lines.Count(l => l.StartsWith("区县事业单位,", StringComparison.Ordinal)), Is.EqualTo(10));
    }

    private static int[] Ints(JsonNode unit, params string[] names) => names.Select(n => unit[n]!.GetValue<int>()).ToArray();

    private static double?[] Doubles(JsonNode unit, params string[] names) => names.Select(n => unit[n] is null ? (double?)null : Math.Round(unit[n]!.GetValue<double>(), 2)).ToArray();
}

/// <summary>
/// Issue 13: a branch showed 响应率 25% = 2/8 while 6 of its 8 duties were still inside their report limit. The API
/// counts only the duties that are due, and says so: <c>responseDue</c> and <c>resolutionDue</c> beside the numerators.
/// </summary>
[NonParallelizable]
public sealed class When_duties_are_still_inside_their_limit
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 10, 1, 0, 0, TimeSpan.Zero); // 09:00 in Shanghai
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock));

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_count_only_duties_whose_limit_has_passed_or_that_are_finished()
    {
        using var township = await _system.SignInAsync("township.qingshi");
        using var branch = await _system.SignInAsync("branch.urban-management.qingshi");
        using var supervisor = await _system.SignInAsync("supervisor");
        // Four emergency street-vending whistles: 城管 must report within 30 minutes, resolve within 120.
        var duties = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var id = (await township.RaiseAsync(WhistleClient.Raise($"占道经营{i}", "street-vending", "emergency"))).Str("id");
            var w = await township.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
            duties.Add(w["assignments"]!.AsArray().Single(a => a!.Str("agencyCode") == "urban-management")!.Str("id"));
        }

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That((await branch.PostAsync($"/api/assignments/{duties[0]}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));

        async Task<JsonNode> Unit()
        {
            var (status, report, _) = await supervisor.GetAsync("/api/stats/assessment?period=day&date=2026-11-10");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), report?.ToJsonString());
            return report!["branches"]!.AsArray().Single(u => u!.Str("unitId") == "urban-management.qingshi")!;
        }

        // Ten minutes in: one reported in time, three still inside their limit and not counted.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var early = await Unit();
        Assert.Multiple(() =>
        {
            Assert.That(early["assignments"]!.GetValue<int>(), Is.EqualTo(4));
            Assert.That((early["reportedWithinLimit"]!.GetValue<int>(), early["responseDue"]!.GetValue<int>()), Is.EqualTo((1, 1)));
            Assert.That(early["responseRate"]!.GetValue<double>(), Is.EqualTo(1.0));
            Assert.That((early["resolved"]!.GetValue<int>(), early["resolutionDue"]!.GetValue<int>()), Is.EqualTo((0, 0)));
            Assert.That(early["resolutionRate"], Is.Null);
        });

        // Past the report limit: the three unreported ones count as not responded.
        _clock.Advance(TimeSpan.FromMinutes(25));
        var late = await Unit();
        Assert.Multiple(() =>
        {
            Assert.That((late["reportedWithinLimit"]!.GetValue<int>(), late["responseDue"]!.GetValue<int>()), Is.EqualTo((1, 4)));
            Assert.That(late["responseRate"]!.GetValue<double>(), Is.EqualTo(0.25));
            Assert.That(late["resolutionDue"]!.GetValue<int>(), Is.Zero);
        });
        var (_, report, _) = await supervisor.GetAsync("/api/stats/assessment?period=day&date=2026-11-10");
        Assert.That(DateTimeOffset.Parse(report!.Str("asOf"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(_clock.GetUtcNow()));
        var day = report!["trend"]!.AsArray().Single(p => p!.Str("date") == "2026-11-10")!;
        Assert.That((day["reportedWithinLimit"]!.GetValue<int>(), day["responseDue"]!.GetValue<int>()), Is.EqualTo((1, 8)), "both units' duties of the day");
    }
}
