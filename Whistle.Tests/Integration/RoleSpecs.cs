using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.Problems;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 13, what each role expected: the supervisor's drill-down from a chart bar, a ranking row or a search to the
/// whistles behind it — <c>GET /api/whistles</c> filtered by township, unit, period, text and overdue — inside each
/// caller's scope.
/// </summary>
[NonParallelizable]
public sealed class When_a_supervisor_looks_behind_the_figures
{
    private readonly ShiftedClock _clock = new();
    private WhistleSystem _system = null!;
    private WhistleClient _supervisor = null!;
    private JsonNode _chengguan = null!, _qingshi = null!, _dongfeng = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock));
        _supervisor = await _system.SignInAsync("supervisor");
        _chengguan = await RaiseAsync("chengguan", "解放路夜市占道 100% 堵死", "street-vending", "urgent");
        _qingshi = await RaiseAsync("qingshi", "青石村河边违建", "illegal-construction", "routine");
        _dongfeng = await RaiseAsync("dongfeng", "东风路早市占道", "street-vending", "urgent");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private async Task<JsonNode> RaiseAsync(string township, string title, string matter, string urgency)
    {
        using var client = await _system.SignInAsync($"township.{township}");
        var id = (await client.RaiseAsync(WhistleClient.Raise(title, matter, urgency))).Str("id");
        return await client.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
    }

    private async Task<List<string>> IdsAsync(WhistleClient client, string query)
    {
        var (status, body, _) = await client.GetAsync($"/api/whistles?status=all&pageSize=100&{query}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var ours = new[] { _chengguan.Str("id"), _qingshi.Str("id"), _dongfeng.Str("id") };
        return body!["items"]!.AsArray().Select(w => w!.Str("id")).Where(ours.Contains).ToList();
    }

    [Test]
    public async Task Should_list_the_whistles_of_a_township_an_agency_or_a_branch()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(await IdsAsync(_supervisor, "townshipId=chengguan"), Is.EqualTo(new[] { _chengguan.Str("id") }));
            Assert.That(await IdsAsync(_supervisor, "agencyCode=market-supervision"), Is.EquivalentTo(new[] { _chengguan.Str("id"), _dongfeng.Str("id") }));
            Assert.That(await IdsAsync(_supervisor, "agencyCode=natural-resources"), Is.EqualTo(new[] { _qingshi.Str("id") }));
            Assert.That(await IdsAsync(_supervisor, "branchId=urban-management.dongfeng"), Is.EqualTo(new[] { _dongfeng.Str("id") }));
            Assert.That(await IdsAsync(_supervisor, "townshipId=chengguan&branchId=urban-management.dongfeng"), Is.Empty, "filters add up");
        });
    }

    [Test]
    public async Task Should_find_a_text_as_written_and_a_period_from_its_first_instant_to_before_its_end()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(await IdsAsync(_supervisor, "q=" + Uri.EscapeDataString("100%")), Is.EqualTo(new[] { _chengguan.Str("id") }));
            Assert.That(await IdsAsync(_supervisor, "q=%25"), Is.EqualTo(new[] { _chengguan.Str("id") }), "% is a character, not a wildcard");
            Assert.That(await IdsAsync(_supervisor, "q=_"), Is.Empty, "_ is a character, not a wildcard");
            Assert.That(await IdsAsync(_supervisor, "q=" + Uri.EscapeDataString("占道")), Is.EquivalentTo(new[] { _chengguan.Str("id"), _dongfeng.Str("id") }));
            Assert.That(await IdsAsync(_supervisor, "q=" + _qingshi.Str("id")), Is.EqualTo(new[] { _qingshi.Str("id") }), "the id itself");
            var from = Uri.EscapeDataString(_chengguan.Str("raisedAt"));
            var to = Uri.EscapeDataString(_dongfeng.Str("raisedAt"));
            Assert.That(await IdsAsync(_supervisor, $"from={from}&to={to}"), Is.EquivalentTo(new[] { _chengguan.Str("id"), _qingshi.Str("id") }));
        });
    }

    [Test]
    public async Task Should_list_as_overdue_only_the_whistles_with_a_duty_past_its_limit()
    {
        // An urgent street-vending duty must report within 60 minutes; a routine illegal construction within 240.
        Assert.That(await IdsAsync(_supervisor, "overdue=true"), Is.Empty);
        _clock.Shift(TimeSpan.FromMinutes(90));
        Assert.That(await IdsAsync(_supervisor, "overdue=true"), Is.EquivalentTo(new[] { _chengguan.Str("id"), _dongfeng.Str("id") }));
        Assert.That(await IdsAsync(_supervisor, "overdue=true&townshipId=dongfeng"), Is.EqualTo(new[] { _dongfeng.Str("id") }));
    }

    [Test]
    public async Task Should_keep_every_caller_in_its_own_scope()
    {
        using var qingshi = await _system.SignInAsync("township.qingshi");
        using var agency = await _system.SignInAsync("agency.natural-resources");
        Assert.Multiple(async () =>
        {
            Assert.That(await IdsAsync(qingshi, "townshipId=chengguan"), Is.Empty, "a township sees no other township's whistles through a filter");
            Assert.That(await IdsAsync(qingshi, ""), Is.EqualTo(new[] { _qingshi.Str("id") }));
            Assert.That(await IdsAsync(agency, "agencyCode=market-supervision"), Is.Empty, "an agency sees only whistles it has a duty on");
        });
    }

    [TestCase("townshipId=nowhere", "townshipId", ProblemCodes.Unknown)]
    [TestCase("agencyCode=nobody", "agencyCode", ProblemCodes.Unknown)]
    [TestCase("branchId=nobody.chengguan", "branchId", ProblemCodes.Unknown)]
    [TestCase("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to", ProblemCodes.EndBeforeStart)]
    [TestCase("q=%07bell", "q", ProblemCodes.ControlCharacter)]
    public async Task Should_refuse_a_filter_that_names_nothing_of_the_county(string query, string field, string code)
    {
        var (status, body, _) = await _supervisor.GetAsync($"/api/whistles?{query}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
        Assert.That(body!["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { field }));
        Assert.That(body["codes"]![field]![0]!.Str("code"), Is.EqualTo(code), body.ToJsonString());
    }
}

/// <summary>
/// Issue 13: a county bureau (agency) urges (催办) one of its own branches. The urge is on the timeline like the automatic
/// reminder, pushed live to the branch, counted and audited; another unit's duty, a duty that is over and a second urge
/// within ten minutes are refused and change nothing.
/// </summary>
[NonParallelizable]
public sealed class When_an_agency_urges_its_branch
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync();

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private async Task<JsonNode> RaiseAsync(string township, string matter)
    {
        using var client = await _system.SignInAsync($"township.{township}");
        var id = (await client.RaiseAsync(WhistleClient.Raise($"催办测试{Guid.NewGuid():N}"[..10], matter, "urgent"))).Str("id");
        return await client.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
    }

    private static string Duty(JsonNode whistle, string agency) => whistle["assignments"]!.AsArray().Single(a => a!.Str("agencyCode") == agency)!.Str("id");

    [Test]
    public async Task Should_record_push_count_and_audit_the_urge_of_its_own_branch()
    {
        var whistle = await RaiseAsync("liuhe", "street-vending");
        var duty = Duty(whistle, "urban-management");
        using var agency = await _system.SignInAsync("agency.urban-management");
        using var branch = await _system.SignInAsync("branch.urban-management.liuhe");
        await using var branchPush = await _system.ConnectAsync(branch);

        var (status, body, _) = await agency.PostAsync($"/api/assignments/{duty}/urge", new { note = "请半小时内到场" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());

        var pushed = await branchPush.WaitForAsync(e => e.Str("type") == "AssignmentReminded" && e["assignmentId"]?.GetValue<string>() == duty);
        var urged = body!["assignments"]!.AsArray().Single(a => a!.Str("id") == duty)!;
        var entry = body["timeline"]!.AsArray().Last(e => e!.Str("type") == "AssignmentReminded")!;
        Assert.Multiple(() =>
        {
            Assert.That(pushed["actor"]!.Str("userName"), Is.EqualTo("agency.urban-management"));
            Assert.That(pushed["step"]!.Str("phase"), Is.EqualTo("report"));
            Assert.That(pushed["step"]!["level"]!.GetValue<int>(), Is.Zero, "a reminder, not an escalation");
            Assert.That(pushed["note"]!.GetValue<string>(), Is.EqualTo("请半小时内到场"));
            Assert.That(urged["reminderCount"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(urged.Str("status"), Is.EqualTo("dispatched"), "an urge changes no state");
            Assert.That(entry["actor"]!.Str("orgId"), Is.EqualTo("urban-management"));
            Assert.That(entry["assignmentId"]!.GetValue<string>(), Is.EqualTo(duty));
        });

        using var auditor = await _system.SignInAsync("auditadmin");
        var (_, audit, _) = await auditor.GetAsync("/api/audit?action=urged&pageSize=100");
        Assert.That(audit!["items"]!.AsArray().Any(a => a!.Str("key") == duty && a!.Str("userName") == "agency.urban-management"), Is.True, audit.ToJsonString());

        // A second urge within ten minutes is refused: the branch's phone is not a bell to be rung at will.
        var (again, problem, _) = await agency.PostAsync($"/api/assignments/{duty}/urge", new { });
        Assert.That(again, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());
        Assert.That(problem!.Str("code"), Is.EqualTo(ProblemCodes.UrgedRecently));
        Assert.That(problem!["params"]!["minutes"]!.GetValue<int>(), Is.EqualTo(10));
        var after = (await agency.GetAsync($"/api/whistles/{whistle.Str("id")}")).Body!;
        Assert.That(after["assignments"]!.AsArray().Single(a => a!.Str("id") == duty)!["reminderCount"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Should_refuse_another_units_duty_its_own_office_and_a_duty_that_is_over()
    {
        var street = await RaiseAsync("baiyun", "street-vending");
        var fireworks = await RaiseAsync("baiyun", "illegal-fireworks");
        using var urban = await _system.SignInAsync("agency.urban-management");
        using var emergency = await _system.SignInAsync("agency.emergency-management");
        using var branch = await _system.SignInAsync("branch.urban-management.baiyun");
        using var market = await _system.SignInAsync("branch.market-supervision.baiyun");
        using var township = await _system.SignInAsync("township.baiyun");

        var marketDuty = Duty(street, "market-supervision");
        var urbanDuty = Duty(street, "urban-management");
        Assert.Multiple(async () =>
        {
            var (refused, refusal, _) = await urban.PostAsync($"/api/assignments/{marketDuty}/urge", new { });
            Assert.That(refused, Is.EqualTo(HttpStatusCode.Forbidden), "another agency's branch, on a whistle the agency sees");
            Assert.That(refusal?.Str("code"), Is.EqualTo(ProblemCodes.UrgeOwnBranches), refusal?.ToJsonString());
            Assert.That((await urban.PostAsync($"/api/assignments/{Duty(fireworks, "emergency-management")}/urge", new { })).Status, Is.EqualTo(HttpStatusCode.NotFound),
                "a whistle the agency has no duty on");
            Assert.That((await emergency.PostAsync($"/api/assignments/{Duty(fireworks, "emergency-management")}/urge", new { })).Status, Is.EqualTo(HttpStatusCode.Forbidden),
                "its own office's duty: it acts on it, it does not urge itself");
            Assert.That((await branch.PostAsync($"/api/assignments/{urbanDuty}/urge", new { })).Status, Is.EqualTo(HttpStatusCode.Forbidden), "a branch");
            Assert.That((await township.PostAsync($"/api/assignments/{urbanDuty}/urge", new { })).Status, Is.EqualTo(HttpStatusCode.Forbidden), "a township");
        });

        Assert.That((await branch.PostAsync($"/api/assignments/{urbanDuty}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await branch.PostAsync($"/api/assignments/{urbanDuty}/resolve", new { note = "已清理" })).Status, Is.EqualTo(HttpStatusCode.OK));
        var (over, problem, _) = await urban.PostAsync($"/api/assignments/{urbanDuty}/urge", new { });
        Assert.That(over, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());
        Assert.That(problem!.Str("code"), Is.EqualTo(ProblemCodes.AssignmentNotUrgeable), problem!.ToJsonString());
        var whistle = (await township.GetAsync($"/api/whistles/{street.Str("id")}")).Body!;
        Assert.That(whistle["timeline"]!.AsArray().Count(e => e!.Str("type") == "AssignmentReminded"), Is.Zero, "nothing refused was recorded");
    }
}

/// <summary>
/// Issue 13: the system administrator's "send a test notice": one delivery through the same sender and the same address
/// checks as every notice, tried once, in the channel's delivery log (newest first) and on the audit trail.
/// </summary>
[NonParallelizable]
public sealed class When_the_system_administrator_tests_a_notice_channel
{
    private readonly MappedNoticeHostResolver _resolver = new(new Dictionary<string, IPAddress[]> { ["rebind.test"] = [IPAddress.Parse("127.0.0.2")] });
    private WhistleSystem _system = null!;
    private NoticeReceiver _receiver = null!;
    private WhistleClient _sysadmin = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _receiver = await NoticeReceiver.StartAsync();
        // 127.0.0.1 is allowed (as a 政务外网 receiver on a private address would be); rebind.test resolves to 127.0.0.2, which is not.
        _system = await WhistleSystem.EmbeddedAsync(
            MappedNoticeHostResolver.Services(_resolver),
            Security.NoticeSteps.FastNotices(("Whistle:Notices:AllowedNetworks", "127.0.0.1/32"), ("Whistle:Notices:MaxAttempts", "8"), ("Whistle:Notices:RetryBaseDelay", "00:00:00.100")));
        _sysadmin = await _system.SignInAsync("sysadmin");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _sysadmin?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
    }

    [Test]
    public async Task Should_send_a_test_notice_and_show_it_first_in_the_delivery_log()
    {
        var (saved, body, _) = await Security.NoticeSteps.PutChannelAsync(_sysadmin, "test-allowed", "webhook", _receiver.Url("/test-allowed"), "urban-management.chengguan", secret: "s3cret");
        Assert.That(saved, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());

        var (status, _, response) = await _sysadmin.PostAsync("/api/notice-channels/test-allowed/test");
        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo("/api/notice-channels/test-allowed/deliveries"));

        var arrived = await _receiver.WaitForAsync("/test-allowed", "NoticeTest", succeeded: true);
        var delivery = await Security.NoticeSteps.SettledDeliveryAsync(_sysadmin, "test-allowed");
        Assert.Multiple(() =>
        {
            Assert.That(arrived.Headers["X-Whistle-Event"], Is.EqualTo("NoticeTest"));
            Assert.That(arrived.Headers.ContainsKey("X-Whistle-Signature"), Is.True, "signed like every notice");
            Assert.That(JsonNode.Parse(arrived.Body)!["note"]!.GetValue<string>(), Does.Contain("城关街道城管执法中队"));
            Assert.That(delivery.Str("eventType"), Is.EqualTo("NoticeTest"));
            Assert.That(delivery.Str("status"), Is.EqualTo("sent"));
        });

        using var auditor = await _system.SignInAsync("auditadmin");
        var (_, audit, _) = await auditor.GetAsync("/api/audit?action=test-sent&pageSize=100");
        Assert.That(audit!["items"]!.AsArray().Any(a => a!.Str("key") == "test-allowed" && a!.Str("userName") == "sysadmin"), Is.True, audit.ToJsonString());
    }

    [Test]
    public async Task Should_refuse_when_connecting_a_name_that_resolves_to_loopback_and_try_only_once()
    {
        var (saved, body, _) = await Security.NoticeSteps.PutChannelAsync(_sysadmin, "test-rebind", "webhook", $"http://rebind.test:{_receiver.Port}/test-rebind", "urban-management.qingshi");
        Assert.That(saved, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That((await _sysadmin.PostAsync("/api/notice-channels/test-rebind/test")).Status, Is.EqualTo(HttpStatusCode.Accepted));

        var delivery = await Security.NoticeSteps.SettledDeliveryAsync(_sysadmin, "test-rebind");
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Str("status"), Is.EqualTo("failed"), "a test is tried once, not retried for an hour");
            Assert.That(delivery["attempts"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(delivery.Str("lastError"), Does.Contain("rebind.test resolves to").And.Contain("Whistle:Notices:AllowedNetworks"));
            Assert.That(_receiver.Requests.Where(r => r.Path == "/test-rebind"), Is.Empty, "no connection was opened");
        });
    }

    [Test]
    public async Task Should_refuse_a_second_test_while_the_first_is_on_its_way()
    {
        var answer = new TaskCompletionSource();
        _receiver.Answer("/test-slow", async context =>
        {
            await answer.Task.WaitAsync(TimeSpan.FromSeconds(30));
            context.Response.StatusCode = 200;
        });
        Assert.That((await Security.NoticeSteps.PutChannelAsync(_sysadmin, "test-slow", "webhook", _receiver.Url("/test-slow"), "urban-management.dongfeng")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await _sysadmin.PostAsync("/api/notice-channels/test-slow/test")).Status, Is.EqualTo(HttpStatusCode.Accepted));
        await _receiver.WaitForAsync("/test-slow", "NoticeTest"); // the sender is waiting for the answer: the delivery is pending
        var (second, problem, _) = await _sysadmin.PostAsync("/api/notice-channels/test-slow/test");
        answer.SetResult();
        Assert.That(second, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());
        Assert.That(problem!.Str("code"), Is.EqualTo(ProblemCodes.NoticeTestPending));
        var delivery = await Security.NoticeSteps.SettledDeliveryAsync(_sysadmin, "test-slow");
        Assert.That(delivery.Str("status"), Is.EqualTo("sent"), "one delivery, the first");
    }

    [Test]
    public async Task Should_answer_404_for_a_channel_that_does_not_exist()
    {
        Assert.That((await _sysadmin.PostAsync("/api/notice-channels/no-such-channel/test")).Status, Is.EqualTo(HttpStatusCode.NotFound));
    }
}

/// <summary>
/// Issue 13: a meeting's decision is work due in days: its unit reports the day it expects to be done (or nothing), not
/// an ETA in minutes; the day lies between today and the decision's due day (Asia/Shanghai).
/// </summary>
[NonParallelizable]
public sealed class When_a_unit_reports_on_a_meeting_decision
{
    private readonly ShiftedClock _clock = new();
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock));

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_take_a_day_up_to_the_due_day_instead_of_minutes()
    {
        using var township = await _system.SignInAsync("township.liuhe");
        using var branch = await _system.SignInAsync("branch.urban-management.liuhe");
        var startsAt = _clock.GetUtcNow().AddHours(3);
        var meeting = (await township.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "柳河镇协调会", place = "镇政府会议室", startsAt, agencyCodes = new[] { "urban-management" },
        })).Body!.AsArray()[0]!;
        _clock.Shift(TimeSpan.FromHours(3.5));
        var due = _clock.GetUtcNow().AddDays(6);
        var (held, minutes, _) = await township.PostAsync($"/api/meetings/{meeting.Str("id")}/minutes", new
        {
            minutes = "议定事项如下。",
            decisions = new[] { new { text = "一周内清理柳河沿岸堆物", agencyCode = "urban-management", dueAt = due } },
        });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), minutes?.ToJsonString());
        var duty = minutes!["decisions"]![0]!.Str("assignmentId");
        var today = DateOnly.FromDateTime(_clock.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).DateTime);
        var dueDay = DateOnly.FromDateTime(due.ToOffset(TimeSpan.FromHours(8)).DateTime);
        string Day(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Multiple(async () =>
        {
            foreach (var (body, why, code) in new (object Body, string Why, string Code)[]
            {
                (new { expectedOn = Day(today.AddDays(-1)) }, "in the past", ProblemCodes.ExpectedDayInPast),
                (new { expectedOn = Day(dueDay.AddDays(1)) }, "after the due day", ProblemCodes.ExpectedDayAfterResolveBy),
                (new { expectedOn = "next week" }, "not a day", ProblemCodes.DateFormat),
                (new { expectedOn = Day(today.AddDays(2)), etaMinutes = 30 }, "both a day and minutes", ProblemCodes.EtaOrExpectedDay),
            })
            {
                var (status, problem, _) = await branch.PostAsync($"/api/assignments/{duty}/report", body);
                Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), why);
                Assert.That(problem?["errors"]?["expectedOn"], Is.Not.Null, why);
                Assert.That(problem?["codes"]?["expectedOn"]?[0]?.Str("code"), Is.EqualTo(code), why);
            }
        });

        var (reported, whistle, _) = await branch.PostAsync($"/api/assignments/{duty}/report", new { expectedOn = Day(dueDay), note = "周五前完成" });
        Assert.That(reported, Is.EqualTo(HttpStatusCode.OK), whistle?.ToJsonString());
        var assignment = whistle!["assignments"]!.AsArray().Single(a => a!.Str("id") == duty)!;
        Assert.Multiple(() =>
        {
            Assert.That(assignment.Str("expectedOn"), Is.EqualTo(Day(dueDay)));
            Assert.That(assignment["etaMinutes"], Is.Null);
        });
        var inbox = (await branch.GetAsync("/api/assignments?status=all")).Body!["items"]!.AsArray().Single(a => a!.Str("id") == duty)!;
        Assert.That(inbox.Str("expectedOn"), Is.EqualTo(Day(dueDay)));
    }
}

