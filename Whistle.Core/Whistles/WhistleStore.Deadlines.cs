using Dapper;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Problems;
using Whistle.Core.Storage;

namespace Whistle.Core.Whistles;

/// <summary>A step of the escalation chain that fell due.</summary>
public sealed record DueStep(string AssignmentId, string WhistleId);

/// <summary>A step fired: 催办 (remind) or 督办 (escalate), in its phase, at its level.</summary>
public sealed record FiredStep(string Kind, string Phase, int Level);

/// <content>
/// The escalation chain's steps (催办 → 督办). The next step of every open duty lives in its row
/// (<c>assignments.next_step_*</c>), so the chain survives restarts, and a step fires under the whistle's row lock with
/// an update conditional on the step it saw: of several dispatchers exactly one fires it, and an action that committed
/// first (a report) has already moved the chain, so no step follows it.
/// </content>
public sealed partial class WhistleStore
{
    private const string DueSql = "SELECT id AS AssignmentId, whistle_id AS WhistleId FROM assignments WHERE next_step_at IS NOT NULL AND next_step_at <= @Now ORDER BY next_step_at";

    private static string FirstDueSql(SqlDialect dialect) => dialect.Limit(DueSql) + ";";

    private const string NextDueSql = "SELECT MIN(next_step_at) FROM assignments WHERE next_step_at IS NOT NULL;";

    private const string FireStepSql = """
        UPDATE assignments
        SET next_step_at = @NextAt, next_step_kind = @NextKind, next_step_level = @NextLevel,
            reminder_count = reminder_count + @Reminded, escalation_count = escalation_count + @Escalated,
            last_escalated_at = CASE WHEN @Escalated = 1 THEN @Now ELSE last_escalated_at END
        WHERE id = @Id AND next_step_at = @DueAt AND next_step_kind = @DueKind AND next_step_level = @DueLevel AND status = @Status;
        """;

