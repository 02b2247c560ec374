using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Dispatcher;
using Whistle.Tests.Support;
using Whistle.Core.Problems;

namespace Whistle.Tests.Integration;

/// <summary>
/// The township's say over branch heads (issue 16) on a fake clock: a period closes at the turn of the year in
/// Asia/Shanghai, each township gets one form per stationed branch pre-filled with the assessment API's own figures,
/// forms are reminded and escalated like duties and final once submitted, a consultation cannot be decided before its
/// limit without the township's answer, and recommendations stay with the township, the institution and the supervisors.
/// On SQLite and on PostgreSQL.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_a_township_assesses_and_recommends_on_branch_heads(string database)
{
    // 2026-12-30 09:00 in Shanghai: the year 2026 closes at 2027-01-01 00:00 Shanghai (2026-12-31 16:00 UTC).
    private static readonly DateTimeOffset T0 = new(2026, 12, 30, 1, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset YearStart = new(2025, 12, 31, 16, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset YearEnd = new(2026, 12, 31, 16, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;
    private string _unsatisfiedWhistle = "";

    private HeadsScheduler Scheduler => _system.Apis[0].Services.GetRequiredService<HeadsScheduler>();

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock), database: database);
        using var township = await _system.SignInAsync("township.chengguan");
        using var um = await _system.SignInAsync("branch.urban-management.chengguan");
        using var ms = await _system.SignInAsync("branch.market-supervision.chengguan");
        var id = (await township.RaiseAsync(WhistleClient.Raise("占道经营（考核期内）", "street-vending", "emergency"))).Str("id");
        var w = await township.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        string Of(string agency) => w["assignments"]!.AsArray().Single(a => a!.Str("agencyCode") == agency)!.Str("id");
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That((await um.PostAsync($"/api/assignments/{Of("urban-management")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await ms.PostAsync($"/api/assignments/{Of("market-supervision")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
        _clock.Advance(TimeSpan.FromMinutes(50));
        Assert.That((await um.PostAsync($"/api/assignments/{Of("urban-management")}/resolve", new { note = "已劝离" })).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await ms.PostAsync($"/api/assignments/{Of("market-supervision")}/resolve", new { note = "已处置" })).Status, Is.EqualTo(HttpStatusCode.OK));
        await township.WaitForWhistleAsync(id, x => x.Str("status") == "resolved");
        var confirm = await township.PostAsync($"/api/whistles/{id}/confirm", new
        {
            ratings = new object[]
            {
                new { assignmentId = Of("urban-management"), rating = "unsatisfied", comment = "摊位次日又回来了" },
                new { assignmentId = Of("market-supervision"), rating = "satisfied" },
            },
        });
        Assert.That(confirm.Status, Is.EqualTo(HttpStatusCode.OK));
        _unsatisfiedWhistle = id;

        // The turn of the year: the period closes.
        _clock.SetUtcNow(YearEnd.AddMinutes(1));
        await Scheduler.RunDueAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private Task<WhistleClient> As(string user) => _system.SignInAsync(user); // tokens live 12 hours of the fake clock

    private static async Task<JsonArray> ArrayAsync(WhistleClient client, string path)
    {
        var (status, body, _) = await client.GetAsync(path);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), path);
        return body!.AsArray();
    }

    [Test, Order(1)]
    public async Task Should_close_the_period_once_with_one_form_per_stationed_branch()
    {
        using var supervisor = await As("supervisor");
        using var township = await As("township.chengguan");
        var all = await ArrayAsync(supervisor, "/api/assessment-forms?periodId=2026");
        var own = await ArrayAsync(township, "/api/assessment-forms?periodId=2026");
        var (_, org, _) = await supervisor.GetAsync("/api/org");
        var branches = org!["branches"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(all.Select(f => f!.Str("branchId")), Is.EquivalentTo(branches.Select(b => b!.Str("id"))), "one form per branch of the county");
            Assert.That(own.Select(f => f!.Str("branchId")), Is.EquivalentTo(branches.Where(b => b!.Str("townshipId") == "chengguan").Select(b => b!.Str("id"))), "the township's own");
            Assert.That(all.All(f => f!.Str("status") == "pending" && f!["formVersion"]!.GetValue<int>() == 1));
            Assert.That(own.Single(f => f!.Str("branchId") == "urban-management.chengguan")!.Str("headName"), Is.EqualTo("王建国"), "the head holding the post when the period closed");
        });

        var again = await Scheduler.RunDueAsync(CancellationToken.None);
        Assert.That(again.Issued, Is.Zero, "a closed period is never closed twice");
        Assert.That(await ArrayAsync(supervisor, "/api/assessment-forms?periodId=2026"), Has.Count.EqualTo(all.Count));
    }

    [Test, Order(2)]
    public async Task Should_prefill_each_form_with_the_assessment_APIs_figures_for_the_period()
    {
        using var township = await As("township.chengguan");
        var forms = await ArrayAsync(township, "/api/assessment-forms?periodId=2026");
        var (status, api, _) = await township.GetAsync($"/api/stats/assessment?from={Uri.EscapeDataString(YearStart.ToString("O"))}&to={Uri.EscapeDataString(YearEnd.ToString("O"))}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var figures = api!["branches"]!.AsArray();
        Assert.That(figures, Has.Count.EqualTo(forms.Count));
        foreach (var unit in figures)
        {
            var form = forms.Single(f => f!.Str("branchId") == unit!.Str("unitId"))!;
            Assert.That(JsonNode.DeepEquals(form["evidence"]!["figures"], unit), Is.True, $"{unit!.Str("unitId")}: {form["evidence"]!["figures"]!.ToJsonString()} ≠ {unit!.ToJsonString()}");
            Assert.That(form["evidence"]!["peers"]!.GetValue<int>(), Is.EqualTo(figures.Count));
        }

        var um = forms.Single(f => f!.Str("branchId") == "urban-management.chengguan")!["evidence"]!;
        Assert.Multiple(() =>
        {
            Assert.That(um["figures"]!["assignments"]!.GetValue<int>(), Is.EqualTo(1), "the evidence counts the period's duty (it is not empty)");
            Assert.That(um["figures"]!["unsatisfied"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(um["unsatisfied"]!.AsArray().Select(u => (u!.Str("whistleId"), u!.Str("comment"))), Is.EqualTo(new[] { (_unsatisfiedWhistle, "摊位次日又回来了") }));
        });
    }

    [Test, Order(3)]
    public async Task Should_remind_and_escalate_a_form_like_a_duty_and_keep_it_final_once_submitted()
    {
        using var supervisor = await As("supervisor");
        var form = (await ArrayAsync(supervisor, "/api/assessment-forms?periodId=2026")).Single(f => f!.Str("branchId") == "urban-management.chengguan")!;
        var id = form.Str("id");
        var issued = DateTimeOffset.Parse(form.Str("issuedAt"), System.Globalization.CultureInfo.InvariantCulture);
        var due = DateTimeOffset.Parse(form.Str("dueAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(due - issued, Is.EqualTo(TimeSpan.FromDays(15)), "heads.formDueDays");

        async Task<List<string>> Chain(DateTimeOffset when)
        {
            _clock.SetUtcNow(when);
            await Scheduler.RunDueAsync(CancellationToken.None);
            using var viewer = await As("township.chengguan");
            await using var push = await _system.ConnectAsync(viewer);
            var events = new List<JsonNode>();
            long after = 0;
            while (true)
            {
                var page = await push.CatchUpAsync(after);
                events.AddRange(page);
                if (page.Count < 500) break;
                after = page[^1].Seq();
            }

            return events.Where(e => (string?)e["whistleId"] == id && e.Str("type") is "AssessmentFormReminded" or "AssessmentFormEscalated")
                .Select(e => $"{e.Str("type")}:{e["step"]!["level"]!.GetValue<int>()}").ToList();
        }

        var half = issued + ((due - issued) / 2);
        Assert.That(await Chain(half - TimeSpan.FromMinutes(1)), Is.Empty, "nothing before half of the limit");
        Assert.That(await Chain(half), Is.EqualTo(new[] { "AssessmentFormReminded:0" }), "催办 at the county's reminder share");
        Assert.That(await Chain(due), Is.EqualTo(new[] { "AssessmentFormReminded:0", "AssessmentFormEscalated:1" }), "督办 at the deadline");
        Assert.That(await Chain(due.AddHours(24)), Is.EqualTo(new[] { "AssessmentFormReminded:0", "AssessmentFormEscalated:1", "AssessmentFormEscalated:2" }), "repeated every heads.repeatEveryHours");

        var township = await As("township.chengguan");
        using var supervisorLater = await As("supervisor");
        var late = (await ArrayAsync(supervisorLater, "/api/assessment-forms?status=late")).Select(f => f!.Str("id"));
        Assert.That(late, Does.Contain(id), "the supervisor sees who is late");
        var submitted = await township.PostAsync($"/api/assessment-forms/{id}/submit", new { grade = "competent", opinion = "能按时报到，办结质量有待提高。" });
        Assert.That(submitted.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.Multiple(() =>
        {
            Assert.That(submitted.Body!.Str("gradeName"), Is.EqualTo("称职"));
            Assert.That(submitted.Body!["late"]!.GetValue<bool>(), Is.True, "submitted after the deadline");
        });
        var again = await township.PostAsync($"/api/assessment-forms/{id}/submit", new { grade = "excellent", opinion = "改" });
        Assert.That(again.Status, Is.EqualTo(HttpStatusCode.Conflict), "final once submitted");
        Assert.That(again.Body!.Str("code"), Is.EqualTo(ProblemCodes.FormFinal), again.Body!.ToJsonString());
        Assert.That(await Chain(due.AddDays(5)), Has.Count.EqualTo(3), "no step after the submission");
        township.Dispose();
        township = await As("township.chengguan"); // five days on the fake clock: a fresh token

        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "correct-um-2026" };
        var corrected = await township.PostAsync($"/api/assessment-forms/{id}/corrections", new { grade = "basically-competent", opinion = "复核后调整。", reason = "复核发现漏计一次督办" }, key);
        var replay = await township.PostAsync($"/api/assessment-forms/{id}/corrections", new { grade = "basically-competent", opinion = "复核后调整。", reason = "复核发现漏计一次督办" }, key);
        Assert.Multiple(() =>
        {
            Assert.That(corrected.Status, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(corrected.Body!["formVersion"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(replay.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(replay.Body!.Str("id"), Is.EqualTo(corrected.Body!.Str("id")), "the same Idempotency-Key answers the first correction");
        });
        var (_, v1, _) = await township.GetAsync($"/api/assessment-forms/{id}");
        Assert.Multiple(() =>
        {
            Assert.That(v1!.Str("grade"), Is.EqualTo("competent"), "the submitted version stays as it was");
            Assert.That(v1!["versions"]!.AsArray().Select(v => v!["formVersion"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2 }));
        });
        var stale = await township.PostAsync($"/api/assessment-forms/{id}/corrections", new { grade = "competent", opinion = "x", reason = "y" });
        Assert.That(stale.Status, Is.EqualTo(HttpStatusCode.Conflict), "only the latest version is corrected");
        Assert.That(stale.Body!.Str("code"), Is.EqualTo(ProblemCodes.FormVersionReplaced), stale.Body!.ToJsonString());
        Assert.That(stale.Body!["params"]!["latest"]!.GetValue<int>(), Is.EqualTo(2));
        township.Dispose();

        using var agency = await As("agency.urban-management");
        var seen = (await ArrayAsync(agency, "/api/assessment-forms?periodId=2026")).Single(f => f!.Str("branchId") == "urban-management.chengguan")!;
        Assert.Multiple(() =>
        {
            Assert.That(seen.Str("grade"), Is.EqualTo("basically-competent"), "the institution sees the result (the latest version)");
            Assert.That(seen["weight"]!.GetValue<double>(), Is.EqualTo(0.3), "and the weight in the head's annual assessment");
        });
    }

    [Test, Order(4)]
    public async Task Should_refuse_a_decision_before_the_opinions_limit_and_record_one_taken_after_it_without_an_answer()
    {
        using var agency = await As("agency.market-supervision");
        var (status, asked, _) = await agency.PostAsync("/api/recommendations", new
        {
            kind = "consultation", branchId = "market-supervision.chengguan", action = "move", reasons = "拟交流任职", candidateName = (string?)null,
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        var id = asked!.Str("id");
        var due = DateTimeOffset.Parse(asked!.Str("dueAt"), System.Globalization.CultureInfo.InvariantCulture);
        var early = await agency.PostAsync($"/api/recommendations/{id}/decide", new { decision = "交流至东风街道市场监管所" });
        Assert.That(early.Status, Is.EqualTo(HttpStatusCode.Conflict), "no decision before the township's limit without its answer");
        Assert.That(early.Body!.Str("code"), Is.EqualTo(ProblemCodes.OpinionNotDue), early.Body!.ToJsonString());
        Assert.That(DateTimeOffset.Parse(early.Body!["params"]!.Str("dueAt"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(due));

        _clock.SetUtcNow(due.AddMinutes(1));
        using var agencyLater = await As("agency.market-supervision");
        var decided = await agencyLater.PostAsync($"/api/recommendations/{id}/decide", new { decision = "交流至东风街道市场监管所" });
        Assert.Multiple(() =>
        {
            Assert.That(decided.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(decided.Body!.Str("status"), Is.EqualTo("decided"));
            Assert.That(decided.Body!["decidedWithoutAnswer"]!.GetValue<bool>(), Is.True, "on the record: decided without the township's opinion");
        });
        using var township = await As("township.chengguan");
        var tooLate = await township.PostAsync($"/api/recommendations/{id}/answer", new { answer = "agree", reasons = "同意" });
        Assert.That(tooLate.Status, Is.EqualTo(HttpStatusCode.Conflict), "too late to answer");
        Assert.That(tooLate.Body!.Str("code"), Is.EqualTo(ProblemCodes.RecommendationAnswered), tooLate.Body!.ToJsonString());
    }

    [Test, Order(5)]
    public async Task Should_show_a_recommendation_to_the_township_the_institution_and_the_supervisor_only()
    {
        using var township = await As("township.chengguan");
        var form = (await ArrayAsync(township, "/api/assessment-forms?periodId=2026")).Single(f => f!.Str("branchId") == "urban-management.chengguan")!.Str("id");
        var (status, made, _) = await township.PostAsync("/api/recommendations", new
        {
            kind = "recommendation", branchId = "urban-management.chengguan", action = "talk", reasons = "全年不满意评价偏多，建议约谈。",
            evidence = new[] { new { kind = "whistle", id = _unsatisfiedWhistle }, new { kind = "form", id = form } },
        }, new Dictionary<string, string> { ["Idempotency-Key"] = "rec-um-talk" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        var id = made!.Str("id");
        Assert.That(made!["evidence"]!.AsArray().Select(e => e!.Str("id")), Is.EqualTo(new[] { _unsatisfiedWhistle, form }));

        using var branch = await As("branch.urban-management.chengguan");
        using var otherTownship = await As("township.dongfeng");
        using var otherAgency = await As("agency.health");
        using var agency = await As("agency.urban-management");
        using var supervisor = await As("supervisor");
        Assert.Multiple(async () =>
        {
            Assert.That((await branch.GetAsync("/api/recommendations")).Status, Is.EqualTo(HttpStatusCode.Forbidden), "the branch: nothing");
            Assert.That((await branch.GetAsync($"/api/recommendations/{id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await branch.GetAsync("/api/assessment-forms")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await otherTownship.GetAsync($"/api/recommendations/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound), "another township: nothing");
            Assert.That((await ArrayAsync(otherTownship, "/api/recommendations")).Select(r => r!.Str("id")), Does.Not.Contain(id));
            Assert.That((await otherAgency.GetAsync($"/api/recommendations/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound), "another institution: nothing");
            Assert.That((await ArrayAsync(agency, "/api/recommendations?status=open")).Select(r => r!.Str("id")), Does.Contain(id), "the institution's inbox");
            Assert.That((await ArrayAsync(supervisor, "/api/recommendations?status=open")).Select(r => r!.Str("id")), Does.Contain(id));
        });

        // Pushed and caught up by the groups concerned only.
        async Task<bool> Sees(WhistleClient client)
        {
            await using var push = await _system.ConnectAsync(client);
            var events = new List<JsonNode>();
            long after = 0;
            while (true)
            {
                var page = await push.CatchUpAsync(after);
                events.AddRange(page);
                if (page.Count < 500) break;
                after = page[^1].Seq();
            }

            return events.Any(e => (string?)e["whistleId"] == id);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await Sees(branch), Is.False, "the branch's catch-up");
            Assert.That(await Sees(otherTownship), Is.False, "another township's catch-up");
            Assert.That(await Sees(agency), Is.True);
            Assert.That(await Sees(supervisor), Is.True);
        });

        // The institution must answer within its limit: reminded, then escalated to the supervisors.
        var due = DateTimeOffset.Parse(made.Str("dueAt"), System.Globalization.CultureInfo.InvariantCulture);
        var opened = DateTimeOffset.Parse(made.Str("openedAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(due - opened, Is.EqualTo(TimeSpan.FromDays(15)), "heads.answerDays");
        _clock.SetUtcNow(opened + ((due - opened) / 2));
        await Scheduler.RunDueAsync(CancellationToken.None);
        _clock.SetUtcNow(due);
        await Scheduler.RunDueAsync(CancellationToken.None);
        using var supervisorLater = await As("supervisor");
        var row = (await ArrayAsync(supervisorLater, "/api/recommendations?status=open")).Single(r => r!.Str("id") == id)!;
        Assert.Multiple(() =>
        {
            Assert.That(row["reminderCount"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(row["escalationCount"]!.GetValue<int>(), Is.EqualTo(1));
        });
        using var agencyLater = await As("agency.urban-management");
        var answered = await agencyLater.PostAsync($"/api/recommendations/{id}/answer", new { answer = "accepted", reasons = "情况属实", actionTaken = "局分管领导已约谈该中队长" });
        Assert.That(answered.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(answered.Body!.Str("answerAction"), Is.EqualTo("局分管领导已约谈该中队长"));
    }
}
