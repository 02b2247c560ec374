using Whistle.Core.County;
using Whistle.Core.Problems;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Assessment;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Core.Whistles;

/// <summary>A duty to put on a whistle: the unit, its role, its deadlines (fixed now), and the duty it takes over (改派).</summary>
public sealed record Duty(string AgencyCode, string? BranchId, string Role, DateTimeOffset ReportBy, DateTimeOffset ResolveBy, string? PreviousAssignmentId = null);

/// <summary>A decision of a meeting that becomes a whistle with one duty: the responsible unit's, due when the decision is.</summary>
/// <remarks>A joint meeting's decision (issue 17) names the <paramref name="RelationId"/> it becomes a work request on: then
/// <paramref name="TownshipId"/> is the requesting department and <paramref name="Responsible"/> the institution (and its office).</remarks>
public sealed record DecisionWhistle(string MeetingId, string MeetingTitle, DateTimeOffset MeetingStartsAt, string Place, string? TownshipId, string Text, SummonedUnit Responsible, DateTimeOffset DueAt, string? RelationId = null);

/// <summary>A decision's whistle and its one duty, as raised and dispatched.</summary>
public sealed record DecidedWhistle(string WhistleId, string AssignmentId);

/// <content>Dispatch: the one path by which work is put on a unit, and the paths that take it.</content>
public sealed partial class WhistleStore
{
    /// <summary>The matter code of a whistle a meeting decided (not on the whistle list: its duty is the meeting's choice).</summary>
    public const string DecisionMatterCode = "meeting-decision";

    private const string EndForReassignmentSql = """
        UPDATE assignments SET status = @Reassigned, reassigned_at = @Now,
            next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL
        WHERE id = @Id AND status IN (@Dispatched, @Reported);
        """;

    /// <summary>How the events of a dispatch read: who acted, as which event, with which note, and who else is told.</summary>
    private sealed record Dispatching(
        EventActor Actor,
        string EventType,
        Func<AssignmentRow, string?> Note,
        IReadOnlyList<(string AgencyCode, string? BranchId)> AlsoTell,
        string? NoteCode = null);

    /// <summary>
    /// The one dispatch: <paramref name="duties"/> become assignment rows (dispatched now, their deadlines fixed, the
    /// escalation chain's first step scheduled), the whistle moves on (raised → dispatched; a live one as its duties now
    /// say), and each new duty is recorded on the timeline (<c>AssignmentDispatched</c>, or <c>AssignmentReassigned</c>)
    /// for the whistle's township and the unit (and whoever <see cref="Dispatching.AlsoTell"/> names). Used by the
    /// dispatcher (routed duties), by reassignment and added units, and by a meeting's decisions. Null when the whistle
    /// changed since it was locked and read.
    /// </summary>
    /// <remarks>
    /// With <paramref name="sentAtCommit"/> (the dispatcher's, whose transaction reads nothing after the dispatch) a raised
    /// whistle's status and its duties are written in the command that appends their events when the transaction
    /// commits (<see cref="UnitOfWork.DeferWrite"/>; issue 15: a round trip less a whistle): a whistle changed since it
    /// was locked then fails the commit instead of answering null.
    /// </remarks>
    private async Task<(string Status, IReadOnlyList<AssignmentRow> Added)?> DispatchAsync(
        UnitOfWork unit, WhistleRow whistle, IReadOnlyList<AssignmentRow> existing, IReadOnlyList<Duty> duties, Dispatching how, DateTimeOffset now,
        bool sentAtCommit = false)
    {
        var escalation = county.Catalog.Escalation;
        var next = existing.Count == 0 ? 0 : existing.Max(a => a.Position) + 1;
        var rows = duties.Select((d, i) =>
        {
            var row = new AssignmentRow
            {
                Id = Guid.CreateVersion7(now).ToString(),
                WhistleId = whistle.Id,
                AgencyCode = d.AgencyCode,
                BranchId = d.BranchId,
                Role = d.Role,
                Status = AssignmentStatus.Dispatched,
                DispatchedAt = now,
                ReportBy = d.ReportBy,
                ResolveBy = d.ResolveBy,
                Position = next + i,
                PreviousAssignmentId = d.PreviousAssignmentId,
            };
            var first = EscalationPolicy.NextAfter(row.Clock, now, escalation);
            return row with { NextStepAt = first?.At, NextStepKind = first?.Kind, NextStepLevel = first?.Level };
        }).ToList();
        string status;
        if (whistle.Status == WhistleStatus.Raised)
        {
            // Raised becomes dispatched whatever the duties are: the whistle's update goes with its duties' insert, in one
            // round trip (issue 15).
            status = WhistleStatus.Dispatched;
            if (sentAtCommit && rows.Count is > 0 and <= AssignmentsPerStatement)
            {
                var parameters = AssignmentParameters(rows);
                parameters.AddDynamicParams(new { whistle.Id, Status = status, Now = now, whistle.Version });
                unit.DeferWrite(
                    unit.Dialect.Sql(DispatchedStatusSql) + "\n" + InsertAssignmentsSql(rows.Count),
                    parameters,
                    $"Whistle {whistle.Id} changed while it was locked.");
            }
            else if (!await InsertAssignmentsAsync(unit, rows, StatusUpdate(whistle, status, now)))
            {
                return null;
            }
        }
        else
        {
            await InsertAssignmentsAsync(unit, rows);
            status = Lifecycle.DeriveWhistleStatus(whistle.Status, (await WhistleRows.GetAssignmentsAsync(unit.Connection, whistle.Id, unit.Transaction)).Select(a => new AssignmentState(a.Status)).ToList());
            if (!await UpdateStatusAsync(unit, whistle, status, now))
            {
                return null;
            }
        }

        var summary = (whistle with { Status = status }).ToSummary();
        foreach (var row in rows)
        {
            Timeline.Defer(
                unit,
                new WhistleEvent(0, how.EventType, whistle.Id, row.Id, now, how.Actor, summary, row.ToSnapshot(), how.Note(row),
                    NoteCode: how.NoteCode,
                    NoteParams: how.NoteCode is null ? null : TimelineNotes.Unit(row.AgencyCode, row.BranchId)),
                Visibility.Audience(whistle, how.AlsoTell.Append((row.AgencyCode, row.BranchId))),
                now);
        }

        return (status, rows);
    }

