using System.Net;
using System.Text.Json.Nodes;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// The life of a whistle (PRODUCT.md §4) over HTTP and SignalR, embedded and on RabbitMQ with the Api
/// and the Dispatcher as separate hosts.
/// </summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_a_township_blows_the_whistle(string mode)
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task StartSystem() =>
        _system = mode == "embedded" ? await WhistleSystem.EmbeddedAsync() : await WhistleSystem.DistributedAsync();

    [OneTimeTearDown]
    public async Task StopSystem()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_route_push_report_resolve_and_confirm_with_every_step_on_the_timeline()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        using var supervisor = await _system.SignInAsync("supervisor");
        using var lead = await _system.SignInAsync("branch.urban-management.chengguan");
        using var co = await _system.SignInAsync("branch.natural-resources.chengguan");
        using var co2 = await _system.SignInAsync("branch.housing-construction.chengguan");
        using var agency = await _system.SignInAsync("agency.emergency-management");
        using var outsider = await _system.SignInAsync("branch.urban-management.dongfeng");
        await using var townshipPush = await _system.ConnectAsync(township);
        await using var supervisorPush = await _system.ConnectAsync(supervisor);
        await using var leadPush = await _system.ConnectAsync(lead);
        await using var coPush = await _system.ConnectAsync(co);
        await using var agencyPush = await _system.ConnectAsync(agency);
        await using var outsiderPush = await _system.ConnectAsync(outsider);

        var (status, raised, response) = await township.PostAsync("/api/whistles", WhistleClient.Raise(extra: ["emergency-management"]));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var id = raised!.Str("id");
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/api/whistles/{id}"));

        var leadNotice = await leadPush.WaitForAsync("AssignmentDispatched", id);
        var coNotice = await coPush.WaitForAsync("AssignmentDispatched", id);
        var agencyNotice = await agencyPush.WaitForAsync("AssignmentDispatched", id);
        Assert.Multiple(() =>
        {
            Assert.That(leadNotice["assignment"]!.Str("branchId"), Is.EqualTo("urban-management.chengguan"));
            Assert.That(leadNotice["assignment"]!.Str("role"), Is.EqualTo("lead"));
            Assert.That(leadNotice["whistle"]!.Str("title"), Is.EqualTo("工地夜间违规施工"));
            Assert.That(coNotice["assignment"]!.Str("branchId"), Is.EqualTo("natural-resources.chengguan"));
            Assert.That(agencyNotice["assignment"]!["branchId"], Is.Null, "routed to the agency itself");
            Assert.That(agencyNotice["assignment"]!.Str("role"), Is.EqualTo("summoned"));
            // The dispatcher's note is the server's own: by code, with the unit's codes, beside the Chinese text.
            Assert.That(leadNotice.Str("noteCode"), Is.EqualTo(Whistle.Core.Messaging.TimelineNotes.DispatchedTo));
            Assert.That(leadNotice["noteParams"]!.Str("branchId"), Is.EqualTo("urban-management.chengguan"));
            Assert.That(agencyNotice["noteParams"]!.Str("agencyCode"), Is.EqualTo("emergency-management"));
            Assert.That(agencyNotice["noteParams"]!["branchId"], Is.Null);
        });
        await townshipPush.WaitForAsync("WhistleRaised", id);

        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var assignments = whistle["assignments"]!.AsArray();
        Assert.That(assignments.Select(a => (string?)a!["agencyCode"]), Is.EquivalentTo(new[] { "urban-management", "natural-resources", "housing-construction", "emergency-management" }));
        string AssignmentOf(string agencyCode) => assignments.Single(a => a!.Str("agencyCode") == agencyCode)!.Str("id");

        var (reported, reportBody, _) = await lead.PostAsync($"/api/assignments/{AssignmentOf("urban-management")}/report", new { etaMinutes = 20, note = "十分钟内出发" });
        Assert.That(reported, Is.EqualTo(HttpStatusCode.OK), reportBody?.ToJsonString());
        var pushedReport = await townshipPush.WaitForAsync("AssignmentReported", id);
        Assert.Multiple(() =>
        {
            Assert.That(pushedReport["whistle"]!.Str("status"), Is.EqualTo("in-progress"));
            Assert.That(pushedReport["assignment"]!["etaMinutes"]!.GetValue<int>(), Is.EqualTo(20));
            Assert.That(pushedReport["actor"]!.Str("userName"), Is.EqualTo("branch.urban-management.chengguan"));
        });
        await supervisorPush.WaitForAsync("AssignmentReported", id);

        foreach (var (client, agencyCode) in new[] { (lead, "urban-management"), (co, "natural-resources"), (co2, "housing-construction"), (agency, "emergency-management") })
        {
            if (agencyCode != "urban-management")
            {
                var (s, b, _) = await client.PostAsync($"/api/assignments/{AssignmentOf(agencyCode)}/report", new { });
                Assert.That(s, Is.EqualTo(HttpStatusCode.OK), b?.ToJsonString());
            }

            var (resolved, body, _) = await client.PostAsync($"/api/assignments/{AssignmentOf(agencyCode)}/resolve", new { note = "已到场处置完毕" });
            Assert.That(resolved, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        }

        var lastResolved = await townshipPush.WaitForAsync(e => e.Str("type") == "AssignmentResolved" && e["whistle"]!.Str("status") == "resolved");
        Assert.That(lastResolved.Str("whistleId"), Is.EqualTo(id));

        var ratings = assignments.Select(a => new { assignmentId = a!.Str("id"), rating = "satisfied", comment = "响应迅速" }).ToArray();
        var (confirmed, confirmedBody, _) = await township.PostAsync($"/api/whistles/{id}/confirm", new { ratings });
        Assert.That(confirmed, Is.EqualTo(HttpStatusCode.OK), confirmedBody?.ToJsonString());
        Assert.That(confirmedBody!.Str("status"), Is.EqualTo("closed"));
        await leadPush.WaitForAsync("WhistleConfirmed", id);
        await townshipPush.WaitForAsync("WhistleConfirmed", id);

        var (_, final, _) = await township.GetAsync($"/api/whistles/{id}");
        var timeline = final!["timeline"]!.AsArray().Select(e => e!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(timeline.Select(e => e.Seq()), Is.Ordered.Ascending.And.Unique);
            Assert.That(timeline.Select(e => e.Str("type")), Is.EqualTo(new[]
            {
                "WhistleRaised",
                "AssignmentDispatched", "AssignmentDispatched", "AssignmentDispatched", "AssignmentDispatched",
                "AssignmentReported", "AssignmentResolved",
                "AssignmentReported", "AssignmentResolved",
                "AssignmentReported", "AssignmentResolved",
                "AssignmentReported", "AssignmentResolved",
                "WhistleConfirmed",
            }));
            Assert.That(final["assignments"]!.AsArray().Select(a => a!.Str("rating")), Is.All.EqualTo("satisfied"));
            var dispatched = timeline.Where(e => e.Str("type") == "AssignmentDispatched").ToList();
            Assert.That(dispatched.Select(e => e.Str("noteCode")), Is.All.EqualTo(Whistle.Core.Messaging.TimelineNotes.DispatchedTo));
            Assert.That(dispatched.Select(e => e["noteParams"]!.Str("agencyCode")), Is.EquivalentTo(new[] { "urban-management", "natural-resources", "housing-construction", "emergency-management" }));
            Assert.That(dispatched.Select(e => e["note"]), Has.All.Not.Null, "the Chinese text stays beside the code");
            var reportedEntry = timeline.First(e => e.Str("type") == "AssignmentReported");
            Assert.That(reportedEntry["noteCode"], Is.Null, "a person's words have no code");
            Assert.That(outsiderPush.Received.Where(e => e.Str("whistleId") == id), Is.Empty, "another township's branch hears nothing");
        });

        // Every event a client received concerned it, and none came twice.
        Assert.That(leadPush.Received.Select(e => e.Seq()), Is.Unique);
        Assert.That(coPush.Received.Where(e => e.Str("whistleId") == id && e["assignment"] is not null)
            .Select(e => e["assignment"]!.Str("agencyCode")), Is.All.EqualTo("natural-resources"));
    }

    [Test]
    public async Task Should_let_a_township_cancel_before_any_report_and_reopen_a_resolved_whistle()
    {
        using var township = await _system.SignInAsync("township.liuhe");
        using var branch = await _system.SignInAsync("branch.market-supervision.liuhe");
        await using var branchPush = await _system.ConnectAsync(branch);

        var cancelled = await township.RaiseAsync(WhistleClient.Raise("无证经营小作坊", "unlicensed-food-business", "routine"));
        var cancelledId = cancelled.Str("id");
        await branchPush.WaitForAsync("AssignmentDispatched", cancelledId);
        var (s1, b1, _) = await township.PostAsync($"/api/whistles/{cancelledId}/cancel");
        Assert.That(s1, Is.EqualTo(HttpStatusCode.OK), b1?.ToJsonString());
        Assert.That(b1!.Str("status"), Is.EqualTo("cancelled"));
        await branchPush.WaitForAsync("WhistleCancelled", cancelledId);

        var second = await township.RaiseAsync(WhistleClient.Raise("无证经营小作坊复查", "unlicensed-food-business", "urgent"));
        var id = second.Str("id");
        var dispatched = await branchPush.WaitForAsync("AssignmentDispatched", id);
        var assignmentId = dispatched.Str("assignmentId");
        var others = (await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched"))["assignments"]!.AsArray();
        Assert.That((await branch.PostAsync($"/api/assignments/{assignmentId}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        var (cancelAfterReport, problem, _) = await township.PostAsync($"/api/whistles/{id}/cancel");
        Assert.That(cancelAfterReport, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());

        foreach (var a in others)
        {
            var owner = a!["branchId"] is null ? $"agency.{a.Str("agencyCode")}" : $"branch.{a.Str("branchId")}";
            using var client = owner == branch.UserName ? null : await _system.SignInAsync(owner);
            var actor = client ?? branch;
            if (a.Str("id") != assignmentId)
            {
                Assert.That((await actor.PostAsync($"/api/assignments/{a.Str("id")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
            }

            Assert.That((await actor.PostAsync($"/api/assignments/{a.Str("id")}/resolve", new { note = "done" })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        var (reopened, reopenedBody, _) = await township.PostAsync($"/api/whistles/{id}/reopen", new { reason = "群众反映仍在营业" });
        Assert.That(reopened, Is.EqualTo(HttpStatusCode.OK), reopenedBody?.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(reopenedBody!.Str("status"), Is.EqualTo("in-progress"));
            Assert.That(reopenedBody!["assignments"]!.AsArray().Select(a => a!.Str("status")), Is.All.EqualTo("reported"));
        });
        var reopenPush = await branchPush.WaitForAsync("WhistleReopened", id);
        Assert.That(reopenPush.Str("note"), Is.EqualTo("群众反映仍在营业"));
        Assert.That((await branch.PostAsync($"/api/assignments/{assignmentId}/resolve", new { note = "已查封" })).Status, Is.EqualTo(HttpStatusCode.OK));
    }
}
