using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Core.Heads;

/// <summary>
/// The escalation chain of a heads duty (a township's form, the answer to a recommendation or a consultation), as the
/// duties of a whistle have it (<see cref="EscalationPolicy"/>, the same pure functions): a reminder (催办) once the county's
/// share of the limit has passed, an escalation (督办) to the supervisors at the limit, repeated every
/// <see cref="HeadsSettings.RepeatEveryHours"/> until the duty is done; steps missed while no scheduler ran fire once.
/// </summary>
public static class HeadsChain
{
    private static AssignmentClock Clock(DateTimeOffset issuedAt, DateTimeOffset dueAt) =>
        new(AssignmentStatus.Dispatched, issuedAt, dueAt, dueAt);

    /// <summary>The first step after <paramref name="after"/>.</summary>
    public static EscalationStep? First(DateTimeOffset issuedAt, DateTimeOffset dueAt, DateTimeOffset after, CountyCatalog catalog) =>
        EscalationPolicy.NextAfter(Clock(issuedAt, dueAt), after, catalog.Heads.Chain(catalog.Escalation));

    /// <summary>The step to fire now (the most advanced due) and the one after it.</summary>
    public static (EscalationStep Fire, EscalationStep? Next) Fire(
        DateTimeOffset issuedAt, DateTimeOffset dueAt, string? kind, int? level, DateTimeOffset stepAt, DateTimeOffset now, CountyCatalog catalog)
    {
        var settings = catalog.Heads.Chain(catalog.Escalation);
        var clock = Clock(issuedAt, dueAt);
        var due = new EscalationStep(kind ?? EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, level ?? 1, stepAt);
        return (EscalationPolicy.MostAdvancedDue(clock, due, now, settings), EscalationPolicy.NextAfter(clock, now, settings));
    }
}
