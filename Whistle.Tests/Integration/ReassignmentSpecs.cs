using System.Net;
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
            Assert.That(old.Str("status"), Is.EqualTo("declined"));
            Assert.That(old.Str("declineReason"), Does.Contain("督查室协调改派"));
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
        Assert.That((await supervisor.PostAsync($"/api/whistles/{id}/assignments", new { agencyCode = "health" })).Status, Is.EqualTo(HttpStatusCode.Conflict), "already summoned");
    }
}
