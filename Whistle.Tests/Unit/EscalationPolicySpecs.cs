using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Tests.Unit;

public sealed class When_the_escalation_chain_plans_its_steps
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 1, 0, 0, TimeSpan.Zero);
    private static readonly EscalationSettings Settings = new(ReminderShare: 0.5, RepeatEveryMinutes: 30);
    private static readonly AssignmentClock Dispatched = new(AssignmentStatus.Dispatched, T0, T0.AddMinutes(30), T0.AddMinutes(240));

    [Test]
    public void Should_remind_at_the_share_then_escalate_at_the_deadline_then_repeat()
    {
        var steps = new List<EscalationStep>();
        var after = T0;
        for (var i = 0; i < 4; i++)
        {
            var step = EscalationPolicy.NextAfter(Dispatched, after, Settings)!;
            steps.Add(step);
            after = step.At;
        }

        Assert.That(steps, Is.EqualTo(new[]
        {
            new EscalationStep(EscalationPolicy.Remind, EscalationPolicy.ReportPhase, 0, T0.AddMinutes(15)),
            new EscalationStep(EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, 1, T0.AddMinutes(30)),
            new EscalationStep(EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, 2, T0.AddMinutes(60)),
            new EscalationStep(EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, 3, T0.AddMinutes(90)),
        }));
    }

    [Test]
    public void Should_run_against_resolve_by_once_reported_and_stop_when_resolved_or_declined()
    {
        var reportedAt = T0.AddMinutes(20);
        var reported = Dispatched with { Status = AssignmentStatus.Reported };
        Assert.Multiple(() =>
        {
            Assert.That(EscalationPolicy.NextAfter(reported, reportedAt, Settings), Is.EqualTo(new EscalationStep(EscalationPolicy.Remind, EscalationPolicy.ResolvePhase, 0, T0.AddMinutes(120))));
            Assert.That(EscalationPolicy.NextAfter(reported, T0.AddMinutes(130), Settings), Is.EqualTo(new EscalationStep(EscalationPolicy.Escalate, EscalationPolicy.ResolvePhase, 1, T0.AddMinutes(240))));
            Assert.That(EscalationPolicy.NextAfter(Dispatched with { Status = AssignmentStatus.Resolved }, reportedAt, Settings), Is.Null);
            Assert.That(EscalationPolicy.NextAfter(Dispatched with { Status = AssignmentStatus.Declined }, reportedAt, Settings), Is.Null);
        });
    }

    [Test]
    public void Should_skip_the_reminder_when_the_share_is_zero()
    {
        var step = EscalationPolicy.NextAfter(Dispatched, T0, Settings with { ReminderShare = 0 });
        Assert.That(step, Is.EqualTo(new EscalationStep(EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, 1, T0.AddMinutes(30))));
    }

    [Test]
    public void Should_collapse_the_steps_missed_while_no_dispatcher_ran_into_the_most_advanced_one()
    {
        var reminder = EscalationPolicy.NextAfter(Dispatched, T0, Settings)!;
        var now = T0.AddMinutes(75);
        var fire = EscalationPolicy.MostAdvancedDue(Dispatched, reminder, now, Settings);
        var next = EscalationPolicy.NextAfter(Dispatched, now, Settings);
        Assert.Multiple(() =>
        {
            Assert.That(fire, Is.EqualTo(new EscalationStep(EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, 2, T0.AddMinutes(60))));
            Assert.That(next, Is.EqualTo(new EscalationStep(EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, 3, T0.AddMinutes(90))));
        });
    }

    [Test]
    public void Should_fire_the_reminder_itself_when_it_is_due_before_the_deadline() =>
        Assert.That(
            EscalationPolicy.MostAdvancedDue(Dispatched, EscalationPolicy.NextAfter(Dispatched, T0, Settings)!, T0.AddMinutes(16), Settings).Kind,
            Is.EqualTo(EscalationPolicy.Remind));

    [Test]
    public void Should_never_plan_a_step_at_or_before_the_moment_it_is_asked()
    {
        for (var minute = 0; minute < 300; minute += 7)
        {
            var after = T0.AddMinutes(minute);
            Assert.That(EscalationPolicy.NextAfter(Dispatched, after, Settings)!.At, Is.GreaterThan(after));
        }
    }
}
