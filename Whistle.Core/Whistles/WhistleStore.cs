using System.Globalization;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Assessment;
using Whistle.Core.Attachments;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Problems;
using Whistle.Core.Storage;

namespace Whistle.Core.Whistles;

/// <summary>
/// The one owner of a whistle and its duties: every write to <c>whistles</c>, <c>whistle_extra_agencies</c>,
/// <c>assignments</c> and <c>idempotency_keys</c> is here, whoever asks — the Api's endpoints (raise, the township's
/// cancel / confirm / reopen, the units' report / resolve / decline, reassignment and added units), Open311, a
/// meeting's decisions, the dispatcher's <c>WhistleRaisedConsumer</c> and its deadline scheduler.
/// <para>
/// Each command runs in one transaction: lock the whistle's row first (<see cref="SqlDialect.SelectForUpdate"/>), read
/// its duties, judge by the pure rules (<see cref="Visibility"/>, <see cref="Lifecycle"/>, <see cref="Summoning"/>,
/// <see cref="Routing"/>, <see cref="EscalationPolicy"/>), apply conditional updates (a stale or repeated action
/// changes nothing: 409), and record what happened on the timeline (which writes the outbox row of its push) and on
/// the audit trail. Every path that puts work on a unit goes through <see cref="DispatchAsync"/>.
/// </para>
/// Commands answer with the whistle's id; the caller reads the whistle as it now is through its own query.
/// </summary>
public sealed partial class WhistleStore(WhistleDatabase database, CountyCatalogHolder county, AttachmentStore attachments, TimeProvider time)
{
    private const string FindIdempotencyKeySql = "SELECT whistle_id FROM idempotency_keys WHERE user_name = @UserName AND idempotency_key = @Key;";

    private const string InsertIdempotencyKeySql = """
        INSERT INTO idempotency_keys (user_name, idempotency_key, whistle_id, created_at) VALUES (@UserName, @Key, @WhistleId, @Now);
        """;

    private const string InsertWhistleSql = """
        INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, latitude, longitude, status,
                              raised_by_user, raised_by_name, raised_at, updated_at, version, meeting_id, level, relation_id)
        VALUES (@Id, @TownshipId, @MatterCode, @Urgency, @Title, @Description, @Address, @Latitude, @Longitude, @Status,
                @RaisedByUser, @RaisedByName, @RaisedAt, @UpdatedAt, 0, @MeetingId, @Level, @RelationId);
        """;

    private const string InsertExtraAgencySql = "INSERT INTO whistle_extra_agencies (whistle_id, agency_code) VALUES (@WhistleId, @AgencyCode);";

    private const string UpdateStatusSql = """
        UPDATE whistles SET status = @Status, updated_at = @Now, version = version + 1 WHERE id = @Id AND version = @Version;
        """;

    // UpdateStatusSql answering the new version (a row only when it changed the whistle): sent with other statements at
    // commit, where no count of changed rows says which statement changed what.
    private static string DispatchedStatusSql(SqlDialect dialect) =>
        dialect.UpdateAnswering("whistles", "status = @Status, updated_at = @Now, version = version + 1", "id = @Id AND version = @Version", "version") + ";";

    private const string AssignmentInsertColumns = """
        id, whistle_id, agency_code, branch_id, role, status, dispatched_at, report_by, resolve_by, position,
        next_step_at, next_step_kind, next_step_level, reminder_count, escalation_count, previous_assignment_id
        """;

    // One multi-row insert for a dispatch's duties (issue 15: one statement, not one a duty); row i's parameters end in i.
    private static string InsertAssignmentsSql(int rows) =>
        $"INSERT INTO assignments ({AssignmentInsertColumns}) VALUES "
        + string.Join(", ", Enumerable.Range(0, rows).Select(i =>
            $"(@Id{i}, @WhistleId{i}, @AgencyCode{i}, @BranchId{i}, @Role{i}, @Status{i}, @DispatchedAt{i}, @ReportBy{i}, @ResolveBy{i}, @Position{i}, "
            + $"@NextStepAt{i}, @NextStepKind{i}, @NextStepLevel{i}, 0, 0, @PreviousAssignmentId{i})"))
        + ";";

    private const string SetNextStepSql = """
        UPDATE assignments SET next_step_at = @StepAt, next_step_kind = @StepKind, next_step_level = @StepLevel WHERE id = @StepId;
        """;