    /// <summary>The steps due now, the earliest first, at most <paramref name="take"/>.</summary>
    public async Task<IReadOnlyList<DueStep>> DueStepsAsync(DateTimeOffset now, int take, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<DueStep>(database.Dialect.Sql(FirstDueSql), new { Now = now, Take = take }), ct)).ToList();

    /// <summary>When the next step of any duty falls due; null when no chain runs.</summary>
    public async Task<DateTimeOffset?> NextStepDueAsync(CancellationToken ct)
    {
        var next = await database.ReadAsync(c => c.ExecuteScalarAsync<object?>(NextDueSql), ct);
        return next is null or DBNull ? null : new DateTimeOffsetHandler().Parse(next);
    }

    /// <summary>
    /// Fires the step of <paramref name="step"/> if it is still due: the most advanced one that fell due meanwhile,
    /// once; schedules the next; records <c>AssignmentReminded</c> or <c>AssignmentEscalated</c>. Null when another
    /// dispatcher fired it, an action moved the chain on, or the whistle is over (then the chain is stopped).
    /// </summary>
    public async Task<FiredStep?> FireStepAsync(DueStep step, CancellationToken ct) =>
        await database.WriteAsync<FiredStep?>(
            async unit =>
            {
                var now = time.GetUtcNow();
                var whistle = await unit.Connection.QuerySingleOrDefaultAsync<WhistleRow>(unit.Dialect.Sql(SelectWhistleForUpdateSql), new { Id = step.WhistleId }, unit.Transaction);
                var assignment = await WhistleRows.GetAssignmentAsync(unit.Connection, step.AssignmentId, unit.Transaction);
                if (whistle is null || assignment?.NextStepAt is not { } dueAt || dueAt > now)
                {
                    return null; // fired by another dispatcher, or moved on by an action meanwhile
                }

                var settings = county.Catalog.Escalation;
                var phase = EscalationPolicy.PhaseOf(assignment.Status);
                if (phase is null || whistle.Status is WhistleStatus.Closed or WhistleStatus.Cancelled)
                {
                    await SetNextStepAsync(unit, assignment.Id, null);
                    unit.Complete();
                    return null;
                }

                var due = new EscalationStep(assignment.NextStepKind ?? EscalationPolicy.Escalate, phase, assignment.NextStepLevel ?? 1, dueAt);
                var fire = EscalationPolicy.MostAdvancedDue(assignment.Clock, due, now, settings);
                var next = EscalationPolicy.NextAfter(assignment.Clock, now, settings);
                var escalated = fire.Kind == EscalationPolicy.Escalate ? 1 : 0;
                var rows = await unit.Connection.ExecuteAsync(
                    FireStepSql,
                    new
                    {
                        assignment.Id,
                        NextAt = next?.At,
                        NextKind = next?.Kind,
                        NextLevel = next?.Level,
                        Reminded = 1 - escalated,
                        Escalated = escalated,
                        Now = now,
                        DueAt = dueAt,
                        DueKind = assignment.NextStepKind,
                        DueLevel = assignment.NextStepLevel,
                        assignment.Status,
                    },
                    unit.Transaction);
                if (rows != 1)
                {
                    return null;
                }

                var updated = (await WhistleRows.GetAssignmentAsync(unit.Connection, assignment.Id, unit.Transaction))!;
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(
                        0,
                        escalated == 1 ? WhistleEventTypes.AssignmentEscalated : WhistleEventTypes.AssignmentReminded,
                        whistle.Id,
                        assignment.Id,
                        now,
                        SystemActor(county.Catalog.County.Id),
                        whistle.ToSummary(),
                        updated.ToSnapshot(),
                        null,
                        new EscalationStepInfo(fire.Phase, fire.Level)),
                    Visibility.Audience(whistle, [(assignment.AgencyCode, assignment.BranchId)]),
                    now);
                unit.Complete();
                return new FiredStep(fire.Kind, fire.Phase, fire.Level);
            },
            ct);

    // ---- 催办 by hand (issue 13): an agency urges one of its own branches -------------------------------------------

    /// <summary>An agency's urge is answered again only after this long (the branch's phone is not a bell to ring at will).</summary>
    public static readonly TimeSpan UrgeInterval = TimeSpan.FromMinutes(10);

    private const string CountUrgeSql = "UPDATE assignments SET reminder_count = reminder_count + 1 WHERE id = @Id AND status = @Status;";

    private const string LastUrgedSql = """
        SELECT MAX(occurred_at) FROM timeline WHERE assignment_id = @Id AND type = 'AssignmentReminded' AND actor_org = @Org;
        """;

    /// <summary>
    /// 催办 by hand: a county institution (agency) urges one of its own branches about an open duty. Recorded as an
    /// <c>AssignmentReminded</c> like the automatic reminder (level 0, the phase the duty is in, the agency's account as
    /// actor and its words as note), pushed live to the branch (and the township and supervisors, as every step), counted
    /// in the duty's reminders, audited (<c>urged</c>); the chain itself is not moved. Another unit's duty is refused
    /// (404 outside the agency's sight, 403 its own office's duty or any caller but an agency), a duty that is over is 409,
    /// and so is a second urge by the same agency within <see cref="UrgeInterval"/>.
    /// </summary>
    public async Task<CommandResult<string>> UrgeAsync(Caller caller, string assignmentId, UrgeRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "note", request.Note, WhistleValidation.NoteMax, required: false, multiLine: true);
        var found = await database.ReadAsync(c => WhistleRows.GetAssignmentAsync(c, assignmentId), ct);
        if (found is null) return new CommandResult<string>.NotFound();
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (whistle, assignments) = await LockAsync(unit, found.WhistleId);
                var assignment = assignments.FirstOrDefault(a => a.Id == assignmentId);
                if (whistle is null || assignment is null || !Visibility.CanSee(caller, whistle, assignments))
                {
                    return new CommandResult<string>.NotFound();
                }

                if (caller.Role != Roles.Agency || assignment.AgencyCode != caller.OrgId || assignment.BranchId is null)
                {
                    return new CommandResult<string>.Forbidden(Problem.UrgeOwnBranches());
                }

                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                var live = Lifecycle.CanActOnWhistle(whistle.Status);
                if (!live.Allowed) return new CommandResult<string>.Conflict(live.Problem!);
                var phase = EscalationPolicy.PhaseOf(assignment.Status);
                if (phase is null)
                {
                    return new CommandResult<string>.Conflict(Problem.AssignmentNotUrgeable(assignment.Status));
                }

                var now = time.GetUtcNow();
                var last = await unit.Connection.ExecuteScalarAsync<object?>(LastUrgedSql, new { assignment.Id, Org = caller.OrgId }, unit.Transaction);
                if (last is not null and not DBNull && new DateTimeOffsetHandler().Parse(last) is var at && now - at < UrgeInterval)
                {
                    return new CommandResult<string>.Conflict(Problem.UrgedRecently(at, (int)UrgeInterval.TotalMinutes));
                }

                if (await unit.Connection.ExecuteAsync(CountUrgeSql, new { assignment.Id, assignment.Status }, unit.Transaction) != 1)
                {
                    return ChangedMeanwhile();
                }

                var urged = (await WhistleRows.GetAssignmentAsync(unit.Connection, assignment.Id, unit.Transaction))!;
                var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
                await AuditTrail.WriteAsync(unit, caller.Audit, "assignment", urged.Id, AuditActions.Urged, new { assignment.ReminderCount }, new { urged.ReminderCount, Phase = phase, Note = note }, now);
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(0, WhistleEventTypes.AssignmentReminded, whistle.Id, urged.Id, now, caller.Actor, whistle.ToSummary(), urged.ToSnapshot(), note, new EscalationStepInfo(phase, 0)),
                    Visibility.Audience(whistle, [(urged.AgencyCode, urged.BranchId)]),
                    now);
                unit.Complete();
                return new CommandResult<string>.Success(whistle.Id);
            },
            ct);
    }
}
