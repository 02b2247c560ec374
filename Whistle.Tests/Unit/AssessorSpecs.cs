using Microsoft.Extensions.Time.Testing;
using Whistle.Core.Assessment;
using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Tests.Unit;

public sealed class When_units_are_assessed
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 2, 0, 0, TimeSpan.Zero);
    private static readonly AssessmentWeights Weights = new(0.4, 0.3, 0.3);

    private static AssessedAssignment A(string status, int? reportAfter, int? resolveAfter, string? rating = null, int reportLimit = 30, int resolveLimit = 240, int escalations = 0) =>
        new("market-supervision", "market-supervision.chengguan", "chengguan", status, T0, T0.AddMinutes(reportLimit), T0.AddMinutes(resolveLimit),
            reportAfter is null ? null : T0.AddMinutes(reportAfter.Value), resolveAfter is null ? null : T0.AddMinutes(resolveAfter.Value), rating, escalations);

    [Test]
    public void Should_compute_counts_rates_percentiles_and_score_as_by_hand()
    {
        var rows = new[]
        {
            A(AssignmentStatus.Resolved, 10, 100, Rating.Satisfied),
            A(AssignmentStatus.Resolved, 20, 300, Rating.BasicallySatisfied),      // resolved late
            A(AssignmentStatus.Resolved, 40, 200, Rating.Unsatisfied, escalations: 1), // reported late
            A(AssignmentStatus.Reported, 25, null),
            A(AssignmentStatus.Dispatched, null, null, escalations: 2),
            A(AssignmentStatus.Declined, null, null),
        };
        // Ten hours on, every limit has passed: every duty but the declined one counts.
        var f = Assessor.Figures("branch", "b", "b", "b", "market-supervision", "chengguan", rows, Weights, T0.AddHours(10));
        Assert.Multiple(() =>
        {
            Assert.That(f.Assignments, Is.EqualTo(6));
            Assert.That(f.Reported, Is.EqualTo(4));
            Assert.That(f.ReportedWithinLimit, Is.EqualTo(3));
            Assert.That(f.ResponseDue, Is.EqualTo(5));
            Assert.That(f.Resolved, Is.EqualTo(3));
            Assert.That(f.ResolvedWithinLimit, Is.EqualTo(2));
            Assert.That(f.ResolutionDue, Is.EqualTo(5));
            Assert.That(f.Declined, Is.EqualTo(1));
            Assert.That(f.Escalated, Is.EqualTo(2));
            Assert.That(f.Rated, Is.EqualTo(3));
            Assert.That((f.Satisfied, f.BasicallySatisfied, f.Unsatisfied), Is.EqualTo((1, 1, 1)));
            // Time to report, sorted: 10, 20, 25, 40 minutes. Nearest rank: p50 = 2nd, p90 = 4th.
            Assert.That(f.TimeToReportP50, Is.EqualTo(20 * 60));
            Assert.That(f.TimeToReportP90, Is.EqualTo(40 * 60));
            // Time to resolve: 100, 200, 300 minutes: p50 = 2nd, p90 = 3rd.
            Assert.That(f.TimeToResolveP50, Is.EqualTo(200 * 60));
            Assert.That(f.TimeToResolveP90, Is.EqualTo(300 * 60));
            // Rates: 3 of 5 (declined left out), 3 of 5, 2 of 3.
            Assert.That(f.ResponseRate, Is.EqualTo(0.6));
            Assert.That(f.ResolutionRate, Is.EqualTo(0.6));
            Assert.That(f.SatisfactionRate, Is.EqualTo(2.0 / 3).Within(1e-9));
            // Score: 100 × (0.4 × 0.6 + 0.3 × 0.6 + 0.3 × 0.6667) = 62.
            Assert.That(f.Score, Is.EqualTo(62.0));
        });
    }

    /// <summary>
    /// Issue 13: a branch showed 响应率 25% = 2/8 while 6 of its 8 duties were still inside their report limit. A rate
    /// counts only the duties that are due: reported (or resolved), or whose limit has passed.
    /// </summary>
    [Test]
    public void Should_count_only_the_duties_whose_limit_has_passed_or_that_are_finished()
    {
        var clock = new FakeTimeProvider(T0);
        // Two duties reported in time; six dispatched at T0 with a 30-minute report limit, not reported yet.
        var rows = new List<AssessedAssignment> { A(AssignmentStatus.Reported, 5, null), A(AssignmentStatus.Reported, 8, null) };
        rows.AddRange(Enumerable.Range(0, 6).Select(_ => A(AssignmentStatus.Dispatched, null, null)));

        clock.Advance(TimeSpan.FromMinutes(10));
        var early = Assessor.Figures("branch", "b", "b", "b", "market-supervision", "chengguan", rows, Weights, clock.GetUtcNow());
        Assert.Multiple(() =>
        {
            Assert.That((early.ReportedWithinLimit, early.ResponseDue), Is.EqualTo((2, 2)), "the six inside their limit are not counted");
            Assert.That(early.ResponseRate, Is.EqualTo(1.0));
            Assert.That((early.Resolved, early.ResolutionDue), Is.EqualTo((0, 0)), "nothing is due for resolution yet");
            Assert.That(early.ResolutionRate, Is.Null);
            Assert.That(early.Score, Is.EqualTo(100), "only the rate that exists is weighed");
        });

        // Exactly at the report limit nothing has passed yet; a moment later the six unreported ones count as not responded.
        clock.Advance(TimeSpan.FromMinutes(20));
        Assert.That(Assessor.Figures("branch", "b", "b", "b", "market-supervision", "chengguan", rows, Weights, clock.GetUtcNow()).ResponseDue, Is.EqualTo(2));
        clock.Advance(TimeSpan.FromSeconds(1));
        var late = Assessor.Figures("branch", "b", "b", "b", "market-supervision", "chengguan", rows, Weights, clock.GetUtcNow());
        Assert.Multiple(() =>
        {
            Assert.That((late.ReportedWithinLimit, late.ResponseDue), Is.EqualTo((2, 8)));
            Assert.That(late.ResponseRate, Is.EqualTo(0.25));
            Assert.That(late.ResolutionDue, Is.Zero, "the resolve-by (240 minutes) has not passed");
        });
    }

    [Test]
    public void Should_count_a_finished_duty_before_its_limit_and_a_late_report_as_not_in_time()
    {
        var asOf = T0.AddMinutes(60); // report limits (30) passed, resolve limits (240) not
        var rows = new[]
        {
            A(AssignmentStatus.Resolved, 10, 50),  // finished early: counts for both rates
            A(AssignmentStatus.Reported, 45, null), // reported late: responded, not in time; resolution not due
            A(AssignmentStatus.Reported, 20, null), // reported in time; resolution not due
        };
        var f = Assessor.Figures("branch", "b", "b", "b", "market-supervision", "chengguan", rows, Weights, asOf);
        Assert.Multiple(() =>
        {
            Assert.That((f.ReportedWithinLimit, f.ResponseDue), Is.EqualTo((2, 3)));
            Assert.That((f.Resolved, f.ResolutionDue), Is.EqualTo((1, 1)));
            Assert.That(f.ResolutionRate, Is.EqualTo(1.0));
        });
    }

    /// <summary>
    /// Issue 13: a supervisor's 改派 is not the branch's 退回. A duty moved away is judged as it stood when it was moved:
    /// moved inside its limit, it is not counted; moved after its report limit passed unreported, it counts as not responded.
    /// </summary>
    [Test]
    public void Should_not_count_a_reassignment_as_a_decline_and_stop_the_clock_when_the_duty_was_moved()
    {
        var movedEarly = A(AssignmentStatus.Reassigned, null, null) with { ReassignedAt = T0.AddMinutes(10) };
        var movedOverdue = A(AssignmentStatus.Reassigned, null, null) with { ReassignedAt = T0.AddMinutes(45) };
        var declined = A(AssignmentStatus.Declined, null, null);
        var f = Assessor.Figures("branch", "b", "b", "b", "market-supervision", "chengguan", [movedEarly, movedOverdue, declined], Weights, T0.AddDays(2));
        Assert.Multiple(() =>
        {
            Assert.That(f.Declined, Is.EqualTo(1), "only the branch's own decline");
            Assert.That(f.Reassigned, Is.EqualTo(2));
            Assert.That((f.ReportedWithinLimit, f.ResponseDue), Is.EqualTo((0, 1)), "the one moved after its report limit passed");
            Assert.That(f.ResolutionDue, Is.Zero, "neither was moved after its resolve-by");
        });
    }

    [Test]
    public void Should_count_the_trend_by_the_same_rule()
    {
        var rows = new[] { A(AssignmentStatus.Reported, 5, null), A(AssignmentStatus.Dispatched, null, null) };
        var day = Assessor.Trend(rows, T0.AddHours(-2), T0.AddHours(20), T0.AddMinutes(15)).Single(p => p.Assignments > 0);
        Assert.That((day.ReportedWithinLimit, day.ResponseDue, day.ResponseRate), Is.EqualTo((1, 1, (double?)1.0)));
    }

    [Test]
    public void Should_leave_a_unit_without_work_unscored_and_rank_ties_together()
    {
        var units = new[]
        {
            Unit("a", 80), Unit("b", 90), Unit("c", 80), Unit("d", null), Unit("e", 70),
        };
        var ranked = Assessor.Rank(units);
        Assert.That(ranked.Select(u => (u.UnitId, u.Rank)), Is.EqualTo(new (string, int?)[] { ("b", 1), ("a", 2), ("c", 2), ("e", 4), ("d", null) }));
    }

    [Test]
    public void Should_weigh_only_the_rates_that_exist()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Assessor.Score(1, 0.5, null, Weights), Is.EqualTo(Math.Round(100 * (0.4 + 0.15) / 0.7, 2)));
            Assert.That(Assessor.Score(null, null, null, Weights), Is.Null);
        });
    }

    [Test]
    public void Should_cut_days_weeks_and_months_in_Asia_Shanghai()
    {
        var (from, to) = ChinaTime.Period("month", new DateOnly(2026, 11, 27));
        Assert.That((from, to), Is.EqualTo((new DateTimeOffset(2026, 10, 31, 16, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.Zero))));
        var (weekFrom, weekTo) = ChinaTime.Period("week", new DateOnly(2026, 11, 27)); // a Friday
        Assert.That((weekFrom, weekTo), Is.EqualTo((new DateTimeOffset(2026, 11, 22, 16, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 29, 16, 0, 0, TimeSpan.Zero))));
        Assert.That(ChinaTime.LocalDate(new DateTimeOffset(2026, 11, 27, 16, 30, 0, TimeSpan.Zero)), Is.EqualTo(new DateOnly(2026, 11, 28)));
    }

    private static UnitFigures Unit(string id, double? score) =>
        new("branch", id, id, id, "x", null, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, null, null, null, null, null, null, null, score, null);
}
