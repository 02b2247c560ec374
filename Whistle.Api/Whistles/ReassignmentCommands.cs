using Whistle.Core.Problems;
using Dapper;
using Whistle.Api.Auth;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Whistles;

/// <summary>
/// 改派 to <paramref name="AgencyCode"/>: its branch <paramref name="BranchId"/>, or with <paramref name="ToAgency"/> the
/// agency's own office (本部), or else its branch stationed in the whistle's township (the agency itself where it has none).
/// </summary>
public sealed record ReassignRequest(string? AgencyCode, string? BranchId, string? Reason, bool? ToAgency = null);

public sealed record AddAssignmentRequest(string? AgencyCode, string? BranchId, string? Reason, bool? ToAgency = null);

/// <summary>
/// Reassignment (改派): a declined duty goes to another unit, by the raising township or a supervisor;
/// a supervisor may also move an open duty (it ends as <c>reassigned</c>, which is not the unit's decline) or add a
/// co-handling unit at any time. The new assignment gets fresh deadlines from the matter's limits for the whistle's
/// urgency. The new unit is never the old one, nor a unit that already has a current duty on the whistle (400 on the
/// field that named it).
/// </summary>
public sealed class ReassignmentCommands(WhistleDatabase database, CountyCatalogHolder county, WhistleQueries queries, TimeProvider time)
{
    private const string EndForReassignmentSql = """
        UPDATE assignments SET status = @Reassigned, reassigned_at = @Now,
            next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL
        WHERE id = @Id AND status IN (@Dispatched, @Reported);
        """;

    public async Task<CommandResult<WhistleDto>> ReassignAsync(CurrentUser user, string assignmentId, ReassignRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: true, multiLine: true);
        var found = await database.ReadAsync(c => WhistleData.GetAssignmentAsync(c, assignmentId), ct);
        if (found is null)
        {
            return new CommandResult<WhistleDto>.NotFound();
        }

        var outcome = await database.WriteAsync<CommandResult<WhistleDto>?>(
            async unit =>
            {
                var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, found.WhistleId);
                var assignments = await WhistleData.GetAssignmentsAsync(unit.Connection, found.WhistleId, unit.Transaction);
                var old = assignments.FirstOrDefault(a => a.Id == assignmentId);
                if (whistle is null || old is null || !WhistleQueries.CanSee(user, whistle, assignments))
                {
                    return new CommandResult<WhistleDto>.NotFound();
                }

                if (user.Role is not (Roles.Supervisor or Roles.Township) || (user.Role == Roles.Township && whistle.TownshipId != user.OrgId))
                {
                    return new CommandResult<WhistleDto>.Forbidden(Problems.ReassignRole());
                }

                var others = assignments.Where(a => a.Id != old.Id).ToList();
                var target = ChooseTarget(errors, user, whistle, request.AgencyCode, request.BranchId, request.ToAgency == true, others, old);
                if (errors.Count > 0)
                {
                    return new CommandResult<WhistleDto>.Invalid(errors);
                }

                if (Lifecycle.CanReassign(user.Role, old.Status) is { Allowed: false } refused)
                {
                    return new CommandResult<WhistleDto>.Conflict(refused.Problem!);
                }

                if (assignments.Any(a => a.PreviousAssignmentId == old.Id))
                {
                    return new CommandResult<WhistleDto>.Conflict(Problems.AssignmentAlreadyReassigned());
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
                        return new CommandResult<WhistleDto>.Conflict(Problems.AssignmentChanged());
                    }

                    await AuditTrail.WriteAsync(unit, user.Audit, "assignment", old.Id, "reassigned-away", new { old.Status }, new { Status = AssignmentStatus.Reassigned, ReassignedAt = now, Reason = reason }, now);
                }

