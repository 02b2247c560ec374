using Whistle.Core.Domain;
using static Whistle.Core.Domain.AssignmentStatus;

namespace Whistle.Tests.Unit;

public sealed class When_a_branch_acts_on_an_assignment
{
    [TestCase(Dispatched, true)]
    [TestCase(Reported, false)]
    [TestCase(Resolved, false)]
    [TestCase(Declined, false)]
    public void Should_report_only_a_dispatched_assignment(string status, bool allowed) =>
        Assert.That(Lifecycle.CanReport(status).Allowed, Is.EqualTo(allowed));

    [TestCase(Dispatched, false)]
    [TestCase(Reported, true)]
    [TestCase(Resolved, false)]
    [TestCase(Declined, false)]
    public void Should_resolve_only_a_reported_assignment(string status, bool allowed) =>
        Assert.That(Lifecycle.CanResolve(status).Allowed, Is.EqualTo(allowed));

    [TestCase(Dispatched, true)]
    [TestCase(Reported, true)]
    [TestCase(Resolved, false)]
    [TestCase(Declined, false)]
    public void Should_decline_only_an_open_assignment(string status, bool allowed) =>
        Assert.That(Lifecycle.CanDecline(status).Allowed, Is.EqualTo(allowed));

    [TestCase(Reassigned)]
    public void Should_let_nobody_act_on_a_duty_moved_away(string status) =>
        Assert.That((Lifecycle.CanReport(status).Allowed, Lifecycle.CanResolve(status).Allowed, Lifecycle.CanDecline(status).Allowed), Is.EqualTo((false, false, false)));

    [TestCase(Roles.Supervisor, Dispatched, true)]
    [TestCase(Roles.Supervisor, Reported, true)]
    [TestCase(Roles.Supervisor, Declined, true)]
    [TestCase(Roles.Supervisor, Resolved, false)]
    [TestCase(Roles.Supervisor, Reassigned, false)]
    [TestCase(Roles.Township, Declined, true)]
    [TestCase(Roles.Township, Dispatched, false)]
    [TestCase(Roles.Township, Reported, false)]
    [TestCase(Roles.Township, Reassigned, false)]
    [TestCase(Roles.Branch, Declined, false)]
    [TestCase(Roles.Agency, Dispatched, false)]
    public void Should_reassign_a_declined_duty_and_let_only_a_supervisor_move_an_open_one(string role, string status, bool allowed) =>
        Assert.That(Lifecycle.CanReassign(role, status).Allowed, Is.EqualTo(allowed));

    [Test]
    public void Should_leave_a_duty_moved_away_out_of_the_whistles_status()
    {
        var states = new[] { new AssignmentState(Reassigned), new AssignmentState(Resolved) };
        Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.InProgress, states), Is.EqualTo(WhistleStatus.Resolved));
    }

    [TestCase(WhistleStatus.Raised, false)]
    [TestCase(WhistleStatus.Dispatched, true)]
    [TestCase(WhistleStatus.InProgress, true)]
    [TestCase(WhistleStatus.Resolved, true)]
    [TestCase(WhistleStatus.Closed, false)]
    [TestCase(WhistleStatus.Cancelled, false)]
    public void Should_act_only_while_the_whistle_is_live(string status, bool allowed) =>
        Assert.That(Lifecycle.CanActOnWhistle(status).Allowed, Is.EqualTo(allowed));

    [Test]
    public void Should_give_a_reason_when_refused()
    {
        var refused = Lifecycle.CanResolve(Dispatched);
        Assert.That(refused.Reason, Does.Contain("reported"));
    }
}

public sealed class When_a_township_acts_on_its_whistle
{
    private static AssignmentState[] States(params string[] statuses) => statuses.Select(s => new AssignmentState(s)).ToArray();

    [Test]
    public void Should_cancel_before_any_branch_reported()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Lifecycle.CanCancel(WhistleStatus.Raised, []).Allowed, Is.True);
            Assert.That(Lifecycle.CanCancel(WhistleStatus.Dispatched, States(Dispatched, Declined)).Allowed, Is.True);
            Assert.That(Lifecycle.CanCancel(WhistleStatus.Dispatched, States(Dispatched, Reported)).Allowed, Is.False);
            Assert.That(Lifecycle.CanCancel(WhistleStatus.InProgress, States(Reported)).Allowed, Is.False);
            Assert.That(Lifecycle.CanCancel(WhistleStatus.Cancelled, []).Allowed, Is.False);
            Assert.That(Lifecycle.CanCancel(WhistleStatus.Closed, States(Resolved)).Allowed, Is.False);
        });
    }

    [TestCase(WhistleStatus.Raised, false)]
    [TestCase(WhistleStatus.Dispatched, false)]
    [TestCase(WhistleStatus.InProgress, false)]
    [TestCase(WhistleStatus.Resolved, true)]
    [TestCase(WhistleStatus.Closed, false)]
    [TestCase(WhistleStatus.Cancelled, false)]
    public void Should_confirm_and_reopen_only_a_resolved_whistle(string status, bool allowed)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Lifecycle.CanConfirm(status).Allowed, Is.EqualTo(allowed));
            Assert.That(Lifecycle.CanReopen(status).Allowed, Is.EqualTo(allowed));
        });
    }
}

public sealed class When_assignments_change
{
    private static AssignmentState[] States(params string[] statuses) => statuses.Select(s => new AssignmentState(s)).ToArray();

    [Test]
    public void Should_derive_the_whistle_status_from_its_assignments()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.Dispatched, States(Dispatched, Dispatched)), Is.EqualTo(WhistleStatus.Dispatched));
            Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.Dispatched, States(Reported, Dispatched)), Is.EqualTo(WhistleStatus.InProgress));
            Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.InProgress, States(Resolved, Reported)), Is.EqualTo(WhistleStatus.InProgress));
            Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.InProgress, States(Resolved, Resolved)), Is.EqualTo(WhistleStatus.Resolved));
            Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.InProgress, States(Resolved, Declined)), Is.EqualTo(WhistleStatus.Resolved));
            Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.Dispatched, States(Declined, Declined)), Is.EqualTo(WhistleStatus.Dispatched));
            Assert.That(Lifecycle.DeriveWhistleStatus(WhistleStatus.Dispatched, States(Declined, Dispatched)), Is.EqualTo(WhistleStatus.Dispatched));
        });
    }

    [TestCase(WhistleStatus.Closed)]
    [TestCase(WhistleStatus.Cancelled)]
    [TestCase(WhistleStatus.Raised)]
    public void Should_never_move_a_whistle_out_of_a_status_set_explicitly(string status) =>
        Assert.That(Lifecycle.DeriveWhistleStatus(status, States(Resolved)), Is.EqualTo(status));
}