/// <summary>
/// Issue 13: the supervisor's map works on a county intranet without internet: the townships' boundaries come from the
/// county file (GeoJSON) and the tiles, where the county has a service, from <c>Whistle:Map:TileUrl</c> — allowed as
/// images by the Content-Security-Policy, and nothing else.
/// </summary>
[NonParallelizable]
public sealed class When_the_supervisor_opens_the_map
{
    private const string TianDiTu = "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=0123456789abcdef";

    [Test]
    public async Task Should_serve_every_demo_townships_boundary_and_no_tiles_when_none_is_set()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var supervisor = await system.SignInAsync("supervisor");
        var (status, map, response) = await supervisor.GetAsync("/api/map");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), map?.ToJsonString());
        var features = map!["boundaries"]!["features"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(map["tileUrl"], Is.Null);
            Assert.That(map["boundaries"]!.Str("type"), Is.EqualTo("FeatureCollection"));
            Assert.That(features.Select(f => f!["properties"]!.Str("township")), Is.EquivalentTo(new[] { "chengguan", "dongfeng", "qingshi", "liuhe", "shuangqiao", "baiyun" }));
            Assert.That(features.Select(f => f!["properties"]!.Str("name")), Does.Contain("城关街道"));
            Assert.That(features.All(f => f!["geometry"]!.Str("type") == "Polygon" && f["geometry"]!["coordinates"]![0]!.AsArray().Count >= 4), Is.True);
            Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("img-src 'self' data: blob:;"));
        });
        foreach (var role in new[] { "sysadmin", "secadmin", "auditadmin" })
        {
            using var admin = await system.SignInAsync(role);
            Assert.That((await admin.GetAsync("/api/map")).Status, Is.EqualTo(HttpStatusCode.Forbidden), role);
        }
    }

    [Test]
    public async Task Should_give_the_countys_tile_url_and_allow_only_its_servers_as_images()
    {
        await using var system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?> { ["Whistle:Map:TileUrl"] = TianDiTu });
        using var supervisor = await system.SignInAsync("supervisor");
        var (_, map, response) = await supervisor.GetAsync("/api/map");
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Multiple(() =>
        {
            Assert.That(map!.Str("tileUrl"), Is.EqualTo(TianDiTu));
            Assert.That(policy, Does.Contain("img-src 'self' data: blob: https://*.tianditu.gov.cn;"));
            Assert.That(policy, Does.Contain("connect-src 'self' ws: wss:;"), "tiles are images: nothing else may reach the tile host");
        });
    }

    [TestCase("ftp://tiles.example/{z}/{x}/{y}.png")]
    [TestCase("https://tiles.example/tiles.png")]
    [TestCase("/tiles/{z}/{x}/{y}.png")]
    public void Should_refuse_to_start_with_a_tile_url_that_is_no_xyz_address(string url)
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Map:TileUrl"] = url;
        var failure = Assert.CatchAsync(async () => await ApiHost.StartAsync(settings));
        Assert.That(failure!.ToString(), Does.Contain("Whistle:Map:TileUrl"));
    }
}