                return await AddAsync(unit, user, whistle, others, target!, old.Role, old.Id, reason, WhistleEventTypes.AssignmentReassigned, [(old.AgencyCode, old.BranchId)], now);
            },
            ct);
        return outcome ?? await ReloadAsync(user, found.WhistleId, ct);
    }

    public async Task<CommandResult<WhistleDto>> AddAsync(CurrentUser user, string whistleId, AddAssignmentRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: false, multiLine: true);
        var outcome = await database.WriteAsync<CommandResult<WhistleDto>?>(
            async unit =>
            {
                var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, whistleId);
                var assignments = await WhistleData.GetAssignmentsAsync(unit.Connection, whistleId, unit.Transaction);
                if (whistle is null || !WhistleQueries.CanSee(user, whistle, assignments))
                {
                    return new CommandResult<WhistleDto>.NotFound();
                }

                if (user.Role != Roles.Supervisor)
                {
                    return new CommandResult<WhistleDto>.Forbidden(Problems.SupervisorAddsUnits());
                }

                var target = ChooseTarget(errors, user, whistle, request.AgencyCode, request.BranchId, request.ToAgency == true, assignments, null);
                if (errors.Count > 0)
                {
                    return new CommandResult<WhistleDto>.Invalid(errors);
                }

                var note = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
                return await AddAsync(unit, user, whistle, assignments, target!, AssignmentRole.Co, null, note, WhistleEventTypes.AssignmentDispatched, [], time.GetUtcNow());
            },
            ct);
        return outcome ?? await ReloadAsync(user, whistleId, ct);
    }

    private async Task<CommandResult<WhistleDto>?> AddAsync(
        UnitOfWork unit,
        CurrentUser user,
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
            return new CommandResult<WhistleDto>.Conflict(live.Problem!);
        }

        var catalog = county.Catalog;
        var matter = catalog.FindMatter(whistle.MatterCode)!;
        var limits = matter.LimitsFor(whistle.Urgency);
        var row = new AssignmentRow
        {
            Id = Guid.CreateVersion7(now).ToString(),
            WhistleId = whistle.Id,
            AgencyCode = target.AgencyCode,
            BranchId = target.BranchId,
            Role = role,
            Status = AssignmentStatus.Dispatched,
            DispatchedAt = now,
            ReportBy = now.AddMinutes(limits.ReportWithinMinutes),
            ResolveBy = now.AddMinutes(limits.ResolveWithinMinutes),
            Position = others.Count == 0 ? 0 : others.Max(a => a.Position) + 1,
            PreviousAssignmentId = previousAssignmentId,
        };
        var first = EscalationPolicy.NextAfter(row.Clock, now, catalog.Escalation);
        row = row with { NextStepAt = first?.At, NextStepKind = first?.Kind, NextStepLevel = first?.Level };
        await WhistleData.InsertAssignmentsAsync(unit, [row]);

        var after = await WhistleData.GetAssignmentsAsync(unit.Connection, whistle.Id, unit.Transaction);
        var status = Lifecycle.DeriveWhistleStatus(whistle.Status, after.Select(a => new AssignmentState(a.Status)).ToList());
        if (!await WhistleData.UpdateStatusAsync(unit, whistle, status, now))
        {
            return new CommandResult<WhistleDto>.Conflict(Problems.WhistleChanged());
        }

        await AuditTrail.WriteAsync(unit, user.Audit, "assignment", row.Id, WhistleCommands.AuditAction(eventType), previousAssignmentId is null ? null : new { PreviousAssignmentId = previousAssignmentId }, row.ToSnapshot(), now);
        await Timeline.AppendAsync(
            unit,
            new WhistleEvent(0, eventType, whistle.Id, row.Id, now, user.Actor, (whistle with { Status = status }).ToSummary(), row.ToSnapshot(), note),
            Timeline.Audience(whistle.TownshipId, alsoTell.Append((row.AgencyCode, row.BranchId))),
            now);
        unit.Complete();
        return null;
    }

    /// <summary>
    /// The new unit, by the one rule of who may put work on whom (<see cref="Summoning"/>): a township only on the
    /// units stationed in it, a supervisor anywhere; never the unit the duty is taken from (<paramref name="from"/>),
    /// nor a unit that already has a current duty on the whistle. A refusal is a 400 on the field that named the unit.
    /// </summary>
    private SummonedUnit? ChooseTarget(
        FieldErrors errors,
        CurrentUser user,
        WhistleRow whistle,
        string? agencyCode,
        string? branchId,
        bool agencyItself,
        IReadOnlyList<AssignmentRow> others,
        AssignmentRow? from)
    {
        var choice = Summoning.Choose(county.Catalog, user.Role, user.OrgId, whistle.TownshipId, agencyCode, branchId, agencyItself);
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
            errors.Set(field, Problems.UnitSame(Describe(unit), unit.AgencyCode, unit.BranchId));
        }
        else if (others.FirstOrDefault(a => AssignmentStatus.IsCurrent(a.Status) && Same(a, unit)) is { } present)
        {
            errors.Set(field, Problems.UnitAlreadyOnWhistle(Describe(unit), unit.AgencyCode, unit.BranchId, present.Status));
        }

        return unit;
    }

    private string Describe(SummonedUnit unit) =>
        unit.BranchId is { } id ? $"'{id}'" : $"'{unit.AgencyCode}' (the agency itself)";

    private async Task<CommandResult<WhistleDto>> ReloadAsync(CurrentUser user, string whistleId, CancellationToken ct)
    {
        var dto = await queries.GetAsync(user, whistleId, ct);
        return dto is null ? new CommandResult<WhistleDto>.NotFound() : new CommandResult<WhistleDto>.Success(dto);
    }
}
