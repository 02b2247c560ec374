using Dapper;
using Whistle.Api.Auth;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Whistles;

public sealed record ReassignRequest(string? AgencyCode, string? BranchId, string? Reason);

public sealed record AddAssignmentRequest(string? AgencyCode, string? BranchId, string? Reason);

/// <summary>
/// Reassignment (改派): a declined duty goes to another unit, by the raising township or a supervisor;
/// a supervisor may also move an open duty or add a co-handling unit at any time. The new assignment
/// gets fresh deadlines from the matter's limits for the whistle's urgency.
/// </summary>
public sealed class ReassignmentCommands(WhistleDatabase database, CountyCatalogHolder county, WhistleQueries queries, TimeProvider time)
{
    private const string DeclineForReassignmentSql = """
        UPDATE assignments SET status = @Declined, declined_at = @Now, decline_reason = @Reason,
            next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL
        WHERE id = @Id AND status IN (@Dispatched, @Reported);
        """;

    public async Task<CommandResult<WhistleDto>> ReassignAsync(CurrentUser user, string assignmentId, ReassignRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
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

                var allowed = user.Role switch
                {
                    Roles.Supervisor => true,
                    Roles.Township => whistle.TownshipId == user.OrgId,
                    _ => false,
                };
                if (!allowed)
                {
                    return new CommandResult<WhistleDto>.Forbidden("Only the raising township (for a declined duty) or a supervisor reassigns.");
                }

                var target = ChooseTarget(errors, user, whistle, request.AgencyCode, request.BranchId);
                if (errors.Count > 0)
                {
                    return new CommandResult<WhistleDto>.Invalid(errors);
                }

                if (user.Role == Roles.Township && old.Status != AssignmentStatus.Declined)
                {
                    return new CommandResult<WhistleDto>.Conflict($"The assignment is {old.Status}; a township reassigns only a declined one.");
                }

                if (old.Status == AssignmentStatus.Resolved)
                {
                    return new CommandResult<WhistleDto>.Conflict("The assignment is resolved; nothing is left to reassign.");
                }

                if (assignments.Any(a => a.PreviousAssignmentId == old.Id))
                {
                    return new CommandResult<WhistleDto>.Conflict("The assignment has already been reassigned.");
                }

                var now = time.GetUtcNow();
                var reason = request.Reason!.Trim();
                if (old.Status != AssignmentStatus.Declined)
                {
                    await unit.Connection.ExecuteAsync(
                        DeclineForReassignmentSql,
                        new { old.Id, Now = now, Reason = $"改派 / reassigned: {reason}", AssignmentStatus.Declined, AssignmentStatus.Dispatched, AssignmentStatus.Reported },
                        unit.Transaction);
                }

                return await AddAsync(unit, user, whistle, assignments.Where(a => a.Id != old.Id).ToList(), target!, old.Role, old.Id, reason, WhistleEventTypes.AssignmentReassigned, [(old.AgencyCode, old.BranchId)], now);
            },
            ct);
        return outcome ?? await ReloadAsync(user, found.WhistleId, ct);
    }

    public async Task<CommandResult<WhistleDto>> AddAsync(CurrentUser user, string whistleId, AddAssignmentRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
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
                    return new CommandResult<WhistleDto>.Forbidden("Only a supervisor adds a co-handling unit to a whistle.");
                }

                var target = ChooseTarget(errors, user, whistle, request.AgencyCode, request.BranchId);
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
            return new CommandResult<WhistleDto>.Conflict(live.Reason!);
        }

        var catalog = county.Catalog;
        if (others.Any(a => a.Status != AssignmentStatus.Declined && a.AgencyCode == target.AgencyCode && a.BranchId == target.BranchId))
        {
            return new CommandResult<WhistleDto>.Conflict("That unit already has a live duty on this whistle.");
        }

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
            return new CommandResult<WhistleDto>.Conflict("The whistle changed meanwhile; reload it.");
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
    /// units stationed in it, a supervisor anywhere. A refusal is a 400 on the field that named the unit.
    /// </summary>
    private SummonedUnit? ChooseTarget(Dictionary<string, string[]> errors, CurrentUser user, WhistleRow whistle, string? agencyCode, string? branchId)
    {
        var choice = Summoning.Choose(county.Catalog, user.Role, user.OrgId, whistle.TownshipId, agencyCode, branchId);
        if (!choice.Allowed) errors[choice.Field == SummonsField.Branch ? "branchId" : "agencyCode"] = [choice.Problem!];
        return choice.Unit;
    }

    private async Task<CommandResult<WhistleDto>> ReloadAsync(CurrentUser user, string whistleId, CancellationToken ct)
    {
        var dto = await queries.GetAsync(user, whistleId, ct);
        return dto is null ? new CommandResult<WhistleDto>.NotFound() : new CommandResult<WhistleDto>.Success(dto);
    }
}
