using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Core.Problems;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 17: the assessment of the city level by the township's rules, over a scripted history on a fake clock, with
/// every expected figure worked out by hand below; who sees which figures; the drill-down from a ranking row to the
/// work requests behind it; the exports' new columns; and the township's figures left to the township (a work request
/// routed to a linked branch is the city's). On SQLite and on PostgreSQL.
/// <list type="bullet">
/// <item>R1 at T0: 市发展改革委 → 信用中心 数据归集科 (credit-data-collection: report 240, resolve 4320): reported at +10,
/// resolved at +100, rated satisfied.</item>
/// <item>R2 at T0: 市发展改革委 → 信用中心 itself (credit-report-analysis: report 480, resolve 14400): never acted.</item>
/// <item>R3 at T0: 市发展改革委 → 检验检测中心 价格认证科 (price-certification: report 240, resolve 10080): reported at +30.</item>
/// <item>R4 at T0: 市农业农村局 → 检验检测中心 农产品检测科 (farm-product-testing: report 120, resolve 7200): reported at +20.</item>
/// <item>R5 at T0: 市市场监管局 → 市场监管综合服务中心, routed to the linked branch 城关市场监管所 (market-food-spot-check:
/// report 120, resolve 2880): reported at +130, late.</item>
/// </list>
/// Counted at T0 + 9 h (weights 0.4 / 0.3 / 0.3): 信用中心 R1 + R2: response 1/2 (R2's report-by passed), resolution 1/1
/// (R2's resolve-by has not), satisfaction 1/1 → 100 × (0.2 + 0.3 + 0.3) = 80; 检验检测中心 R3 + R4: 2/2, none due, none
/// rated → 100; 市场监管综合服务中心 R5: 0/1 → 0. Overall: 检验检测中心 1, 信用中心 2, 市场监管 3; the two without work unranked.
/// 市发展改革委's own ranking: 检验检测中心 (R3 only) 100 first, 信用中心 80 second.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_the_city_is_assessed(string database)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 1, 0, 0, TimeSpan.Zero); // 09:00 in Shanghai
    private const string Month = "period=month&date=2026-11-03";
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;
    private readonly Dictionary<string, string> _requests = [];

    [OneTimeSetUp]
    public async Task ScriptTheHistory()
    {
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock), database: database);
        using var ndrc = await _system.SignInAsync("department.city-ndrc");
        using var agriculture = await _system.SignInAsync("department.city-agriculture");
        using var market = await _system.SignInAsync("department.city-market");
        using var data = await _system.SignInAsync("office.credit-center.data");
        using var price = await _system.SignInAsync("office.inspection-center.price");
        using var food = await _system.SignInAsync("office.inspection-center.food");
        using var branch = await _system.SignInAsync("branch.market-supervision.chengguan");
        var scheduler = _system.Apis[0].Services.GetRequiredService<Whistle.Dispatcher.DeadlineScheduler>();

        async Task<(string Id, string Duty)> Raise(WhistleClient department, string name, string institution, string item)
        {
            var (status, body, _) = await department.PostAsync("/api/work-requests", new { institutionId = institution, workItemCode = item, title = $"{name} 考核测试" });
            Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
            var id = body!.Str("id");
            var w = await department.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
            _requests[name] = id;
            return (id, w["assignments"]!.AsArray().Single()!.Str("id"));
        }

        async Task Act(WhistleClient client, string path, object body) =>
            Assert.That((await client.PostAsync(path, body)).Status, Is.EqualTo(HttpStatusCode.OK), path);

        async Task At(DateTimeOffset when)
        {
            while (_clock.GetUtcNow() < when)
            {
                _clock.Advance(TimeSpan.FromMinutes(10));
                await scheduler.RunDueAsync(CancellationToken.None);
            }
        }

        var r1 = await Raise(ndrc, "R1", "credit-center", "credit-data-collection");
        await Raise(ndrc, "R2", "credit-center", "credit-report-analysis");
        var r3 = await Raise(ndrc, "R3", "inspection-center", "price-certification");
        var r4 = await Raise(agriculture, "R4", "inspection-center", "farm-product-testing");
        var r5 = await Raise(market, "R5", "market-service-center", "market-food-spot-check");
        await At(T0.AddMinutes(10)); await Act(data, $"/api/assignments/{r1.Duty}/report", new { });
        await At(T0.AddMinutes(20)); await Act(food, $"/api/assignments/{r4.Duty}/report", new { });
        await At(T0.AddMinutes(30)); await Act(price, $"/api/assignments/{r3.Duty}/report", new { });
        await At(T0.AddMinutes(100)); await Act(data, $"/api/assignments/{r1.Duty}/resolve", new { note = "已归集" });
        await Act(ndrc, $"/api/whistles/{r1.Id}/confirm", new { ratings = new[] { new { assignmentId = r1.Duty, rating = "satisfied" } } });
        await At(T0.AddMinutes(130)); await Act(branch, $"/api/assignments/{r5.Duty}/report", new { });
        await At(T0.AddHours(9));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private static JsonNode Unit(JsonNode list, string id) => list.AsArray().Single(u => u!.Str("unitId") == id)!;

    private static JsonNode Ranking(JsonNode report, string department) =>
        report["departments"]!.AsArray().Single(d => d!.Str("departmentId") == department)!["institutions"]!;

    private static IEnumerable<string> Ids(JsonNode list) => list.AsArray().Select(u => u!.Str("unitId"));

    private static double?[] Doubles(JsonNode unit, params string[] names) => names.Select(n => unit[n] is null ? (double?)null : Math.Round(unit[n]!.GetValue<double>(), 2)).ToArray();

    private static int? Rank(JsonNode unit) => unit["rank"]?.GetValue<int>();

    private async Task<JsonNode> AssessmentAsync(string user, string query = "")
    {
        using var client = await _system.SignInAsync(user);
        var (status, report, _) = await client.GetAsync($"/api/stats/assessment?{Month}{query}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), $"{user}: {report?.ToJsonString()}");
        return report!;
    }

    [Test]
    public async Task Should_rank_the_institutions_overall_and_per_department_by_the_figures_worked_out_by_hand()
    {
        var report = await AssessmentAsync("supervisor", "&level=city");
        var institutions = report["institutions"]!;
        var credit = Unit(institutions, "credit-center");
        var inspection = Unit(institutions, "inspection-center");
        var market = Unit(institutions, "market-service-center");
        Assert.Multiple(() =>
        {
            Assert.That(report.Str("level"), Is.EqualTo("city"));
            Assert.That(report["agencies"]!.AsArray(), Is.Empty, "the city level alone");
            Assert.That(report["branches"]!.AsArray(), Is.Empty);
            Assert.That(credit["assignments"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That((credit["reportedWithinLimit"]!.GetValue<int>(), credit["responseDue"]!.GetValue<int>()), Is.EqualTo((1, 2)));
            Assert.That((credit["resolved"]!.GetValue<int>(), credit["resolutionDue"]!.GetValue<int>()), Is.EqualTo((1, 1)), "R2's resolve-by has not passed");
            Assert.That(Doubles(credit, "responseRate", "resolutionRate", "satisfactionRate", "score"), Is.EqualTo(new double?[] { 0.5, 1, 1, 80 }));
            Assert.That(Doubles(credit, "timeToReportP50", "timeToResolveP50"), Is.EqualTo(new double?[] { 600, 6000 }));
            Assert.That(Doubles(inspection, "responseRate", "resolutionRate", "satisfactionRate", "score"), Is.EqualTo(new double?[] { 1, null, null, 100 }));
            Assert.That(Doubles(market, "responseRate", "score"), Is.EqualTo(new double?[] { 0, 0 }));
            Assert.That(new[] { Rank(inspection), Rank(credit), Rank(market) }, Is.EqualTo(new int?[] { 1, 2, 3 }));
            Assert.That(Rank(Unit(institutions, "mass-org-center")), Is.Null, "no work, no rank");
            Assert.That(institutions.AsArray().Select(u => u!.Str("kind")), Is.All.EqualTo("institution"));

            // 市发展改革委 ranks the institutions it asks on its own requests: R3 alone at 检验检测中心.
            var ndrc = Ranking(report, "city-ndrc");
            Assert.That(Ids(ndrc), Is.EqualTo(new[] { "inspection-center", "credit-center" }));
            Assert.That(Unit(ndrc, "inspection-center")["assignments"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(Unit(ndrc, "inspection-center")["departmentId"]!.GetValue<string>(), Is.EqualTo("city-ndrc"));
            Assert.That(Doubles(Unit(ndrc, "credit-center"), "score"), Is.EqualTo(new double?[] { 80 }));
            Assert.That(Ids(Ranking(report, "city-agriculture")), Is.EqualTo(new[] { "inspection-center" }));
            Assert.That(Unit(Ranking(report, "city-agriculture"), "inspection-center")["assignments"]!.GetValue<int>(), Is.EqualTo(1));

            // Offices (and the linked branch) and relations, by the same rules.
            Assert.That(Doubles(Unit(report["offices"]!, "credit-center.data"), "score"), Is.EqualTo(new double?[] { 100 }));
            Assert.That(Unit(report["offices"]!, "market-supervision.chengguan")["assignments"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(Doubles(Unit(report["relations"]!, "ndrc-credit"), "score"), Is.EqualTo(new double?[] { 80 }));
            Assert.That(Unit(report["relations"]!, "inspection-guidance")["assignments"]!.GetValue<int>(), Is.EqualTo(2));

            // The histogram and trend are the level's: the five requests, reported at 10, 20, 30 and 130 minutes.
            Assert.That(report["trend"]!.AsArray().Single(p => p!.Str("date") == "2026-11-03")!["assignments"]!.GetValue<int>(), Is.EqualTo(5));
            Assert.That(report["timeToReportHistogram"]!.AsArray().Sum(b => b!["count"]!.GetValue<int>()), Is.EqualTo(4));
        });

        var both = await AssessmentAsync("supervisor", "&level=both");
        Assert.That((both["agencies"]!.AsArray().Count, both["institutions"]!.AsArray().Count), Is.EqualTo((10, 5)), "both levels side by side");
    }

    [Test]
    public async Task Should_leave_a_work_request_at_a_linked_branch_out_of_the_townships_figures()
    {
        // Before issue 17's assessment, R5 (routed to 城关市场监管所, a linked branch) counted as that branch's township duty.
        foreach (var (user, query) in new[] { ("supervisor", ""), ("supervisor", "&level=township"), ("township.chengguan", "") })
        {
            var report = await AssessmentAsync(user, query);
            Assert.Multiple(() =>
            {
                Assert.That(Unit(report["branches"]!, "market-supervision.chengguan")["assignments"]!.GetValue<int>(), Is.Zero, $"{user}{query}");
                Assert.That(report["trend"]!.AsArray().Sum(p => p!["assignments"]!.GetValue<int>()), Is.Zero, $"{user}{query}: no township duty this month");
                Assert.That(report["institutions"]!.AsArray(), Is.Empty, $"{user}{query}: the township level alone");
            });
        }
    }

    [Test]
    public async Task Should_show_each_role_only_its_own_part_of_the_citys_figures()
    {
        var ndrc = await AssessmentAsync("department.city-ndrc");
        var agriculture = await AssessmentAsync("department.city-agriculture");
        var inspection = await AssessmentAsync("institution.inspection-center");
        var office = await AssessmentAsync("office.credit-center.data");
        var establishment = await AssessmentAsync("establishment-office");
        Assert.Multiple(() =>
        {
            // A department: its own requests to its relations' institutions, its own ranking only.
            Assert.That(ndrc.Str("level"), Is.EqualTo("city"), "the city's roles read the city level by default");
            Assert.That(ndrc["departments"]!.AsArray().Select(d => d!.Str("departmentId")), Is.EqualTo(new[] { "city-ndrc" }));
            Assert.That(Ids(ndrc["institutions"]!), Is.EquivalentTo(new[] { "credit-center", "inspection-center" }));
            Assert.That(Unit(ndrc["institutions"]!, "inspection-center")["assignments"]!.GetValue<int>(), Is.EqualTo(1), "not 市农业农村局's R4");
            Assert.That(Ids(ndrc["relations"]!), Is.EquivalentTo(new[] { "ndrc-credit", "inspection-guidance" }));
            Assert.That(Ids(agriculture["institutions"]!), Is.EqualTo(new[] { "inspection-center" }));
            Assert.That(agriculture["trend"]!.AsArray().Sum(p => p!["assignments"]!.GetValue<int>()), Is.EqualTo(1));
            Assert.That(ndrc["agencies"]!.AsArray().Count + ndrc["branches"]!.AsArray().Count, Is.Zero);

            // An institution: itself, its offices, and how it stands with each department it serves.
            Assert.That(Ids(inspection["institutions"]!), Is.EqualTo(new[] { "inspection-center" }));
            Assert.That(Unit(inspection["institutions"]!, "inspection-center")["assignments"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(inspection["departments"]!.AsArray().Select(d => d!.Str("departmentId")), Is.EquivalentTo(new[] { "city-agriculture", "city-ndrc" }));
            Assert.That(inspection["departments"]!.AsArray().SelectMany(d => Ids(d!["institutions"]!)), Is.All.EqualTo("inspection-center"));
            Assert.That(Ids(inspection["offices"]!), Is.EquivalentTo(new[] { "inspection-center.price", "inspection-center.food" }));
            Assert.That(Ids(inspection["relations"]!), Is.EqualTo(new[] { "inspection-guidance" }));

            // An office account: its own duties only.
            Assert.That(Ids(office["offices"]!), Is.EqualTo(new[] { "credit-center.data" }));
            Assert.That(office["institutions"]!.AsArray().Count + office["departments"]!.AsArray().Count + office["relations"]!.AsArray().Count, Is.Zero);
            Assert.That(office["trend"]!.AsArray().Sum(p => p!["assignments"]!.GetValue<int>()), Is.EqualTo(1));

            // The establishment office: the whole city, and no township figure.
            Assert.That(establishment["institutions"]!.AsArray(), Has.Count.EqualTo(5));
            Assert.That(establishment["relations"]!.AsArray(), Has.Count.EqualTo(5));
            Assert.That(establishment["agencies"]!.AsArray().Count + establishment["branches"]!.AsArray().Count, Is.Zero);
        });
    }

    [Test]
    public async Task Should_refuse_a_level_that_is_not_the_callers()
    {
        foreach (var (user, level) in new[]
        {
            ("township.chengguan", "city"), ("agency.market-supervision", "both"), ("department.city-ndrc", "township"),
            ("institution.credit-center", "both"), ("establishment-office", "township"),
        })
        {
            using var client = await _system.SignInAsync(user);
            foreach (var path in new[] { "/api/stats/assessment", "/api/stats/response-times" })
            {
                var (status, problem, _) = await client.GetAsync($"{path}?level={level}");
                Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden), $"{user} {path} {level}");
                Assert.That(problem!.Str("code"), Is.EqualTo(ProblemCodes.AssessmentLevel), $"{user} {path} {level}");
            }
        }

        using var supervisor = await _system.SignInAsync("supervisor");
        var (bad, body, _) = await supervisor.GetAsync("/api/stats/assessment?level=province");
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["errors"]!.AsObject().Select(e => e.Key), Does.Contain("level"));
        using var branch = await _system.SignInAsync("branch.urban-management.chengguan");
        Assert.That((await branch.GetAsync("/api/stats/assessment?level=city")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Should_drill_down_from_a_ranking_row_to_the_work_requests_behind_it()
    {
        async Task<string[]> List(string user, string query)
        {
            using var client = await _system.SignInAsync(user);
            var (status, body, _) = await client.GetAsync($"/api/whistles?status=all&pageSize=100&{query}");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), $"{user} {query}: {body?.ToJsonString()}");
            return body!["items"]!.AsArray().Select(w => w!.Str("id")).ToArray();
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await List("supervisor", "level=city&departmentId=city-ndrc&institutionId=inspection-center"), Is.EqualTo(new[] { _requests["R3"] }));
            Assert.That(await List("supervisor", "level=city&institutionId=inspection-center"), Is.EquivalentTo(new[] { _requests["R3"], _requests["R4"] }));
            Assert.That(await List("supervisor", "level=city&unitId=market-supervision.chengguan"), Is.EqualTo(new[] { _requests["R5"] }));
            Assert.That(await List("supervisor", "relationId=ndrc-credit"), Is.EquivalentTo(new[] { _requests["R1"], _requests["R2"] }));
            Assert.That(await List("supervisor", "level=township&branchId=market-supervision.chengguan"), Is.Empty, "the township branch row's drill-down");
            Assert.That(await List("department.city-agriculture", "departmentId=city-ndrc"), Is.Empty, "within the caller's sight only");
            Assert.That(await List("institution.inspection-center", "departmentId=city-ndrc"), Is.EqualTo(new[] { _requests["R3"] }));
            Assert.That(await List("establishment-office", "level=city"), Has.Length.EqualTo(5));
        });

        using var supervisor = await _system.SignInAsync("supervisor");
        foreach (var (field, value) in new[] { ("institutionId", "no-such"), ("departmentId", "chengguan"), ("unitId", "urban-management.chengguan"), ("relationId", "x"), ("level", "county") })
        {
            var (status, problem, _) = await supervisor.GetAsync($"/api/whistles?{field}={value}");
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), field);
            Assert.That(problem!["errors"]!.AsObject().Select(e => e.Key), Does.Contain(field));
        }
    }

    [Test]
    public async Task Should_carry_the_level_department_institution_relation_and_work_item_in_the_CSV_exports()
    {
        using var supervisor = await _system.SignInAsync("supervisor");
        async Task<string[]> Csv(string path)
        {
            var response = await supervisor.Http.GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), path);
            return Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        }

        var range = $"from={Uri.EscapeDataString(T0.AddDays(-1).ToString("O"))}&to={Uri.EscapeDataString(T0.AddDays(1).ToString("O"))}";
        var assessment = await Csv($"/api/stats/assessment?{Month}&level=city&format=csv");
        var whistles = await Csv($"/api/export/whistles?{range}&format=csv");
        var assignments = await Csv($"/api/export/assignments?{range}&format=csv");
        var township = await Csv($"/api/stats/assessment?{Month}&format=csv");
        Assert.Multiple(() =>
        {
            Assert.That(assessment[0], Does.EndWith(",层级,委办局,工作关系"));
            var ndrcCredit = assessment.Single(l => l.StartsWith("市直事业单位(委办局排名),", StringComparison.Ordinal) && l.Contains(",credit-center,", StringComparison.Ordinal)).Split(',');
            Assert.That((ndrcCredit[1], ndrcCredit[27], ndrcCredit[^3], ndrcCredit[^2]), Is.EqualTo(("2", "80.00", "市级", "city-ndrc")));
            Assert.That(assessment.Count(l => l.StartsWith("工作关系,", StringComparison.Ordinal)), Is.EqualTo(5));
            Assert.That(township[0].Split(','), Has.Length.EqualTo(33), "the township level's CSV is as it was");

            Assert.That(whistles[0], Does.EndWith(",层级,委办局,工作事项编码,工作关系"));
            var r1 = whistles.Single(l => l.StartsWith(_requests["R1"] + ",", StringComparison.Ordinal));
            Assert.That(r1, Does.EndWith(",city,city-ndrc,credit-data-collection,ndrc-credit"));

            var r5 = assignments.Single(l => l.Contains("," + _requests["R5"] + ",", StringComparison.Ordinal)).Split(',');
            Assert.That(r5[2..12], Is.EqualTo(new[] { "city", "", "city-market", "", "market-food-spot-check", "market-one-to-one", "", "", "market-service-center", "market-supervision.chengguan" }));
            Assert.That(assignments, Has.Length.EqualTo(6), "a header and the five duties");
        });
    }
}
