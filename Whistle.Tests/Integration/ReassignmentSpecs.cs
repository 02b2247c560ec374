using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>改派: a declined duty goes back to the township and the supervisors, who send it elsewhere.</summary>
[NonParallelizable]
public sealed class When_a_duty_is_reassigned
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync();

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_let_the_township_reassign_a_declined_duty_with_fresh_deadlines()
    {
        using var township = await _system.SignInAsync("township.dongfeng");
        var id = (await township.RaiseAsync(WhistleClient.Raise("沿街占道摆摊", "street-vending", "urgent"))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var co = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "co")!;
        using var coBranch = await _system.SignInAsync($"branch.{co.Str("branchId")}");
        using var newBranch = await _system.SignInAsync("branch.public-security.dongfeng");
        await using var newBranchPush = await _system.ConnectAsync(newBranch);
        await using var townshipPush = await _system.ConnectAsync(township);

        var (early, _, _) = await township.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "public-security", reason = "改由派出所处理" });
        Assert.That(early, Is.EqualTo(HttpStatusCode.Conflict), "a township reassigns only a declined duty");

        Assert.That((await coBranch.PostAsync($"/api/assignments/{co.Str("id")}/decline", new { reason = "非本单位职责" })).Status, Is.EqualTo(HttpStatusCode.OK));
        await townshipPush.WaitForAsync("AssignmentDeclined", id);
        Assert.That((await coBranch.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "public-security", reason = "x" })).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        var (bad, problem, _) = await township.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "no-such", reason = "" });
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem!["errors"]!["agencyCode"], Is.Not.Null);

        var (status, body, _) = await township.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "public-security", reason = "改由派出所处理" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var added = body!["assignments"]!.AsArray().Single(a => (string?)a!["previousAssignmentId"] == co.Str("id"))!;
        var dispatchedAt = DateTimeOffset.Parse(added.Str("dispatchedAt"), System.Globalization.CultureInfo.InvariantCulture);
        var limits = (await township.GetAsync("/api/whistle-list")).Body!.AsArray().Single(m => m!.Str("code") == "street-vending")!["limits"]!["urgent"]!;
        Assert.Multiple(() =>
        {
            Assert.That(added.Str("branchId"), Is.EqualTo("public-security.dongfeng"));
            Assert.That(added.Str("status"), Is.EqualTo("dispatched"));
            Assert.That(DateTimeOffset.Parse(added.Str("reportBy"), System.Globalization.CultureInfo.InvariantCulture) - dispatchedAt, Is.EqualTo(TimeSpan.FromMinutes(limits["reportWithinMinutes"]!.GetValue<int>())));
            Assert.That(DateTimeOffset.Parse(added.Str("resolveBy"), System.Globalization.CultureInfo.InvariantCulture) - dispatchedAt, Is.EqualTo(TimeSpan.FromMinutes(limits["resolveWithinMinutes"]!.GetValue<int>())));
            Assert.That(dispatchedAt, Is.GreaterThan(DateTimeOffset.Parse(co.Str("dispatchedAt"), System.Globalization.CultureInfo.InvariantCulture)), "fresh deadlines");
        });
        var notice = await newBranchPush.WaitForAsync("AssignmentReassigned", id);
        Assert.That(notice["assignment"]!.Str("previousAssignmentId"), Is.EqualTo(co.Str("id")));
        Assert.That((await township.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "health", reason = "again" })).Status, Is.EqualTo(HttpStatusCode.Conflict));

        // The new unit works it like any other duty.
        Assert.That((await newBranch.PostAsync($"/api/assignments/{added.Str("id")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_let_a_supervisor_move_an_open_duty_and_add_a_co_handling_unit()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        using var supervisor = await _system.SignInAsync("supervisor");
        var id = (await township.RaiseAsync(WhistleClient.Raise("危房外墙脱落", "dangerous-building", "emergency"))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var lead = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!;

        var (moved, body, _) = await supervisor.PostAsync($"/api/assignments/{lead.Str("id")}/reassign", new { agencyCode = "natural-resources", reason = "督查室协调改派" });
        Assert.That(moved, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var old = body!["assignments"]!.AsArray().Single(a => a!.Str("id") == lead.Str("id"))!;
        Assert.Multiple(() =>
        {
            Assert.That(old.Str("status"), Is.EqualTo("reassigned"), "moved by the supervisor, not declined by the branch");
            Assert.That(old["declineReason"], Is.Null);
            Assert.That(old["reassignedAt"], Is.Not.Null);
            Assert.That(body["assignments"]!.AsArray().Single(a => (string?)a!["previousAssignmentId"] == lead.Str("id"))!.Str("role"), Is.EqualTo("lead"));
        });

        Assert.That((await township.PostAsync($"/api/whistles/{id}/assignments", new { agencyCode = "health" })).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        using var health = await _system.SignInAsync("branch.health.chengguan");
        await using var healthPush = await _system.ConnectAsync(health);
        var (addedStatus, added, _) = await supervisor.PostAsync($"/api/whistles/{id}/assignments", new { agencyCode = "health", reason = "可能有人员受伤" });
        Assert.That(addedStatus, Is.EqualTo(HttpStatusCode.OK), added?.ToJsonString());
        var dispatched = await healthPush.WaitForAsync("AssignmentDispatched", id);
        Assert.Multiple(() =>
        {
            Assert.That(dispatched["assignment"]!.Str("role"), Is.EqualTo("co"));
            Assert.That(dispatched["actor"]!.Str("userName"), Is.EqualTo("supervisor"));
        });
        var (again, problem, _) = await supervisor.PostAsync($"/api/whistles/{id}/assignments", new { agencyCode = "health" });
        Assert.That(again, Is.EqualTo(HttpStatusCode.BadRequest), "already summoned");
        Assert.That(problem!["errors"]!["agencyCode"], Is.Not.Null);
    }
}

/// <summary>
/// Issue 13: the supervisor's 改派 sent an overdue duty back to the same branch, reset its clock and charged the branch a
/// 退回 it never made. Now: the agency's own office (本部) is a target, the same unit and units already on the whistle
/// are refused (400 on the field), and the old duty ends as <c>reassigned</c>, which the assessment never counts as a decline.
/// </summary>
[NonParallelizable]
public sealed class When_a_supervisor_reassigns_an_overdue_duty
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 1, 0, 0, TimeSpan.Zero); // 09:00 in Shanghai
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
    public async Task Should_refuse_the_same_unit_offer_the_agency_itself_and_charge_the_branch_no_decline()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        using var supervisor = await _system.SignInAsync("supervisor");
        // 占道经营, emergency: report within 30 minutes. Lead 城管 (its 城关 branch), co 市场监管.
        var id = (await township.RaiseAsync(WhistleClient.Raise("夜市占道经营", "street-vending", "emergency"))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var lead = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!;
        Assert.That(lead.Str("branchId"), Is.EqualTo("urban-management.chengguan"));
        _clock.Advance(TimeSpan.FromMinutes(45)); // overdue: never reported

        async Task<(HttpStatusCode Status, JsonNode? Body)> Reassign(object body)
        {
            var (status, answer, _) = await supervisor.PostAsync($"/api/assignments/{lead.Str("id")}/reassign", body);
            return (status, answer);
        }

        // The agency without a branch named: its branch in the township, which is the same unit: refused, on agencyCode.
        var (same, sameProblem) = await Reassign(new { agencyCode = "urban-management", reason = "督查改派" });
        Assert.That(same, Is.EqualTo(HttpStatusCode.BadRequest), sameProblem?.ToJsonString());
        Assert.That(sameProblem!["errors"]!["agencyCode"], Is.Not.Null);
        var (sameBranch, sameBranchProblem) = await Reassign(new { agencyCode = "urban-management", branchId = "urban-management.chengguan", reason = "督查改派" });
        Assert.That(sameBranch, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(sameBranchProblem!["errors"]!["branchId"], Is.Not.Null);
        var (onIt, onItProblem) = await Reassign(new { agencyCode = "market-supervision", reason = "督查改派" });
        Assert.That(onIt, Is.EqualTo(HttpStatusCode.BadRequest), "市场监管 already has a duty on this whistle");
        Assert.That(onItProblem!["errors"]!["agencyCode"], Is.Not.Null);
        var (both, bothProblem) = await Reassign(new { agencyCode = "urban-management", branchId = "urban-management.dongfeng", toAgency = true, reason = "督查改派" });
        Assert.That(both, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bothProblem!["errors"]!["branchId"], Is.Not.Null);
        var untouched = (await supervisor.GetAsync($"/api/whistles/{id}")).Body!["assignments"]!.AsArray().Single(a => a!.Str("id") == lead.Str("id"))!;
        Assert.That(untouched.Str("status"), Is.EqualTo("dispatched"), "a refusal changes nothing");

        // 本部: the agency itself.
        var (moved, body) = await Reassign(new { agencyCode = "urban-management", toAgency = true, reason = "中队人手不足，由局本部处理" });
        Assert.That(moved, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var old = body!["assignments"]!.AsArray().Single(a => a!.Str("id") == lead.Str("id"))!;
        var successor = body["assignments"]!.AsArray().Single(a => (string?)a!["previousAssignmentId"] == lead.Str("id"))!;
        Assert.Multiple(() =>
        {
            Assert.That(successor.Str("agencyCode"), Is.EqualTo("urban-management"));
            Assert.That(successor["branchId"], Is.Null, "the agency's own office");
            Assert.That(old.Str("status"), Is.EqualTo("reassigned"));
            Assert.That(old["declinedAt"], Is.Null);
            Assert.That(old["declineReason"], Is.Null, "no generated English text inside the Chinese record");
            Assert.That(DateTimeOffset.Parse(old.Str("reassignedAt"), CultureInfo.InvariantCulture), Is.EqualTo(T0.AddMinutes(45)));
        });

        // The timeline tells who moved it and why; no 退回 by the branch.
        var timeline = (await supervisor.GetAsync($"/api/whistles/{id}")).Body!["timeline"]!.AsArray();
        Assert.That(timeline.Select(e => e!.Str("type")), Has.No.Member("AssignmentDeclined"));
        var reassigned = timeline.Single(e => e!.Str("type") == "AssignmentReassigned")!;
        Assert.Multiple(() =>
        {
            Assert.That(reassigned["actor"]!.Str("userName"), Is.EqualTo("supervisor"));
            Assert.That(reassigned.Str("note"), Is.EqualTo("中队人手不足，由局本部处理"));
        });

        // The old branch: no decline; one duty moved away after its report limit passed, so it counts as not responded.
        var (_, report, _) = await supervisor.GetAsync("/api/stats/assessment?period=day&date=2026-11-03");
        var branch = report!["branches"]!.AsArray().Single(u => u!.Str("unitId") == "urban-management.chengguan")!;
        Assert.Multiple(() =>
        {
            Assert.That(branch["declined"]!.GetValue<int>(), Is.Zero);
            Assert.That(branch["reassigned"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That((branch["reportedWithinLimit"]!.GetValue<int>(), branch["responseDue"]!.GetValue<int>()), Is.EqualTo((0, 1)));
        });
        var agency = report["agencies"]!.AsArray().Single(u => u!.Str("unitId") == "urban-management")!;
        Assert.That(agency["declined"]!.GetValue<int>(), Is.Zero);

        // Moving it again (a second time from the same duty) is a transition that is not allowed.
        var (twice, _) = await Reassign(new { agencyCode = "public-security", reason = "再次改派" });
        Assert.That(twice, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task Should_refuse_a_township_the_agency_itself_where_the_agency_has_a_branch_there()
    {
        using var township = await _system.SignInAsync("township.dongfeng");
        var id = (await township.RaiseAsync(WhistleClient.Raise("沿街摆摊", "street-vending", "urgent"))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var co = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "co")!;
        using var coBranch = await _system.SignInAsync($"branch.{co.Str("branchId")}");
        Assert.That((await coBranch.PostAsync($"/api/assignments/{co.Str("id")}/decline", new { reason = "非本单位职责" })).Status, Is.EqualTo(HttpStatusCode.OK));

        var (status, problem, _) = await township.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "health", toAgency = true, reason = "改派卫健" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem!["errors"]!["agencyCode"], Is.Not.Null);
        var (back, backProblem, _) = await township.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "market-supervision", reason = "请再看" });
        Assert.That(back, Is.EqualTo(HttpStatusCode.BadRequest), "not back to the unit that declined it");
        Assert.That(backProblem!["errors"]!["agencyCode"], Is.Not.Null);
        // Where the agency has no branch in the township, the agency itself is the unit stationed there.
        var (ok, body, _) = await township.PostAsync($"/api/assignments/{co.Str("id")}/reassign", new { agencyCode = "emergency-management", toAgency = true, reason = "改由应急局处理" });
        Assert.That(ok, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var old = body!["assignments"]!.AsArray().Single(a => a!.Str("id") == co.Str("id"))!;
        Assert.That(old.Str("status"), Is.EqualTo("declined"), "the branch's own decline stays a decline");
    }
}
