using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 17: a work request's time limits run on the whistle's escalation chain (催办 at the share of the limit, 督办 at
/// the limit, repeated), on a fake clock, and each step reaches the city's groups only: the office the duty is routed
/// to, its institution, the requesting department, the establishment office and the supervisors — not another
/// department, another office, or a township. On SQLite and on PostgreSQL.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_a_work_request_passes_its_limits(string database)
{
    // A fixed instant, never the time the test runs: 23:30 in Shanghai, so that the chain's steps (in minutes of the
    // item's limits) fall on the next Shanghai day — the county's day does not move them.
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 15, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock), database: database);

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private DeadlineScheduler Scheduler => _system.Apis[0].Services.GetRequiredService<DeadlineScheduler>();

    [Test]
    public async Task Should_remind_and_escalate_a_work_request_on_its_items_limits_to_the_citys_groups_only()
    {
        using var department = await _system.SignInAsync("department.city-ndrc");
        using var office = await _system.SignInAsync("office.credit-center.data");
        using var institution = await _system.SignInAsync("institution.credit-center");
        using var establishment = await _system.SignInAsync("establishment-office");
        using var supervisor = await _system.SignInAsync("supervisor");
        using var otherDepartment = await _system.SignInAsync("department.city-water");
        using var otherOffice = await _system.SignInAsync("office.credit-center.repair");
        using var township = await _system.SignInAsync("township.chengguan");
        using var otherInstitution = await _system.SignInAsync("institution.inspection-center");
        using var branch = await _system.SignInAsync("branch.urban-management.chengguan");
        await using var officePush = await _system.ConnectAsync(office);
        await using var otherDepartmentPush = await _system.ConnectAsync(otherDepartment);
        await using var otherOfficePush = await _system.ConnectAsync(otherOffice);
        await using var otherInstitutionPush = await _system.ConnectAsync(otherInstitution);
        await using var townshipPush = await _system.ConnectAsync(township);
        await using var branchPush = await _system.ConnectAsync(branch);

        // 公共信用信息归集: report within 240 minutes, resolve within 4320; the county's chain: a reminder at half the
        // limit, an escalation at the limit, repeated every 30 minutes.
        var (status, raised, _) = await department.PostAsync("/api/work-requests", new { institutionId = "credit-center", workItemCode = "credit-data-collection", title = "归集逾期测试" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var id = raised!.Str("id");
        var duty = (await department.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched"))["assignments"]!.AsArray().Single()!.Str("id");

        async Task<IEnumerable<string>> At(TimeSpan advance, WhistleClient viewer)
        {
            _clock.Advance(advance);
            await Scheduler.RunDueAsync(CancellationToken.None);
            await Scheduler.RunDueAsync(CancellationToken.None);
            return DutySteps.Chain(await DutySteps.ReadAsync(_system, viewer, duty));
        }

        Assert.That(await At(TimeSpan.FromMinutes(120) - TimeSpan.FromSeconds(1), department), Is.Empty, "nothing before half the limit");
        Assert.That(await At(TimeSpan.FromSeconds(1), department), Is.EqualTo(new[] { "AssignmentReminded:report:0" }));
        Assert.That((await officePush.WaitForAsync("AssignmentReminded", id))["step"]!.Str("phase"), Is.EqualTo("report"), "pushed live to the office");
        Assert.That(await At(TimeSpan.FromMinutes(120), department), Is.EqualTo(new[] { "AssignmentReminded:report:0", "AssignmentEscalated:report:1" }));
        await officePush.WaitForAsync("AssignmentEscalated", id);
        Assert.That(await At(TimeSpan.FromMinutes(30), department), Is.EqualTo(new[] { "AssignmentReminded:report:0", "AssignmentEscalated:report:1", "AssignmentEscalated:report:2" }));

        var expected = new[] { "AssignmentReminded:report:0", "AssignmentEscalated:report:1", "AssignmentEscalated:report:2" };
        foreach (var (name, viewer) in new[] { ("office", office), ("institution", institution), ("establishment office", establishment), ("supervisor", supervisor) })
        {
            Assert.That(DutySteps.Chain(await DutySteps.ReadAsync(_system, viewer, duty)), Is.EqualTo(expected), name);
        }

        foreach (var (name, outsider) in new[] { ("another department", otherDepartment), ("another office", otherOffice), ("a township", township), ("another institution", otherInstitution), ("a branch", branch) })
        {
            Assert.That(await DutySteps.ReadAsync(_system, outsider, duty), Is.Empty, name);
        }

        var (_, now, _) = await department.GetAsync($"/api/whistles/{id}");
        var row = now!["assignments"]!.AsArray().Single()!;
        Assert.Multiple(() =>
        {
            Assert.That((row["reminderCount"]!.GetValue<int>(), row["escalationCount"]!.GetValue<int>()), Is.EqualTo((1, 2)));
            Assert.That(row["lastEscalatedAt"], Is.Not.Null);
        });

        // Once the office reports, the report phase's chain stops: nothing more until the resolve limit's share.
        Assert.That((await office.PostAsync($"/api/assignments/{duty}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await At(TimeSpan.FromMinutes(60), department), Is.EqualTo(expected));

        // Nor did any outsider hear a step live: the office heard the report, the duty's last event; each outsider then
        // hears a later event of its own, and would have heard the chain's before it.
        await officePush.WaitForAsync("AssignmentReported", id);
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
            foreach (var (name, push) in new[]
            {
                ("another department", otherDepartmentPush), ("another office", otherOfficePush), ("another institution", otherInstitutionPush),
                ("a township", townshipPush), ("a branch", branchPush),
            })
            {
                Assert.That(push.ReceivedAbout(id), Is.Empty, $"{name} heard nothing of the request live");
            }
        });
    }
}
