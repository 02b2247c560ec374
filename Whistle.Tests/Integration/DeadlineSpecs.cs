using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>The escalation chain (催办 → 督办) on a fake clock, embedded, on SQLite and on PostgreSQL.</summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_deadlines_pass(string database)
{
    // A fixed instant, never the time the test runs: 22:00 in Shanghai, so that the chain runs across the county's midnight.
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 14, 0, 0, TimeSpan.Zero);
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
    public async Task Should_remind_at_the_share_escalate_at_the_deadline_and_repeat_each_exactly_once_until_the_branch_acts()
    {
        using var township = await _system.SignInAsync("township.shuangqiao");
        var id = (await township.RaiseAsync(WhistleClient.Raise("液化气站泄漏", "gas-safety", "emergency"))).Str("id");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var lead = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!;
        using var branch = await _system.SignInAsync($"branch.{lead.Str("branchId")}");
        await using var branchPush = await _system.ConnectAsync(branch);
        var assignment = lead.Str("id");

        async Task<IEnumerable<string>> At(TimeSpan advance)
        {
            _clock.Advance(advance);
            await Scheduler.RunDueAsync(CancellationToken.None);
            await Scheduler.RunDueAsync(CancellationToken.None);
            return DutySteps.Chain(await DutySteps.ReadAsync(_system, township, assignment));
        }

        Assert.That(await At(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1)), Is.Empty, "nothing before the share of the limit");
        Assert.That(await At(TimeSpan.FromSeconds(1)), Is.EqualTo(new[] { "AssignmentReminded:report:0" }));
        var reminded = await branchPush.WaitForAsync("AssignmentReminded", id);
        Assert.That(reminded["step"]!.Str("phase"), Is.EqualTo("report"));
        Assert.That(await At(TimeSpan.FromMinutes(15)), Is.EqualTo(new[] { "AssignmentReminded:report:0", "AssignmentEscalated:report:1" }));
        Assert.That(await At(TimeSpan.FromMinutes(29)), Has.Exactly(2).Items);
        Assert.That(await At(TimeSpan.FromMinutes(1)), Is.EqualTo(new[] { "AssignmentReminded:report:0", "AssignmentEscalated:report:1", "AssignmentEscalated:report:2" }));

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That((await branch.PostAsync($"/api/assignments/{assignment}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await At(TimeSpan.FromMinutes(25)), Has.Exactly(3).Items, "nothing on report-by after the report");

        // Resolve phase (emergency gas safety: resolve within 120 minutes). Its reminder's moment (60) passed
        // before the report (65), so no reminder: the next step is the escalation at 120.
        Assert.That(await At(TimeSpan.FromMinutes(29)), Has.Exactly(3).Items, "t = 119");
        Assert.That(await At(TimeSpan.FromMinutes(1)), Is.EqualTo(new[]
        {
            "AssignmentReminded:report:0", "AssignmentEscalated:report:1", "AssignmentEscalated:report:2", "AssignmentEscalated:resolve:1",
        }));

        var (_, now, _) = await township.GetAsync($"/api/whistles/{id}");
        var row = now!["assignments"]!.AsArray().Single(a => a!.Str("id") == assignment)!;
        Assert.Multiple(() =>
        {
            Assert.That(row["escalationCount"]!.GetValue<int>(), Is.EqualTo(3));
            Assert.That(row["lastEscalatedAt"], Is.Not.Null);
        });

        Assert.That((await branch.PostAsync($"/api/assignments/{assignment}/resolve", new { note = "已关阀处置" })).Status, Is.EqualTo(HttpStatusCode.OK));
        var final = (await At(TimeSpan.FromHours(3))).ToList();
        Assert.That(await At(TimeSpan.FromHours(3)), Is.EqualTo(final), "nothing after the branch resolved");
    }

    [Test]
    public async Task Should_never_leave_a_step_after_a_report_that_lands_at_the_same_instant()
    {
        for (var round = 0; round < 12; round++)
        {
            using var township = await _system.SignInAsync("township.baiyun");
            var id = (await township.RaiseAsync(WhistleClient.Raise($"秸秆焚烧 {round}", "straw-burning", "emergency"))).Str("id");
            var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
            var lead = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!;
            using var branch = await _system.SignInAsync($"branch.{lead.Str("branchId")}");

            // Report-by is 30 minutes: stand exactly on a step (the reminder, or the escalation on odd rounds).
            _clock.Advance(TimeSpan.FromMinutes(round % 2 == 0 ? 15 : 30));
            var report = branch.PostAsync($"/api/assignments/{lead.Str("id")}/report", new { note = "到场" });
            var fire = Scheduler.RunDueAsync(CancellationToken.None);
            await Task.WhenAll(report, fire);
            Assert.That(report.Result.Status, Is.EqualTo(HttpStatusCode.OK));
            await Scheduler.RunDueAsync(CancellationToken.None);

            var events = await DutySteps.ReadAsync(_system, township, lead.Str("id"));
            var reportedAt = events.Single(e => e.Str("type") == "AssignmentReported").Seq();
            var lateSteps = events.Where(e => e.Str("type") is "AssignmentReminded" or "AssignmentEscalated" && e["step"]!.Str("phase") == "report" && e.Seq() > reportedAt);
            Assert.That(lateSteps, Is.Empty, $"round {round}");
            var nextPhase = await _system.Database.ReadAsync(
                c => c.ExecuteScalarAsync<string?>("SELECT next_step_kind FROM assignments WHERE id = @Id", new { Id = lead.Str("id") }), CancellationToken.None);
            Assert.That(nextPhase, Is.Not.Null, "the resolve phase is scheduled");
            _clock.Advance(TimeSpan.FromHours(6));
            await Scheduler.RunDueAsync(CancellationToken.None);
        }
    }
}

/// <summary>The escalation chain with the Dispatcher as separate hosts on RabbitMQ.</summary>
[NonParallelizable]
public sealed class When_deadlines_pass_with_several_dispatchers
{
    // A fixed instant, never the time the test runs: 23:50 in Shanghai.
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 15, 50, 0, TimeSpan.Zero);

    [Test]
    public async Task Should_fire_every_step_exactly_once_with_two_dispatchers()
    {
        var clock = new FakeTimeProvider(T0);
        await using var system = await WhistleSystem.DistributedAsync(apis: 1, dispatchers: 2, services: s => s.AddSingleton<TimeProvider>(clock));
        using var township = await system.SignInAsync("township.liuhe");
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await township.RaiseAsync(WhistleClient.Raise($"占道经营 {i}", "street-vending", "emergency"))).Str("id"));
        }

        var assignments = new List<string>();
        foreach (var id in ids)
        {
            assignments.AddRange((await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched"))["assignments"]!.AsArray().Select(a => a!.Str("id")));
        }

        var schedulers = system.Dispatchers.Select(d => d.Services.GetRequiredService<DeadlineScheduler>()).ToList();
        foreach (var step in new[] { 15, 15, 30 })
        {
            clock.Advance(TimeSpan.FromMinutes(step));
            await Task.WhenAll(schedulers.SelectMany(s => new[] { s.RunDueAsync(CancellationToken.None), s.RunDueAsync(CancellationToken.None) }));
        }

        foreach (var assignment in assignments)
        {
            var chain = (await DutySteps.ReadAsync(system, township, assignment))
                .Where(e => e.Str("type") is "AssignmentReminded" or "AssignmentEscalated")
                .Select(e => $"{e.Str("type")}:{e["step"]!["level"]}")
                .ToList();
            Assert.That(chain, Is.EqualTo(new[] { "AssignmentReminded:0", "AssignmentEscalated:1", "AssignmentEscalated:2" }), assignment);
        }
    }

    [Test]
    public async Task Should_fire_what_fell_due_while_the_dispatcher_was_down_once()
    {
        var clock = new FakeTimeProvider(T0);
        await using var system = await WhistleSystem.DistributedAsync(apis: 1, dispatchers: 1, services: s => s.AddSingleton<TimeProvider>(clock));
        using var township = await system.SignInAsync("township.qingshi");
        var id = (await township.RaiseAsync(WhistleClient.Raise("非法采砂", "illegal-mining", "emergency"))).Str("id");
        var lead = (await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched"))["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id");

        await system.StopDispatcherAsync(system.Dispatchers[0]);
        clock.Advance(TimeSpan.FromMinutes(75)); // reminder (15), escalation (30) and its repeat (60) all fall due meanwhile
        var restarted = await system.StartDispatcherAsync();
        var scheduler = restarted.Services.GetRequiredService<DeadlineScheduler>();
        await scheduler.RunDueAsync(CancellationToken.None);
        await scheduler.RunDueAsync(CancellationToken.None);

        IEnumerable<string> Chain(IEnumerable<JsonNode> events) => events
            .Where(e => e.Str("type") is "AssignmentReminded" or "AssignmentEscalated")
            .Select(e => $"{e.Str("type")}:{e["step"]!["level"]}");
        Assert.That(Chain(await DutySteps.ReadAsync(system, township, lead)), Is.EqualTo(new[] { "AssignmentEscalated:2" }), "the missed steps fire once, as the most advanced");

        clock.Advance(TimeSpan.FromMinutes(15));
        await scheduler.RunDueAsync(CancellationToken.None);
        Assert.That(Chain(await DutySteps.ReadAsync(system, township, lead)), Is.EqualTo(new[] { "AssignmentEscalated:2", "AssignmentEscalated:3" }));
    }
}