    private const string ReportAssignmentSql = """
        UPDATE assignments SET status = @Reported, reported_at = @Now, eta_minutes = @EtaMinutes, expected_on = @ExpectedOn, note = @Note
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

    // The row lock serialises the writers of one whistle (SQLite has one writer anyway).
    private static string SelectWhistleForUpdateSql(SqlDialect dialect) =>
        dialect.SelectForUpdate(WhistleRows.WhistleColumns, "whistles w", "w.id = @Id") + ";";

    /// <summary>Who acts when the county's own machinery does: routing, the escalation chain.</summary>
    public static EventActor SystemActor(string countyId) => new("system", "调度中心", countyId);

    // ---- Raise ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// A township raises a whistle (also through Open311): checked against the newest whistle list, written with its
    /// <c>WhistleRaised</c> event and message; with an <c>Idempotency-Key</c>, a repeat answers the first whistle (replayed).
    /// </summary>
    public async Task<CommandResult<RaisedWhistle>> RaiseAsync(Caller caller, RaiseWhistleRequest request, string? idempotencyKey, CancellationToken ct)
    {
        if (caller.Role != Roles.Township)
        {
            return new CommandResult<RaisedWhistle>.Forbidden(Problem.TownshipRaises());
        }

        // Another instance may have changed the whistle list a moment ago (its CountyChanged may still be on the way):
        // a new whistle is judged by the newest list. Judged by this copy first; the write reads the county's version
        // with its insert and, when another instance changed the county meanwhile, is rolled back and judged again by
        // the county it loaded (issue 15: no read of its own before each raise). A refusal looks for a newer list first: one
        // in the database, or one this instance took since it judged (a CountyChanged arriving between the two).
        for (var attempt = 1; ; attempt++)
        {
            var judgedBy = county.Current;
            var errors = WhistleValidation.Raise(request, judgedBy.Catalog);
            if (errors.Count > 0 && await county.NewerThanAsync(judgedBy, database, ct) is { } newer)
            {
                judgedBy = newer;
                errors = WhistleValidation.Raise(request, judgedBy.Catalog);
            }

            if (idempotencyKey is { Length: > WhistleValidation.IdempotencyKeyMax })
            {
                errors.Set("idempotencyKey", Problem.TooLong("idempotencyKey", WhistleValidation.IdempotencyKeyMax, $"The Idempotency-Key header must be at most {WhistleValidation.IdempotencyKeyMax} characters."));
            }

            if (errors.Count > 0)
            {
                return new CommandResult<RaisedWhistle>.Invalid(errors);
            }

            // The county changes by a supervisor's hand: a third change within one raise's write is not waited for.
            var raised = await RaiseRequestedAsync(caller, request, idempotencyKey, attempt < 3 ? judgedBy.Version : null, ct);
            if (raised is not null)
            {
                return raised;
            }
        }
    }

    /// <summary>A township's raise as judged: its row written, or null when the county was not <paramref name="judgedBy"/> any more.</summary>
    private Task<CommandResult<RaisedWhistle>?> RaiseRequestedAsync(Caller caller, RaiseWhistleRequest request, string? idempotencyKey, int? judgedBy, CancellationToken ct)
    {
        var extra = (request.ExtraAgencyCodes ?? []).Distinct(StringComparer.Ordinal).ToList();
        return RaiseRowAsync(
            caller,
            now => new WhistleRow
            {
                Id = Guid.CreateVersion7(now).ToString(),
                TownshipId = caller.OrgId,
                MatterCode = request.MatterCode!,
                Urgency = request.Urgency!,
                Title = request.Title!.Trim(),
                Description = request.Description?.Trim() ?? string.Empty,
                Address = request.Address!.Trim(),
                Latitude = request.Latitude,
                Longitude = request.Longitude,
                Status = WhistleStatus.Raised,
                RaisedByUser = caller.UserName,
                RaisedByName = caller.DisplayName,
                RaisedAt = now,
                UpdatedAt = now,
            },
            extra,
            row => new { row.MatterCode, row.Urgency, row.Title, row.Address, ExtraAgencyCodes = extra },
            request.AttachmentIds,
            request.MediaUrl,
            idempotencyKey,
            ct,
            judgedBy);
    }

    /// <summary>
    /// A department raises a work request (工作事项, issue 17) on an item of the list of a relation it has with the
    /// institution — refused (400, <c>not-on-relation-list</c>) for any other — as a whistle of the city level: the same
    /// row, the same <c>WhistleRaised</c> event and message, dispatched by the same <see cref="DispatchRaisedAsync"/>.
    /// </summary>
    public async Task<CommandResult<RaisedWhistle>> RaiseWorkRequestAsync(Caller caller, RaiseWorkRequest request, string? idempotencyKey, CancellationToken ct)
    {
        if (caller.Role != Roles.Department)
        {
            return new CommandResult<RaisedWhistle>.Forbidden(Problem.DepartmentRaises());
        }

        await county.RefreshIfStaleAsync(database, ct);
        var errors = new FieldErrors();
        WorkItemChoice? choice = null;
        if (string.IsNullOrWhiteSpace(request.InstitutionId)) errors.Set("institutionId", Problem.Required("institutionId", "The institution is required."));
        if (string.IsNullOrWhiteSpace(request.WorkItemCode)) errors.Set("workItemCode", Problem.Required("workItemCode", "The work item is required."));
        else if (!string.IsNullOrWhiteSpace(request.InstitutionId))
        {
            (choice, var problem) = WorkRouting.Choose(county.Catalog, caller.OrgId, request.InstitutionId, request.WorkItemCode);
            if (problem is not null) errors.Set("workItemCode", problem);
        }

        WhistleValidation.Text(errors, "title", request.Title, WhistleValidation.TitleMax, required: true);
        WhistleValidation.Text(errors, "description", request.Description, WhistleValidation.DescriptionMax, required: false, multiLine: true);
        WhistleValidation.Text(errors, "address", request.Address, WhistleValidation.AddressMax, required: false);
        if (idempotencyKey is { Length: > WhistleValidation.IdempotencyKeyMax })
        {
            errors.Set("idempotencyKey", Problem.TooLong("idempotencyKey", WhistleValidation.IdempotencyKeyMax, $"The Idempotency-Key header must be at most {WhistleValidation.IdempotencyKeyMax} characters."));
        }

        if (errors.Count > 0)
        {
            return new CommandResult<RaisedWhistle>.Invalid(errors);
        }

        return await RaiseRowAsync(
            caller,
            now => new WhistleRow
            {
                Id = Guid.CreateVersion7(now).ToString(),
                Level = WhistleLevel.City,
                TownshipId = caller.OrgId,
                RelationId = choice!.Relation.Id,
                MatterCode = choice.Item.Code,
                Urgency = Urgency.Routine,
                Title = request.Title!.Trim(),
                Description = request.Description?.Trim() ?? string.Empty,
                Address = request.Address?.Trim() ?? string.Empty,
                Status = WhistleStatus.Raised,
                RaisedByUser = caller.UserName,
                RaisedByName = caller.DisplayName,
                RaisedAt = now,
                UpdatedAt = now,
            },
            [],
            row => new { row.Level, row.RelationId, WorkItemCode = row.MatterCode, InstitutionId = choice!.Relation.InstitutionId, row.Title },
            request.AttachmentIds,
            null,
            idempotencyKey,
            ct) ?? throw new InvalidOperationException("A raise that checks no county version is never judged stale.");
    }

    /// <summary>Raising, for both levels: the row, its event and message, the idempotency key, the audit row, the photos.</summary>
    /// <remarks>
    /// With <paramref name="judgedBy"/>, the county's version is read with the insert: when it is not that version any
    /// more, nothing is written, this copy loads the newest county in the transaction, and the answer is null (judge again).
    /// </remarks>
    private async Task<CommandResult<RaisedWhistle>?> RaiseRowAsync(
        Caller caller,
        Func<DateTimeOffset, WhistleRow> make,
        IReadOnlyList<string> extra,
        Func<WhistleRow, object> audited,
        IReadOnlyList<string>? attachmentIds,
        string? mediaUrl,
        string? idempotencyKey,
        CancellationToken ct,
        int? judgedBy = null)
    {
        CommandResult<RaisedWhistle>? refused = null;
        WhistleRow? asked = null;
        UnitOfWork? written = null;
        var stale = false;
        try
        {
            var (whistleId, replayed) = await database.WriteAsync(
                async unit =>
                {
                    var (c, t) = (unit.Connection, unit.Transaction);
                    refused = null;
                    stale = false;
                    written = unit;
                    // To the microsecond, as a database server keeps it: the answer built from this row (below) is the
                    // whistle as any later read finds it.
                    var now = WholeMicroseconds(time.GetUtcNow());
                    var row = asked = make(now);
                    if (idempotencyKey is not null)
                    {
                        var existing = await c.ExecuteScalarAsync<string?>(FindIdempotencyKeySql, new { caller.UserName, Key = idempotencyKey }, t);
                        if (existing is not null)
                        {
                            refused = await ReplayAsync(c, t, existing, row);
                            return (existing, true);
                        }
                    }

                    // The whistle, its idempotency key and its audit row in one command (one round trip, issue 15). A key
                    // another request took meanwhile fails the command as the key's own insert did (caught below).
                    var parameters = new DynamicParameters();
                    var also = AuditTrail.Row(parameters, "Audit", caller.Audit, "whistle", row.Id, "raised", null, audited(row), now);
                    if (idempotencyKey is not null)
                    {
                        parameters.AddDynamicParams(new { caller.UserName, Key = idempotencyKey, WhistleId = row.Id, Now = now });
                        also = InsertIdempotencyKeySql + "\n" + also;
                    }

                    if (judgedBy is { } judged)
                    {
                        var version = await InsertRaisedAsync(unit, row, extra, caller.Actor, null, now, (also, parameters), readCountyVersion: true);
                        if (version != judged)
                        {
                            // Judged by a county another instance has changed since: nothing of this is committed.
                            await county.EnsureCurrentAsync(version!.Value, c, t);
                            stale = true;
                            return (row.Id, false);
                        }
                    }
                    else
                    {
                        await InsertRaisedAsync(unit, row, extra, caller.Actor, null, now, (also, parameters));
                    }

                    // The photos the clerk uploaded while filling the form: linked in the same transaction, or nothing is raised.
                    refused = await LinkAsync<RaisedWhistle>(unit, caller, attachmentIds, AttachmentPurpose.Raise, row, null, null, Visibility.Audience(row, []), now);
                    if (mediaUrl is not null)
                    {
                        await attachments.AddReferenceAsync(unit, caller.Uploader, row.Id, mediaUrl, now);
                    }

                    if (refused is null)
                    {
                        unit.Complete();
                    }

                    return (row.Id, false);
                },
                ct);
            if (stale) return null;
            if (refused is not null) return refused;
            // A new whistle without photos is known whole here — its row and its one event, as committed (issue 15:
            // no read after the write); one with photos or replayed is read back by the caller.
            var known = !replayed && (attachmentIds is null || attachmentIds.Count == 0) && mediaUrl is null
                ? written!.Recorded.SingleOrDefault(e => e.Type == WhistleEventTypes.WhistleRaised && e.WhistleId == whistleId)
                : null;
            return new CommandResult<RaisedWhistle>.Success(new RaisedWhistle(whistleId, known is null ? null : asked, known), replayed);
        }
        catch (Exception ex) when (idempotencyKey is not null && database.IsUniqueViolation(ex))
        {
            // The same key raced in from a concurrent retry: answer with the whistle the first one made.
            return await database.ReadAsync(
                async c =>
                {
                    var first = await c.ExecuteScalarAsync<string>(FindIdempotencyKeySql, new { caller.UserName, Key = idempotencyKey })
                        ?? throw new InvalidOperationException("The idempotency key vanished.", ex);
                    return await ReplayAsync(c, null, first, asked!) ?? new CommandResult<RaisedWhistle>.Success(new RaisedWhistle(first), Replayed: true);
                },
                ct);
        }
    }

    private static DateTimeOffset WholeMicroseconds(DateTimeOffset at) => at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMicrosecond));

    /// <summary>
    /// A repeated <c>Idempotency-Key</c>: null when it repeats the request that made <paramref name="firstId"/> (its
    /// answer is that whistle), a 409 <c>idempotency-key-reused</c> when the key comes with another request — never
    /// a whistle the caller did not ask for. The same request: the same level, relation, matter (work item), urgency,
    /// title, description, address and position.
    /// </summary>
    private static async Task<CommandResult<RaisedWhistle>?> ReplayAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? t, string firstId, WhistleRow asked)
    {
        var first = await WhistleRows.GetWhistleAsync(c, firstId, t);
        var same = first is not null
            && first.Level == asked.Level && first.RelationId == asked.RelationId && first.MatterCode == asked.MatterCode && first.Urgency == asked.Urgency
            && first.Title == asked.Title && first.Description == asked.Description && first.Address == asked.Address
            && first.Latitude == asked.Latitude && first.Longitude == asked.Longitude;
        return same ? null : new CommandResult<RaisedWhistle>.Conflict(Problem.IdempotencyKeyReused(firstId));
    }

    /// <summary>
    /// The whistle row, its further agencies, the <c>WhistleRaised</c> message and the <c>WhistleRaised</c> event, the
    /// two written at commit in one insert, the message first (the relay publishes in outbox order, so the dispatcher
    /// gets to work one publish earlier; the event's push still precedes every push the dispatch causes: those rows
    /// come later in the whistle's outbox stream).
    /// </summary>
    /// <summary>
    /// Inserts a raised whistle with its message and event; the caller's statements (<paramref name="with"/>) ride along
    /// in the same command, and with <paramref name="readCountyVersion"/> the county's version is read last and answered.
    /// </summary>
    private static async Task<int?> InsertRaisedAsync(
        UnitOfWork unit, WhistleRow row, IReadOnlyList<string> extra, EventActor actor, string? note, DateTimeOffset now,
        (string Sql, DynamicParameters Parameters)? with = null, bool readCountyVersion = false)
    {
        int? version = null;
        if (with is { } also)
        {
            // The caller's statements ride along with the whistle's insert (their parameters are named apart from the row's).
            also.Parameters.AddDynamicParams(row);
            if (readCountyVersion)
            {
                version = await unit.Connection.ExecuteScalarAsync<int>(
                    InsertWhistleSql + "\n" + also.Sql + "\n" + CountyCatalogHolder.VersionSql, also.Parameters, unit.Transaction);
            }
            else
            {
                await unit.Connection.ExecuteAsync(InsertWhistleSql + "\n" + also.Sql, also.Parameters, unit.Transaction);
            }
        }
        else
        {
            await unit.Connection.ExecuteAsync(InsertWhistleSql, row, unit.Transaction);
        }

        await unit.Connection.ExecuteAsync(InsertExtraAgencySql, extra.Select(code => new { WhistleId = row.Id, AgencyCode = code }), unit.Transaction);
        Outbox.Defer(unit, new WhistleRaised(row.Id, row.TownshipId, row.MatterCode, row.Urgency, extra, now, row.Level, row.RelationId), now);
        Timeline.Defer(
            unit,
            new WhistleEvent(0, WhistleEventTypes.WhistleRaised, row.Id, null, now, actor, row.ToSummary(), null, note),
            Visibility.Audience(row, []),
            now);
        return version;
    }

    // ---- The township's actions on its whistle ----------------------------------------------------------------

    public Task<CommandResult<string>> CancelAsync(Caller caller, string whistleId, CancellationToken ct) =>
        ChangeWhistleAsync(caller, whistleId, ct, (unit, whistle, assignments, now) =>
        {
            var allowed = Lifecycle.CanCancel(whistle.Status, assignments.Select(a => new AssignmentState(a.Status)));
            return Task.FromResult<Change>(allowed.Allowed
                ? new Change.Apply(WhistleStatus.Cancelled, WhistleEventTypes.WhistleCancelled, null)
                : new Change.Refused(allowed.Problem!));
        });

    public Task<CommandResult<string>> ReopenAsync(Caller caller, string whistleId, ReopenWhistleRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: true, multiLine: true);
        if (errors.Count > 0) return Task.FromResult<CommandResult<string>>(new CommandResult<string>.Invalid(errors));
        return ChangeWhistleAsync(caller, whistleId, ct, async (unit, whistle, assignments, now) =>
        {
            var allowed = Lifecycle.CanReopen(whistle.Status);
            if (!allowed.Allowed) return new Change.Refused(allowed.Problem!);
            await unit.Connection.ExecuteAsync(
                ReopenAssignmentsSql,
                new { WhistleId = whistle.Id, AssignmentStatus.Reported, AssignmentStatus.Resolved },
                unit.Transaction);
            return new Change.Apply(WhistleStatus.InProgress, WhistleEventTypes.WhistleReopened, request.Reason!.Trim());
        });
    }

    public Task<CommandResult<string>> ConfirmAsync(Caller caller, string whistleId, ConfirmWhistleRequest request, CancellationToken ct) =>
        ChangeWhistleAsync(caller, whistleId, ct, async (unit, whistle, assignments, now) =>
        {
            var allowed = Lifecycle.CanConfirm(whistle.Status);
            if (!allowed.Allowed) return new Change.Refused(allowed.Problem!);
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

    private static FieldErrors ValidateRatings(ConfirmWhistleRequest request, IReadOnlyList<AssignmentRow> assignments)
    {
        var errors = new FieldErrors();
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
            errors.Set("ratings", Problem.RateEachOnce());
        else if (!resolved.SetEquals(rated.Select(g => g.Key)))
            errors.Set("ratings", Problem.RateEveryResolved());
        return errors;
    }

    private abstract record Change
    {
        public sealed record Apply(string NewStatus, string EventType, string? Note) : Change;

        public sealed record Refused(ProblemText Problem) : Change;

        public sealed record Invalid(Dictionary<string, string[]> Errors) : Change;
    }

    /// <summary>A township's action on its own whistle: cancel, confirm, reopen.</summary>
    private async Task<CommandResult<string>> ChangeWhistleAsync(
        Caller caller,
        string whistleId,
        CancellationToken ct,
        Func<UnitOfWork, WhistleRow, IReadOnlyList<AssignmentRow>, DateTimeOffset, Task<Change>> decide) =>
        await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (whistle, assignments) = await LockAsync(unit, whistleId);
                if (whistle is null || !Visibility.CanSee(caller, whistle, assignments))
                {
                    return new CommandResult<string>.NotFound();
                }

                if (!Visibility.IsRequester(caller, whistle))
                {
                    return new CommandResult<string>.Forbidden(Problem.RaisingTownshipOnly());
                }

                var now = time.GetUtcNow();
                var change = await decide(unit, whistle, assignments, now);
                switch (change)
                {
                    case Change.Refused refused:
                        return new CommandResult<string>.Conflict(refused.Problem!);
                    case Change.Invalid invalid:
                        return new CommandResult<string>.Invalid(invalid.Errors);
                }

                var apply = (Change.Apply)change;
                if (!await UpdateStatusAsync(unit, whistle, apply.NewStatus, now))
                {
                    return ChangedMeanwhile();
                }

                // Read once more: reopening and confirming changed the assignments themselves.
                var after = await WhistleRows.GetAssignmentsAsync(unit.Connection, whistle.Id, unit.Transaction);
                foreach (var a in after)
                {
                    // Closed or cancelled: every chain stops. Reopened: the reported ones run against resolve-by again.
                    var live = apply.NewStatus is WhistleStatus.Closed or WhistleStatus.Cancelled ? null : EscalationPolicy.NextAfter(a.Clock, now, county.Catalog.Escalation);
                    await SetNextStepAsync(unit, a.Id, live);
                }

                await AuditTrail.WriteAsync(
                    unit, caller.Audit, "whistle", whistle.Id, AuditAction(apply.EventType),
                    new { whistle.Status }, new { Status = apply.NewStatus, apply.Note, Ratings = apply.EventType == WhistleEventTypes.WhistleConfirmed ? after.Select(a => new { a.Id, a.Rating, a.RatingComment }) : null }, now);
                var summary = (whistle with { Status = apply.NewStatus }).ToSummary();
                Timeline.Defer(
                    unit,
                    new WhistleEvent(0, apply.EventType, whistle.Id, null, now, caller.Actor, summary, null, apply.Note),
                    Visibility.Audience(whistle, assignments.Select(a => (a.AgencyCode, a.BranchId))),
                    now);
                unit.Complete();
                return new CommandResult<string>.Success(whistle.Id);
            },
            ct);

    // ---- A unit's actions on its duty -------------------------------------------------------------------------

    public async Task<CommandResult<string>> ReportAsync(Caller caller, string assignmentId, ReportRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (request.EtaMinutes is < 0 or > WhistleValidation.EtaMinutesMax)
            errors.Set("etaMinutes", Problem.OutOfRange("etaMinutes", 0, WhistleValidation.EtaMinutesMax, $"The ETA must be between 0 and {WhistleValidation.EtaMinutesMax} minutes."));
        WhistleValidation.Text(errors, "note", request.Note, WhistleValidation.NoteMax, required: false, multiLine: true);
        var expectedOn = WhistleValidation.ExpectedOn(errors, request, time.GetUtcNow());
        // A day to finish on, not minutes to arrive in: not after the duty's own resolve-by day. (The errors are answered
        // only to the duty's owner: ChangeAssignmentAsync checks who asks first.)
        if (expectedOn is { } day && await database.ReadAsync(c => WhistleRows.GetAssignmentAsync(c, assignmentId), ct) is { } duty
            && day > ChinaTime.LocalDate(duty.ResolveBy))
        {
            errors.Set("expectedOn", Problem.ExpectedDayAfterResolveBy(ChinaTime.LocalDate(duty.ResolveBy)));
        }

        return await ChangeAssignmentAsync(caller, assignmentId, errors, WhistleEventTypes.AssignmentReported, (request.AttachmentIds, AttachmentPurpose.Report), ct, (assignment, now) =>
        {
            var allowed = Lifecycle.CanReport(assignment.Status);
            if (!allowed.Allowed) return (allowed, null);

            var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
            return (allowed, new DutyUpdate(
                ReportAssignmentSql,
                new { assignment.Id, Now = now, request.EtaMinutes, ExpectedOn = expectedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Note = note, AssignmentStatus.Reported, AssignmentStatus.Dispatched },
                AssignmentStatus.Reported));
        });
    }

    public Task<CommandResult<string>> ResolveAsync(Caller caller, string assignmentId, ResolveRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "note", request.Note, WhistleValidation.NoteMax, required: true, multiLine: true);
        return ChangeAssignmentAsync(caller, assignmentId, errors, WhistleEventTypes.AssignmentResolved, (request.AttachmentIds, AttachmentPurpose.Resolution), ct, (assignment, now) =>
        {
            var allowed = Lifecycle.CanResolve(assignment.Status);
            if (!allowed.Allowed) return (allowed, null);
            return (allowed, new DutyUpdate(
                ResolveAssignmentSql,
                new { assignment.Id, Now = now, Note = request.Note!.Trim(), AssignmentStatus.Resolved, AssignmentStatus.Reported },
                AssignmentStatus.Resolved));
        });
    }

    public Task<CommandResult<string>> DeclineAsync(Caller caller, string assignmentId, DeclineRequest request, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "reason", request.Reason, WhistleValidation.NoteMax, required: true, multiLine: true);
        return ChangeAssignmentAsync(caller, assignmentId, errors, WhistleEventTypes.AssignmentDeclined, (null, AttachmentPurpose.Note), ct, (assignment, now) =>
        {
            var allowed = Lifecycle.CanDecline(assignment.Status);
            if (!allowed.Allowed) return (allowed, null);
            return (allowed, new DutyUpdate(
                DeclineAssignmentSql,
                new { assignment.Id, Now = now, Reason = request.Reason!.Trim(), AssignmentStatus.Declined, AssignmentStatus.Dispatched, AssignmentStatus.Reported },
                AssignmentStatus.Declined));
        });
    }

    /// <summary>
    /// What a unit's action writes to its duty: an update of that one row from the statuses the action may leave
    /// (its <c>WHERE</c>), and the status it leaves the duty in.
    /// </summary>
    private sealed record DutyUpdate(string Sql, object Parameters, string Status);

    /// <summary>A branch's (or an agency's) action on its own assignment: report, resolve, decline.</summary>
    private async Task<CommandResult<string>> ChangeAssignmentAsync(
        Caller caller,
        string assignmentId,
        FieldErrors errors,
        string eventType,
        (IReadOnlyList<string>? Ids, string Purpose) files,
        CancellationToken ct,
        Func<AssignmentRow, DateTimeOffset, (Transition Allowed, DutyUpdate? Update)> apply)
    {
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (whistle, assignments) = await LockOfAssignmentAsync(unit, assignmentId);
                var assignment = assignments.FirstOrDefault(a => a.Id == assignmentId);
                if (whistle is null || assignment is null || !Visibility.CanSee(caller, whistle, assignments))
                {
                    return new CommandResult<string>.NotFound();
                }

                if (!Visibility.IsResponder(caller, whistle, assignment))
                {
                    return new CommandResult<string>.Forbidden(Problem.AssignmentNotYours());
                }

                if (errors.Count > 0)
                {
                    return new CommandResult<string>.Invalid(errors);
                }

                var live = Lifecycle.CanActOnWhistle(whistle.Status);
                if (!live.Allowed)
                {
                    return new CommandResult<string>.Conflict(live.Problem!);
                }

                var now = time.GetUtcNow();
                var (allowed, update) = apply(assignment, now);
                if (!allowed.Allowed)
                {
                    return new CommandResult<string>.Conflict(allowed.Problem!);
                }

                // The duty's update and the whistle's duties read back in one command (issue 15: no round trip of its own
                // for the re-read). The duty was read under the whistle's lock in a status the action may leave, so the
                // update changes it; a duty found in any other status than the one it leaves means somebody changed it.
                var updateParameters = new DynamicParameters(update!.Parameters);
                updateParameters.Add("WhistleId", whistle.Id);
                List<AssignmentRow> after;
                await using (var grid = await unit.Connection.QueryMultipleAsync(update.Sql + "\n" + WhistleRows.SelectAssignmentsSql, updateParameters, unit.Transaction))
                {
                    after = (await grid.ReadAsync<AssignmentRow>()).ToList();
                }

                var changed = after.First(a => a.Id == assignmentId);
                if (changed.Status != update.Status)
                {
                    return new CommandResult<string>.Conflict(Problem.AssignmentChanged());
                }

                var status = Lifecycle.DeriveWhistleStatus(whistle.Status, after.Select(a => new AssignmentState(a.Status)).ToList());

                // In one command (one round trip, issue 15): the whistle's status if nobody changed it since it was read,
                // the chain following the assignment (the resolve phase after a report, nothing after resolve or
                // decline), and the audit row. Each changes one row; fewer than three means the whistle changed.
                var (statusSql, statusParameters) = StatusUpdate(whistle, status, now);
                var parameters = new DynamicParameters(statusParameters);
                parameters.AddDynamicParams(NextStep(changed.Id, EscalationPolicy.NextAfter(changed.Clock, now, county.Catalog.Escalation)));
                var auditSql = AuditTrail.Row(parameters, "Audit", caller.Audit, "assignment", changed.Id, AuditAction(eventType), new { assignment.Status }, changed.ToSnapshot(), now);
                if (await unit.Connection.ExecuteAsync(statusSql + "\n" + SetNextStepSql + "\n" + auditSql, parameters, unit.Transaction) != 3)
                {
                    return ChangedMeanwhile();
                }

                var note = eventType == WhistleEventTypes.AssignmentDeclined ? changed.DeclineReason : changed.Note;
                var audience = Visibility.Audience(whistle, [(changed.AgencyCode, changed.BranchId)]);
                Timeline.Defer(
                    unit,
                    new WhistleEvent(0, eventType, whistle.Id, changed.Id, now, caller.Actor, (whistle with { Status = status }).ToSummary(), changed.ToSnapshot(), note),
                    audience,
                    now);
                // The arrival photo of a report, the result of a resolution: in the same transaction, or the action is not taken.
                if (await LinkAsync<string>(unit, caller, files.Ids, files.Purpose, whistle with { Status = status }, changed.Id, null, audience, now) is { } refused)
                {
                    return refused;
                }

                unit.Complete();
                return new CommandResult<string>.Success(whistle.Id);
            },
            ct);
    }

    // ---- Evidence (issue 14) ------------------------------------------------------------------------------------

    /// <summary>
    /// A later note (补充材料): files the caller uploaded, with an optional text, on a whistle it sees — the township, a
    /// unit with a duty on it, a supervisor; not on a cancelled whistle. One <c>AttachmentAdded</c> event to everyone on it.
    /// </summary>
    public async Task<CommandResult<string>> AddAttachmentsAsync(Caller caller, string whistleId, AddAttachmentsRequest request, CancellationToken ct)
    {
        var errors = request.Errors();

        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (whistle, assignments) = await LockAsync(unit, whistleId);
                if (whistle is null || !Visibility.CanSee(caller, whistle, assignments))
                {
                    return new CommandResult<string>.NotFound();
                }

                if (errors.Count > 0)
                {
                    return new CommandResult<string>.Invalid(errors);
                }

                if (whistle.Status == WhistleStatus.Cancelled)
                {
                    return new CommandResult<string>.Conflict(Problem.WhistleNotLive(WhistleStatus.Cancelled));
                }

                var now = time.GetUtcNow();
                var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
                var mine = caller.Role is Roles.Branch or Roles.Agency or Roles.Institution ? assignments.FirstOrDefault(a => Visibility.Concerns(caller, whistle, a)) : null;
                var refused = await LinkAsync<string>(
                    unit, caller, request.AttachmentIds, AttachmentPurpose.Note, whistle, mine?.Id, note,
                    Visibility.Audience(whistle, assignments.Select(a => (a.AgencyCode, a.BranchId))), now);
                if (refused is not null)
                {
                    return refused;
                }

                unit.Complete();
                return new CommandResult<string>.Success(whistle.Id);
            },
            ct);
    }

    /// <summary>
    /// Links the caller's uploads to the item being written (<see cref="AttachmentStore.LinkAsync"/>, the attachments'
    /// owner), announced as <c>AttachmentAdded</c> to <paramref name="audience"/>; the refusal to answer instead (the
    /// caller then does not complete its transaction, so nothing of the item is written either).
    /// </summary>
    private async Task<CommandResult<T>?> LinkAsync<T>(
        UnitOfWork unit, Caller caller, IReadOnlyList<string>? ids, string purpose, WhistleRow whistle, string? assignmentId, string? note,
        IReadOnlyList<string> audience, DateTimeOffset now)
    {
        if (ids is null || ids.Count == 0) return null;
        var outcome = await attachments.LinkAsync(
            unit,
            new AttachmentLink(ids, caller.Uploader, purpose, whistle.Id, null, assignmentId, note, now, (whistle.ToSummary(), audience)));
        return outcome.Refused<T>();
    }

    // ---- Shared steps ---------------------------------------------------------------------------------------------

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

    /// <summary>The whistle, its row locked against other writers until the transaction ends, and its duties.</summary>
    private static async Task<(WhistleRow? Whistle, IReadOnlyList<AssignmentRow> Assignments)> LockAsync(UnitOfWork unit, string whistleId)
    {
        // One round trip: the duties are read after the whistle's row lock is granted (the statements run in order).
        return await ReadLockedAsync(unit, unit.Dialect.Sql(LockWhistleSql), new { Id = whistleId, WhistleId = whistleId });
    }

    private static string LockWhistleWithCountySql(SqlDialect dialect) => LockWhistleSql(dialect) + "\n" + CountyCatalogHolder.VersionSql;

    /// <summary>
    /// A consumer's message recorded in the inbox, then the whistle locked with its duties and the county's version read
    /// (a newer county loaded in the transaction when this copy is older), in one command. Null when
    /// the message was handled before: the lock's answers are not read, the county is not refreshed, and the caller
    /// returns without completing (the transaction rolls back, the whistle's row lock with it). The county's version rides
    /// in the command, and when this copy is not that version the county is loaded in the transaction first
    /// (<see cref="CountyCatalogHolder.EnsureCurrentAsync"/>) — read-your-writes across instances without a read of its own.
    /// </summary>
    private async Task<(WhistleRow? Whistle, IReadOnlyList<AssignmentRow> Assignments, CountyCatalog Catalog)?> RecordAndLockByNewestCountyAsync(
        UnitOfWork unit, Guid messageId, string consumer, DateTimeOffset now, string whistleId)
    {
        WhistleRow? whistle;
        List<AssignmentRow> assignments;
        int version;
        await using (var grid = await unit.Connection.QueryMultipleAsync(
            unit.Dialect.Sql(RecordAndLockWhistleWithCountySql),
            new { MessageId = messageId.ToString(), Consumer = consumer, Now = now, Id = whistleId, WhistleId = whistleId },
            unit.Transaction))
        {
            if (!(await grid.ReadAsync<string>()).Any())
            {
                return null;
            }

            whistle = await grid.ReadSingleOrDefaultAsync<WhistleRow>();
            assignments = (await grid.ReadAsync<AssignmentRow>()).ToList();
            version = await grid.ReadSingleAsync<int>();
        }

        return (whistle, assignments, await county.EnsureCurrentAsync(version, unit.Connection, unit.Transaction));
    }

    private static string RecordAndLockWhistleWithCountySql(SqlDialect dialect) => Inbox.RecordSql(dialect) + "\n" + LockWhistleWithCountySql(dialect);

    /// <summary>Runs a lock's statements (the whistle's row locked, then its duties) and reads both answers.</summary>
    private static async Task<(WhistleRow? Whistle, IReadOnlyList<AssignmentRow> Assignments)> ReadLockedAsync(UnitOfWork unit, string sql, object parameters)
    {
        await using var grid = await unit.Connection.QueryMultipleAsync(sql, parameters, unit.Transaction);
        var whistle = await grid.ReadSingleOrDefaultAsync<WhistleRow>();
        var assignments = (await grid.ReadAsync<AssignmentRow>()).ToList();
        return (whistle, assignments);
    }

    private static string LockWhistleSql(SqlDialect dialect) => SelectWhistleForUpdateSql(dialect) + "\n" + WhistleRows.SelectAssignmentsSql;

    /// <summary>
    /// <see cref="LockAsync"/> for a caller who names one of the whistle's duties: the whistle is found from the duty in the
    /// same command (issue 15: one round trip, not a read of the duty on a connection of its own first).
    /// </summary>
    private static Task<(WhistleRow? Whistle, IReadOnlyList<AssignmentRow> Assignments)> LockOfAssignmentAsync(UnitOfWork unit, string assignmentId) =>
        ReadLockedAsync(unit, unit.Dialect.Sql(LockOfAssignmentSql), new { AssignmentId = assignmentId });

    // A duty never moves to another whistle: its whistle_id, read in each statement, is the same both times.
    private const string WhistleOfAssignment = "(SELECT x.whistle_id FROM assignments x WHERE x.id = @AssignmentId)";

    private static string LockOfAssignmentSql(SqlDialect dialect) =>
        dialect.SelectForUpdate(WhistleRows.WhistleColumns, "whistles w", $"w.id = {WhistleOfAssignment}") + ";\n"
        + $"SELECT {WhistleRows.AssignmentColumns} FROM assignments a WHERE a.whistle_id = {WhistleOfAssignment} ORDER BY a.position, a.id;";

    /// <summary>The whistle's optimistic status update (<see cref="UpdateStatusSql"/>) as a statement to send with others.</summary>
    private static (string Sql, object Parameters) StatusUpdate(WhistleRow whistle, string status, DateTimeOffset now) =>
        (UpdateStatusSql, new { whistle.Id, Status = status, Now = now, whistle.Version });

    /// <summary>
    /// New duties' rows, in one statement per 50 (SQL Server takes at most 2,100 parameters a statement). With
    /// <paramref name="update"/> (one statement changing one row, its parameters named apart from the rows'), that
    /// statement goes first in the same command; false when it changed no row (nothing else is checked: the caller
    /// does not complete the transaction then).
    /// </summary>
    private static async Task<bool> InsertAssignmentsAsync(UnitOfWork unit, IReadOnlyList<AssignmentRow> rows, (string Sql, object Parameters)? update = null)
    {
        if (rows.Count == 0)
        {
            return update is not { } alone || await unit.Connection.ExecuteAsync(alone.Sql, alone.Parameters, unit.Transaction) == 1;
        }

        var first = true;
        foreach (var chunk in rows.Chunk(AssignmentsPerStatement))
        {
            var parameters = AssignmentParameters(chunk);

            if (first && update is { } with)
            {
                // Every statement's rows affected are added up: the insert's are the chunk's, so the update changed its row
                // exactly when the total is one more.
                parameters.AddDynamicParams(with.Parameters);
                if (await unit.Connection.ExecuteAsync(with.Sql + "\n" + InsertAssignmentsSql(chunk.Length), parameters, unit.Transaction) != chunk.Length + 1)
                {
                    return false;
                }
            }
            else
            {
                await unit.Connection.ExecuteAsync(InsertAssignmentsSql(chunk.Length), parameters, unit.Transaction);
            }

            first = false;
        }

        return true;
    }

    /// <summary>New duties' rows in one statement at most (SQL Server takes at most 2,100 parameters a statement).</summary>
    private const int AssignmentsPerStatement = 50;

    /// <summary><see cref="InsertAssignmentsSql"/>'s parameters for these rows.</summary>
    private static DynamicParameters AssignmentParameters(IReadOnlyList<AssignmentRow> rows)
    {
        var parameters = new DynamicParameters();
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            parameters.Add($"Id{i}", r.Id);
            parameters.Add($"WhistleId{i}", r.WhistleId);
            parameters.Add($"AgencyCode{i}", r.AgencyCode);
            parameters.Add($"BranchId{i}", r.BranchId);
            parameters.Add($"Role{i}", r.Role);
            parameters.Add($"Status{i}", r.Status);
            parameters.Add($"DispatchedAt{i}", r.DispatchedAt);
            parameters.Add($"ReportBy{i}", r.ReportBy);
            parameters.Add($"ResolveBy{i}", r.ResolveBy);
            parameters.Add($"Position{i}", r.Position);
            parameters.Add($"NextStepAt{i}", r.NextStepAt);
            parameters.Add($"NextStepKind{i}", r.NextStepKind);
            parameters.Add($"NextStepLevel{i}", r.NextStepLevel);
            parameters.Add($"PreviousAssignmentId{i}", r.PreviousAssignmentId);
        }

        return parameters;
    }

    /// <summary>Moves a whistle to a status if nobody changed it since it was read; false when someone did.</summary>
    private static async Task<bool> UpdateStatusAsync(UnitOfWork unit, WhistleRow whistle, string status, DateTimeOffset now)
    {
        var (sql, parameters) = StatusUpdate(whistle, status, now);
        return await unit.Connection.ExecuteAsync(sql, parameters, unit.Transaction) == 1;
    }

    /// <summary>Schedules (or, with null, stops) an assignment's escalation chain.</summary>
    private static Task SetNextStepAsync(UnitOfWork unit, string assignmentId, EscalationStep? step) =>
        unit.Connection.ExecuteAsync(SetNextStepSql, NextStep(assignmentId, step), unit.Transaction);

    /// <summary><see cref="SetNextStepSql"/>'s parameters (named apart from a whistle's, so that the two go in one command).</summary>
    private static object NextStep(string assignmentId, EscalationStep? step) => new { StepId = assignmentId, StepAt = step?.At, StepKind = step?.Kind, StepLevel = step?.Level };

    private static CommandResult<string> ChangedMeanwhile() => new CommandResult<string>.Conflict(Problem.WhistleChanged());
}
