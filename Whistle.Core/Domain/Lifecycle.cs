using Whistle.Core.Problems;

namespace Whistle.Core.Domain;

/// <summary>The outcome of asking whether a transition is allowed: when refused, the problem (a code, its values, the English text).</summary>
public readonly record struct Transition(bool Allowed, ProblemText? Problem)
{
    public static Transition Ok => new(true, null);
    public static Transition Refused(ProblemText problem) => new(false, problem);

    /// <summary>The English text of the refusal.</summary>
    public string? Reason => Problem?.Detail;
}

/// <summary>An assignment as the lifecycle rules see it.</summary>
public readonly record struct AssignmentState(string Status);

/// <summary>
/// The lifecycles of PRODUCT.md §4. Pure functions: storage calls them inside the transaction that
/// applies the change, and applies the change with a conditional update on the status it checked.
/// </summary>
public static class Lifecycle
{
    public static Transition CanReport(string assignmentStatus) =>
        assignmentStatus == AssignmentStatus.Dispatched
            ? Transition.Ok
            : Transition.Refused(Problem.AssignmentNotDispatched(assignmentStatus));

    public static Transition CanResolve(string assignmentStatus) =>
        assignmentStatus == AssignmentStatus.Reported
            ? Transition.Ok
            : Transition.Refused(Problem.AssignmentNotReported(assignmentStatus));

    public static Transition CanDecline(string assignmentStatus) =>
        assignmentStatus is AssignmentStatus.Dispatched or AssignmentStatus.Reported
            ? Transition.Ok
            : Transition.Refused(Problem.AssignmentNotOpen(assignmentStatus));

    /// <summary>
    /// 改派: the raising township moves a duty its unit declined; a supervisor also moves an open one (which then ends
    /// as <see cref="AssignmentStatus.Reassigned"/>, not as the unit's decline). A resolved duty, or one already moved,
    /// is not moved again. (Who may see and which units may receive it are checked by the caller and by Summoning.)
    /// </summary>
    public static Transition CanReassign(string role, string assignmentStatus) => (role, assignmentStatus) switch
    {
        (_, AssignmentStatus.Resolved) => Transition.Refused(Problem.AssignmentResolved()),
        (_, AssignmentStatus.Reassigned) => Transition.Refused(Problem.AssignmentAlreadyReassigned()),
        (Roles.Supervisor, AssignmentStatus.Dispatched or AssignmentStatus.Reported or AssignmentStatus.Declined) => Transition.Ok,
        (Roles.Township, AssignmentStatus.Declined) => Transition.Ok,
        (Roles.Township, _) => Transition.Refused(Problem.TownshipReassignsDeclinedOnly(assignmentStatus)),
        _ => Transition.Refused(Problem.ReassignRole()),
    };

    /// <summary>An assignment can be acted on only while its whistle is live.</summary>
    public static Transition CanActOnWhistle(string whistleStatus) =>
        whistleStatus is WhistleStatus.Dispatched or WhistleStatus.InProgress or WhistleStatus.Resolved
            ? Transition.Ok
            : Transition.Refused(Problem.WhistleNotLive(whistleStatus));

    public static Transition CanCancel(string whistleStatus, IEnumerable<AssignmentState> assignments)
    {
        if (whistleStatus is not (WhistleStatus.Raised or WhistleStatus.Dispatched))
        {
            return Transition.Refused(Problem.WhistleNotCancellable(whistleStatus));
        }

        return assignments.Any(a => a.Status is AssignmentStatus.Reported or AssignmentStatus.Resolved)
            ? Transition.Refused(Problem.BranchAlreadyReported())
            : Transition.Ok;
    }

    public static Transition CanConfirm(string whistleStatus) =>
        whistleStatus == WhistleStatus.Resolved
            ? Transition.Ok
            : Transition.Refused(Problem.WhistleNotResolved(whistleStatus, "confirmed"));

    public static Transition CanReopen(string whistleStatus) =>
        whistleStatus == WhistleStatus.Resolved
            ? Transition.Ok
            : Transition.Refused(Problem.WhistleNotResolved(whistleStatus, "reopened"));

    /// <summary>
    /// The whistle's status that follows from its assignments, for a whistle that is live
    /// (dispatched, in progress or resolved). Closed, cancelled and raised are set explicitly.
    /// </summary>
    public static string DeriveWhistleStatus(string current, IReadOnlyCollection<AssignmentState> assignments)
    {
        if (current is WhistleStatus.Closed or WhistleStatus.Cancelled or WhistleStatus.Raised)
        {
            return current;
        }

        var live = assignments.Where(a => AssignmentStatus.IsCurrent(a.Status)).ToList();
        if (live.Count > 0 && live.All(a => a.Status == AssignmentStatus.Resolved))
        {
            return WhistleStatus.Resolved;
        }

        return assignments.Any(a => a.Status is AssignmentStatus.Reported or AssignmentStatus.Resolved)
            ? WhistleStatus.InProgress
            : WhistleStatus.Dispatched;
    }
}
