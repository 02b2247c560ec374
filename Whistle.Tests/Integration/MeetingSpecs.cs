using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>Coordination meetings (协调会议): summons, answers, attendance, minutes, decisions followed like whistles.</summary>
[NonParallelizable]
public sealed class When_a_township_convenes_its_branches
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 1, 0, 0, TimeSpan.Zero); // a Monday, 09:00 in Shanghai
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync(
        s => s.AddSingleton<TimeProvider>(_clock),
        new Dictionary<string, string?> { ["Whistle:Auth:TokenLifetime"] = "60.00:00:00" }); // the fake clock moves days

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private static object Meeting(DateTimeOffset startsAt, string[] agencies, object? recurrence = null) => new
    {
        kind = "regular",
        title = "11月派驻机构协调会",
        agenda = "一、通报上月吹哨报到情况\n二、研究河道整治方案",
        place = "东风街道办事处三楼会议室",
        startsAt,
        agencyCodes = agencies,
        recurrence,
    };

    [Test]
    public async Task Should_summon_only_the_units_named_and_follow_every_answer_live()
    {
        using var township = await _system.SignInAsync("township.dongfeng");
        using var um = await _system.SignInAsync("branch.urban-management.dongfeng");
        using var eco = await _system.SignInAsync("branch.ecology-environment.dongfeng");
        using var outsider = await _system.SignInAsync("branch.urban-management.chengguan");
        using var otherTownship = await _system.SignInAsync("township.chengguan");
        await using var umPush = await _system.ConnectAsync(um);
        await using var ecoPush = await _system.ConnectAsync(eco);
        await using var outsiderPush = await _system.ConnectAsync(outsider);
        await using var townshipPush = await _system.ConnectAsync(township);

        var startsAt = _clock.GetUtcNow().AddDays(3);
        var (status, created, response) = await township.PostAsync("/api/meetings", Meeting(startsAt, ["urban-management", "ecology-environment"]));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), created?.ToJsonString());
        var meeting = created!.AsArray().Single()!;
        var id = meeting.Str("id");
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/api/meetings/{id}"));
        var summons = meeting["summons"]!.AsArray().Select(s => s!).ToList();
        Assert.That(summons.Select(s => s.Str("branchId")), Is.EquivalentTo(new[] { "urban-management.dongfeng", "ecology-environment.dongfeng" }));
        Assert.That(DateTimeOffset.Parse(meeting.Str("confirmBy"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(startsAt.AddHours(-2)));

        var notice = await umPush.WaitForAsync("MeetingScheduled", id);
        Assert.That(notice["whistle"], Is.Null);
        Assert.That(notice["meeting"]!.Str("title"), Is.EqualTo("11月派驻机构协调会"));
        await ecoPush.WaitForAsync("MeetingScheduled", id);

        // The branch confirms who will come; the other cannot come and says why.
        string Of(string branch) => summons.Single(s => s.Str("branchId") == branch).Str("id");
        var (confirmed, body, _) = await um.PostAsync($"/api/meetings/{id}/summons/{Of("urban-management.dongfeng")}/confirm", new { attendee = "王队长、李队员" });
        Assert.That(confirmed, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That((await um.PostAsync($"/api/meetings/{id}/summons/{Of("urban-management.dongfeng")}/confirm", new { attendee = "x" })).Status, Is.EqualTo(HttpStatusCode.Conflict), "answered once");
        Assert.That((await um.PostAsync($"/api/meetings/{id}/summons/{Of("ecology-environment.dongfeng")}/decline", new { reason = "x" })).Status, Is.EqualTo(HttpStatusCode.Forbidden), "another unit's summons");
        Assert.That((await eco.PostAsync($"/api/meetings/{id}/summons/{Of("ecology-environment.dongfeng")}/decline", new { reason = "" })).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await eco.PostAsync($"/api/meetings/{id}/summons/{Of("ecology-environment.dongfeng")}/decline", new { reason = "同日县局专项执法检查" })).Status, Is.EqualTo(HttpStatusCode.OK));
        var confirmedPush = await townshipPush.WaitForAsync("MeetingSummonsConfirmed", id);
        Assert.That(confirmedPush["meeting"]!["summons"]!.Str("attendee"), Is.EqualTo("王队长、李队员"));
        await townshipPush.WaitForAsync("MeetingSummonsDeclined", id);

        // Another township's branch, and the other township, see nothing of it.
        Assert.That((await outsider.GetAsync($"/api/meetings/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await otherTownship.GetAsync($"/api/meetings/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await outsider.GetAsync("/api/meetings?status=all")).Body!["items"]!.AsArray().Select(m => m!.Str("id")), Does.Not.Contain(id));
        Assert.That((await outsiderPush.CatchUpAsync(0)).Where(e => e.Str("whistleId") == id), Is.Empty);
        Assert.That(outsiderPush.Received.Where(e => e.Str("whistleId") == id), Is.Empty);

        // The calendar.
        var ics = await township.Http.GetStringAsync($"/api/meetings/{id}/ics");
        Assert.Multiple(() =>
        {
            Assert.That(ics, Does.StartWith("BEGIN:VCALENDAR\r\n"));
            Assert.That(ics, Does.Contain($"DTSTART:{startsAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}\r\n"));
            Assert.That(ics, Does.Contain("SUMMARY:11月派驻机构协调会\r\n"));
            Assert.That(ics, Does.Contain("PARTSTAT=ACCEPTED").And.Contain("PARTSTAT=DECLINED"));
            Assert.That(ics.Split("\r\n").All(l => System.Text.Encoding.UTF8.GetByteCount(l) <= 75), Is.True, "lines folded at 75 octets");
        });
    }

    [Test]
    public async Task Should_record_attendance_and_turn_decisions_into_assignments_that_remind_and_escalate()
    {
        using var township = await _system.SignInAsync("township.qingshi");
        using var um = await _system.SignInAsync("branch.urban-management.qingshi");
        using var health = await _system.SignInAsync("branch.health.qingshi");
        var startsAt = _clock.GetUtcNow().AddDays(1);
        var meeting = (await township.PostAsync("/api/meetings", Meeting(startsAt, ["urban-management", "health", "agriculture"]))).Body!.AsArray()[0]!;
        var id = meeting.Str("id");
        var summons = meeting["summons"]!.AsArray().Select(s => s!).ToDictionary(s => s.Str("agencyCode"), s => s.Str("id"));
        Assert.That((await um.PostAsync($"/api/meetings/{id}/summons/{summons["urban-management"]}/confirm", new { attendee = "赵中队长" })).Status, Is.EqualTo(HttpStatusCode.OK));

        _clock.Advance(TimeSpan.FromDays(1).Add(TimeSpan.FromMinutes(30))); // half an hour into the meeting
        Assert.That((await um.PostAsync($"/api/meetings/{id}/attendance", new { entries = Array.Empty<object>() })).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        var (recorded, afterAttendance, _) = await township.PostAsync($"/api/meetings/{id}/attendance", new
        {
            entries = new object[]
            {
                new { summonsId = summons["urban-management"], attendance = "present" },
                new { summonsId = summons["health"], attendance = "late", checkedInAt = startsAt.AddMinutes(20) },
                new { summonsId = summons["agriculture"], attendance = "absent" },
            },
        });
        Assert.That(recorded, Is.EqualTo(HttpStatusCode.OK), afterAttendance?.ToJsonString());
        var byAgency = afterAttendance!["summons"]!.AsArray().ToDictionary(s => s!.Str("agencyCode"), s => s!);
        Assert.Multiple(() =>
        {
            Assert.That(byAgency["urban-management"].Str("attendance"), Is.EqualTo("present"));
            Assert.That(byAgency["health"].Str("checkedInAt"), Does.StartWith(startsAt.AddMinutes(20).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(byAgency["agriculture"]["checkedInAt"], Is.Null);
        });

        var due = _clock.GetUtcNow().AddDays(3);
        await using var umPush = await _system.ConnectAsync(um);
        var (held, minutes, _) = await township.PostAsync($"/api/meetings/{id}/minutes", new
        {
            minutes = "会议通报了青石镇河道整治进展，议定以下事项。",
            decisions = new object[]
            {
                new { text = "三日内清理青石河沿岸违建棚屋", agencyCode = "urban-management", dueAt = due },
                new { text = "对沿河餐饮店开展卫生检查", agencyCode = "health", dueAt = due.AddDays(4) },
            },
        });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), minutes?.ToJsonString());
        Assert.That(minutes!.Str("status"), Is.EqualTo("held"));
        var decision = minutes!["decisions"]!.AsArray().Single(d => d!.Str("agencyCode") == "urban-management")!;
        Assert.That((await township.PostAsync($"/api/meetings/{id}/minutes", new { minutes = "again" })).Status, Is.EqualTo(HttpStatusCode.Conflict));

        // The decision is an assignment in the branch's inbox, pushed live, with the decision's due date as resolve-by.
        var pushed = await umPush.WaitForAsync("AssignmentDispatched", decision.Str("whistleId"));
        Assert.That(pushed["assignment"]!.Str("id"), Is.EqualTo(decision.Str("assignmentId")));
        var (_, inbox, _) = await um.GetAsync("/api/assignments");
        var item = inbox!["items"]!.AsArray().Single(a => a!.Str("id") == decision.Str("assignmentId"))!;
        Assert.Multiple(() =>
        {
            Assert.That(DateTimeOffset.Parse(item.Str("resolveBy"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(due));
            Assert.That(item["whistle"]!.Str("matterCode"), Is.EqualTo("meeting-decision"));
            Assert.That(item["whistle"]!.Str("title"), Is.EqualTo("三日内清理青石河沿岸违建棚屋"));
        });

        // Followed like any other: reminded at half the report limit (one day), escalated at report-by.
        var scheduler = _system.Apis[0].Services.GetRequiredService<DeadlineScheduler>();
        _clock.Advance(TimeSpan.FromHours(12));
        await scheduler.RunDueAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(12));
        await scheduler.RunDueAsync(CancellationToken.None);
        var steps = (await DutySteps.ReadAsync(_system, township, decision.Str("assignmentId")))
            .Where(e => e.Str("type") is "AssignmentReminded" or "AssignmentEscalated").Select(e => e.Str("type")).ToList();
        Assert.That(steps, Is.EqualTo(new[] { "AssignmentReminded", "AssignmentEscalated" }));
        Assert.That((await um.PostAsync($"/api/assignments/{decision.Str("assignmentId")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await um.PostAsync($"/api/assignments/{decision.Str("assignmentId")}/resolve", new { note = "违建已全部清理" })).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    /// <summary>
    /// Issue 12: a decision's whistle was inserted as already dispatched and never published <c>WhistleRaised</c>; now it is
    /// raised and dispatched through the one path every whistle takes, and its timeline and outbox read as any whistle's.
    /// </summary>
    [Test]
    public async Task Should_raise_and_dispatch_a_decisions_whistle_through_the_path_every_whistle_takes()
    {
        using var township = await _system.SignInAsync("township.liuhe");
        var raised = (await township.RaiseAsync(WhistleClient.Raise("六合镇集贸市场占道经营", "street-vending", "routine"))).Str("id");
        await township.WaitForWhistleAsync(raised, w => w.Str("status") == "dispatched");
        var meeting = (await township.PostAsync("/api/meetings", Meeting(_clock.GetUtcNow().AddHours(3), ["urban-management"]))).Body!.AsArray()[0]!;
        _clock.Advance(TimeSpan.FromHours(4));
        var (held, minutes, _) = await township.PostAsync($"/api/meetings/{meeting.Str("id")}/minutes", new
        {
            minutes = "议定集贸市场周边整治事项。",
            decisions = new object[] { new { text = "一周内规范集贸市场周边摊点", agencyCode = "urban-management", dueAt = _clock.GetUtcNow().AddDays(7) } },
        });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), minutes?.ToJsonString());
        var decided = minutes!["decisions"]!.AsArray().Single()!.Str("whistleId");

        // Its WhistleRaised is published like every whistle's; the dispatcher takes it and finds the whistle dispatched already.
        var message = await OutboxMessageAsync(decided);
        Assert.That(message, Is.Not.Null, "a decision's whistle publishes WhistleRaised");
        await WaitForAsync(() => _system.Database.ReadAsync(
            c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE message_id = @Id AND consumer = 'WhistleRaisedConsumer'", new { Id = message }),
            CancellationToken.None), n => n == 1);

        var decision = await township.WaitForWhistleAsync(decided, w => w.Str("status") == "dispatched");
        var ordinary = (await township.GetAsync($"/api/whistles/{raised}")).Body!;
        // The events of raising and dispatching (a township's whistle may have been reminded since: the fixture's clock moves).
        static bool OfDispatch(string type) => type is "WhistleRaised" or "AssignmentDispatched";
        static List<string> Types(JsonNode whistle) => whistle["timeline"]!.AsArray().Select(e => e!.Str("type")).Where(OfDispatch).Distinct().ToList();
        var (decidedStatuses, raisedStatuses, raisedMessage) = (await StatusesAsync(decided), await StatusesAsync(raised), await OutboxMessageAsync(raised));
        Assert.Multiple(() =>
        {
            Assert.That(decision["assignments"]!.AsArray(), Has.Count.EqualTo(1), "the consumer dispatched nothing more");
            Assert.That(decision["assignments"]![0]!.Str("branchId"), Is.EqualTo("urban-management.liuhe"));
            Assert.That(Types(decision), Is.EqualTo(new[] { "WhistleRaised", "AssignmentDispatched" }));
            Assert.That(Types(decision), Is.EqualTo(Types(ordinary)), "the same events in the same order as a township's whistle");
            // Each event carries the whistle as it was: raised when it was raised, dispatched when a unit was summoned.
            Assert.That(decidedStatuses, Is.EqualTo(raisedStatuses).And.EqualTo(new[] { "WhistleRaised:raised", "AssignmentDispatched:dispatched" }));
            Assert.That(raisedMessage, Is.Not.Null);
        });

        // On the audit trail under its own key, as a township's raise is: who raised it, from which meeting, for whom.
        var audited = (await _system.Database.ReadAsync(
            c => c.QueryAsync<(string Action, string UserName, string After)>(
                "SELECT action AS Action, user_name AS UserName, after_json AS After FROM audit_log WHERE entity = 'whistle' AND entity_key = @Id", new { Id = decided }),
            CancellationToken.None)).ToList();
        Assert.That(audited.Select(a => (a.Action, a.UserName)), Is.EqualTo(new[] { ("raised", "township.liuhe") }));
        var after = JsonNode.Parse(audited[0].After)!;
        Assert.Multiple(() =>
        {
            Assert.That(after.Str("meetingId"), Is.EqualTo(meeting.Str("id")));
            Assert.That(after.Str("responsible"), Is.EqualTo("urban-management.liuhe"));
        });
    }

    private async Task<string?> OutboxMessageAsync(string whistleId) =>
        await _system.Database.ReadAsync(
            c => c.ExecuteScalarAsync<string?>("SELECT message_id FROM outbox WHERE message_type = 'WhistleRaised' AND body LIKE @Like", new { Like = $"%{whistleId}%" }),
            CancellationToken.None);

    /// <summary>Each kind of event of the whistle with the whistle's status it carries, in order (one per kind).</summary>
    private async Task<List<string>> StatusesAsync(string whistleId) =>
        (await _system.Database.ReadAsync(c => c.QueryAsync<string>("SELECT payload FROM timeline WHERE whistle_id = @Id ORDER BY sequence", new { Id = whistleId }), CancellationToken.None))
            .Select(p => JsonNode.Parse(p)!)
            .Where(e => e.Str("type") is "WhistleRaised" or "AssignmentDispatched")
            .Select(e => $"{e.Str("type")}:{e["whistle"]!.Str("status")}")
            .Distinct()
            .ToList();

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"still {value} after 30 s");
            await Task.Delay(50);
        }
    }

    [Test]
    public async Task Should_generate_the_occurrences_of_a_recurring_meeting()
    {
        using var township = await _system.SignInAsync("township.baiyun");
        var startsAt = new DateTimeOffset(2026, 11, 20, 1, 30, 0, TimeSpan.Zero);
        var (status, created, _) = await township.PostAsync("/api/meetings", Meeting(startsAt, ["natural-resources"], new { every = "month", count = 3 }));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), created?.ToJsonString());
        var meetings = created!.AsArray().Select(m => m!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(meetings.Select(m => DateTimeOffset.Parse(m.Str("startsAt"), System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(new[] { startsAt, startsAt.AddMonths(1), startsAt.AddMonths(2) }));
            Assert.That(meetings.Select(m => m.Str("seriesId")).Distinct().Count(), Is.EqualTo(1));
            Assert.That(meetings.Select(m => m["summons"]!.AsArray()[0]!.Str("id")), Is.Unique);
            Assert.That(meetings.Select(m => m["summons"]!.AsArray()[0]!.Str("branchId")), Is.All.EqualTo("natural-resources.baiyun"));
        });
        var (bad, problem, _) = await township.PostAsync("/api/meetings", Meeting(startsAt, ["natural-resources"], new { every = "year", count = 30 }));
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem!["errors"]!["recurrence"], Is.Not.Null);
        var (past, _, _) = await township.PostAsync("/api/meetings", Meeting(_clock.GetUtcNow().AddHours(-1), ["natural-resources"]));
        Assert.That(past, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Should_page_the_meetings_like_the_whistles()
    {
        // Issue 11 (finding 10): GET /api/meetings pages as GET /api/whistles does; every meeting is on some page.
        using var township = await _system.SignInAsync("township.shuangqiao");
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (status, body, _) = await township.PostAsync("/api/meetings", Meeting(_clock.GetUtcNow().AddDays(2 + i), ["health"], new { every = "week", count = 8 }));
            Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
            created.AddRange(body!.AsArray().Select(m => m!.Str("id")));
        }

        var seen = new List<JsonNode>();
        for (var page = 1; page <= 3; page++)
        {
            var (status, body, _) = await township.GetAsync($"/api/meetings?status=upcoming&page={page}&pageSize=10");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            Assert.That(body!["total"]!.GetValue<int>(), Is.EqualTo(24));
            Assert.That(body["pageSize"]!.GetValue<int>(), Is.EqualTo(10));
            Assert.That(body["items"]!.AsArray(), Has.Count.EqualTo(page < 3 ? 10 : 4));
            seen.AddRange(body["items"]!.AsArray().Select(m => m!));
        }

        var starts = seen.Select(m => DateTimeOffset.Parse(m.Str("startsAt"), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(seen.Select(m => m.Str("id")), Is.EquivalentTo(created), "every meeting once");
            Assert.That(starts, Is.Ordered.Ascending, "upcoming: the soonest first");
        });
        var (_, defaults, _) = await township.GetAsync("/api/meetings");
        Assert.That(defaults!["items"]!.AsArray(), Has.Count.EqualTo(20), "20 a page unless asked");
        Assert.That((await township.GetAsync($"/api/meetings?pageSize={101}")).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await township.GetAsync("/api/meetings?page=0")).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        var (_, beyond, _) = await township.GetAsync($"/api/meetings?page={int.MaxValue}&pageSize=100");
        Assert.That(beyond!["items"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Should_count_attendance_in_the_assessment()
    {
        // A scripted month in 柳河: three meetings summon its 城管 branch. It confirms the first on time and comes,
        // confirms the second late and comes late, never answers the third and is absent.
        using var township = await _system.SignInAsync("township.liuhe");
        using var um = await _system.SignInAsync("branch.urban-management.liuhe");
        using var supervisor = await _system.SignInAsync("supervisor");
        var ids = new List<(string Meeting, string Summons)>();
        for (var i = 0; i < 3; i++)
        {
            var m = (await township.PostAsync("/api/meetings", Meeting(_clock.GetUtcNow().AddDays(1).AddHours(3 * i), ["urban-management"]))).Body!.AsArray()[0]!;
            ids.Add((m.Str("id"), m["summons"]!.AsArray()[0]!.Str("id")));
        }

        var month = _clock.GetUtcNow().AddHours(8).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.That((await um.PostAsync($"/api/meetings/{ids[0].Meeting}/summons/{ids[0].Summons}/confirm", new { attendee = "赵" })).Status, Is.EqualTo(HttpStatusCode.OK));
        _clock.Advance(TimeSpan.FromDays(1).Add(TimeSpan.FromHours(2))); // past the second meeting's confirm-by (its start − 2 h), before its start
        Assert.That((await um.PostAsync($"/api/meetings/{ids[1].Meeting}/summons/{ids[1].Summons}/confirm", new { attendee = "赵" })).Status, Is.EqualTo(HttpStatusCode.OK));
        _clock.Advance(TimeSpan.FromHours(5)); // all three have begun: attendance is recorded only then
        foreach (var (meeting, summons, attendance) in new[] { (ids[0].Meeting, ids[0].Summons, "present"), (ids[1].Meeting, ids[1].Summons, "late"), (ids[2].Meeting, ids[2].Summons, "absent") })
        {
            Assert.That((await township.PostAsync($"/api/meetings/{meeting}/attendance", new { entries = new[] { new { summonsId = summons, attendance } } })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        var (_, report, _) = await supervisor.GetAsync($"/api/stats/assessment?period=month&date={month}");
        var unit = report!["branches"]!.AsArray().Single(u => u!.Str("unitId") == "urban-management.liuhe")!;
        Assert.That(new[] { "meetingsSummoned", "confirmedOnTime", "reportedIn", "late", "absent" }.Select(f => unit[f]!.GetValue<int>()), Is.EqualTo(new[] { 3, 1, 2, 1, 1 }));
        var (_, own, _) = await township.GetAsync($"/api/stats/assessment?period=month&date={month}");
        Assert.That(own!["branches"]!.AsArray().Single(u => u!.Str("unitId") == "urban-management.liuhe")!["meetingsSummoned"]!.GetValue<int>(), Is.EqualTo(3));
    }

    /// <summary>
    /// Issue 13: attendance and minutes were accepted three hours before the meeting began ("迟到 00:15"), and the
    /// decision text dated the meeting by its UTC day. What cannot have happened yet is refused (409, saying when the
    /// meeting begins, in the county's time); every date in a generated text is Asia/Shanghai's.
    /// </summary>
    [Test]
    public async Task Should_refuse_attendance_and_minutes_before_the_start_and_date_decisions_in_Shanghai()
    {
        using var township = await _system.SignInAsync("township.shuangqiao");
        // 07:30 in Shanghai is 23:30 UTC of the day before: the first such moment at least three hours from now.
        var now = _clock.GetUtcNow();
        var startsAt = new DateTimeOffset(now.UtcDateTime.Date.AddHours(23).AddMinutes(30), TimeSpan.Zero);
        if (startsAt < now.AddHours(3)) startsAt = startsAt.AddDays(1);
        var meeting = (await township.PostAsync("/api/meetings", Meeting(startsAt, ["urban-management"]))).Body!.AsArray()[0]!;
        var (id, summons) = (meeting.Str("id"), meeting["summons"]!.AsArray()[0]!.Str("id"));
        var shanghai = startsAt.ToOffset(TimeSpan.FromHours(8));
        Assert.That(shanghai.Date, Is.Not.EqualTo(startsAt.UtcDateTime.Date), "the test needs a start whose UTC day differs");

        object Minutes() => new
        {
            minutes = "议定事项如下。",
            decisions = new[] { new { text = "清理双桥集镇主街", agencyCode = "urban-management", dueAt = startsAt.AddDays(5) } },
        };

        var (early, problem, _) = await township.PostAsync($"/api/meetings/{id}/attendance", new { entries = new[] { new { summonsId = summons, attendance = "late" } } });
        Assert.That(early, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());
        Assert.That(problem!.Str("detail"), Does.Contain("has not begun").And.Contain(shanghai.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        var (earlyMinutes, minutesProblem, _) = await township.PostAsync($"/api/meetings/{id}/minutes", Minutes());
        Assert.That(earlyMinutes, Is.EqualTo(HttpStatusCode.Conflict), minutesProblem?.ToJsonString());
        var untouched = (await township.GetAsync($"/api/meetings/{id}")).Body!;
        Assert.Multiple(() =>
        {
            Assert.That(untouched.Str("status"), Is.EqualTo("scheduled"));
            Assert.That(untouched["summons"]![0]!["attendance"], Is.Null);
        });

        // Fifteen minutes after the start: a check-in may not lie in the future; then the unit is late, the minutes are taken.
        _clock.Advance(startsAt.AddMinutes(15) - now);
        var (future, futureProblem, _) = await township.PostAsync($"/api/meetings/{id}/attendance", new
        {
            entries = new[] { new { summonsId = summons, attendance = "late", checkedInAt = startsAt.AddMinutes(30) } },
        });
        Assert.That(future, Is.EqualTo(HttpStatusCode.BadRequest), futureProblem?.ToJsonString());
        Assert.That(futureProblem!["errors"]!["entries[0].checkedInAt"], Is.Not.Null);
        Assert.That((await township.PostAsync($"/api/meetings/{id}/attendance", new { entries = new[] { new { summonsId = summons, attendance = "late" } } })).Status, Is.EqualTo(HttpStatusCode.OK));
        var (held, body, _) = await township.PostAsync($"/api/meetings/{id}/minutes", Minutes());
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var whistle = (await township.GetAsync($"/api/whistles/{body!["decisions"]![0]!.Str("whistleId")}")).Body!;
        Assert.That(whistle.Str("description"), Does.Contain($"（{shanghai:yyyy-MM-dd}）").And.Not.Contain($"（{startsAt.UtcDateTime:yyyy-MM-dd}）"));
    }
}
