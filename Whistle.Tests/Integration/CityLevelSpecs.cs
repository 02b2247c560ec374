using System.Net;
using System.Text.Json.Nodes;
using Whistle.Core.Problems;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 17, the city level on the same engine: a department's work request (工作事项) is raised on an item of a
/// relation's list, dispatched by the one dispatch to the office the list names, pushed live, reported, resolved,
/// confirmed and rated through the whistle's own endpoints; an item off the list is refused with a code; each role
/// reads only its part of the city. Embedded (SQLite) and distributed (RabbitMQ, PostgreSQL).
/// </summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_a_department_asks_an_institution(string mode)
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

    private static object Request(string institution = "credit-center", string item = "credit-data-collection", string title = "归集本月行政处罚信息") =>
        new { institutionId = institution, workItemCode = item, title, description = "请于本周内完成归集并反馈" };

    [Test]
    public async Task Should_carry_a_work_request_from_the_department_to_the_office_and_back_on_the_whistles_path()
    {
        using var department = await _system.SignInAsync("department.city-ndrc");
        using var office = await _system.SignInAsync("office.credit-center.data");
        using var institution = await _system.SignInAsync("institution.credit-center");
        using var establishment = await _system.SignInAsync("establishment-office");
        using var otherDepartment = await _system.SignInAsync("department.city-water");
        using var otherOffice = await _system.SignInAsync("office.credit-center.repair");
        using var township = await _system.SignInAsync("township.chengguan");
        using var otherInstitution = await _system.SignInAsync("institution.inspection-center");
        using var branch = await _system.SignInAsync("branch.urban-management.chengguan");
        await using var departmentPush = await _system.ConnectAsync(department);
        await using var officePush = await _system.ConnectAsync(office);
        await using var institutionPush = await _system.ConnectAsync(institution);
        await using var establishmentPush = await _system.ConnectAsync(establishment);
        await using var otherDepartmentPush = await _system.ConnectAsync(otherDepartment);
        await using var otherOfficePush = await _system.ConnectAsync(otherOffice);
        await using var otherInstitutionPush = await _system.ConnectAsync(otherInstitution);
        await using var townshipPush = await _system.ConnectAsync(township);
        await using var branchPush = await _system.ConnectAsync(branch);

        var (status, raised, response) = await department.PostAsync("/api/work-requests", Request());
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var id = raised!.Str("id");
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/api/whistles/{id}"));
            Assert.That(raised!.Str("level"), Is.EqualTo("city"));
            Assert.That(raised!.Str("relationId"), Is.EqualTo("ndrc-credit"));
            Assert.That(raised!.Str("matterCode"), Is.EqualTo("credit-data-collection"));
            Assert.That(raised!.Str("townshipId"), Is.EqualTo("city-ndrc"), "the requesting side: the department");
        });

        // The one dispatch routes it to the office the list names, with the item's limits; pushed live to the office,
        // its institution, the department and the establishment office.
        var notice = await officePush.WaitForAsync("AssignmentDispatched", id);
        await institutionPush.WaitForAsync("AssignmentDispatched", id);
        await establishmentPush.WaitForAsync("AssignmentDispatched", id);
        await departmentPush.WaitForAsync("AssignmentDispatched", id);
        var duty = notice["assignment"]!;
        Assert.Multiple(() =>
        {
            Assert.That(duty.Str("agencyCode"), Is.EqualTo("credit-center"));
            Assert.That(duty.Str("branchId"), Is.EqualTo("credit-center.data"));
            Assert.That(notice["whistle"]!.Str("level"), Is.EqualTo("city"));
            var dispatched = DateTimeOffset.Parse(duty.Str("dispatchedAt"));
            Assert.That(DateTimeOffset.Parse(duty.Str("reportBy")) - dispatched, Is.EqualTo(TimeSpan.FromMinutes(240)));
            Assert.That(DateTimeOffset.Parse(duty.Str("resolveBy")) - dispatched, Is.EqualTo(TimeSpan.FromMinutes(4320)));
        });

        // The office's inbox is the branch's inbox.
        var (_, inbox, _) = await office.GetAsync("/api/assignments?status=open");
        Assert.That(inbox!["items"]!.AsArray().Select(i => i!["whistle"]!.Str("id")), Does.Contain(id));

        // Only the unit the duty is routed to acts on it: another office of the same institution is refused.
        var (stranger, _, _) = await otherOffice.PostAsync($"/api/assignments/{duty.Str("id")}/report", new { });
        Assert.That(stranger, Is.EqualTo(HttpStatusCode.NotFound), "another office does not see the request");

        var (reported, body, _) = await office.PostAsync($"/api/assignments/{duty.Str("id")}/report", new { etaMinutes = 60, note = "已受理" });
        Assert.That(reported, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That((await departmentPush.WaitForAsync("AssignmentReported", id))["whistle"]!.Str("status"), Is.EqualTo("in-progress"));
        var (resolved, body2, _) = await office.PostAsync($"/api/assignments/{duty.Str("id")}/resolve", new { note = "已归集入库 1,204 条" });
        Assert.That(resolved, Is.EqualTo(HttpStatusCode.OK), body2?.ToJsonString());
        Assert.That((await departmentPush.WaitForAsync("AssignmentResolved", id))["whistle"]!.Str("status"), Is.EqualTo("resolved"));

        // The township cannot confirm it; the department confirms and rates.
        var (foreign, _, _) = await township.PostAsync($"/api/whistles/{id}/confirm", new { ratings = Array.Empty<object>() });
        Assert.That(foreign, Is.EqualTo(HttpStatusCode.NotFound));
        var (confirmed, closed, _) = await department.PostAsync($"/api/whistles/{id}/confirm", new { ratings = new[] { new { assignmentId = duty.Str("id"), rating = "satisfied" } } });
        Assert.That(confirmed, Is.EqualTo(HttpStatusCode.OK), closed?.ToJsonString());
        await officePush.WaitForAsync("WhistleConfirmed", id);
        Assert.Multiple(() =>
        {
            Assert.That(closed!.Str("status"), Is.EqualTo("closed"));
            Assert.That(closed!["timeline"]!.AsArray().Select(e => e!.Str("type")),
                Is.EqualTo(new[] { "WhistleRaised", "AssignmentDispatched", "AssignmentReported", "AssignmentResolved", "WhistleConfirmed" }));
        });

        // Nobody else saw or heard any of it: not another department, not another office, not another institution, not
        // a township, not a township's branch.
        foreach (var outsider in new[] { otherDepartment, otherOffice, township, otherInstitution, branch })
        {
            Assert.That((await outsider.GetAsync($"/api/whistles/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        }

        var outsiders = new[]
        {
            ("another department", otherDepartmentPush), ("another office", otherOfficePush), ("another institution", otherInstitutionPush),
            ("a township", townshipPush), ("a branch", branchPush),
        };
        foreach (var (name, push) in outsiders)
        {
            Assert.That((await push.CatchUpAsync(0)).Where(e => (string?)e["whistleId"] == id), Is.Empty, name);
        }

        // Nor live: the office heard the request's last event, so every one of its events was pushed; each outsider then
        // hears a later event of its own, and would have heard any of the request's before it.
        var water = (await otherDepartment.RaiseWorkRequestAsync("construction-quality-center", "water-works-inspection", "水利工程质量抽查")).Str("id");
        var repair = (await department.RaiseWorkRequestAsync("credit-center", "credit-repair-review", "信用修复申请审核")).Str("id");
        var price = (await department.RaiseWorkRequestAsync("inspection-center", "price-certification", "涉案财物价格认定")).Str("id");
        var vending = (await township.RaiseAsync(WhistleClient.Raise("占道经营", "street-vending", "routine"))).Str("id");
        await otherDepartmentPush.WaitForAsync("AssignmentDispatched", water);
        await otherOfficePush.WaitForAsync("AssignmentDispatched", repair);
        await otherInstitutionPush.WaitForAsync("AssignmentDispatched", price);
        await townshipPush.WaitForAsync("AssignmentDispatched", vending);
        await branchPush.WaitForAsync("AssignmentDispatched", vending);
        Assert.Multiple(() =>
        {
            foreach (var (name, push) in outsiders)
            {
                Assert.That(push.ReceivedAbout(id), Is.Empty, $"{name} heard nothing of the request live");
            }
        });

        Assert.That((await establishment.GetAsync($"/api/whistles/{id}")).Status, Is.EqualTo(HttpStatusCode.OK), "the establishment office reads every work request");
    }

    [Test]
    public async Task Should_route_an_item_to_the_stationed_branch_it_names_whose_duty_officer_gets_it_in_the_branch_inbox()
    {
        using var department = await _system.SignInAsync("department.city-market");
        using var branch = await _system.SignInAsync("branch.market-supervision.chengguan");
        await using var branchPush = await _system.ConnectAsync(branch);
        var (status, raised, _) = await department.PostAsync("/api/work-requests", Request("market-service-center", "market-food-spot-check", "城关餐饮专项抽查"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var notice = await branchPush.WaitForAsync("AssignmentDispatched", raised!.Str("id"));
        Assert.That(notice["assignment"]!.Str("branchId"), Is.EqualTo("market-supervision.chengguan"));
        var (reported, body, _) = await branch.PostAsync($"/api/assignments/{notice["assignment"]!.Str("id")}/report", new { });
        Assert.That(reported, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
    }

    [Test]
    public async Task Should_refuse_an_item_that_is_not_on_a_list_of_the_departments_relation_with_that_institution()
    {
        using var agriculture = await _system.SignInAsync("department.city-agriculture");
        using var township = await _system.SignInAsync("township.chengguan");
        // Price certification is the development and reform commission's field in the guidance relation, not agriculture's.
        foreach (var (institution, item) in new[] { ("inspection-center", "price-certification"), ("credit-center", "credit-data-collection"), ("inspection-center", "no-such-item") })
        {
            var (status, problem, _) = await agriculture.PostAsync("/api/work-requests", Request(institution, item));
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
            Assert.That(problem!["codes"]!["workItemCode"]![0]!.Str("code"), Is.EqualTo(ProblemCodes.NotOnRelationList));
        }

        var (ok, good, _) = await agriculture.PostAsync("/api/work-requests", Request("inspection-center", "farm-product-testing", "蔬菜农残抽检"));
        Assert.That(ok, Is.EqualTo(HttpStatusCode.Created), good?.ToJsonString());
        Assert.That((await township.PostAsync("/api/work-requests", Request())).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Should_show_each_role_only_its_part_of_the_city()
    {
        static async Task<JsonNode> City(WhistleClient client)
        {
            var (status, body, _) = await client.GetAsync("/api/city");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            return body!;
        }

        static IEnumerable<string> Relations(JsonNode city) => city["relations"]!.AsArray().Select(r => r!.Str("id"));

        using var ndrc = await _system.SignInAsync("department.city-ndrc");
        using var office = await _system.SignInAsync("office.credit-center.data");
        using var establishment = await _system.SignInAsync("establishment-office");
        using var township = await _system.SignInAsync("township.chengguan");
        var all = await City(establishment);
        Assert.Multiple(async () =>
        {
            Assert.That(Relations(await City(ndrc)), Is.EquivalentTo(new[] { "ndrc-credit", "inspection-guidance" }));
            Assert.That(Relations(await City(office)), Is.EquivalentTo(new[] { "ndrc-credit" }));
            Assert.That(Relations(all), Has.Exactly(5).Items);
            var missing = all["relations"]!.AsArray().Single(r => !r!["mechanismInPlace"]!.GetValue<bool>())!;
            Assert.That(missing.Str("id"), Is.EqualTo("construction-guidance"));
            Assert.That(missing["mechanism"]!.AsArray().Where(m => !m!["recorded"]!.GetValue<bool>()).Select(m => m!.Str("kind")),
                Is.EquivalentTo(new[] { "decision-rule", "document-flow" }));
            var item = all["relations"]!.AsArray().Single(r => r!.Str("id") == "ndrc-credit")!["workItems"]!.AsArray()[0]!;
            Assert.That(item.Str("process"), Is.Not.Empty);
            Assert.That(item.Str("unitName"), Is.EqualTo("数据归集科"));
            Assert.That((await township.GetAsync("/api/city")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await ndrc.GetAsync("/api/city/relations/mass-org-service")).Status, Is.EqualTo(HttpStatusCode.NotFound), "not its relation");
            Assert.That((await ndrc.GetAsync("/api/city/relations/inspection-guidance")).Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }
}
