using Whistle.Core.Problems;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Assessment;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Core.Meetings;

/// <summary>
/// The one owner of coordination meetings (协调会议): every write to <c>meetings</c>, <c>meeting_summons</c> and
/// <c>meeting_decisions</c> is here. A township (or a supervisor, county-wide) schedules and summons units; each unit
/// confirms who will come or says why it cannot; the township records who reported in (报到) and the minutes; each
/// decision becomes a whistle raised and dispatched by the whistle's owner (<see cref="WhistleStore.RaiseDecisionAsync"/>)
/// in the same transaction, its duty followed, reminded and escalated like any other. Each command locks the meeting
/// row first and holds its version-checked updates to their row counts (409 when it changed meanwhile). Every step is
/// on the one timeline stream, pushed to the units concerned only (<see cref="Visibility.Audience"/>).
/// Commands answer with the meeting's id; the caller reads the meeting as it now is through its own query.
/// </summary>
public sealed class MeetingStore(WhistleDatabase database, CountyCatalogHolder county, WhistleStore whistles, AttachmentStore attachments, TimeProvider time)
{
    public const int MaxOccurrences = 12;

    private const string InsertMeetingSql = """
        INSERT INTO meetings (id, township_id, convener_kind, kind, title, agenda, place, starts_at, ends_at, confirm_by, whistle_id, series_id, status,
                              organizer_user, organizer_name, organizer_org, created_at, version)
        VALUES (@Id, @TownshipId, @ConvenerKind, @Kind, @Title, @Agenda, @Place, @StartsAt, @EndsAt, @ConfirmBy, @WhistleId, @SeriesId, @Status,
                @OrganizerUser, @OrganizerName, @OrganizerOrg, @CreatedAt, 0);
        """;

    private const string InsertSummonsSql = """
        INSERT INTO meeting_summons (id, meeting_id, agency_code, branch_id, participant_kind, status, position)
        VALUES (@Id, @MeetingId, @AgencyCode, @BranchId, @ParticipantKind, @Status, @Position);
        """;

    private const string RespondSummonsSql = """
        UPDATE meeting_summons SET status = @Status, attendee = @Attendee, reason = @Reason, responded_at = @Now
        WHERE id = @Id AND status = 'summoned';
        """;

    private const string RecordAttendanceSql = """
        UPDATE meeting_summons SET attendance = @Attendance, checked_in_at = @CheckedInAt WHERE id = @Id AND meeting_id = @MeetingId;
        """;

    private const string UpdateMeetingSql = """
        UPDATE meetings SET status = @Status, minutes = @Minutes, minutes_at = @MinutesAt, version = version + 1
        WHERE id = @Id AND version = @Version;
        """;

    private const string TouchMeetingSql = "UPDATE meetings SET version = version + 1 WHERE id = @Id AND version = @Version;";

    private const string InsertDecisionSql = """
        INSERT INTO meeting_decisions (id, meeting_id, text, agency_code, branch_id, due_at, whistle_id, assignment_id, created_at, relation_id)
        VALUES (@Id, @MeetingId, @Text, @AgencyCode, @BranchId, @DueAt, @WhistleId, @AssignmentId, @CreatedAt, @RelationId);
        """;

