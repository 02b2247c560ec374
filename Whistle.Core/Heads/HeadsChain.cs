using Dapper;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

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

/// <summary>
/// The statements of one heads table's chain, written beside its owner (the owner keeps every statement on its table):
/// the earliest step due, the steps due now (a page), clearing the step of a duty that is done, and firing one.
/// <see cref="Fire"/> takes <c>@Id, @NextAt, @NextKind, @NextLevel, @Reminded, @Escalated, @DueAt, @RowVersion</c>.
/// </summary>
public sealed record HeadsChainStatements(string NextStepDue, Func<SqlDialect, string> DueSteps, string ClearStep, string Fire);

/// <summary>Where a heads duty stands on its chain: what <see cref="HeadsChainSteps{TRow}"/> needs of a row.</summary>
public sealed record HeadsChainState(string Id, bool Open, DateTimeOffset IssuedAt, DateTimeOffset DueAt, DateTimeOffset? NextStepAt, string? NextStepKind, int? NextStepLevel, int RowVersion);

/// <summary>A row of a heads duty with a chain (an assessment form, a recommendation).</summary>
public interface IHeadsChained
{
    HeadsChainState ChainState { get; }
}

/// <summary>
/// The chain's steps of one kind of heads duty (an assessment form, a recommendation), for the owner of its table: the
/// earliest step due, the steps due now, and firing one — under the row's lock, once (the version-checked update holds
/// it to one row), a step of a duty no longer open cleared instead — announced by the owner's own event.
/// </summary>
/// <param name="load">The row, locked for this transaction.</param>
/// <param name="announce">The owner's timeline event for a fired step: (unit, row, escalated, level, system actor, now).</param>
public sealed class HeadsChainSteps<TRow>(
    WhistleDatabase database,
    CountyCatalogHolder county,
    TimeProvider time,
    HeadsChainStatements sql,
    Func<UnitOfWork, string, Task<TRow?>> load,
    Func<UnitOfWork, TRow, bool, int, EventActor, DateTimeOffset, Task> announce)
    where TRow : class, IHeadsChained
{
    public async Task<DateTimeOffset?> NextStepDueAsync(CancellationToken ct) =>
        await database.ReadAsync(c => c.ExecuteScalarAsync<DateTimeOffset?>(sql.NextStepDue), ct);

    public async Task<IReadOnlyList<HeadsDueStep>> DueStepsAsync(DateTimeOffset now, int take, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<HeadsDueStep>(database.Dialect.Sql(sql.DueSteps), new { Now = now, Take = take, Skip = 0 }), ct)).ToList();

    /// <summary>Fires the row's due step (催办; 督办 to the supervisors too), once; false when none was due or another fired it.</summary>
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
                var (fire, next) = HeadsChain.Fire(duty.IssuedAt, duty.DueAt, duty.NextStepKind, duty.NextStepLevel, stepAt, now, catalog);
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
