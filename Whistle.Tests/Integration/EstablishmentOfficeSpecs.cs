using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Core.Problems;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 17, the establishment office (编办) on a fake clock: it sees every relation with its mechanism ticked or crossed,
/// its activity and figures; it follows up the one whose mechanism is missing (to the relation's lead department, seen by
/// its institution, nobody else), the follow-up is reminded and escalated on its limit, answered by the department, and
/// closed when the department and the office have recorded the missing records. Joint meetings (联席会议) convened by a
/// department or an institution are seen by their participants only, and their decisions become work requests on the
/// relation. On SQLite and on PostgreSQL.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_the_establishment_office_follows_up_a_missing_mechanism(string database)
{
    // 2026-06-01 09:00 in Shanghai.
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 1, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;

    private FollowUpScheduler Scheduler => _system.Apis[0].Services.GetRequiredService<FollowUpScheduler>();

    [OneTimeSetUp]
    public async Task Start() =>
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock), database: database);

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private static JsonNode Relation(JsonNode view, string id) =>
        view["relations"]!.AsArray().Single(r => r!["relation"]!.Str("id") == id)!;

    private static IEnumerable<string> Codes(JsonNode? problem, string field) =>
        problem!["codes"]![field]!.AsArray().Select(c => c!.Str("code"));

    /// <summary>
    /// A meeting a department convenes with institutions of its relations, three hours ahead and never held (the office's
    /// view counts held meetings only): a later event that the department and the institutions hear.
    /// </summary>
    /// <summary>
    /// Each outsider (the water department, another department, another institution, a township) hears a later event of
    /// its own — a meeting of its own, a whistle of its own — and so would have heard <paramref name="id"/>'s before it:
    /// none of them has anything about it.
    /// </summary>
    private async Task AssertOutsidersHeardNothingAsync(
        string id, string what, WhistleClient ndrc, WhistleClient water, WhistleClient township,
        (string Name, PushClient Push) waterOutsider, PushClient ndrcPush, PushClient otherInstitutionPush, PushClient townshipPush)
    {
        var ndrcMeeting = await ConveneAsync(ndrc, "credit-center");
        var waterMeeting = await ConveneAsync(water, "construction-quality-center");
        var vending = (await township.RaiseAsync(WhistleClient.Raise("占道经营", "street-vending", "routine"))).Str("id");
        await ndrcPush.WaitForAsync("MeetingScheduled", ndrcMeeting);
        await otherInstitutionPush.WaitForAsync("MeetingScheduled", ndrcMeeting);
        await waterOutsider.Push.WaitForAsync("MeetingScheduled", waterMeeting);
        await townshipPush.WaitForAsync("AssignmentDispatched", vending);
        Assert.Multiple(() =>
        {
            foreach (var (name, push) in new[] { waterOutsider, ("another department", ndrcPush), ("another institution", otherInstitutionPush), ("a township", townshipPush) })
            {
                Assert.That(push.ReceivedAbout(id), Is.Empty, $"{name} heard nothing of the {what} live");
            }
        });
    }

    private async Task<string> ConveneAsync(WhistleClient department, params string[] institutionIds)
    {
        var (status, meetings, _) = await department.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "工作会商", place = "会议室", startsAt = _clock.GetUtcNow().AddHours(3), institutionIds,
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), meetings?.ToJsonString());
        return meetings!.AsArray()[0]!.Str("id");
    }

    [Test, Order(1)]
    public async Task Should_follow_up_the_relation_whose_mechanism_is_missing_until_it_is_complete()
    {
        using var office = await _system.SignInAsync("establishment-office");
        using var housing = await _system.SignInAsync("department.city-housing");
        using var water = await _system.SignInAsync("department.city-water");
        using var ndrc = await _system.SignInAsync("department.city-ndrc");
        using var institution = await _system.SignInAsync("institution.construction-quality-center");
        using var otherInstitution = await _system.SignInAsync("institution.credit-center");
        using var township = await _system.SignInAsync("township.chengguan");
        await using var housingPush = await _system.ConnectAsync(housing);
        await using var institutionPush = await _system.ConnectAsync(institution);
        await using var ndrcPush = await _system.ConnectAsync(ndrc);
        await using var waterPush = await _system.ConnectAsync(water);
        await using var otherInstitutionPush = await _system.ConnectAsync(otherInstitution);
        await using var townshipPush = await _system.ConnectAsync(township);

        // The office's view: five relations, one missing its decision rule and document flow.
        var (viewed, view, _) = await office.GetAsync("/api/city/office");
        Assert.That(viewed, Is.EqualTo(HttpStatusCode.OK), view?.ToJsonString());
        var missing = Relation(view!, "construction-guidance");
        Assert.Multiple(() =>
        {
            Assert.That(view!["relations"]!.AsArray(), Has.Count.EqualTo(5));
            Assert.That(view!["inPlace"]!.GetValue<int>(), Is.EqualTo(4));
            Assert.That(view!["missingCount"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(missing["missing"]!.AsArray().Select(m => m!.GetValue<string>()), Is.EqualTo(new[] { "decision-rule", "document-flow" }));
            Assert.That(missing["relation"]!["mechanismInPlace"]!.GetValue<bool>(), Is.False);
            Assert.That(missing["followUp"], Is.Null);
            Assert.That(Relation(view!, "ndrc-credit")["relation"]!["mechanismInPlace"]!.GetValue<bool>(), Is.True);
        });

        // Only the office (and the supervisors) read the view; only the office follows up; nothing to follow up where the mechanism is in place.
        Assert.That((await housing.GetAsync("/api/city/office")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        // Within the tokens' twelve hours of the fake clock: a limit of eight hours.
        var due = T0.AddHours(8);
        var (byDepartment, refused, _) = await housing.PostAsync("/api/city/follow-ups", new { relationId = "construction-guidance", dueAt = due });
        Assert.That((byDepartment, refused!.Str("code")), Is.EqualTo((HttpStatusCode.Forbidden, ProblemCodes.EstablishmentOfficeFollowsUp)));
        var (inPlace, inPlaceBody, _) = await office.PostAsync("/api/city/follow-ups", new { relationId = "ndrc-credit", dueAt = due });
        Assert.That((inPlace, inPlaceBody!.Str("code")), Is.EqualTo((HttpStatusCode.Conflict, ProblemCodes.MechanismInPlace)));
        var (past, pastBody, _) = await office.PostAsync("/api/city/follow-ups", new { relationId = "construction-guidance", dueAt = T0.AddMinutes(-1) });
        Assert.That(past, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Codes(pastBody, "dueAt"), Does.Contain(ProblemCodes.DueInPast));

        // The follow-up: to the lead department, naming the missing records, with a limit; pushed to it and the institution.
        var (raised, followUp, _) = await office.PostAsync("/api/city/follow-ups", new { relationId = "construction-guidance", dueAt = due, note = "请于今日内补齐议事规则和公文流转制度" });
        Assert.That(raised, Is.EqualTo(HttpStatusCode.Created), followUp?.ToJsonString());
        var id = followUp!.Str("id");
        Assert.Multiple(() =>
        {
            Assert.That(followUp!.Str("departmentId"), Is.EqualTo("city-housing"));
            Assert.That(followUp!.Str("institutionId"), Is.EqualTo("construction-quality-center"));
            Assert.That(followUp!.Str("status"), Is.EqualTo("open"));
            Assert.That(followUp!["missing"]!.AsArray().Select(m => m!.GetValue<string>()), Is.EqualTo(new[] { "decision-rule", "document-flow" }));
        });
        await housingPush.WaitForAsync("FollowUpRaised", id);
        await institutionPush.WaitForAsync("FollowUpRaised", id);
        var (again, againBody, _) = await office.PostAsync("/api/city/follow-ups", new { relationId = "construction-guidance", dueAt = due });
        Assert.That((again, againBody!.Str("code")), Is.EqualTo((HttpStatusCode.Conflict, ProblemCodes.FollowUpOpen)));

        // Nobody else sees it: not the guiding member department, not another department, not another institution.
        foreach (var outsider in new[] { water, ndrc, otherInstitution })
        {
            Assert.That((await outsider.GetAsync($"/api/city/follow-ups/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
            var (_, list, _) = await outsider.GetAsync("/api/city/follow-ups");
            Assert.That(list!.AsArray().Select(f => f!.Str("id")), Does.Not.Contain(id));
        }

        foreach (var push in new[] { ndrcPush, waterPush, otherInstitutionPush, townshipPush })
        {
            Assert.That((await push.CatchUpAsync(0)).Where(e => (string?)e["whistleId"] == id), Is.Empty);
        }

        // Its chain on the fake clock: a reminder halfway, an escalation at the limit.
        _clock.Advance(TimeSpan.FromHours(4) + TimeSpan.FromMinutes(1));
        await Scheduler.RunDueAsync(CancellationToken.None);
        await housingPush.WaitForAsync("FollowUpReminded", id);
        _clock.SetUtcNow(due.AddMinutes(1));
        await Scheduler.RunDueAsync(CancellationToken.None);
        await housingPush.WaitForAsync("FollowUpEscalated", id);
        var (_, late, _) = await office.GetAsync($"/api/city/follow-ups/{id}");
        Assert.Multiple(() =>
        {
            Assert.That(late!["reminderCount"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(late!["escalationCount"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(late!["overdue"]!.GetValue<bool>(), Is.True);
        });

        // Only the lead department or the office records the mechanism; the member department and the institution are refused.
        var record = new { title = "重要事项议事规则", body = "重大事项由住建局牵头会商决定", reference = "云住建〔2026〕12号" };
        foreach (var refusedKeeper in new[] { water, institution })
        {
            var (status, body, _) = await refusedKeeper.SendAsync(HttpMethod.Put, "/api/city/relations/construction-guidance/mechanisms/decision-rule", record);
            Assert.That((status, body!.Str("code")), Is.EqualTo((HttpStatusCode.Forbidden, ProblemCodes.MechanismKeepers)));
        }

        Assert.That((await ndrc.SendAsync(HttpMethod.Put, "/api/city/relations/construction-guidance/mechanisms/decision-rule", record)).Status, Is.EqualTo(HttpStatusCode.NotFound));
        var (workItems, workItemsBody, _) = await housing.SendAsync(HttpMethod.Put, "/api/city/relations/construction-guidance/mechanisms/work-items", record);
        Assert.That(workItems, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Codes(workItemsBody, "kind"), Does.Contain(ProblemCodes.MechanismNotExpected));

        // The department replies (the chain stops) and records its decision rule: the mechanism still lacks its document flow.
        var (replied, answered, _) = await housing.PostAsync($"/api/city/follow-ups/{id}/reply", new { reply = "议事规则已印发，公文流转制度正在会签" });
        Assert.That(replied, Is.EqualTo(HttpStatusCode.OK), answered?.ToJsonString());
        Assert.That(answered!.Str("status"), Is.EqualTo("answered"));
        await institutionPush.WaitForAsync("FollowUpReplied", id);
        var (recorded, relation, _) = await housing.SendAsync(HttpMethod.Put, "/api/city/relations/construction-guidance/mechanisms/decision-rule", record);
        Assert.That(recorded, Is.EqualTo(HttpStatusCode.OK), relation?.ToJsonString());
        Assert.That(relation!["mechanismInPlace"]!.GetValue<bool>(), Is.False);
        Assert.That((await office.GetAsync($"/api/city/follow-ups/{id}")).Body!.Str("status"), Is.EqualTo("answered"));

        // The office records the document flow: the mechanism is complete, the follow-up closes in the same transaction.
        var (completed, complete, _) = await office.SendAsync(HttpMethod.Put, "/api/city/relations/construction-guidance/mechanisms/document-flow",
            new { title = "公文流转制度", reference = "云编办〔2026〕3号" });
        Assert.That(completed, Is.EqualTo(HttpStatusCode.OK), complete?.ToJsonString());
        Assert.That(complete!["mechanismInPlace"]!.GetValue<bool>(), Is.True);
        await housingPush.WaitForAsync("FollowUpClosed", id);
        var (_, closed, _) = await office.GetAsync($"/api/city/follow-ups/{id}");
        Assert.That(closed!.Str("status"), Is.EqualTo("closed"));

        // Nobody else heard any of it live: the department heard the follow-up's last event, so every one was pushed; each
        // outsider then hears a later event of its own, and would have heard the follow-up's before it.
        await AssertOutsidersHeardNothingAsync(id, "follow-up", ndrc, water, township, ("the member department", waterPush), ndrcPush, otherInstitutionPush, townshipPush);
        var (lateReply, lateReplyBody, _) = await housing.PostAsync($"/api/city/follow-ups/{id}/reply", new { reply = "补充说明" });
        Assert.That((lateReply, lateReplyBody!.Str("code")), Is.EqualTo((HttpStatusCode.Conflict, ProblemCodes.FollowUpClosed)));

        var (afterStatus, after, _) = await office.GetAsync("/api/city/office");
        Assert.That(afterStatus, Is.EqualTo(HttpStatusCode.OK), after?.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(after!["inPlace"]!.GetValue<int>(), Is.EqualTo(5));
            Assert.That(Relation(after!, "construction-guidance")["followUp"], Is.Null);
            Assert.That(Relation(after!, "construction-guidance")["activity"]!["lastActivityAt"], Is.Not.Null);
        });
    }

    [Test, Order(2)]
    public async Task Should_count_a_relations_work_requests_in_its_activity_and_figures_by_the_assessments_rows()
    {
        using var office = await _system.SignInAsync("establishment-office");
        using var department = await _system.SignInAsync("department.city-ndrc");
        using var data = await _system.SignInAsync("office.credit-center.data");
        var from = _clock.GetUtcNow();
        var (status, raised, _) = await department.PostAsync("/api/work-requests",
            new { institutionId = "credit-center", workItemCode = "credit-data-collection", title = "归集本月行政处罚信息" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var w = await department.WaitForWhistleAsync(raised!.Str("id"), x => x.Str("status") == "dispatched");
        var duty = w["assignments"]!.AsArray().Single()!.Str("id");
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.That((await data.PostAsync($"/api/assignments/{duty}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));

        // A second request nobody reports: past its four hours to report, it is overdue.
        var (status2, raised2, _) = await department.PostAsync("/api/work-requests",
            new { institutionId = "credit-center", workItemCode = "credit-data-collection", title = "归集上月行政许可信息" });
        Assert.That(status2, Is.EqualTo(HttpStatusCode.Created), raised2?.ToJsonString());
        await department.WaitForWhistleAsync(raised2!.Str("id"), x => x.Str("status") == "dispatched");
        _clock.Advance(TimeSpan.FromHours(5));

        var (viewed, view, _) = await office.GetAsync($"/api/city/office?from={Uri.EscapeDataString(from.AddMinutes(-1).ToString("O"))}&to={Uri.EscapeDataString(_clock.GetUtcNow().AddMinutes(1).ToString("O"))}");
        Assert.That(viewed, Is.EqualTo(HttpStatusCode.OK), view?.ToJsonString());
        var credit = Relation(view!, "ndrc-credit");
        Assert.Multiple(() =>
        {
            Assert.That(credit["activity"]!["raised"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(credit["activity"]!["finished"]!.GetValue<int>(), Is.EqualTo(0));
            Assert.That(credit["activity"]!["overdue"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(credit["activity"]!["lastActivityAt"], Is.Not.Null);
            Assert.That(credit["figures"]!["assignments"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(credit["figures"]!["reported"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(credit["figures"]!["responseDue"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(credit["figures"]!["responseRate"]!.GetValue<double>(), Is.EqualTo(0.5), "one reported within the item's four hours, one not reported past them");
            Assert.That(Relation(view!, "inspection-guidance")["figures"]!["assignments"]!.GetValue<int>(), Is.EqualTo(0));
        });
    }

    [Test, Order(3)]
    public async Task Should_hold_a_departments_joint_meeting_with_its_institution_seen_by_the_participants_only_and_its_decision_a_work_request()
    {
        using var housing = await _system.SignInAsync("department.city-housing");
        using var institution = await _system.SignInAsync("institution.construction-quality-center");
        using var building = await _system.SignInAsync("office.construction-quality-center.building");
        using var water = await _system.SignInAsync("department.city-water");
        using var supervisor = await _system.SignInAsync("supervisor");
        using var office = await _system.SignInAsync("establishment-office");
        using var township = await _system.SignInAsync("township.chengguan");
        await using var institutionPush = await _system.ConnectAsync(institution);
        await using var waterPush = await _system.ConnectAsync(water);
        using var ndrc = await _system.SignInAsync("department.city-ndrc");
        using var otherInstitution = await _system.SignInAsync("institution.credit-center");
        await using var ndrcPush = await _system.ConnectAsync(ndrc);
        await using var otherInstitutionPush = await _system.ConnectAsync(otherInstitution);
        await using var townshipPush = await _system.ConnectAsync(township);
        var starts = _clock.GetUtcNow().AddHours(3);
        object Meeting(object? extra = null) => new
        {
            kind = "regular", title = "建设工程质量联席会议", agenda = "质量抽检计划", place = "住建局三楼会议室",
            startsAt = starts, institutionIds = new[] { "construction-quality-center" },
        };

        // A department summons only the institutions of its relations, never county units.
        var (foreign, foreignBody, _) = await housing.PostAsync("/api/meetings", new { kind = "regular", title = "越界", place = "某处", startsAt = starts, institutionIds = new[] { "credit-center" } });
        Assert.That(foreign, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Codes(foreignBody, "institutionIds"), Does.Contain(ProblemCodes.NotOnYourRelations));
        var (units, unitsBody, _) = await housing.PostAsync("/api/meetings", new { kind = "regular", title = "越界", place = "某处", startsAt = starts, agencyCodes = new[] { "urban-management" }, institutionIds = new[] { "construction-quality-center" } });
        Assert.That(units, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Codes(unitsBody, "agencyCodes"), Does.Contain(ProblemCodes.JointMeetingParticipants));
        var (byOffice, _, _) = await building.PostAsync("/api/meetings", new { kind = "regular", title = "科室召集", place = "某处", startsAt = starts, departmentIds = new[] { "city-housing" } });
        Assert.That(byOffice, Is.EqualTo(HttpStatusCode.Forbidden), "an office's account does not convene for its institution");

        var (scheduled, meetings, _) = await housing.PostAsync("/api/meetings", Meeting());
        Assert.That(scheduled, Is.EqualTo(HttpStatusCode.Created), meetings?.ToJsonString());
        var meeting = meetings!.AsArray()[0]!;
        var id = meeting.Str("id");
        var summons = meeting["summons"]!.AsArray().Single()!;
        Assert.Multiple(() =>
        {
            Assert.That(meeting.Str("convenerKind"), Is.EqualTo("department"));
            Assert.That(meeting["convenerName"], Is.Not.Null);
            Assert.That(summons.Str("participantKind"), Is.EqualTo("institution"));
            Assert.That(summons.Str("agencyCode"), Is.EqualTo("construction-quality-center"));
        });
        await institutionPush.WaitForAsync("MeetingScheduled", id);

        // Participants only: not the other guiding department, not the supervisors, not the establishment office, not a township.
        foreach (var outsider in new[] { water, supervisor, office, township })
        {
            Assert.That((await outsider.GetAsync($"/api/meetings/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
            var (_, list, _) = await outsider.GetAsync("/api/meetings?status=all");
            Assert.That(list!["items"]!.AsArray().Select(m => m!.Str("id")), Does.Not.Contain(id));
        }

        foreach (var push in new[] { waterPush, ndrcPush, otherInstitutionPush, townshipPush })
        {
            Assert.That((await push.CatchUpAsync(0)).Where(e => (string?)e["whistleId"] == id), Is.Empty);
        }

        // The institution confirms; the department records attendance and minutes once the meeting has begun.
        var (confirmed, confirmedBody, _) = await institution.PostAsync($"/api/meetings/{id}/summons/{summons.Str("id")}/confirm", new { attendee = "王主任" });
        Assert.That(confirmed, Is.EqualTo(HttpStatusCode.OK), confirmedBody?.ToJsonString());
        _clock.SetUtcNow(starts.AddMinutes(5));
        var (attended, attendedBody, _) = await housing.PostAsync($"/api/meetings/{id}/attendance", new { entries = new[] { new { summonsId = summons.Str("id"), attendance = "present" } } });
        Assert.That(attended, Is.EqualTo(HttpStatusCode.OK), attendedBody?.ToJsonString());
        var (wrongRelation, wrongBody, _) = await housing.PostAsync($"/api/meetings/{id}/minutes", new
        {
            minutes = "议定事项如下",
            decisions = new[] { new { text = "越界事项", relationId = "ndrc-credit", dueAt = starts.AddDays(7) } },
        });
        Assert.That(wrongRelation, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Codes(wrongBody, "decisions[0].relationId"), Does.Contain(ProblemCodes.NotOnYourRelations));
        var (held, heldBody, _) = await housing.PostAsync($"/api/meetings/{id}/minutes", new
        {
            minutes = "一、下半年质量抽检计划通过。",
            decisions = new[] { new { text = "六月底前完成在建项目质量抽检", relationId = "construction-guidance", unitId = "construction-quality-center.building", dueAt = starts.AddDays(20) } },
        });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), heldBody?.ToJsonString());
        var decision = heldBody!["decisions"]!.AsArray().Single()!;
        Assert.That(decision.Str("relationId"), Is.EqualTo("construction-guidance"));

        // Nobody else heard any of the meeting live: the institution heard its minutes, the last event, so every one was
        // pushed; each outsider then hears a later event of its own, and would have heard the meeting's before it.
        await institutionPush.WaitForAsync("MeetingMinutesRecorded", id);
        await AssertOutsidersHeardNothingAsync(id, "meeting", ndrc, water, township, ("the other guiding department", waterPush), ndrcPush, otherInstitutionPush, townshipPush);

        // The decision is a work request of the department along the relation, on the building office's duty.
        var (_, request, _) = await housing.GetAsync($"/api/whistles/{decision.Str("whistleId")}");
        Assert.Multiple(() =>
        {
            Assert.That(request!.Str("level"), Is.EqualTo("city"));
            Assert.That(request!.Str("relationId"), Is.EqualTo("construction-guidance"));
            Assert.That(request!.Str("townshipId"), Is.EqualTo("city-housing"));
            Assert.That(request!["assignments"]!.AsArray().Single()!.Str("branchId"), Is.EqualTo("construction-quality-center.building"));
        });
        var (_, inbox, _) = await building.GetAsync("/api/assignments?status=open");
        Assert.That(inbox!["items"]!.AsArray().Select(i => i!["whistle"]!.Str("id")), Does.Contain(decision.Str("whistleId")));

        // The office's view counts the joint meeting held on the relation.
        var (_, view, _) = await office.GetAsync($"/api/city/office?from={Uri.EscapeDataString(starts.AddDays(-1).ToString("O"))}&to={Uri.EscapeDataString(starts.AddDays(1).ToString("O"))}");
        Assert.That(Relation(view!, "construction-guidance")["activity"]!["meetingsHeld"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test, Order(4)]
    public async Task Should_let_an_institution_convene_the_departments_it_serves_whose_lead_then_asks_for_the_decision()
    {
        using var center = await _system.SignInAsync("institution.mass-org-center");
        using var youth = await _system.SignInAsync("department.city-youth-league");
        using var women = await _system.SignInAsync("department.city-womens-federation");
        using var ndrc = await _system.SignInAsync("department.city-ndrc");
        var starts = _clock.GetUtcNow().AddHours(3);
        var (foreign, foreignBody, _) = await center.PostAsync("/api/meetings", new { kind = "regular", title = "越界", place = "中心", startsAt = starts, departmentIds = new[] { "city-ndrc" } });
        Assert.That(foreign, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Codes(foreignBody, "departmentIds"), Does.Contain(ProblemCodes.NotOnYourRelations));

        var (scheduled, meetings, _) = await center.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "群团服务定期会商", place = "群团中心二楼", startsAt = starts, departmentIds = new[] { "city-youth-league", "city-womens-federation" },
        });
        Assert.That(scheduled, Is.EqualTo(HttpStatusCode.Created), meetings?.ToJsonString());
        var meeting = meetings!.AsArray()[0]!;
        var id = meeting.Str("id");
        Assert.That(meeting.Str("convenerKind"), Is.EqualTo("institution"));
        var womenSummons = meeting["summons"]!.AsArray().Single(s => s!.Str("agencyCode") == "city-womens-federation")!;

        // Each department answers its own summons only; a department not summoned does not see the meeting.
        var (notYours, notYoursBody, _) = await youth.PostAsync($"/api/meetings/{id}/summons/{womenSummons.Str("id")}/confirm", new { attendee = "李" });
        Assert.That((notYours, notYoursBody!.Str("code")), Is.EqualTo((HttpStatusCode.Forbidden, ProblemCodes.SummonsNotYours)));
        Assert.That((await women.PostAsync($"/api/meetings/{id}/summons/{womenSummons.Str("id")}/confirm", new { attendee = "赵部长" })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await ndrc.GetAsync($"/api/meetings/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        var (notOrganizer, _, _) = await youth.PostAsync($"/api/meetings/{id}/cancel");
        Assert.That(notOrganizer, Is.EqualTo(HttpStatusCode.Forbidden));

        _clock.SetUtcNow(starts.AddMinutes(10));
        var (held, heldBody, _) = await center.PostAsync($"/api/meetings/{id}/minutes", new
        {
            minutes = "议定暑期青少年活动安排。",
            decisions = new[] { new { text = "七月前拟定暑期活动方案", relationId = "mass-org-service", unitId = (string?)null, dueAt = starts.AddDays(10) } },
        });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), heldBody?.ToJsonString());
        var whistleId = heldBody!["decisions"]!.AsArray().Single()!.Str("whistleId");
        var (_, request, _) = await youth.GetAsync($"/api/whistles/{whistleId}");
        Assert.Multiple(() =>
        {
            Assert.That(request!.Str("townshipId"), Is.EqualTo("city-youth-league"), "the relation's lead department asks (and confirms)");
            Assert.That(request!["assignments"]!.AsArray().Single()!.Str("agencyCode"), Is.EqualTo("mass-org-center"));
        });
    }
}

/// <summary>
/// Two relations of one institution sharing a department (a county file with a second relation between the development
/// and reform commission and the credit center): the office's view counts each relation's own work requests — those
/// raised along it — never the other's, and ranks the relations as the assessment does. On SQLite and on PostgreSQL.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_two_relations_of_one_institution_share_a_department(string database)
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var county = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json")))!;
        var relations = county["city"]!["relations"]!.AsArray();
        var second = relations.Single(r => r!["id"]!.GetValue<string>() == "ndrc-credit")!.DeepClone();
        second["id"] = "ndrc-credit-repair";
        second["name"] = "信用修复工作协作配合机制";
        second["nameEn"] = "Cooperation mechanism for credit repair";
        var item = second["workItems"]!.AsArray()[0]!.DeepClone();
        item["code"] = "credit-objection-review";
        item["name"] = "信用信息异议审核";
        item["nameEn"] = "Reviewing an objection to credit information";
        second["workItems"] = new JsonArray(item);
        relations.Add(second);
        var file = Path.Combine(TestSettings.NewDataFolder(), "shared-department-county.json");
        await File.WriteAllTextAsync(file, county.ToJsonString());
        _system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?> { ["Whistle:County:File"] = file }, database: database);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_count_in_each_relations_figures_only_the_requests_raised_along_it()
    {
        using var office = await _system.SignInAsync("establishment-office");
        using var department = await _system.SignInAsync("department.city-ndrc");
        using var data = await _system.SignInAsync("office.credit-center.data");
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        var (status, raised, _) = await department.PostAsync("/api/work-requests",
            new { institutionId = "credit-center", workItemCode = "credit-data-collection", title = "归集本月行政处罚信息" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var w = await department.WaitForWhistleAsync(raised!.Str("id"), x => x.Str("status") == "dispatched");
        var duty = w["assignments"]!.AsArray().Single()!.Str("id");
        Assert.That((await data.PostAsync($"/api/assignments/{duty}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));

        var (viewed, view, _) = await office.GetAsync(
            $"/api/city/office?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}");
        Assert.That(viewed, Is.EqualTo(HttpStatusCode.OK), view?.ToJsonString());
        JsonNode Figures(string id) => view!["relations"]!.AsArray().Single(r => r!["relation"]!.Str("id") == id)!["figures"]!;
        Assert.Multiple(() =>
        {
            Assert.That(Figures("ndrc-credit")["assignments"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(Figures("ndrc-credit")["reported"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(Figures("ndrc-credit")["rank"]?.GetValue<int>(), Is.EqualTo(1), "ranked among the relations, as the assessment ranks them");
            Assert.That(Figures("ndrc-credit-repair")["assignments"]!.GetValue<int>(), Is.EqualTo(0), "the other relation's request is not this one's");
            Assert.That(Figures("ndrc-credit-repair")["rank"], Is.Null);
        });
    }
}

/// <summary>
/// "One open follow-up per relation" against a race: two requests of the office for the same relation at once make one
/// follow-up; the other is answered with the existing conflict (409 <c>follow-up-open</c>). On PostgreSQL the race is
/// forced: a table lock the spec holds lets both requests read "none open" and then wait at their insert, both at
/// once. On SQLite (one writer at a time) the two requests are simply sent together.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_two_follow_ups_of_one_relation_race(string database)
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync(database: database);

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_make_one_follow_up_and_answer_the_other_with_follow_up_open()
    {
        using var office = await _system.SignInAsync("establishment-office");
        var request = new { relationId = "construction-guidance", dueAt = DateTimeOffset.UtcNow.AddDays(3), note = "请补齐议事规则和公文流转制度" };
        (HttpStatusCode Status, JsonNode? Body)[] answers;
        if (database == "postgresql")
        {
            await using var holder = await _system.Database.OpenAsync(CancellationToken.None);
            await using var hold = await holder.BeginTransactionAsync();
            await using (var lockTable = holder.CreateCommand())
            {
                lockTable.Transaction = hold;
                lockTable.CommandText = "LOCK TABLE mechanism_followups IN SHARE MODE;";
                await lockTable.ExecuteNonQueryAsync();
            }

            var racing = Enumerable.Range(0, 2).Select(async _ => { var (s, b, _) = await office.PostAsync("/api/city/follow-ups", request); return (s, b); }).ToArray();
            // Both have looked for an open follow-up (reads pass the lock) and wait at their insert.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await WaitingInsertsAsync() < 2)
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "both requests should reach their insert");
                Assert.That(racing.Where(t => t.IsCompleted), Is.Empty, "no request answers while the table is held");
                await Task.Delay(50);
            }

            await hold.CommitAsync();
            answers = await Task.WhenAll(racing);
        }
        else
        {
            answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ => { var (s, b, _) = await office.PostAsync("/api/city/follow-ups", request); return (s, b); }));
        }

        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Status).Order().ToArray(), Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }.Order().ToArray()),
                string.Join(" | ", answers.Select(a => a.Body?.ToJsonString())));
            var refused = answers.FirstOrDefault(a => a.Status == HttpStatusCode.Conflict).Body;
            Assert.That(refused?.Str("code"), Is.EqualTo(ProblemCodes.FollowUpOpen));
        });
        var open = await _system.Database.ReadAsync(
            c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT COUNT(*) FROM mechanism_followups WHERE relation_id = 'construction-guidance' AND status <> 'closed';"),
            CancellationToken.None);
        Assert.That(open, Is.EqualTo(1), "one open follow-up per relation, in the database");
    }

    private Task<long> WaitingInsertsAsync() =>
        _system.Database.ReadAsync(
            c => Dapper.SqlMapper.ExecuteScalarAsync<long>(
                c,
                "SELECT COUNT(*) FROM pg_locks l JOIN pg_class t ON t.oid = l.relation WHERE NOT l.granted AND t.relname = 'mechanism_followups';"),
            CancellationToken.None);
}