    public async Task<CommandResult<IReadOnlyList<string>>> ScheduleAsync(Caller user, ScheduleMeetingRequest r, CancellationToken ct)
    {
        var catalog = county.Catalog;
        // A joint meeting (issue 17): a department with the institutions of its relations, an institution (its own
        // account, not an office's) with the departments it serves.
        var convener = user.Role switch
        {
            Roles.Township or Roles.Supervisor => ConvenerKind.Township,
            Roles.Department when catalog.FindDepartment(user.OrgId) is not null => ConvenerKind.Department,
            Roles.Institution when catalog.FindInstitution(user.OrgId) is not null => ConvenerKind.Institution,
            _ => null,
        };
        if (convener is null)
        {
            return new CommandResult<IReadOnlyList<string>>.Forbidden(Problem.MeetingCallers());
        }

        var city = convener != ConvenerKind.Township;
        var now = time.GetUtcNow();
        var townshipId = city || user.Role == Roles.Township ? user.OrgId : string.IsNullOrWhiteSpace(r.TownshipId) ? null : r.TownshipId;
        var errors = new FieldErrors();
        if (r.Kind is null || !MeetingKind.All.Contains(r.Kind)) errors.Set("kind", Problem.OneOf("kind", MeetingKind.All, $"The kind is one of {string.Join(", ", MeetingKind.All)}."));
        WhistleValidation.Text(errors, "title", r.Title, 100, required: true);
        WhistleValidation.Text(errors, "agenda", r.Agenda, 2000, required: false, multiLine: true);
        WhistleValidation.Text(errors, "place", r.Place, 200, required: true);
        if (user.Role == Roles.Township && r.TownshipId is not null && r.TownshipId != user.OrgId) errors.Set("townshipId", Problem.TownshipOwnMeetings());
        if (!city && townshipId is not null && catalog.FindTownship(townshipId) is null) errors.Set("townshipId", Problem.Unknown("townshipId", townshipId, "Unknown township."));
        if (r.StartsAt is not { } startsAt || startsAt <= now) errors.Set("startsAt", Problem.StartsInPast());
        var start = r.StartsAt ?? now;
        var end = r.EndsAt ?? start.AddHours(2);
        if (end <= start || end - start > TimeSpan.FromDays(1)) errors.Set("endsAt", Problem.MeetingLength());
        var confirmBy = r.ConfirmBy ?? (start.AddHours(-2) > now ? start.AddHours(-2) : start);
        if (confirmBy > start || confirmBy <= now) errors.Set("confirmBy", Problem.ConfirmByWindow());
        var every = r.Recurrence?.Every;
        var count = r.Recurrence?.Count ?? 1;
        if (r.Recurrence is not null && (every is not ("week" or "month") || count is < 2 or > MaxOccurrences))
            errors.Set("recurrence", Problem.Recurrence(MaxOccurrences));

        // Who is summoned: the one rule (Summoning) — a township only the units stationed in it, a supervisor anyone;
        // a joint meeting (JointSummoning) the other side of the convener's relations.
        var units = new List<(string AgencyCode, string? BranchId)>();
        var participantKind = convener switch
        {
            ConvenerKind.Department => ParticipantKind.Institution,
            ConvenerKind.Institution => ParticipantKind.Department,
            _ => ParticipantKind.Unit,
        };
        if (city)
        {
            if ((r.AgencyCodes?.Count ?? 0) > 0 || (r.BranchIds?.Count ?? 0) > 0) errors.Set("agencyCodes", Problem.JointMeetingParticipants());
            var (field, asked) = convener == ConvenerKind.Department ? ("institutionIds", r.InstitutionIds) : ("departmentIds", r.DepartmentIds);
            foreach (var id in asked ?? [])
            {
                if (!JointSummoning.MaySummon(catalog, convener, user.OrgId, id)) { errors.Set(field, Problem.NotOnYourRelations(id)); continue; }
                units.Add((id, null));
            }
        }

        foreach (var code in city ? [] : r.AgencyCodes ?? [])
        {
            var choice = Summoning.Choose(catalog, user.Role, user.OrgId, townshipId, code, null);
            if (!choice.Allowed) { errors.Set("agencyCodes", choice.Problem!); continue; }
            units.Add((choice.Unit!.AgencyCode, choice.Unit.BranchId));
        }

        foreach (var id in city ? [] : r.BranchIds ?? [])
        {
            if (catalog.FindBranch(id) is not { } branch) { errors.Set("branchIds", Problem.Unknown("branchIds", id, $"Unknown branch '{id}'.")); continue; }
            var choice = Summoning.Choose(catalog, user.Role, user.OrgId, townshipId, branch.AgencyCode, branch.Id);
            if (!choice.Allowed) { errors.Set("branchIds", choice.Problem!); continue; }
            units.Add((choice.Unit!.AgencyCode, choice.Unit.BranchId));
        }

        units = units.Distinct().ToList();
        var unitsField = !city ? "agencyCodes" : convener == ConvenerKind.Department ? "institutionIds" : "departmentIds";
        if (units.Count == 0 && !errors.ContainsKey("agencyCodes") && !errors.ContainsKey("branchIds") && !errors.ContainsKey(unitsField)) errors.Set(unitsField, Problem.AtLeastOne(unitsField, "Summon at least one unit."));
        if (units.Count > 50) errors.Set("agencyCodes", Problem.TooMany("agencyCodes", 50, "At most 50 units."));

        WhistleRow? whistle = null;
        if (r.WhistleId is not null)
        {
            whistle = await database.ReadAsync(c => WhistleRows.GetWhistleAsync(c, r.WhistleId), ct);
            if (whistle is null || city || (user.Role == Roles.Township && whistle.TownshipId != user.OrgId)) errors.Set("whistleId", Problem.NotAWhistleOfYours());
        }

        if (errors.Count > 0) return new CommandResult<IReadOnlyList<string>>.Invalid(errors);

        var seriesId = count > 1 ? Guid.CreateVersion7(now).ToString() : null;
        var ids = await database.WriteAsync(
            async unit =>
            {
                var created = new List<string>();
                for (var i = 0; i < count; i++)
                {
                    TimeSpan Shift(DateTimeOffset at) => (every == "month" ? at.AddMonths(i) : at.AddDays(7 * i)) - at;
                    var meeting = new MeetingRow
                    {
                        Id = Guid.CreateVersion7(now).ToString(),
                        TownshipId = townshipId,
                        ConvenerKind = convener,
                        Kind = whistle is null ? r.Kind! : MeetingKind.OnSite,
                        Title = r.Title!.Trim(),
                        Agenda = r.Agenda?.Trim() ?? string.Empty,
                        Place = r.Place!.Trim(),
                        StartsAt = start + Shift(start),
                        EndsAt = end + Shift(start),
                        ConfirmBy = confirmBy + Shift(start),
                        WhistleId = whistle?.Id,
                        SeriesId = seriesId,
                        Status = MeetingStatus.Scheduled,
                        OrganizerUser = user.UserName,
                        OrganizerName = user.DisplayName,
                        OrganizerOrg = user.OrgId,
                        CreatedAt = now,
                    };
                    await unit.Connection.ExecuteAsync(InsertMeetingSql, meeting, unit.Transaction);
                    var summons = units.Select((u, position) => new SummonsRow
                    {
                        Id = Guid.CreateVersion7(now).ToString(), MeetingId = meeting.Id, AgencyCode = u.AgencyCode, BranchId = u.BranchId,
                        ParticipantKind = participantKind, Status = SummonsStatus.Summoned, Position = position,
                    }).ToList();
                    await unit.Connection.ExecuteAsync(InsertSummonsSql, summons, unit.Transaction);
                    await AuditTrail.WriteAsync(unit, user.Audit, "meeting", meeting.Id, "scheduled", null, new { meeting.Title, meeting.StartsAt, meeting.Place, Units = units }, now);
                    await AppendAsync(unit, WhistleEventTypes.MeetingScheduled, meeting, null, user.Actor, meeting.Agenda, Audience(meeting, summons), now);
                    created.Add(meeting.Id);
                }

                unit.Complete();
                return created;
            },
            ct);
        return new CommandResult<IReadOnlyList<string>>.Success(ids);
    }

