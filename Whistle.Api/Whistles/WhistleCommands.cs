using Dapper;
using Whistle.Api.Auth;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Whistles;

/// <summary>
/// Every change to whistles and assignments: checked against the lifecycle, applied, recorded on the
/// timeline and written to the outbox, in one transaction. A stale or repeated action changes nothing.
/// </summary>
public sealed class WhistleCommands(WhistleDatabase database, CountyCatalogHolder county, WhistleQueries queries, AttachmentStore attachments, TimeProvider time)
{
    private const string FindIdempotencyKeySql = "SELECT whistle_id FROM idempotency_keys WHERE user_name = @UserName AND idempotency_key = @Key;";

    private const string InsertIdempotencyKeySql = """
        INSERT INTO idempotency_keys (user_name, idempotency_key, whistle_id, created_at) VALUES (@UserName, @Key, @WhistleId, @Now);
        """;

    private const string InsertWhistleSql = """
        INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, latitude, longitude, status,
                              raised_by_user, raised_by_name, raised_at, updated_at, version)
        VALUES (@Id, @TownshipId, @MatterCode, @Urgency, @Title, @Description, @Address, @Latitude, @Longitude, @Status,
                @RaisedByUser, @RaisedByName, @RaisedAt, @UpdatedAt, 0);
        """;

    private const string InsertExtraAgencySql = "INSERT INTO whistle_extra_agencies (whistle_id, agency_code) VALUES (@WhistleId, @AgencyCode);";

    private const string ReportAssignmentSql = """
        UPDATE assignments SET status = @Reported, reported_at = @Now, eta_minutes = @EtaMinutes, note = @Note
        WHERE id = @Id AND status = @Dispatched;
        """;

    private const string ResolveAssignmentSql = """
        UPDATE assignments SET status = @Resolved, resolved_at = @Now, note = @Note WHERE id = @Id AND status = @Reported;
        """;

    private const string DeclineAssignmentSql = """
        UPDATE assignments SET status = @Declined, declined_at = @Now, decline_reason = @Reason
        WHERE id = @Id AND status IN (@Dispatched, @Reported);
        """;

    private const string RateAssignmentSql = "UPDATE assignments SET rating = @Rating, rating_comment = @Comment WHERE id = @Id AND whistle_id = @WhistleId;";

    private const string ReopenAssignmentsSql = """
        UPDATE assignments SET status = @Reported, resolved_at = NULL WHERE whistle_id = @WhistleId AND status = @Resolved;
        """;

