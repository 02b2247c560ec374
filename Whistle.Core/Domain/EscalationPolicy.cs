using Whistle.Core.County;

namespace Whistle.Core.Domain;

/// <summary>One step of the escalation chain: a reminder (催办, level 0) or an escalation (督办, level 1, 2, …).</summary>
public sealed record EscalationStep(string Kind, string Phase, int Level, DateTimeOffset At);

/// <summary>The deadlines of one assignment, as the chain needs them.</summary>
public readonly record struct AssignmentClock(string Status, DateTimeOffset DispatchedAt, DateTimeOffset ReportBy, DateTimeOffset ResolveBy);

/// <summary>
/// The escalation chain as pure functions. While an assignment is <c>dispatched</c> the chain runs
/// against report-by, while <c>reported</c> against resolve-by; resolved or declined stops it.
/// A reminder falls when the set share of the limit (from dispatch) has passed; an escalation at
/// the deadline, repeated every interval. Steps missed while no dispatcher ran collapse into one:
/// the most advanced step due.
/// </summary>
public static class EscalationPolicy
{
    public const string Remind = "remind";
    public const string Escalate = "escalate";
    public const string ReportPhase = "report";
    public const string ResolvePhase = "resolve";

    public static string? PhaseOf(string status) => status switch
    {
        AssignmentStatus.Dispatched => ReportPhase,
        AssignmentStatus.Reported => ResolvePhase,
        _ => null,
    };

    /// <summary>The first step of the assignment's current phase that falls strictly after <paramref name="after"/>.</summary>
    public static EscalationStep? NextAfter(AssignmentClock clock, DateTimeOffset after, EscalationSettings settings)
    {
        var phase = PhaseOf(clock.Status);
        if (phase is null)
        {
            return null;
        }

        var deadline = phase == ReportPhase ? clock.ReportBy : clock.ResolveBy;
        if (settings.ReminderShare is > 0 and < 1)
        {
            var remindAt = clock.DispatchedAt + ((deadline - clock.DispatchedAt) * settings.ReminderShare);
            if (remindAt > after && remindAt < deadline)
            {
                return new EscalationStep(Remind, phase, 0, remindAt);
            }
        }

        if (deadline > after)
        {
            return new EscalationStep(Escalate, phase, 1, deadline);
        }

        var interval = TimeSpan.FromMinutes(settings.RepeatEveryMinutes);
        var passed = (long)Math.Floor((after - deadline) / interval);
        var level = (int)Math.Min(int.MaxValue - 1, passed + 1);
        return new EscalationStep(Escalate, phase, level + 1, deadline + (interval * level));
    }

    /// <summary>
    /// The step to fire now, given the pending one fell due: the most advanced step due by
    /// <paramref name="now"/> (a reminder whose deadline has also passed becomes the escalation).
    /// </summary>
    public static EscalationStep MostAdvancedDue(AssignmentClock clock, EscalationStep due, DateTimeOffset now, EscalationSettings settings)
    {
        var deadline = due.Phase == ReportPhase ? clock.ReportBy : clock.ResolveBy;
        if (now < deadline)
        {
            return due;
        }

        var interval = TimeSpan.FromMinutes(settings.RepeatEveryMinutes);
        var level = (int)Math.Min(int.MaxValue - 1, (long)Math.Floor((now - deadline) / interval) + 1);
        var mostAdvanced = new EscalationStep(Escalate, due.Phase, level, deadline + (interval * (level - 1)));
        return mostAdvanced.Level >= due.Level || due.Kind == Remind ? mostAdvanced : due;
    }
}