    public Task<CommandResult<string>> ConfirmAsync(Caller user, string meetingId, string summonsId, ConfirmSummonsRequest r, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "attendee", r.Attendee, 200, required: true);
        return RespondAsync(user, meetingId, summonsId, errors, SummonsStatus.Confirmed, r.Attendee?.Trim(), null, WhistleEventTypes.MeetingSummonsConfirmed, ct);
    }

    public Task<CommandResult<string>> DeclineAsync(Caller user, string meetingId, string summonsId, DeclineSummonsRequest r, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "reason", r.Reason, 2000, required: true, multiLine: true);
        return RespondAsync(user, meetingId, summonsId, errors, SummonsStatus.Declined, null, r.Reason?.Trim(), WhistleEventTypes.MeetingSummonsDeclined, ct);
    }

    private async Task<CommandResult<string>> RespondAsync(
        Caller user, string meetingId, string summonsId, FieldErrors errors, string status, string? attendee, string? reason, string eventType, CancellationToken ct)
    {
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (meeting, summons) = await MeetingRows.LoadForUpdateAsync(unit, meetingId);
                var target = summons.FirstOrDefault(s => s.Id == summonsId);
                if (meeting is null || target is null || !Visibility.CanSee(user, meeting, summons)) return new CommandResult<string>.NotFound();
                var owner = user.Role switch
                {
                    Roles.Branch => target.ParticipantKind == ParticipantKind.Unit && target.BranchId == user.OrgId,
                    Roles.Agency => target.ParticipantKind == ParticipantKind.Unit && target.BranchId is null && target.AgencyCode == user.OrgId,
                    Roles.Department => target.ParticipantKind == ParticipantKind.Department && target.AgencyCode == user.OrgId,
                    Roles.Institution => target.ParticipantKind == ParticipantKind.Institution && target.AgencyCode == user.OrgId,
                    _ => false,
                };
                if (!owner) return new CommandResult<string>.Forbidden(Problem.SummonsNotYours());
                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (meeting.Status != MeetingStatus.Scheduled) return new CommandResult<string>.Conflict(Problem.MeetingNotScheduled(meeting.Status));
                var now = time.GetUtcNow();
                var rows = await unit.Connection.ExecuteAsync(RespondSummonsSql, new { target.Id, Status = status, Attendee = attendee, Reason = reason, Now = now }, unit.Transaction);
                if (rows != 1) return new CommandResult<string>.Conflict(Problem.SummonsAlreadyAnswered(target.Status));
                if (!await TouchAsync(unit, meeting)) return ChangedMeanwhile();
                var after = target with { Status = status, Attendee = attendee, Reason = reason, RespondedAt = now };
                await AuditTrail.WriteAsync(unit, user.Audit, "meeting-summons", target.Id, status, new { target.Status }, after.ToSnapshot(), now);
                await AppendAsync(unit, eventType, meeting, after, user.Actor, attendee ?? reason, Audience(meeting, [after]), now);
                unit.Complete();
                return new CommandResult<string>.Success(meeting.Id);
            },
            ct);
    }

    public async Task<CommandResult<string>> RecordAttendanceAsync(Caller user, string meetingId, RecordAttendanceRequest r, CancellationToken ct)
    {
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (meeting, summons) = await MeetingRows.LoadForUpdateAsync(unit, meetingId);
                if (meeting is null || !Visibility.CanSee(user, meeting, summons)) return new CommandResult<string>.NotFound();
                if (!MeetingRows.IsOrganizer(user, meeting)) return new CommandResult<string>.Forbidden(Problem.MeetingOrganizerOnly("records attendance"));
                var errors = new FieldErrors();
                var entries = r.Entries ?? [];
                if (entries.Count == 0) errors.Set("entries", Problem.AtLeastOne("entries", "Record at least one unit."));
                for (var i = 0; i < entries.Count; i++)
                {
                    if (summons.All(s => s.Id != entries[i].SummonsId)) errors.Set($"entries[{i}].summonsId", Problem.NotASummonsOfThisMeeting());
                    if (entries[i].Attendance is null || !Attendance.All.Contains(entries[i].Attendance!)) errors.Set($"entries[{i}].attendance", Problem.OneOf("attendance", Attendance.All, "present, late or absent."));
                }

                var now = time.GetUtcNow();
                for (var i = 0; i < entries.Count; i++)
                {
                    if (entries[i].CheckedInAt is { } at && at > now) errors.Set($"entries[{i}].checkedInAt", Problem.CheckInInFuture());
                }

                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (meeting.Status != MeetingStatus.Scheduled) return new CommandResult<string>.Conflict(Problem.MeetingNotScheduled(meeting.Status));
                if (NotStarted(meeting, now, "attendance is recorded once it has begun") is { } early) return early;
                foreach (var e in entries)
                {
                    DateTimeOffset? checkedIn = e.Attendance == Attendance.Absent ? null : e.CheckedInAt ?? now;
                    var rows = await unit.Connection.ExecuteAsync(RecordAttendanceSql, new { Id = e.SummonsId, MeetingId = meeting.Id, e.Attendance, CheckedInAt = checkedIn }, unit.Transaction);
                    if (rows != 1) return ChangedMeanwhile();
                }

                if (!await TouchAsync(unit, meeting)) return ChangedMeanwhile();
                await AuditTrail.WriteAsync(unit, user.Audit, "meeting", meeting.Id, "attendance-recorded", null, entries, now);
                var (_, after) = await MeetingRows.LoadAsync(unit.Connection, meetingId, unit.Transaction);
                var note = string.Join("；", entries.Select(e => $"{UnitName(after.First(s => s.Id == e.SummonsId))}：{AttendanceWord(e.Attendance!)}"));
                var coded = TimelineNotes.Attendance(entries.Select(e =>
                {
                    var summons = after.First(s => s.Id == e.SummonsId);
                    return new TimelineNotes.AttendanceEntry(summons.AgencyCode, summons.BranchId, e.Attendance!);
                }));
                await AppendAsync(unit, WhistleEventTypes.MeetingAttendanceRecorded, meeting, null, user.Actor, note, Audience(meeting, after), now, TimelineNotes.AttendanceRecorded, coded);
                unit.Complete();
                return new CommandResult<string>.Success(meeting.Id);
            },
            ct);
    }

    public async Task<CommandResult<string>> RecordMinutesAsync(Caller user, string meetingId, RecordMinutesRequest r, CancellationToken ct)
    {
        var catalog = county.Catalog;
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (meeting, summons) = await MeetingRows.LoadForUpdateAsync(unit, meetingId);
                if (meeting is null || !Visibility.CanSee(user, meeting, summons)) return new CommandResult<string>.NotFound();
                if (!MeetingRows.IsOrganizer(user, meeting)) return new CommandResult<string>.Forbidden(Problem.MeetingOrganizerOnly("records its minutes"));
                var now = time.GetUtcNow();
                var errors = new FieldErrors();
                WhistleValidation.Text(errors, "minutes", r.Minutes, 10_000, required: true, multiLine: true);
                var decisions = r.Decisions ?? [];
                var responsible = new List<SummonedUnit>();
                var relations = new List<string?>();
                var city = meeting.ConvenerKind != ConvenerKind.Township;
                if (decisions.Count > 20) errors.Set("decisions", Problem.TooMany("decisions", 20, "At most 20 decisions."));
                for (var i = 0; i < decisions.Count && i < 20; i++)
                {
                    var d = decisions[i];
                    WhistleValidation.Text(errors, $"decisions[{i}].text", d.Text, 500, required: true, multiLine: true);
                    if (city)
                    {
                        // A joint meeting decides work requests along a relation between the convener and a participant:
                        // to the institution (or the office of it the decision names), asked by the relation's department.
                        var (unitChoice, problem) = JointSummoning.Decide(catalog, meeting, summons, d.RelationId, d.UnitId);
                        if (problem is not null) errors.Set($"decisions[{i}].{(d.UnitId is not null && !string.IsNullOrWhiteSpace(d.RelationId) && catalog.FindRelation(d.RelationId!) is not null ? "unitId" : "relationId")}", problem);
                        else { responsible.Add(unitChoice!.Unit); relations.Add(unitChoice.RelationId); }
                    }
                    else
                    {
                        // The responsible unit, by the one rule (Summoning): a township's meeting decides only for the units stationed in it.
                        var choice = Summoning.Choose(catalog, user.Role, user.OrgId, meeting.TownshipId, d.AgencyCode, d.BranchId);
                        if (!choice.Allowed) errors.Set($"decisions[{i}].{(choice.Field == SummonsField.Branch ? "branchId" : "agencyCode")}", choice.Problem!);
                        else { responsible.Add(choice.Unit!); relations.Add(null); }
                    }

                    if (d.DueAt is not { } due || due <= now) errors.Set($"decisions[{i}].dueAt", Problem.DueInPast());
                }

                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (meeting.Status != MeetingStatus.Scheduled) return new CommandResult<string>.Conflict(Problem.MeetingNotScheduled(meeting.Status, "; its minutes are recorded once"));
                if (NotStarted(meeting, now, "its minutes are recorded once it has begun") is { } early) return early;
                var updated = await unit.Connection.ExecuteAsync(
                    UpdateMeetingSql, new { meeting.Id, Status = MeetingStatus.Held, Minutes = r.Minutes!.Trim(), MinutesAt = now, meeting.Version }, unit.Transaction);
                if (updated != 1) return ChangedMeanwhile();

                for (var i = 0; i < decisions.Count; i++)
                {
                    await DecideAsync(unit, user, meeting, decisions[i], responsible[i], relations[i], now);
                }

                // The minutes' photos and files (the sign-in sheet, the scene): the organizer's drafts, linked in this
                // transaction or the minutes are not taken; read by whoever sees the meeting (AttachmentStore.ReadableAsync).
                var linked = await attachments.LinkAsync(unit, new AttachmentLink(r.AttachmentIds ?? [], user.Uploader, AttachmentPurpose.Minutes, null, meeting.Id, null, null, now, null));
                if (linked.Refused<string>() is { } refused) return refused;
                var files = linked.LinkedRows;

                await AuditTrail.WriteAsync(
                    unit, user.Audit, "meeting", meeting.Id, "minutes-recorded", null,
                    new { Minutes = r.Minutes!.Trim(), Decisions = decisions, AttachmentIds = files.Select(f => f.Id).ToList() }, now);
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(
                        0, WhistleEventTypes.MeetingMinutesRecorded, meeting.Id, null, now, user.Actor, null, null, $"{decisions.Count}", null,
                        (meeting with { Status = MeetingStatus.Held }).ToSnapshot(), Attachments: files.Count == 0 ? null : files.Select(f => f.ToSnapshot()).ToList()),
                    Audience(meeting, summons),
                    now);
                unit.Complete();
                return new CommandResult<string>.Success(meeting.Id);
            },
            ct);
    }

    /// <summary>
    /// A decision becomes a whistle of the meeting, raised and dispatched like any other by its owner
    /// (<see cref="WhistleStore.RaiseDecisionAsync"/>), with one duty: the responsible unit's, due when the decision is due.
    /// </summary>
    private async Task DecideAsync(UnitOfWork unit, Caller user, MeetingRow meeting, DecisionRequest d, SummonedUnit responsible, string? relationId, DateTimeOffset now)
    {
        var text = d.Text!.Trim();
        var due = d.DueAt!.Value.ToUniversalTime();
        // A joint meeting's decision is a work request of the relation's department: the convener, or (an institution's
        // meeting) the relation's lead department, who confirms and rates it.
        var requester = relationId is null ? meeting.TownshipId
            : meeting.ConvenerKind == ConvenerKind.Department ? meeting.TownshipId
            : county.Catalog.FindRelation(relationId)!.LeadDepartmentId;
        var decided = await whistles.RaiseDecisionAsync(
            unit, user, new DecisionWhistle(meeting.Id, meeting.Title, meeting.StartsAt, meeting.Place, requester, text, responsible, due, relationId), now);
        await unit.Connection.ExecuteAsync(
            InsertDecisionSql,
            new { Id = Guid.CreateVersion7(now).ToString(), MeetingId = meeting.Id, Text = text, AgencyCode = responsible.AgencyCode, BranchId = responsible.BranchId, DueAt = due, WhistleId = decided.WhistleId, AssignmentId = decided.AssignmentId, CreatedAt = now, RelationId = relationId },
            unit.Transaction);
    }

    public async Task<CommandResult<string>> CancelAsync(Caller user, string meetingId, CancellationToken ct)
    {
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var (meeting, summons) = await MeetingRows.LoadForUpdateAsync(unit, meetingId);
                if (meeting is null || !Visibility.CanSee(user, meeting, summons)) return new CommandResult<string>.NotFound();
                if (!MeetingRows.IsOrganizer(user, meeting)) return new CommandResult<string>.Forbidden(Problem.MeetingOrganizerOnly("cancels it"));
                if (meeting.Status != MeetingStatus.Scheduled) return new CommandResult<string>.Conflict(Problem.MeetingNotScheduled(meeting.Status));
                var now = time.GetUtcNow();
                var updated = await unit.Connection.ExecuteAsync(
                    UpdateMeetingSql, new { meeting.Id, Status = MeetingStatus.Cancelled, meeting.Minutes, meeting.MinutesAt, meeting.Version }, unit.Transaction);
                if (updated != 1) return ChangedMeanwhile();
                await AuditTrail.WriteAsync(unit, user.Audit, "meeting", meeting.Id, "cancelled", new { meeting.Status }, new { Status = MeetingStatus.Cancelled }, now);
                await AppendAsync(unit, WhistleEventTypes.MeetingCancelled, meeting with { Status = MeetingStatus.Cancelled }, null, user.Actor, null, Audience(meeting, summons), now);
                unit.Complete();
                return new CommandResult<string>.Success(meeting.Id);
            },
            ct);
    }

    /// <summary>
    /// Bumps the meeting's version if nobody changed it since it was read; false when someone did (then the
    /// command answers 409 and its transaction, not completed, rolls back whatever it wrote).
    /// </summary>
    private static async Task<bool> TouchAsync(UnitOfWork unit, MeetingRow meeting) =>
        await unit.Connection.ExecuteAsync(TouchMeetingSql, new { meeting.Id, meeting.Version }, unit.Transaction) == 1;

    private static CommandResult<string> ChangedMeanwhile() => new CommandResult<string>.Conflict(Problem.MeetingChanged());

    /// <summary>
    /// What cannot have happened yet is refused: attendance and minutes of a meeting that has not begun (409, saying when
    /// it begins in the county's time).
    /// </summary>
    private static CommandResult<string>? NotStarted(MeetingRow meeting, DateTimeOffset now, string what) =>
        now < meeting.StartsAt
            ? new CommandResult<string>.Conflict(Problem.MeetingNotStarted(meeting.StartsAt, what))
            : null;

    /// <summary>The timeline note's word for an attendance (the UI's words: 已报到 / 迟到 / 缺席).</summary>
    private static string AttendanceWord(string attendance) => attendance switch
    {
        Attendance.Present => "已报到",
        Attendance.Late => "迟到",
        Attendance.Absent => "缺席",
        _ => attendance,
    };

    private static IReadOnlyList<string> Audience(MeetingRow meeting, IEnumerable<SummonsRow> summons) =>
        Visibility.MeetingAudience(meeting, summons);

    private static Task AppendAsync(
        UnitOfWork unit, string type, MeetingRow meeting, SummonsRow? summons, EventActor actor, string? note, IReadOnlyList<string> audience, DateTimeOffset now,
        string? noteCode = null, IReadOnlyDictionary<string, object?>? noteParams = null) =>
        Timeline.AppendAsync(unit, new WhistleEvent(0, type, meeting.Id, null, now, actor, null, null, note, null, meeting.ToSnapshot(summons), noteCode, noteParams), audience, now);

    private string UnitName(SummonsRow s) =>
        s.ParticipantKind == ParticipantKind.Department ? county.Catalog.FindDepartment(s.AgencyCode)?.Name ?? s.AgencyCode
        : s.ParticipantKind == ParticipantKind.Institution ? county.Catalog.FindInstitution(s.AgencyCode)?.Name ?? s.AgencyCode
        : (s.BranchId is null ? county.Catalog.FindAgency(s.AgencyCode)?.Name : county.Catalog.FindBranch(s.BranchId)?.Name) ?? s.AgencyCode;
}