    /// <summary>The deadlines the matter's limits give a duty dispatched now for a whistle of this urgency.</summary>
    private Duty DutyFor(WhistleRow whistle, SummonedUnit unit, string role, string? previousAssignmentId, DateTimeOffset now)
    {
        var limits = LimitsOf(whistle);
        return new Duty(unit.AgencyCode, unit.BranchId, role, now.AddMinutes(limits.ReportWithinMinutes), now.AddMinutes(limits.ResolveWithinMinutes), previousAssignmentId);
    }

    /// <summary>A whistle's limits: its matter's for its urgency; a work request's, its item's.</summary>
    private MatterLimit LimitsOf(WhistleRow whistle) =>
        whistle.IsCity
            ? county.Catalog.FindWorkItem(whistle.MatterCode)!.Value.Item.Limit
            : county.Catalog.FindMatter(whistle.MatterCode)!.LimitsFor(whistle.Urgency);

    // ---- The dispatcher ---------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>WhistleRaised</c>: route the whistle (its matter's lead and co-handling agencies and the ones its township
    /// summoned, each to its branch stationed there) and dispatch, in one transaction. Idempotent twice over: the inbox
    /// remembers the message id (-1: handled before), and only a whistle still <c>raised</c> is dispatched (0: cancelled
    /// meanwhile, or dispatched already — a meeting's decision is raised and dispatched in one transaction).
    /// Returns how many duties it dispatched.
    /// </summary>
    public async Task<int> DispatchRaisedAsync(Guid messageId, string consumer, WhistleRaised message, CancellationToken ct)
    {
        return await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();

                // The message recorded in the inbox, and the whistle locked, in one command (issue 15: a round trip less
                // for every dispatch). Route by the newest whistle list: a supervisor may have changed limits a moment
                // ago on another instance (its CountyChanged may still be on the way). Its version rides with the lock.
                if (await RecordAndLockByNewestCountyAsync(unit, messageId, consumer, now, message.WhistleId) is not { } locked)
                {
                    return -1;
                }

                var (whistle, existing, catalog) = locked;
                if (whistle is null)
                {
                    throw new InvalidOperationException($"Whistle {message.WhistleId} does not exist.");
                }

                if (whistle.Status != WhistleStatus.Raised)
                {
                    unit.Complete();
                    return 0;
                }

                // One engine, two levels: a township's matter is routed to the branches stationed in it; a department's
                // work item to the institution's office (or branch) its list names.
                var routed = whistle.IsCity
                    ? [WorkRouting.Route(catalog, whistle.MatterCode, now)]
                    : Routing.Route(catalog, message.MatterCode, message.TownshipId, message.Urgency, message.ExtraAgencyCodes, now);
                var duties = routed.Select(d => new Duty(d.AgencyCode, d.BranchId, d.Role, d.ReportBy, d.ResolveBy)).ToList();
                var dispatched = await DispatchAsync(
                    unit,
                    whistle,
                    existing,
                    duties,
                    new Dispatching(SystemActor(catalog.County.Id), WhistleEventTypes.AssignmentDispatched, row => UnitName(row), [], TimelineNotes.DispatchedTo),
                    now,
                    sentAtCommit: true) ?? throw new InvalidOperationException($"Whistle {whistle.Id} changed while it was locked.");
                unit.Complete();
                return dispatched.Added.Count;
            },
            ct);
    }

    private string? UnitName(AssignmentRow row) =>
        row.BranchId is null
            ? county.Catalog.FindAgency(row.AgencyCode)?.Name ?? county.Catalog.FindInstitution(row.AgencyCode)?.Name
            : county.Catalog.FindBranch(row.BranchId)?.Name ?? county.Catalog.UnitDisplayName(row.BranchId);

    // ---- Reassignment and added units --------------------------------------------------------------------------------

    /// <summary>
    /// Reassignment (改派): a declined duty goes to another unit, by the raising township or a supervisor; a supervisor
    /// may also move an open duty (it ends as <c>reassigned</c>, which is not the unit's decline). The new duty gets fresh
    /// deadlines from the matter's limits for the whistle's urgency. The new unit is never the old one, nor a unit that
    /// already has a current duty on the whistle (400 on the field that named it).
    /// </summary>
    public async Task<CommandResult<string>> ReassignAsync(Caller caller, string assignmentId, ReassignRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: true, multiLine: true);
        var found = await database.ReadAsync(c => WhistleRows.GetAssignmentAsync(c, assignmentId), ct);
        if (found is null)
        {
            return new CommandResult<string>.NotFound();
        }

        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (whistle, assignments) = await LockAsync(unit, found.WhistleId);
                var old = assignments.FirstOrDefault(a => a.Id == assignmentId);
                if (whistle is null || old is null || !Visibility.CanSee(caller, whistle, assignments))
                {
                    return new CommandResult<string>.NotFound();
                }

                if (whistle.IsCity)
                {
                    return new CommandResult<string>.Conflict(Problem.WorkRequestNotReassigned());
                }

                if (caller.Role is not (Roles.Supervisor or Roles.Township) || (caller.Role == Roles.Township && whistle.TownshipId != caller.OrgId))
                {
                    return new CommandResult<string>.Forbidden(Problem.ReassignRole());
                }

                var others = assignments.Where(a => a.Id != old.Id).ToList();
                var target = ChooseTarget(errors, caller, whistle, request.AgencyCode, request.BranchId, request.ToAgency == true, others, old);
                if (errors.Count > 0)
                {
                    return new CommandResult<string>.Invalid(errors);
                }

                if (Lifecycle.CanReassign(caller.Role, old.Status) is { Allowed: false } refused)
                {
                    return new CommandResult<string>.Conflict(refused.Problem!);
                }

                if (assignments.Any(a => a.PreviousAssignmentId == old.Id))
                {
                    return new CommandResult<string>.Conflict(Problem.AssignmentAlreadyReassigned());
                }

                var now = time.GetUtcNow();
                var reason = request.Reason!.Trim();
                if (old.Status != AssignmentStatus.Declined)
                {
                    // The unit did not decline: the duty was moved away from it. No generated text: the status says it,
                    // the supervisor's reason is the note of the AssignmentReassigned event.
                    var ended = await unit.Connection.ExecuteAsync(
                        EndForReassignmentSql,
                        new { old.Id, Now = now, AssignmentStatus.Reassigned, AssignmentStatus.Dispatched, AssignmentStatus.Reported },
                        unit.Transaction);
                    if (ended != 1)
                    {
                        return new CommandResult<string>.Conflict(Problem.AssignmentChanged());
                    }

                    await AuditTrail.WriteAsync(unit, caller.Audit, "assignment", old.Id, "reassigned-away", new { old.Status }, new { Status = AssignmentStatus.Reassigned, ReassignedAt = now, Reason = reason }, now);
                }

                return await AddDutyAsync(unit, caller, whistle, others, target!, old.Role, old.Id, reason, WhistleEventTypes.AssignmentReassigned, [(old.AgencyCode, old.BranchId)], now);
            },
            ct);
    }

    /// <summary>A supervisor adds a co-handling unit to a whistle, at any time while it is live.</summary>
    public async Task<CommandResult<string>> AddUnitAsync(Caller caller, string whistleId, AddAssignmentRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: false, multiLine: true);
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (whistle, assignments) = await LockAsync(unit, whistleId);
                if (whistle is null || !Visibility.CanSee(caller, whistle, assignments))
                {
                    return new CommandResult<string>.NotFound();
                }

                if (caller.Role != Roles.Supervisor)
                {
                    return new CommandResult<string>.Forbidden(Problem.SupervisorAddsUnits());
                }

                if (whistle.IsCity)
                {
                    return new CommandResult<string>.Conflict(Problem.WorkRequestNotReassigned());
                }

                var target = ChooseTarget(errors, caller, whistle, request.AgencyCode, request.BranchId, request.ToAgency == true, assignments, null);
                if (errors.Count > 0)
                {
                    return new CommandResult<string>.Invalid(errors);
                }

                var note = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
                return await AddDutyAsync(unit, caller, whistle, assignments, target!, AssignmentRole.Co, null, note, WhistleEventTypes.AssignmentDispatched, [], time.GetUtcNow());
            },
            ct);
    }

    private async Task<CommandResult<string>> AddDutyAsync(
        UnitOfWork unit,
        Caller caller,
        WhistleRow whistle,
        IReadOnlyList<AssignmentRow> others,
        SummonedUnit target,
        string role,
        string? previousAssignmentId,
        string? note,
        string eventType,
        IReadOnlyList<(string AgencyCode, string? BranchId)> alsoTell,
        DateTimeOffset now)
    {
        if (Lifecycle.CanActOnWhistle(whistle.Status) is { Allowed: false } live)
        {
            return new CommandResult<string>.Conflict(live.Problem!);
        }

        var dispatched = await DispatchAsync(
            unit,
            whistle,
            others,
            [DutyFor(whistle, target, role, previousAssignmentId, now)],
            new Dispatching(caller.Actor, eventType, _ => note, alsoTell),
            now);
        if (dispatched is not var (_, added))
        {
            return ChangedMeanwhile();
        }

        var row = added[0];
        await AuditTrail.WriteAsync(unit, caller.Audit, "assignment", row.Id, AuditAction(eventType), previousAssignmentId is null ? null : new { PreviousAssignmentId = previousAssignmentId }, row.ToSnapshot(), now);
        unit.Complete();
        return new CommandResult<string>.Success(whistle.Id);
    }

    /// <summary>
    /// The new unit, by the one rule of who may put work on whom (<see cref="Summoning"/>): a township only on the
    /// units stationed in it, a supervisor anywhere (with <paramref name="agencyItself"/>, the agency's own office, 本部);
    /// never the unit the duty is taken from (<paramref name="from"/>), nor a unit that already has a current duty on the
    /// whistle. A refusal is a 400 on the field that named the unit.
    /// </summary>
    private SummonedUnit? ChooseTarget(
        FieldErrors errors,
        Caller caller,
        WhistleRow whistle,
        string? agencyCode,
        string? branchId,
        bool agencyItself,
        IReadOnlyList<AssignmentRow> others,
        AssignmentRow? from)
    {
        var choice = Summoning.Choose(county.Catalog, caller.Role, caller.OrgId, whistle.TownshipId, agencyCode, branchId, agencyItself);
        if (!choice.Allowed)
        {
            errors.Set(choice.Field == SummonsField.Branch ? "branchId" : "agencyCode", choice.Problem!);
            return null;
        }

        var unit = choice.Unit!;
        var field = branchId is not null ? "branchId" : "agencyCode";
        static bool Same(AssignmentRow a, SummonedUnit u) => a.AgencyCode == u.AgencyCode && a.BranchId == u.BranchId;
        if (from is not null && Same(from, unit))
        {
            errors.Set(field, Problem.UnitSame(Describe(unit), unit.AgencyCode, unit.BranchId));
        }
        else if (others.FirstOrDefault(a => AssignmentStatus.IsCurrent(a.Status) && Same(a, unit)) is { } present)
        {
            errors.Set(field, Problem.UnitAlreadyOnWhistle(Describe(unit), unit.AgencyCode, unit.BranchId, present.Status));
        }

        return unit;
    }

    private static string Describe(SummonedUnit unit) =>
        unit.BranchId is { } id ? $"'{id}'" : $"'{unit.AgencyCode}' (the agency itself)";

    // ---- A meeting's decisions ---------------------------------------------------------------------------------------

    /// <summary>
    /// A meeting's decision, in the meeting's transaction: raised like any whistle (its row, <c>WhistleRaised</c> event
    /// and message, by the meeting's organiser) and dispatched at once through <see cref="DispatchAsync"/> to the unit
    /// the meeting made responsible, due when the decision is due (report within a day, or by then). The
    /// <c>WhistleRaisedConsumer</c> finds it dispatched already and leaves it be.
    /// </summary>
    public async Task<DecidedWhistle> RaiseDecisionAsync(UnitOfWork unit, Caller organizer, DecisionWhistle decision, DateTimeOffset now)
    {
        var catalog = county.Catalog;
        var branchId = decision.Responsible.BranchId;
        var text = decision.Text;
        var whistle = new WhistleRow
        {
            Id = Guid.CreateVersion7(now).ToString(),
            Level = decision.RelationId is null ? WhistleLevel.Township : WhistleLevel.City,
            RelationId = decision.RelationId,
            TownshipId = decision.TownshipId ?? (branchId is null ? catalog.County.Id : catalog.FindBranch(branchId)!.TownshipId),
            MatterCode = DecisionMatterCode,
            Urgency = Urgency.Routine,
            Title = text.Length <= WhistleValidation.TitleMax ? text : text[..(WhistleValidation.TitleMax - 1)] + "…",
            // The meeting's day as the county reads it (Asia/Shanghai), not its UTC day.
            Description = $"{decision.MeetingTitle}（{ChinaTime.LocalDate(decision.MeetingStartsAt):yyyy-MM-dd}）议定事项：{text}",
            Address = decision.Place,
            Status = WhistleStatus.Raised,
            RaisedByUser = organizer.UserName,
            RaisedByName = organizer.DisplayName,
            RaisedAt = now,
            UpdatedAt = now,
            MeetingId = decision.MeetingId,
        };
        await InsertRaisedAsync(unit, whistle, [], organizer.Actor, decision.MeetingTitle, now);
        var due = decision.DueAt.ToUniversalTime();
        // On the audit trail under its own key, as every whistle's raise is: an auditor looking up this whistle finds who
        // raised it, from which meeting, for whom and by when (the meeting's minutes-recorded row lists the decisions).
        await AuditTrail.WriteAsync(
            unit, organizer.Audit, "whistle", whistle.Id, AuditActions.Raised, null,
            new { whistle.MatterCode, whistle.Urgency, whistle.Title, whistle.Address, decision.MeetingId, decision.RelationId, Responsible = branchId ?? decision.Responsible.AgencyCode, DueAt = due },
            now);
        var duty = new Duty(decision.Responsible.AgencyCode, branchId, AssignmentRole.Lead, now.AddDays(1) < due ? now.AddDays(1) : due, due);
        var dispatched = await DispatchAsync(
            unit,
            whistle,
            [],
            [duty],
            new Dispatching(organizer.Actor, WhistleEventTypes.AssignmentDispatched, _ => decision.MeetingTitle, []),
            now) ?? throw new InvalidOperationException($"Whistle {whistle.Id} changed within the transaction that raised it.");
        return new DecidedWhistle(whistle.Id, dispatched.Added[0].Id);
    }
}
