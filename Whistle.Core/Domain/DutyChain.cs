using Dapper;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Core.Domain;

/// <summary>
/// The escalation chain of a duty that is not a whistle's assignment — a township's heads form, the answer to a
/// recommendation or a consultation, a department's answer to a submission, a department's reply to a follow-up — on
/// the duties' own pure functions (<see cref="EscalationPolicy"/>): a reminder (催办) once the county's share of the limit
/// has passed, an escalation (督办) at the limit, repeated as the duty's settings say until it is done; steps missed
/// while no scheduler ran fire once.
/// </summary>
public static class DutyChain
{
    private static AssignmentClock Clock(DateTimeOffset openedAt, DateTimeOffset dueAt) =>
        new(AssignmentStatus.Dispatched, openedAt, dueAt, dueAt);

    /// <summary>The first step after <paramref name="after"/>.</summary>
    public static EscalationStep? First(DateTimeOffset openedAt, DateTimeOffset dueAt, DateTimeOffset after, EscalationSettings settings) =>
        EscalationPolicy.NextAfter(Clock(openedAt, dueAt), after, settings);

    /// <summary>The step to fire now (the most advanced due) and the one after it.</summary>
    public static (EscalationStep Fire, EscalationStep? Next) Fire(DutyChainState duty, DateTimeOffset stepAt, DateTimeOffset now, EscalationSettings settings)
    {
        var clock = Clock(duty.OpenedAt, duty.DueAt);
        var due = new EscalationStep(duty.NextStepKind ?? EscalationPolicy.Escalate, EscalationPolicy.ReportPhase, duty.NextStepLevel ?? 1, stepAt);
        return (EscalationPolicy.MostAdvancedDue(clock, due, now, settings), EscalationPolicy.NextAfter(clock, now, settings));
    }
}

/// <summary>
/// The statements of one table's chain, written beside its owner (the owner keeps every statement on its table): the
/// earliest step due, the steps due now (a page), clearing the step of a duty that is done, and firing one.
/// <see cref="Fire"/> takes <c>@Id, @NextAt, @NextKind, @NextLevel, @Reminded, @Escalated, @DueAt, @RowVersion</c>.
/// </summary>
public sealed record DutyChainStatements(string NextStepDue, Func<SqlDialect, string> DueSteps, string ClearStep, string Fire);

/// <summary>Where a duty stands on its chain: what <see cref="DutyChainSteps{TRow}"/> needs of a row.</summary>
public sealed record DutyChainState(string Id, bool Open, DateTimeOffset OpenedAt, DateTimeOffset DueAt, DateTimeOffset? NextStepAt, string? NextStepKind, int? NextStepLevel, int RowVersion);

/// <summary>A row of a duty with a chain.</summary>
public interface IDutyChained
{
    DutyChainState ChainState { get; }
}

/// <summary>A step of a chain due now.</summary>
public sealed record DueChainStep(string Id, DateTimeOffset At);

/// <summary>
/// The chain's steps of one kind of duty, for the owner of its table: the earliest step due, the steps due now, and
/// firing one — under the row's lock, once (the version-checked update holds it to one row), a step of a duty no
/// longer open cleared instead — announced by the owner's own event.
/// </summary>
/// <param name="settings">The duty's chain settings (the county's reminder share; how often an escalation repeats).</param>
/// <param name="load">The row, locked for this transaction.</param>
/// <param name="announce">The owner's timeline event for a fired step: (unit, row, escalated, level, system actor, now).</param>
public sealed class DutyChainSteps<TRow>(
    WhistleDatabase database,
    CountyCatalogHolder county,
    TimeProvider time,
    Func<CountyCatalog, EscalationSettings> settings,
    DutyChainStatements sql,
    Func<UnitOfWork, string, Task<TRow?>> load,
    Func<UnitOfWork, TRow, bool, int, EventActor, DateTimeOffset, Task> announce)
    where TRow : class, IDutyChained
{
    public async Task<DateTimeOffset?> NextStepDueAsync(CancellationToken ct) =>
        await database.ReadAsync(c => c.ExecuteScalarAsync<DateTimeOffset?>(sql.NextStepDue), ct);

    public async Task<IReadOnlyList<DueChainStep>> DueStepsAsync(DateTimeOffset now, int take, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<DueChainStep>(database.Dialect.Sql(sql.DueSteps), new { Now = now, Take = take, Skip = 0 }), ct)).ToList();

    /// <summary>Fires the row's due step (催办, or 督办), once; false when none was due or another fired it.</summary>
    public async Task<bool> FireStepAsync(string id, CancellationToken ct) =>
        await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                var row = await load(unit, id);
                if (row?.ChainState is not { NextStepAt: { } stepAt } duty || stepAt > now) return false;
                if (!duty.Open)
                {
                    await unit.Connection.ExecuteAsync(sql.ClearStep, new { duty.Id }, unit.Transaction);
                    unit.Complete();
                    return false;
                }

                var catalog = county.Catalog;
                var (fire, next) = DutyChain.Fire(duty, stepAt, now, settings(catalog));
                var escalated = fire.Kind == EscalationPolicy.Escalate ? 1 : 0;
                var rows = await unit.Connection.ExecuteAsync(
                    sql.Fire,
                    new { duty.Id, NextAt = next?.At, NextKind = next?.Kind, NextLevel = next?.Level, Reminded = 1 - escalated, Escalated = escalated, DueAt = stepAt, duty.RowVersion },
                    unit.Transaction);
                if (rows != 1) return false;
                await announce(unit, row, escalated == 1, fire.Level, WhistleStore.SystemActor(catalog.County.Id), now);
                unit.Complete();
                return true;
            },
            ct);
}