    public async Task<CommandResult<WhistleDto>> RaiseAsync(CurrentUser user, RaiseWhistleRequest request, string? idempotencyKey, CancellationToken ct)
    {
        if (user.Role != Roles.Township)
        {
            return new CommandResult<WhistleDto>.Forbidden("Only township staff raise whistles.");
        }

        // Another instance may have changed the whistle list a moment ago (its CountyChanged may still be on
        // the way): judge a new whistle by the newest list. One single-row read.
        await county.RefreshIfStaleAsync(database, ct);
        var errors = WhistleValidation.Raise(request, county.Catalog);

        if (idempotencyKey is { Length: > WhistleValidation.IdempotencyKeyMax })
        {
            errors["idempotencyKey"] = [$"The Idempotency-Key header must be at most {WhistleValidation.IdempotencyKeyMax} characters."];
        }

        if (errors.Count > 0)
        {
            return new CommandResult<WhistleDto>.Invalid(errors);
        }

        var extra = (request.ExtraAgencyCodes ?? []).Distinct(StringComparer.Ordinal).ToList();
        string whistleId;
        bool replayed;
        CommandResult<WhistleDto>? refused = null;
        try
        {
            (whistleId, replayed) = await database.WriteAsync(
                async unit =>
                {
                    var (c, t) = (unit.Connection, unit.Transaction);
                    if (idempotencyKey is not null)
                    {
                        var existing = await c.ExecuteScalarAsync<string?>(FindIdempotencyKeySql, new { user.UserName, Key = idempotencyKey }, t);
                        if (existing is not null)
                        {
                            return (existing, true);
                        }
                    }

                    var now = time.GetUtcNow();
                    var row = new WhistleRow
                    {
                        Id = Guid.CreateVersion7(now).ToString(),
                        TownshipId = user.OrgId,
                        MatterCode = request.MatterCode!,
                        Urgency = request.Urgency!,
                        Title = request.Title!.Trim(),
                        Description = request.Description?.Trim() ?? string.Empty,
                        Address = request.Address!.Trim(),
                        Latitude = request.Latitude,
                        Longitude = request.Longitude,
                        Status = WhistleStatus.Raised,
                        RaisedByUser = user.UserName,
                        RaisedByName = user.DisplayName,
                        RaisedAt = now,
                        UpdatedAt = now,
                    };
                    await c.ExecuteAsync(InsertWhistleSql, row, t);
                    await c.ExecuteAsync(InsertExtraAgencySql, extra.Select(code => new { WhistleId = row.Id, AgencyCode = code }), t);
                    if (idempotencyKey is not null)
                    {
                        await c.ExecuteAsync(InsertIdempotencyKeySql, new { user.UserName, Key = idempotencyKey, WhistleId = row.Id, Now = now }, t);
                    }

                    // WhistleRaised first: the relay publishes in outbox order, so the dispatcher gets to work one
                    // publish earlier. The push of the WhistleRaised event still precedes every push the dispatch
                    // causes (the dispatcher's outbox rows come later in the one ordered stream).
                    await Outbox.AddAsync(unit, new WhistleRaised(row.Id, row.TownshipId, row.MatterCode, row.Urgency, extra, now), now);
                    await Timeline.AppendAsync(
                        unit,
                        new WhistleEvent(0, WhistleEventTypes.WhistleRaised, row.Id, null, now, user.Actor, row.ToSummary(), null, null),
                        Timeline.Audience(row.TownshipId, []),
                        now);
                    await AuditTrail.WriteAsync(unit, user.Audit, "whistle", row.Id, "raised", null, new { row.MatterCode, row.Urgency, row.Title, row.Address, ExtraAgencyCodes = extra }, now);
                    // The photos the clerk uploaded while filling the form: linked in the same transaction, or nothing is raised.
                    refused = await LinkAsync(unit, user, request.AttachmentIds, AttachmentPurpose.Raise, row, null, null, Timeline.Audience(row.TownshipId, []), now);
                    if (refused is not null)
                    {
                        return (row.Id, false);
                    }

                    unit.Complete();
                    return (row.Id, false);
                },
                ct);
        }
        catch (Exception ex) when (idempotencyKey is not null && WhistleDatabase.IsUniqueViolation(ex))
        {
            // The same key raced in from a concurrent retry: answer with the whistle the first one made.
            whistleId = await database.ReadAsync(c => c.ExecuteScalarAsync<string>(FindIdempotencyKeySql, new { user.UserName, Key = idempotencyKey }), ct)
                ?? throw new InvalidOperationException("The idempotency key vanished.", ex);
            replayed = true;
        }

        if (refused is not null)
        {
            return refused;
        }

        var dto = await queries.GetAsync(user, whistleId, ct);
        return dto is null ? new CommandResult<WhistleDto>.NotFound() : new CommandResult<WhistleDto>.Success(dto, replayed);
    }

    /// <summary>
    /// Links the caller's uploads to the item being written (<see cref="AttachmentStore.LinkAsync"/>), announced as
    /// <c>AttachmentAdded</c> to <paramref name="audience"/>; the refusal to answer instead (the caller then does not complete).
    /// </summary>
    private async Task<CommandResult<WhistleDto>?> LinkAsync(
        UnitOfWork unit, CurrentUser user, IReadOnlyList<string>? ids, string purpose, WhistleRow whistle, string? assignmentId, string? note,
        IReadOnlyList<string> audience, DateTimeOffset now)
    {
        if (ids is null || ids.Count == 0) return null;
        var outcome = await attachments.LinkAsync(
            unit,
            new AttachmentLink(ids, user.Uploader, purpose, whistle.Id, null, assignmentId, note, now, (whistle.ToSummary(), audience)));
        return outcome switch
        {
            LinkOutcome.Invalid invalid => new CommandResult<WhistleDto>.Invalid(invalid.Errors),
            LinkOutcome.TooLarge large => new CommandResult<WhistleDto>.TooLarge(large.Refusal.Code, large.Refusal.Detail),
            _ => null,
        };
    }

