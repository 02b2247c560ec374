using Dapper;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Assignments;

public sealed record UrgeRequest(string? Note);

/// <summary>
/// 催办 by hand (issue 13): a county institution (agency) urges one of its own branches about an open duty. Recorded on
/// the timeline as an <c>AssignmentReminded</c> like the automatic reminder (level 0, the phase the duty is in, the agency's
/// account as actor and its words as note), pushed live to the branch (and the township and supervisors, as every step),
/// counted in the duty's reminders and written to the audit trail. Another unit's duty is refused (404 outside the
/// agency's sight, 403 its own office's duty), a duty that is over is 409, and so is a second urge within <see cref="Interval"/>.
/// </summary>
public sealed class UrgeCommand(WhistleDatabase database, WhistleQueries queries, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    private const string CountReminderSql = "UPDATE assignments SET reminder_count = reminder_count + 1 WHERE id = @Id AND status = @Status;";

    private const string LastUrgedSql = """
        SELECT MAX(occurred_at) FROM timeline WHERE assignment_id = @Id AND type = 'AssignmentReminded' AND actor_org = @Org;
        """;

    public async Task<CommandResult<WhistleDto>> UrgeAsync(CurrentUser user, string assignmentId, UrgeRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        WhistleValidation.Text(errors, "note", request.Note, WhistleValidation.NoteMax, required: false, multiLine: true);
        var found = await database.ReadAsync(c => WhistleData.GetAssignmentAsync(c, assignmentId), ct);
        if (found is null) return new CommandResult<WhistleDto>.NotFound();

        var outcome = await database.WriteAsync<CommandResult<WhistleDto>?>(
            async unit =>
            {
                var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, found.WhistleId);
                var assignments = await WhistleData.GetAssignmentsAsync(unit.Connection, found.WhistleId, unit.Transaction);
                var assignment = assignments.FirstOrDefault(a => a.Id == assignmentId);
                if (whistle is null || assignment is null || !WhistleQueries.CanSee(user, whistle, assignments))
                {
                    return new CommandResult<WhistleDto>.NotFound();
                }

                if (user.Role != Roles.Agency || assignment.AgencyCode != user.OrgId || assignment.BranchId is null)
                {
                    return new CommandResult<WhistleDto>.Forbidden("An agency urges its own branches' duties only.");
                }

                if (errors.Count > 0) return new CommandResult<WhistleDto>.Invalid(errors);
                var live = Lifecycle.CanActOnWhistle(whistle.Status);
                if (!live.Allowed) return new CommandResult<WhistleDto>.Conflict(live.Reason!);
                var phase = EscalationPolicy.PhaseOf(assignment.Status);
                if (phase is null)
                {
                    return new CommandResult<WhistleDto>.Conflict($"The assignment is {assignment.Status}; only an open duty (dispatched or reported) can be urged.");
                }

                var now = time.GetUtcNow();
                var last = await unit.Connection.ExecuteScalarAsync<object?>(LastUrgedSql, new { assignment.Id, Org = user.OrgId }, unit.Transaction);
                if (last is not null and not DBNull && new DateTimeOffsetHandler().Parse(last) is var at && now - at < Interval)
                {
                    return new CommandResult<WhistleDto>.Conflict(
                        $"The branch was urged at {at.ToOffset(TimeSpan.FromHours(8)):yyyy-MM-dd HH:mm} (Asia/Shanghai); urge again after {Interval.TotalMinutes:0} minutes.");
                }

                if (await unit.Connection.ExecuteAsync(CountReminderSql, new { assignment.Id, assignment.Status }, unit.Transaction) != 1)
                {
                    return new CommandResult<WhistleDto>.Conflict("The assignment changed meanwhile.");
                }

                var urged = (await WhistleData.GetAssignmentAsync(unit.Connection, assignment.Id, unit.Transaction))!;
                var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
                await AuditTrail.WriteAsync(unit, user.Audit, "assignment", urged.Id, "urged", new { assignment.ReminderCount }, new { urged.ReminderCount, Phase = phase, Note = note }, now);
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(0, WhistleEventTypes.AssignmentReminded, whistle.Id, urged.Id, now, user.Actor, whistle.ToSummary(), urged.ToSnapshot(), note, new EscalationStepInfo(phase, 0)),
                    Timeline.Audience(whistle.TownshipId, [(urged.AgencyCode, urged.BranchId)]),
                    now);
                unit.Complete();
                return null;
            },
            ct);
        if (outcome is not null) return outcome;
        var dto = await queries.GetAsync(user, found.WhistleId, ct);
        return dto is null ? new CommandResult<WhistleDto>.NotFound() : new CommandResult<WhistleDto>.Success(dto);
    }
}
