using System.Net;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>The system administrator (系统管理员) keeps the whistle list; changes are audited and apply to new whistles only.</summary>
[TestFixture("embedded")]
[TestFixture("postgresql")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_the_system_administrator_keeps_the_whistle_list(string mode)
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() =>
        _system = mode switch
        {
            "embedded" => await WhistleSystem.EmbeddedAsync(),
            "postgresql" => await WhistleSystem.EmbeddedAsync(database: "postgresql"),
            _ => await WhistleSystem.DistributedAsync(apis: 2, dispatchers: 1),
        };

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private static object Matter(int report, int resolve, string lead = "urban-management") => new
    {
        name = "共享单车乱停放",
        nameEn = "Disorderly shared bikes",
        category = "城市管理",
        categoryEn = "Urban management",
        agencies = new[] { new { agencyCode = lead, role = "lead" }, new { agencyCode = "public-security", role = "co" } },
        limits = new
        {
            routine = new { reportWithinMinutes = report * 4, resolveWithinMinutes = resolve * 4 },
            urgent = new { reportWithinMinutes = report * 2, resolveWithinMinutes = resolve * 2 },
            emergency = new { reportWithinMinutes = report, resolveWithinMinutes = resolve },
        },
    };

    [Test]
    public async Task Should_add_change_and_retire_a_matter_with_an_audit_trail_without_rewriting_past_deadlines()
    {
        using var sysadmin = await _system.SignInAsync("sysadmin");
        using var township = await _system.SignInAsync("township.chengguan", api: _system.Apis.Count - 1);
        var code = $"shared-bikes-{mode}";

        var (created, matter, _) = await sysadmin.SendAsync(HttpMethod.Put, $"/api/whistle-list/{code}", Matter(20, 90));
        Assert.That(created, Is.EqualTo(HttpStatusCode.OK), matter?.ToJsonString());
        Assert.That(matter!["limits"]!["emergency"]!["reportWithinMinutes"]!.GetValue<int>(), Is.EqualTo(20));

        // Every instance (the other Api, the dispatcher) knows the new matter.
        var first = await township.RaiseAsync(new { matterCode = code, title = "地铁口单车堆积", address = "人民路地铁口", urgency = "emergency" });
        var dispatched = await township.WaitForWhistleAsync(first.Str("id"), w => w.Str("status") == "dispatched");
        var before = dispatched["assignments"]![0]!;
        Assert.That(Deadline(before, "reportBy") - Deadline(before, "dispatchedAt"), Is.EqualTo(TimeSpan.FromMinutes(20)));

        var (changed, _, _) = await sysadmin.SendAsync(HttpMethod.Put, $"/api/whistle-list/{code}", Matter(25, 120));
        Assert.That(changed, Is.EqualTo(HttpStatusCode.OK));
        var second = await township.RaiseAsync(new { matterCode = code, title = "单车堵塞盲道", address = "人民路", urgency = "emergency" });
        var after = (await township.WaitForWhistleAsync(second.Str("id"), w => w.Str("status") == "dispatched"))["assignments"]![0]!;
        Assert.That(Deadline(after, "reportBy") - Deadline(after, "dispatchedAt"), Is.EqualTo(TimeSpan.FromMinutes(25)), "the change applies to new whistles");
        var (_, firstAgain, _) = await township.GetAsync($"/api/whistles/{first.Str("id")}");
        Assert.That(firstAgain!["assignments"]![0]!.Str("reportBy"), Is.EqualTo(before.Str("reportBy")), "and never rewrites a past deadline");

        Assert.That((await sysadmin.SendAsync(HttpMethod.Delete, $"/api/whistle-list/{code}")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        var (retired, problem, _) = await township.PostAsync("/api/whistles", new { matterCode = code, title = "t", address = "a", urgency = "routine" });
        Assert.That(retired, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
        var (_, list, _) = await township.GetAsync("/api/whistle-list");
        Assert.That(list!.AsArray().Select(m => m!.Str("code")), Does.Not.Contain(code));
        var (_, all, _) = await sysadmin.GetAsync("/api/whistle-list?includeRetired=true");
        Assert.That(all!.AsArray().Single(m => m!.Str("code") == code)!["active"]!.GetValue<bool>(), Is.False);

        using var auditor = await _system.SignInAsync("auditadmin");
        var (_, audit, _) = await auditor.GetAsync("/api/audit?pageSize=100");
        var entries = audit!["items"]!.AsArray().Where(e => e!.Str("key") == code).Select(e => e!).Reverse().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(entries.Select(e => e.Str("action")), Is.EqualTo(new[] { "created", "changed", "retired" }));
            Assert.That(entries.Select(e => e.Str("userName")), Is.All.EqualTo("sysadmin"));
            Assert.That(entries[1]["before"]!["limits"]!["emergency"]!["reportWithinMinutes"]!.GetValue<int>(), Is.EqualTo(20));
            Assert.That(entries[1]["after"]!["limits"]!["emergency"]!["reportWithinMinutes"]!.GetValue<int>(), Is.EqualTo(25));
        });
    }

    [Test]
    public async Task Should_refuse_bad_matters_and_everyone_but_the_system_administrator()
    {
        using var sysadmin = await _system.SignInAsync("sysadmin");
        using var township = await _system.SignInAsync("township.baiyun");
        using var supervisor = await _system.SignInAsync("supervisor");
        Assert.That((await township.SendAsync(HttpMethod.Put, "/api/whistle-list/x-matter", Matter(20, 90))).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await supervisor.SendAsync(HttpMethod.Put, "/api/whistle-list/x-matter", Matter(20, 90))).Status, Is.EqualTo(HttpStatusCode.Forbidden), "the supervisor no longer keeps the list");
        Assert.That((await supervisor.SendAsync(HttpMethod.Put, "/api/org/agencies/health", new { name = "x", nameEn = "x" })).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await township.GetAsync("/api/audit")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await sysadmin.GetAsync("/api/audit")).Status, Is.EqualTo(HttpStatusCode.Forbidden), "nor does the system administrator read the audit trail");

        var (noLead, p1, _) = await sysadmin.SendAsync(HttpMethod.Put, "/api/whistle-list/x-matter", new
        {
            name = "n", nameEn = "n", category = "c", categoryEn = "c",
            agencies = new[] { new { agencyCode = "urban-management", role = "co" } },
            limits = new { routine = new { reportWithinMinutes = 10, resolveWithinMinutes = 5 }, urgent = new { reportWithinMinutes = 10, resolveWithinMinutes = 20 }, emergency = new { reportWithinMinutes = 10, resolveWithinMinutes = 20 } },
        });
        Assert.That(noLead, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(p1!["errors"]!["agencies"], Is.Not.Null);
        Assert.That(p1["errors"]!["limits"], Is.Not.Null);
        Assert.That((await sysadmin.SendAsync(HttpMethod.Put, "/api/whistle-list/BAD CODE", Matter(20, 90))).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await sysadmin.SendAsync(HttpMethod.Put, "/api/whistle-list/y-matter", Matter(20, 90, lead: "no-such-agency"))).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await sysadmin.SendAsync(HttpMethod.Delete, "/api/whistle-list/no-such-matter")).Status, Is.EqualTo(HttpStatusCode.NotFound));

        var (renamed, agency, _) = await sysadmin.SendAsync(HttpMethod.Put, "/api/org/agencies/health", new { name = "县卫生健康委员会", nameEn = "County Health Commission" });
        Assert.That(renamed, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(agency!.Str("name"), Is.EqualTo("县卫生健康委员会"));
        var (_, org, _) = await township.GetAsync("/api/org");
        Assert.That(org!["agencies"]!.AsArray().Single(a => a!.Str("code") == "health")!.Str("name"), Is.EqualTo("县卫生健康委员会"));
    }

    /// <summary>
    /// Read-your-writes across instances: another instance changed the list a moment ago and its <c>CountyChanged</c> has
    /// not arrived (here it is never sent: the change is committed as that instance would, the county's version with it).
    /// The raise and the dispatch judge by the newest list all the same — each write reads the county's version in its
    /// own first command and, where this copy is older, loads the county (issue 15: no read of its own before each write).
    /// </summary>
    [Test]
    public async Task Should_judge_a_whistle_by_a_change_whose_message_has_not_arrived()
    {
        using var sysadmin = await _system.SignInAsync("sysadmin");
        using var township = await _system.SignInAsync("township.chengguan", api: _system.Apis.Count - 1);
        var code = $"unannounced-{mode}";
        Assert.That((await sysadmin.SendAsync(HttpMethod.Put, $"/api/whistle-list/{code}", Matter(20, 90))).Status, Is.EqualTo(HttpStatusCode.OK));
        var known = await township.RaiseAsync(new { matterCode = code, title = "单车堆积", address = "人民路", urgency = "emergency" });
        await township.WaitForWhistleAsync(known.Str("id"), w => w.Str("status") == "dispatched");

        async Task ChangedElsewhere(string sql) => await _system.Database.WriteAsync(
            async unit =>
            {
                await Dapper.SqlMapper.ExecuteAsync(unit.Connection, sql + "\nUPDATE county SET catalog_version = catalog_version + 1;", new { Code = code }, unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);

        await ChangedElsewhere("UPDATE matter_limits SET report_within_minutes = 33 WHERE matter_code = @Code AND urgency = 'emergency';");
        var raised = await township.RaiseAsync(new { matterCode = code, title = "单车堵塞盲道", address = "人民路", urgency = "emergency" });
        var duty = (await township.WaitForWhistleAsync(raised.Str("id"), w => w.Str("status") == "dispatched"))["assignments"]![0]!;
        Assert.That(Deadline(duty, "reportBy") - Deadline(duty, "dispatchedAt"), Is.EqualTo(TimeSpan.FromMinutes(33)), "dispatched by the new limits");

        // Retired elsewhere: this instance still holds it as active, and the raise is refused all the same.
        await ChangedElsewhere("UPDATE matters SET active = 0 WHERE code = @Code;");
        var (retired, problem, _) = await township.PostAsync("/api/whistles", new { matterCode = code, title = "t", address = "a", urgency = "emergency" });
        Assert.That(retired, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
        Assert.That(problem!["errors"]!["matterCode"], Is.Not.Null, problem.ToJsonString());

        // Restored elsewhere: this instance now holds it as retired, and the raise is taken all the same.
        await ChangedElsewhere("UPDATE matters SET active = 1 WHERE code = @Code;");
        await township.RaiseAsync(new { matterCode = code, title = "单车又堆积", address = "人民路", urgency = "emergency" });
    }

    private static DateTimeOffset Deadline(System.Text.Json.Nodes.JsonNode node, string name) =>
        DateTimeOffset.Parse(node.Str(name), System.Globalization.CultureInfo.InvariantCulture);
}