    /// <summary>
    /// A later note (补充材料): files uploaded first, with an optional text, on a whistle the caller sees — the township,
    /// a unit with a duty on it, a supervisor. Not on a cancelled whistle.
    /// </summary>
    public async Task<CommandResult<WhistleDto>> AddAttachmentsAsync(CurrentUser user, string whistleId, AddAttachmentsRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        WhistleValidation.Text(errors, "note", request.Note, WhistleValidation.NoteMax, required: false, multiLine: true);
        if (request.AttachmentIds is null || request.AttachmentIds.Count == 0)
        {
            errors["attachmentIds"] = ["Upload at least one file first (POST /api/attachments) and name it here."];
        }

        var outcome = await database.WriteAsync<CommandResult<WhistleDto>?>(
            async unit =>
            {
                var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, whistleId);
                var assignments = whistle is null ? [] : await WhistleData.GetAssignmentsAsync(unit.Connection, whistleId, unit.Transaction);
                if (whistle is null || !WhistleQueries.CanSee(user, whistle, assignments))
                {
                    return new CommandResult<WhistleDto>.NotFound();
                }

                if (errors.Count > 0)
                {
                    return new CommandResult<WhistleDto>.Invalid(errors);
                }

                if (whistle.Status == WhistleStatus.Cancelled)
                {
                    return new CommandResult<WhistleDto>.Conflict("The whistle was cancelled: nothing more is added to it.");
                }

                var now = time.GetUtcNow();
                var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
                var mine = assignments.FirstOrDefault(a => (user.Role == Roles.Branch && a.BranchId == user.OrgId) || (user.Role == Roles.Agency && a.BranchId is null && a.AgencyCode == user.OrgId));
                var refused = await LinkAsync(
                    unit, user, request.AttachmentIds, AttachmentPurpose.Note, whistle, mine?.Id, note,
                    Timeline.Audience(whistle.TownshipId, assignments.Select(a => (a.AgencyCode, a.BranchId))), now);
                if (refused is not null)
                {
                    return refused;
                }

                unit.Complete();
                return null;
            },
            ct);
        return outcome ?? await Reload(user, whistleId, ct);
    }

    public Task<CommandResult<WhistleDto>> CancelAsync(CurrentUser user, string whistleId, CancellationToken ct) =>
        ChangeWhistleAsync(user, whistleId, ct, (unit, whistle, assignments, now) =>
        {
            var allowed = Lifecycle.CanCancel(whistle.Status, assignments.Select(a => new AssignmentState(a.Status)));
            return Task.FromResult<Change>(allowed.Allowed
                ? new Change.Apply(WhistleStatus.Cancelled, WhistleEventTypes.WhistleCancelled, null)
                : new Change.Refused(allowed.Reason!));
        });

    public Task<CommandResult<WhistleDto>> ReopenAsync(CurrentUser user, string whistleId, ReopenWhistleRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: true, multiLine: true);
        if (errors.Count > 0) return Task.FromResult<CommandResult<WhistleDto>>(new CommandResult<WhistleDto>.Invalid(errors));
        return ChangeWhistleAsync(user, whistleId, ct, async (unit, whistle, assignments, now) =>
        {
            var allowed = Lifecycle.CanReopen(whistle.Status);
            if (!allowed.Allowed) return new Change.Refused(allowed.Reason!);
            await unit.Connection.ExecuteAsync(
                ReopenAssignmentsSql,
                new { WhistleId = whistle.Id, AssignmentStatus.Reported, AssignmentStatus.Resolved },
                unit.Transaction);
            return new Change.Apply(WhistleStatus.InProgress, WhistleEventTypes.WhistleReopened, request.Reason!.Trim());
        });
    }

    public Task<CommandResult<WhistleDto>> ConfirmAsync(CurrentUser user, string whistleId, ConfirmWhistleRequest request, CancellationToken ct) =>
        ChangeWhistleAsync(user, whistleId, ct, async (unit, whistle, assignments, now) =>
        {
            var allowed = Lifecycle.CanConfirm(whistle.Status);
            if (!allowed.Allowed) return new Change.Refused(allowed.Reason!);
            var errors = ValidateRatings(request, assignments);
            if (errors.Count > 0) return new Change.Invalid(errors);
            foreach (var rating in request.Ratings!)
            {
                await unit.Connection.ExecuteAsync(
                    RateAssignmentSql,
                    new { Id = rating.AssignmentId, WhistleId = whistle.Id, rating.Rating, Comment = rating.Comment?.Trim() },
                    unit.Transaction);
            }

            return new Change.Apply(WhistleStatus.Closed, WhistleEventTypes.WhistleConfirmed, null);
        });

    private static Dictionary<string, string[]> ValidateRatings(ConfirmWhistleRequest request, IReadOnlyList<AssignmentRow> assignments)
    {
        var errors = new Dictionary<string, string[]>();
        var ratings = request.Ratings ?? [];
        var resolved = assignments.Where(a => a.Status == AssignmentStatus.Resolved).Select(a => a.Id).ToHashSet();
        for (var i = 0; i < ratings.Count; i++)
        {
            var r = ratings[i];
            if (r.AssignmentId is null || !resolved.Contains(r.AssignmentId))
                errors[$"ratings[{i}].assignmentId"] = ["Rate only the resolved assignments of this whistle."];
            if (!Rating.IsValid(r.Rating))
                errors[$"ratings[{i}].rating"] = [$"The rating must be one of {string.Join(", ", Rating.All)}."];
            WhistleValidation.Text(errors, $"ratings[{i}].comment", r.Comment, WhistleValidation.CommentMax, required: false, multiLine: true);
        }

        var rated = ratings.Where(r => r.AssignmentId is not null).GroupBy(r => r.AssignmentId!).ToList();
        if (rated.Any(g => g.Count() > 1))
            errors["ratings"] = ["Rate each assignment once."];
        else if (!resolved.SetEquals(rated.Select(g => g.Key)))
            errors["ratings"] = ["Rate every resolved assignment: satisfied, basically-satisfied or unsatisfied."];
        return errors;
    }

    public Task<CommandResult<WhistleDto>> ReportAsync(CurrentUser user, string assignmentId, ReportRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.EtaMinutes is < 0 or > WhistleValidation.EtaMinutesMax)
            errors["etaMinutes"] = [$"The ETA must be between 0 and {WhistleValidation.EtaMinutesMax} minutes."];
        WhistleValidation.Text(errors, "note", request.Note, WhistleValidation.NoteMax, required: false, multiLine: true);
        return ChangeAssignmentAsync(user, assignmentId, errors, WhistleEventTypes.AssignmentReported, (request.AttachmentIds, AttachmentPurpose.Report), ct, async (unit, assignment, now) =>
        {
            var allowed = Lifecycle.CanReport(assignment.Status);
            if (!allowed.Allowed) return allowed;
            var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
            var rows = await unit.Connection.ExecuteAsync(
                ReportAssignmentSql,
                new { assignment.Id, Now = now, request.EtaMinutes, Note = note, AssignmentStatus.Reported, AssignmentStatus.Dispatched },
                unit.Transaction);
            return rows == 1 ? Transition.Ok : Transition.Refused("The assignment changed meanwhile.");
        });
    }

    public Task<CommandResult<WhistleDto>> ResolveAsync(CurrentUser user, string assignmentId, ResolveRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        WhistleValidation.Text(errors, "note", request.Note, WhistleValidation.NoteMax, required: true, multiLine: true);
        return ChangeAssignmentAsync(user, assignmentId, errors, WhistleEventTypes.AssignmentResolved, (request.AttachmentIds, AttachmentPurpose.Resolution), ct, async (unit, assignment, now) =>
        {
            var allowed = Lifecycle.CanResolve(assignment.Status);
            if (!allowed.Allowed) return allowed;
            var rows = await unit.Connection.ExecuteAsync(
                ResolveAssignmentSql,
                new { assignment.Id, Now = now, Note = request.Note!.Trim(), AssignmentStatus.Resolved, AssignmentStatus.Reported },
                unit.Transaction);
            return rows == 1 ? Transition.Ok : Transition.Refused("The assignment changed meanwhile.");
        });
    }

    public Task<CommandResult<WhistleDto>> DeclineAsync(CurrentUser user, string assignmentId, DeclineRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: true, multiLine: true);
        return ChangeAssignmentAsync(user, assignmentId, errors, WhistleEventTypes.AssignmentDeclined, (null, AttachmentPurpose.Note), ct, async (unit, assignment, now) =>
        {
            var allowed = Lifecycle.CanDecline(assignment.Status);
            if (!allowed.Allowed) return allowed;
            var rows = await unit.Connection.ExecuteAsync(
                DeclineAssignmentSql,
                new { assignment.Id, Now = now, Reason = request.Reason!.Trim(), AssignmentStatus.Declined, AssignmentStatus.Dispatched, AssignmentStatus.Reported },
                unit.Transaction);
            return rows == 1 ? Transition.Ok : Transition.Refused("The assignment changed meanwhile.");
        });
    }

    /// <summary>The audit trail's word for what an event records: AssignmentReported → reported.</summary>
    public static string AuditAction(string eventType) => eventType switch
    {
        WhistleEventTypes.WhistleCancelled => "cancelled",
        WhistleEventTypes.WhistleConfirmed => "confirmed",
        WhistleEventTypes.WhistleReopened => "reopened",
        WhistleEventTypes.AssignmentReported => "reported",
        WhistleEventTypes.AssignmentResolved => "resolved",
        WhistleEventTypes.AssignmentDeclined => "declined",
        WhistleEventTypes.AssignmentReassigned => "reassigned",
        WhistleEventTypes.AssignmentDispatched => "added",
        _ => eventType,
    };

    private abstract record Change
    {
        public sealed record Apply(string NewStatus, string EventType, string? Note) : Change;

        public sealed record Refused(string Reason) : Change;

        public sealed record Invalid(Dictionary<string, string[]> Errors) : Change;
    }

    /// <summary>A township's action on its own whistle: cancel, confirm, reopen.</summary>
    private async Task<CommandResult<WhistleDto>> ChangeWhistleAsync(
        CurrentUser user,
        string whistleId,
        CancellationToken ct,
        Func<UnitOfWork, WhistleRow, IReadOnlyList<AssignmentRow>, DateTimeOffset, Task<Change>> decide)
    {
        var outcome = await database.WriteAsync<CommandResult<WhistleDto>?>(
            async unit =>
            {
                var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, whistleId);
                var assignments = await WhistleData.GetAssignmentsAsync(unit.Connection, whistleId, unit.Transaction);
                if (whistle is null || !WhistleQueries.CanSee(user, whistle, assignments))
                {
                    return new CommandResult<WhistleDto>.NotFound();
                }

                if (user.Role != Roles.Township || whistle.TownshipId != user.OrgId)
                {
                    return new CommandResult<WhistleDto>.Forbidden("Only the raising township acts on its whistle.");
                }

                var now = time.GetUtcNow();
                var change = await decide(unit, whistle, assignments, now);
                switch (change)
                {
                    case Change.Refused refused:
                        return new CommandResult<WhistleDto>.Conflict(refused.Reason);
                    case Change.Invalid invalid:
                        return new CommandResult<WhistleDto>.Invalid(invalid.Errors);
                }

                var apply = (Change.Apply)change;
                if (!await WhistleData.UpdateStatusAsync(unit, whistle, apply.NewStatus, now))
                {
                    return new CommandResult<WhistleDto>.Conflict("The whistle changed meanwhile; reload it.");
                }

                // Read once more: reopening and confirming changed the assignments themselves.
                var after = await WhistleData.GetAssignmentsAsync(unit.Connection, whistle.Id, unit.Transaction);
                foreach (var a in after)
                {
                    // Closed or cancelled: every chain stops. Reopened: the reported ones run against resolve-by again.
                    var live = apply.NewStatus is WhistleStatus.Closed or WhistleStatus.Cancelled ? null : EscalationPolicy.NextAfter(a.Clock, now, county.Catalog.Escalation);
                    await WhistleData.SetNextStepAsync(unit, a.Id, live);
                }

                await AuditTrail.WriteAsync(
                    unit, user.Audit, "whistle", whistle.Id, AuditAction(apply.EventType),
                    new { whistle.Status }, new { Status = apply.NewStatus, apply.Note, Ratings = apply.EventType == WhistleEventTypes.WhistleConfirmed ? after.Select(a => new { a.Id, a.Rating, a.RatingComment }) : null }, now);
                var summary = (whistle with { Status = apply.NewStatus }).ToSummary();
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(0, apply.EventType, whistle.Id, null, now, user.Actor, summary, null, apply.Note),
                    Timeline.Audience(whistle.TownshipId, assignments.Select(a => (a.AgencyCode, a.BranchId))),
                    now);
                unit.Complete();
                return null;
            },
            ct);
        return outcome ?? await Reload(user, whistleId, ct);
    }

    /// <summary>A branch's (or an agency's) action on its own assignment: report, resolve, decline.</summary>
    private async Task<CommandResult<WhistleDto>> ChangeAssignmentAsync(
        CurrentUser user,
        string assignmentId,
        Dictionary<string, string[]> errors,
        string eventType,
        (IReadOnlyList<string>? Ids, string Purpose) files,
        CancellationToken ct,
        Func<UnitOfWork, AssignmentRow, DateTimeOffset, Task<Transition>> apply)
    {
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
                var assignment = assignments.FirstOrDefault(a => a.Id == assignmentId);
                if (whistle is null || assignment is null || !WhistleQueries.CanSee(user, whistle, assignments))
                {
                    return new CommandResult<WhistleDto>.NotFound();
                }

                var owner = user.Role switch
                {
                    Roles.Branch => assignment.BranchId == user.OrgId,
                    Roles.Agency => assignment.BranchId is null && assignment.AgencyCode == user.OrgId,
                    _ => false,
                };
                if (!owner)
                {
                    return new CommandResult<WhistleDto>.Forbidden("Only the branch the assignment is routed to (or the agency, where it has no branch there) acts on it.");
                }

                if (errors.Count > 0)
                {
                    return new CommandResult<WhistleDto>.Invalid(errors);
                }

                var live = Lifecycle.CanActOnWhistle(whistle.Status);
                if (!live.Allowed)
                {
                    return new CommandResult<WhistleDto>.Conflict(live.Reason!);
                }

                var now = time.GetUtcNow();
                var result = await apply(unit, assignment, now);
                if (!result.Allowed)
                {
                    return new CommandResult<WhistleDto>.Conflict(result.Reason!);
                }

                var after = await WhistleData.GetAssignmentsAsync(unit.Connection, whistle.Id, unit.Transaction);
                var status = Lifecycle.DeriveWhistleStatus(whistle.Status, after.Select(a => new AssignmentState(a.Status)).ToList());
                if (!await WhistleData.UpdateStatusAsync(unit, whistle, status, now))
                {
                    return new CommandResult<WhistleDto>.Conflict("The whistle changed meanwhile; reload it.");
                }

                var changed = after.First(a => a.Id == assignmentId);
                // The chain follows the assignment: the resolve phase after a report, nothing after resolve or decline.
                await WhistleData.SetNextStepAsync(unit, changed.Id, EscalationPolicy.NextAfter(changed.Clock, now, county.Catalog.Escalation));
                var note = eventType == WhistleEventTypes.AssignmentDeclined ? changed.DeclineReason : changed.Note;
                await AuditTrail.WriteAsync(unit, user.Audit, "assignment", changed.Id, AuditAction(eventType), new { assignment.Status }, changed.ToSnapshot(), now);
                var audience = Timeline.Audience(whistle.TownshipId, [(changed.AgencyCode, changed.BranchId)]);
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(0, eventType, whistle.Id, changed.Id, now, user.Actor, (whistle with { Status = status }).ToSummary(), changed.ToSnapshot(), note),
                    audience,
                    now);
                // The arrival photo of a report, the result of a resolution: in the same transaction, or the action is not taken.
                var refused = await LinkAsync(unit, user, files.Ids, files.Purpose, whistle with { Status = status }, changed.Id, null, audience, now);
                if (refused is not null)
                {
                    return refused;
                }

                unit.Complete();
                return null;
            },
            ct);
        return outcome ?? await Reload(user, found.WhistleId, ct);
    }

    private async Task<CommandResult<WhistleDto>> Reload(CurrentUser user, string whistleId, CancellationToken ct)
    {
        var dto = await queries.GetAsync(user, whistleId, ct);
        return dto is null ? new CommandResult<WhistleDto>.NotFound() : new CommandResult<WhistleDto>.Success(dto);
    }
}
