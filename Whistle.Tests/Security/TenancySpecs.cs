using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 11, finding 5: a township puts work only on the units stationed in it — raising with further agencies,
/// reassigning a declined duty, a meeting's summons and its decisions all follow the one rule (Summoning); a
/// supervisor anywhere. Naming another township's branch is a 400 on the field that named it (the township may
/// do the action; the unit it named is not one it may choose, as an unknown branch is not), and nothing is written.
/// </summary>
[NonParallelizable]
public sealed class When_a_township_reaches_into_another_township
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

    private Task<long> CountAsync(string sql, object? args = null) =>
        _system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>(sql, args), CancellationToken.None);

    /// <summary>A street-vending whistle of 城关 whose co-handling duty (市场监管) the branch has declined.</summary>
    private async Task<(WhistleClient Township, string Whistle, string Declined)> DeclinedDutyAsync()
    {
        var township = await _system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync(WhistleClient.Raise("跨镇改派测试", "street-vending", "routine"))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var co = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "co")!;
        using var branch = await _system.SignInAsync($"branch.{co.Str("branchId")}");
        Assert.That((await branch.PostAsync($"/api/assignments/{co.Str("id")}/decline", new { reason = "非本单位职责" })).Status, Is.EqualTo(HttpStatusCode.OK));
        return (township, id, co.Str("id"));
    }

    [Test]
    public async Task Should_refuse_a_township_reassigning_its_declined_duty_to_another_townships_branch()
    {
        var (township, whistle, declined) = await DeclinedDutyAsync();
        using var _ = township;
        var before = await CountAsync("SELECT COUNT(*) FROM assignments WHERE whistle_id = @Id", new { Id = whistle });

        var (status, problem, _) = await township.PostAsync($"/api/assignments/{declined}/reassign", new { agencyCode = "public-security", branchId = "public-security.dongfeng", reason = "改由东风派出所处理" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
        Assert.That(problem!["errors"]!["branchId"]![0]!.GetValue<string>(), Does.Contain("not stationed"));
        Assert.That(await CountAsync("SELECT COUNT(*) FROM assignments WHERE whistle_id = @Id", new { Id = whistle }), Is.EqualTo(before), "nothing written");
        Assert.That(await CountAsync("SELECT COUNT(*) FROM assignments WHERE whistle_id = @Id AND branch_id = 'public-security.dongfeng'", new { Id = whistle }), Is.Zero);

        // Its own township's branch, named or found by the agency, is what it may choose.
        var (own, body, _) = await township.PostAsync($"/api/assignments/{declined}/reassign", new { agencyCode = "public-security", reason = "改由城关派出所处理" });
        Assert.That(own, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(body!["assignments"]!.AsArray().Single(a => (string?)a!["previousAssignmentId"] == declined)!.Str("branchId"), Is.EqualTo("public-security.chengguan"));
    }

    [Test]
    public async Task Should_let_a_supervisor_reassign_to_any_unit_of_the_county()
    {
        var (township, _, declined) = await DeclinedDutyAsync();
        using var _ = township;
        using var supervisor = await _system.SignInAsync("supervisor");
        var (status, body, _) = await supervisor.PostAsync($"/api/assignments/{declined}/reassign", new { agencyCode = "public-security", branchId = "public-security.dongfeng", reason = "督查室跨镇协调" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(body!["assignments"]!.AsArray().Single(a => (string?)a!["previousAssignmentId"] == declined)!.Str("branchId"), Is.EqualTo("public-security.dongfeng"));
    }

    [Test]
    public async Task Should_refuse_a_meeting_decision_that_names_another_townships_branch()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var meeting = (await township.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "跨镇议定测试", place = "城关镇会议室", startsAt = _clock.GetUtcNow().AddMinutes(1), agencyCodes = new[] { "urban-management" },
        })).Body!.AsArray()[0]!.Str("id");
        _clock.Shift(TimeSpan.FromMinutes(2)); // the meeting has begun: its minutes may be recorded
        var whistles = await CountAsync("SELECT COUNT(*) FROM whistles");

        var (status, problem, _) = await township.PostAsync($"/api/meetings/{meeting}/minutes", new
        {
            minutes = "议定事项如下。",
            decisions = new object[]
            {
                new { text = "清理城关河道", agencyCode = "urban-management", dueAt = DateTimeOffset.UtcNow.AddDays(5) },
                new { text = "东风镇城管中队清理东风河道", agencyCode = "urban-management", branchId = "urban-management.dongfeng", dueAt = DateTimeOffset.UtcNow.AddDays(5) },
            },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
        Assert.That(problem!["errors"]!["decisions[1].branchId"]![0]!.GetValue<string>(), Does.Contain("not stationed"));
        Assert.That((await township.GetAsync($"/api/meetings/{meeting}")).Body!.Str("status"), Is.EqualTo("scheduled"), "no minutes recorded");
        Assert.That(await CountAsync("SELECT COUNT(*) FROM whistles"), Is.EqualTo(whistles), "no decision became a whistle");
        Assert.That(await CountAsync("SELECT COUNT(*) FROM assignments WHERE branch_id = 'urban-management.dongfeng' AND whistle_id IN (SELECT id FROM whistles WHERE meeting_id = @Id)", new { Id = meeting }), Is.Zero);

        // A decision for its own branch (named or found by the agency) is taken.
        var (held, body, _) = await township.PostAsync($"/api/meetings/{meeting}/minutes", new
        {
            minutes = "议定事项如下。",
            decisions = new object[] { new { text = "清理城关河道", agencyCode = "urban-management", dueAt = DateTimeOffset.UtcNow.AddDays(5) } },
        });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(body!["decisions"]!.AsArray().Single()!.Str("branchId"), Is.EqualTo("urban-management.chengguan"));
    }

    [Test]
    public async Task Should_refuse_a_meeting_that_summons_another_townships_branch()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var meetings = await CountAsync("SELECT COUNT(*) FROM meetings");
        var (status, problem, _) = await township.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "跨镇召集测试", place = "城关镇会议室", startsAt = DateTimeOffset.UtcNow.AddDays(2),
            branchIds = new[] { "urban-management.chengguan", "health.dongfeng" },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
        Assert.That(problem!["errors"]!["branchIds"]![0]!.GetValue<string>(), Does.Contain("health.dongfeng"));
        Assert.That(await CountAsync("SELECT COUNT(*) FROM meetings"), Is.EqualTo(meetings));

        // A supervisor's meeting in a township may summon any unit of the county.
        using var supervisor = await _system.SignInAsync("supervisor");
        var (created, body, _) = await supervisor.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "督查室跨镇协调会", place = "县政府会议室", startsAt = DateTimeOffset.UtcNow.AddDays(2), townshipId = "chengguan",
            branchIds = new[] { "urban-management.chengguan", "health.dongfeng" },
        });
        Assert.That(created, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
    }

    [Test]
    public async Task Should_resolve_the_agencies_summoned_when_raising_within_the_raising_township()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var agencyWithoutBranches = "emergency-management";
        var id = (await township.RaiseAsync(WhistleClient.Raise("召集其他部门", "street-vending", "routine", ["health", agencyWithoutBranches]))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched" && w["assignments"]!.AsArray().Count == 4);
        var summoned = whistle["assignments"]!.AsArray().Where(a => a!.Str("role") == "summoned").ToDictionary(a => a!.Str("agencyCode"), a => (string?)a!["branchId"]);
        Assert.That(summoned, Is.EquivalentTo(new Dictionary<string, string?> { ["health"] = "health.chengguan", [agencyWithoutBranches] = null }));
    }
}
