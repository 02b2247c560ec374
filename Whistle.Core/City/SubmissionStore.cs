using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Heads;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Problems;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Core.City;

/// <summary>
/// The one owner of <c>submissions</c> (issue 17): what an institution submits to a department along one of its
/// relations, and the department's answer within a limit —
/// <list type="bullet">
/// <item>请示 (<see cref="SubmissionKind.Request"/>) answered with a 批复 (approved / disapproved, with its text) and 报告
/// (<see cref="SubmissionKind.Report"/>) answered 阅知: to the managing department of a one-to-one relation, to a
/// guiding department for its field (many-to-one guidance), or to a department the institution serves (one-to-many);</item>
/// <item>选拔任用备案 (<see cref="SubmissionKind.Filing"/>): the appointment of the head of an internal office or branch,
/// filed with the managing department of a one-to-one relation, acknowledged (备案确认) or objected to with reasons (提出异议).
/// Where the head leads a branch stationed in a township, the filing follows the heads rule of the township's opinion
/// (<see cref="RecommendationStore"/>): with the township's answer to the institution's consultation it is filed with
/// it; while the consultation's limit runs unanswered it is refused (409 opinion-not-due); with none asked, or the
/// limit passed unanswered, it is filed and says so (<see cref="TimelineNotes.FiledWithoutOpinion"/>).</item>
/// </list>
/// The limit is the relation's mechanism record's <c>withinDays</c> (<c>request-report</c>, <c>appointment-filing</c>),
/// else <see cref="SubmissionOptions"/>; reminded (催办) at the county's reminder share and escalated (督办, pushed to the
/// establishment office) at the limit and every <see cref="SubmissionOptions.RepeatEveryHours"/> after, by the one
/// <see cref="EscalationPolicy"/>. Seen by the institution, the department addressed and the establishment office
/// (<see cref="Visibility.SubmissionCondition"/>); pushed to them only (<see cref="Visibility.SubmissionAudience"/>).
/// </summary>
public sealed class SubmissionStore(WhistleDatabase database, CountyCatalogHolder county, AttachmentStore attachments, IOptions<SubmissionOptions> options, TimeProvider time)
{
    public const int TitleMax = 200;
    public const int BodyMax = 4000;
    public const int AnswerTextMax = 4000;

    public const string Columns = """
        s.id, s.kind, s.relation_id AS RelationId, s.institution_id AS InstitutionId, s.unit_id AS UnitId, s.department_id AS DepartmentId, s.field,
        s.title, s.body, s.head_unit_id AS HeadUnitId, s.head_name AS HeadName, s.head_title AS HeadTitle, s.recommendation_id AS RecommendationId,
        s.without_opinion AS WithoutOpinion, s.status, s.opened_at AS OpenedAt, s.opened_by AS OpenedBy, s.opened_by_name AS OpenedByName, s.due_at AS DueAt,
        s.answer, s.answer_text AS AnswerText, s.answered_at AS AnsweredAt, s.answered_by AS AnsweredBy, s.answered_by_name AS AnsweredByName,
        s.next_step_at AS NextStepAt, s.next_step_kind AS NextStepKind, s.next_step_level AS NextStepLevel,
        s.reminder_count AS ReminderCount, s.escalation_count AS EscalationCount, s.row_version AS RowVersion
        """;

    private const string InsertSql = """
        INSERT INTO submissions (id, kind, relation_id, institution_id, unit_id, department_id, field, title, body, head_unit_id, head_name, head_title,
            recommendation_id, without_opinion, status, opened_at, opened_by, opened_by_name, due_at, idempotency_key, next_step_at, next_step_kind, next_step_level,
            reminder_count, escalation_count, row_version)
        VALUES (@Id, @Kind, @RelationId, @InstitutionId, @UnitId, @DepartmentId, @Field, @Title, @Body, @HeadUnitId, @HeadName, @HeadTitle,
            @RecommendationId, @WithoutOpinion, 'open', @OpenedAt, @OpenedBy, @OpenedByName, @DueAt, @IdempotencyKey, @NextStepAt, @NextStepKind, @NextStepLevel, 0, 0, 0);
        """;

    private const string FindIdempotencyKeySql = "SELECT id FROM submissions WHERE opened_by = @UserName AND idempotency_key = @Key;";

    private const string AnswerSql = """
        UPDATE submissions SET status = 'answered', answer = @Answer, answer_text = @Text, answered_at = @Now, answered_by = @UserName, answered_by_name = @DisplayName,
            next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL, row_version = row_version + 1
        WHERE id = @Id AND status = 'open' AND row_version = @RowVersion;
        """;

    private const string FireStepSql = """
        UPDATE submissions SET next_step_at = @NextAt, next_step_kind = @NextKind, next_step_level = @NextLevel,
            reminder_count = reminder_count + @Reminded, escalation_count = escalation_count + @Escalated, row_version = row_version + 1
        WHERE id = @Id AND status = 'open' AND next_step_at = @DueAt AND row_version = @RowVersion;
        """;

    private const string ClearStepSql = "UPDATE submissions SET next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL WHERE id = @Id;";

    private const string NextStepDueSql = "SELECT MIN(next_step_at) FROM submissions WHERE next_step_at IS NOT NULL;";

    /// <summary>The institution's consultation of the township on this branch's head (a named one, or its latest on an appointment).</summary>
    private const string NamedConsultationSql = """
        SELECT id, status, answer, due_at AS DueAt FROM recommendations
        WHERE id = @Id AND kind = 'consultation' AND branch_id = @BranchId AND agency_code = @AgencyCode;
        """;

    private static string LatestConsultationSql(SqlDialect dialect) => dialect.Limit("""
        SELECT id, status, answer, due_at AS DueAt FROM recommendations
        WHERE kind = 'consultation' AND action = 'appoint' AND branch_id = @BranchId AND agency_code = @AgencyCode
        ORDER BY opened_at DESC, id DESC
        """);

    private static string DueStepsSql(SqlDialect dialect) =>
        dialect.Limit("SELECT id, next_step_at AS At FROM submissions WHERE next_step_at <= @Now ORDER BY next_step_at, id");

    private static string SelectForUpdateSql(SqlDialect dialect) => dialect.SelectForUpdate(Columns, "submissions s", "s.id = @Id") + ";";

    private sealed record ConsultationRow
    {
        public string Id { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Answer { get; init; }
        public DateTimeOffset DueAt { get; init; }
    }

    /// <summary>The days the department has to answer: the relation's mechanism record's, else the setting's.</summary>
    public int LimitDays(RelationInfo relation, string kind)
    {
        var record = relation.MechanismsOrEmpty.FirstOrDefault(m => m.Kind == (kind == SubmissionKind.Filing ? MechanismKind.AppointmentFiling : MechanismKind.RequestReport));
        return record?.WithinDays ?? (kind == SubmissionKind.Filing ? options.Value.FilingDays : options.Value.AnswerDays);
    }

    public async Task<CommandResult<string>> SubmitAsync(Caller caller, SubmitRequest r, string? idempotencyKey, CancellationToken ct)
    {
        var catalog = county.Catalog;
        if (caller.Role != Roles.Institution || catalog.InstitutionOf(caller.OrgId) is not { } institutionId)
            return new CommandResult<string>.Forbidden(Problem.InstitutionSubmits());
        var institution = catalog.FindInstitution(institutionId)!;
        var unitId = caller.OrgId == institutionId ? null : caller.OrgId;
        var errors = new FieldErrors();
        if (r.Kind is null || !SubmissionKind.All.Contains(r.Kind)) errors.Set("kind", Problem.OneOf("kind", SubmissionKind.All, "The kind is request, report or filing."));
        var relation = r.RelationId is null ? null : catalog.FindRelation(r.RelationId);
        if (relation is null || relation.InstitutionId != institutionId)
        {
            // Another institution's relation is answered as an unknown one: nothing about it is told.
            errors.Set("relationId", Problem.Unknown("relationId", r.RelationId, "Unknown relation, or not one of your institution's."));
            relation = null;
        }

        RelationDepartmentInfo? department = null;
        if (relation is not null)
        {
            if (r.Kind == SubmissionKind.Filing && relation.Kind != RelationKind.OneToOne) errors.Set("relationId", Problem.FilingOneToOne(relation.Id));
            var departmentId = string.IsNullOrWhiteSpace(r.DepartmentId) ? relation.LeadDepartmentId : r.DepartmentId;
            department = relation.Departments.FirstOrDefault(d => d.DepartmentId == departmentId);
            if (department is null) errors.Set("departmentId", Problem.DepartmentNotOnRelation(departmentId, relation.Id));
        }

        WhistleValidation.Text(errors, "title", r.Title, TitleMax, required: true);
        WhistleValidation.Text(errors, "body", r.Body, BodyMax, required: true, multiLine: true);
        InstitutionUnitInfo? headUnit = null;
        if (r.Kind == SubmissionKind.Filing)
        {
            headUnit = r.HeadUnitId is null ? null : institution.UnitsOrEmpty.FirstOrDefault(u => u.Id == r.HeadUnitId);
            if (headUnit is null) errors.Set("headUnitId", r.HeadUnitId is null ? Problem.Required("headUnitId") : Problem.HeadUnitNotOfInstitution(r.HeadUnitId));
            WhistleValidation.Text(errors, "headName", r.HeadName, HeadStore.NameMax, required: true);
            WhistleValidation.Text(errors, "headTitle", r.HeadTitle, HeadStore.NameMax, required: true);
        }

        if (idempotencyKey is { Length: > WhistleValidation.IdempotencyKeyMax })
            errors.Set("idempotencyKey", Problem.TooLong("idempotencyKey", WhistleValidation.IdempotencyKeyMax, $"The Idempotency-Key header must be at most {WhistleValidation.IdempotencyKeyMax} characters."));
        if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);

        var stationed = headUnit is { Kind: InstitutionUnitKind.Branch, BranchId: not null } && institution.AgencyCode is not null;
        try
        {
            return await database.WriteAsync<CommandResult<string>>(
                async unit =>
                {
                    if (idempotencyKey is not null
                        && await unit.Connection.ExecuteScalarAsync<string?>(FindIdempotencyKeySql, new { caller.UserName, Key = idempotencyKey }, unit.Transaction) is { } first)
                        return new CommandResult<string>.Success(first, Replayed: true);
                    var now = time.GetUtcNow();

                    // The township's say over a stationed branch's head (issue 16): its opinion, or the record that there was none.
                    ConsultationRow? consultation = null;
                    bool? withoutOpinion = null;
                    if (stationed)
                    {
                        var keys = new { Id = r.RecommendationId, headUnit!.BranchId, AgencyCode = institution.AgencyCode };
                        consultation = r.RecommendationId is not null
                            ? await unit.Connection.QuerySingleOrDefaultAsync<ConsultationRow>(NamedConsultationSql, keys, unit.Transaction)
                            : await unit.Connection.QueryFirstOrDefaultAsync<ConsultationRow>(unit.Dialect.Sql(LatestConsultationSql), new { keys.BranchId, keys.AgencyCode, Take = 1, Skip = 0 }, unit.Transaction);
                        if (r.RecommendationId is not null && consultation is null)
                            return new CommandResult<string>.Invalid(FieldErrors.Of("recommendationId", Problem.ConsultationNotOfBranch(r.RecommendationId)));
                        if (consultation is { Answer: null, Status: RecommendationStatus.Open } open && now < open.DueAt)
                            return new CommandResult<string>.Conflict(Problem.OpinionNotDue(open.DueAt));
                        withoutOpinion = consultation?.Answer is null;
                    }

                    var due = now.AddDays(LimitDays(relation!, r.Kind!));
                    var step = DutyChain.First(now, due, now, ChainSettings(catalog));
                    var row = new SubmissionRow
                    {
                        Id = Guid.CreateVersion7(now).ToString(), Kind = r.Kind!, RelationId = relation!.Id, InstitutionId = institutionId, UnitId = unitId,
                        DepartmentId = department!.DepartmentId, Field = department.Field, Title = r.Title!.Trim(), Body = r.Body!.Trim(),
                        HeadUnitId = headUnit?.Id, HeadName = r.Kind == SubmissionKind.Filing ? r.HeadName!.Trim() : null, HeadTitle = r.Kind == SubmissionKind.Filing ? r.HeadTitle!.Trim() : null,
                        RecommendationId = consultation?.Id, WithoutOpinion = withoutOpinion, Status = SubmissionStatus.Open,
                        OpenedAt = now, OpenedBy = caller.UserName, OpenedByName = caller.DisplayName, DueAt = due,
                        NextStepAt = step?.At, NextStepKind = step?.Kind, NextStepLevel = step?.Level,
                    };
                    await unit.Connection.ExecuteAsync(InsertSql, new
                    {
                        row.Id, row.Kind, row.RelationId, row.InstitutionId, row.UnitId, row.DepartmentId, row.Field, row.Title, row.Body, row.HeadUnitId, row.HeadName, row.HeadTitle,
                        row.RecommendationId, WithoutOpinion = withoutOpinion is null ? (int?)null : withoutOpinion.Value ? 1 : 0, // {bool} is smallint on PostgreSQL
                        row.OpenedAt, row.OpenedBy, row.OpenedByName, row.DueAt, IdempotencyKey = idempotencyKey, row.NextStepAt, row.NextStepKind, row.NextStepLevel,
                    }, unit.Transaction);
                    // Its documents and photos: the submitter's drafts, linked in this transaction or nothing is submitted; read by
                    // whoever sees the submission (AttachmentStore.ReadableAsync).
                    var linked = await attachments.LinkAsync(
                        unit, new AttachmentLink(r.AttachmentIds ?? [], caller.Uploader, AttachmentPurpose.Submission, null, null, null, null, now, null, row.Id));
                    if (linked.Refused<string>() is { } refused) return refused;
                    var files = linked.LinkedRows;

                    var action = row.Kind != SubmissionKind.Filing ? AuditActions.Submitted : withoutOpinion == true ? AuditActions.FiledWithoutOpinion : AuditActions.Filed;
                    await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.Submission, row.Id, action, null,
                        new { row.Kind, row.RelationId, row.DepartmentId, row.Title, row.HeadUnitId, row.HeadName, row.HeadTitle, row.RecommendationId, row.DueAt, AttachmentIds = files.Select(f => f.Id).ToList() }, now);
                    var (note, code, values) = withoutOpinion switch
                    {
                        true => ("未获乡镇（街道）对任免的意见即报备案", TimelineNotes.FiledWithoutOpinion, new Dictionary<string, object?>()),
                        false => ($"已征求乡镇（街道）意见：{(consultation!.Answer == "agree" ? "同意" : "不同意")}", TimelineNotes.FiledWithOpinion,
                            new Dictionary<string, object?> { ["answer"] = consultation.Answer }),
                        null => ((string?)null, (string?)null, (Dictionary<string, object?>?)null),
                    };
                    // The files travel with the event, as a whistle's photos with its: the department's list shows them live.
                    await AppendAsync(unit, WhistleEventTypes.SubmissionFiled, row, caller.Actor, note, null, now, code, values, files.Select(f => f.ToSnapshot()).ToList());
                    unit.Complete();
                    return new CommandResult<string>.Success(row.Id);
                },
                ct);
        }
        catch (Exception e) when (idempotencyKey is not null && database.IsUniqueViolation(e))
        {
            var first = await database.ReadAsync(c => c.ExecuteScalarAsync<string>(FindIdempotencyKeySql, new { caller.UserName, Key = idempotencyKey }), ct)
                ?? throw new InvalidOperationException("The idempotency key vanished.", e);
            return new CommandResult<string>.Success(first, Replayed: true);
        }
    }

    /// <summary>The department's answer: 批复 (approved / disapproved, with its text), 阅知, 备案确认 or 提出异议 (with reasons).</summary>
    public async Task<CommandResult<string>> AnswerAsync(Caller caller, string id, AnswerSubmissionRequest r, CancellationToken ct) =>
        await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var row = await LoadForUpdateAsync(unit, id);
                if (row is null || !Visibility.CanSeeSubmission(caller, row.InstitutionId, row.UnitId, row.DepartmentId)) return new CommandResult<string>.NotFound();
                if (caller.Role != Roles.Department || caller.OrgId != row.DepartmentId) return new CommandResult<string>.Forbidden(Problem.SubmissionAnswerer());
                var errors = new FieldErrors();
                var answers = SubmissionKind.Answers(row.Kind);
                if (r.Answer is null || !answers.Contains(r.Answer)) errors.Set("answer", Problem.OneOf("answer", answers, $"The answer is one of {string.Join(", ", answers)}."));
                WhistleValidation.Text(errors, "text", r.Text, AnswerTextMax, required: r.Answer is not null && SubmissionKind.TextRequired(r.Answer), multiLine: true);
                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (row.Status != SubmissionStatus.Open) return new CommandResult<string>.Conflict(Problem.SubmissionAnswered(row.Answer ?? row.Status));
                var now = time.GetUtcNow();
                var text = string.IsNullOrWhiteSpace(r.Text) ? null : r.Text.Trim();
                var rows = await unit.Connection.ExecuteAsync(
                    AnswerSql, new { row.Id, r.Answer, Text = text, Now = now, caller.UserName, caller.DisplayName, row.RowVersion }, unit.Transaction);
                if (rows != 1) return new CommandResult<string>.Conflict(Problem.SubmissionChanged());
                var after = row with { Status = SubmissionStatus.Answered, Answer = r.Answer, AnswerText = text, AnsweredAt = now };
                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.Submission, row.Id, AuditActions.Answered, new { row.Status },
                    new { r.Answer, Text = text, Late = now > row.DueAt }, now);
                await AppendAsync(unit, WhistleEventTypes.SubmissionAnswered, after, caller.Actor, text, null, now);
                unit.Complete();
                return new CommandResult<string>.Success(row.Id);
            },
            ct);

    /// <summary>
    /// 补充材料: files the submitting institution (or its office that submitted) uploaded, with an optional text, on its
    /// submission while the department has not answered — the department asked for more, a figure changed. Linked in
    /// this transaction or not at all (the same limits a link has at submitting), announced as one
    /// <c>AttachmentAdded</c> event, carrying them, to whoever sees the submission. The department and the establishment
    /// office read it (403 to add); anyone else is answered 404, as for the submission itself; once answered, 409.
    /// </summary>
    public async Task<CommandResult<string>> AddAttachmentsAsync(Caller caller, string id, AddAttachmentsRequest r, CancellationToken ct)
    {
        var errors = r.Errors();

        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var row = await LoadForUpdateAsync(unit, id);
                if (row is null || !Visibility.CanSeeSubmission(caller, row.InstitutionId, row.UnitId, row.DepartmentId)) return new CommandResult<string>.NotFound();
                if (caller.Role != Roles.Institution) return new CommandResult<string>.Forbidden(Problem.SubmissionFilesBySubmitter());
                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (row.Status != SubmissionStatus.Open) return new CommandResult<string>.Conflict(Problem.SubmissionAnswered(row.Answer ?? row.Status));
                var now = time.GetUtcNow();
                var note = string.IsNullOrWhiteSpace(r.Note) ? null : r.Note.Trim();
                var linked = await attachments.LinkAsync(
                    unit, new AttachmentLink(r.AttachmentIds!, caller.Uploader, AttachmentPurpose.Note, null, null, null, note, now, null, row.Id));
                if (linked.Refused<string>() is { } refused) return refused;
                await AppendAsync(unit, WhistleEventTypes.AttachmentAdded, row, caller.Actor, note, null, now, attachments: linked.LinkedRows.Select(f => f.ToSnapshot()).ToList());
                unit.Complete();
                return new CommandResult<string>.Success(row.Id);
            },
            ct);
    }

    // ---- The chain ----------------------------------------------------------------------------------------------

    private EscalationSettings ChainSettings(CountyCatalog catalog) => new(catalog.Escalation.ReminderShare, options.Value.RepeatEveryHours * 60);

    /// <summary>The department's chain to answer: 催办; 督办 to the establishment office.</summary>
    public DutyChainSteps<SubmissionRow> Chain => new(
        database, county, time, ChainSettings, new(NextStepDueSql, DueStepsSql, ClearStepSql, FireStepSql), LoadForUpdateAsync, (unit, row, escalated, level, actor, now) =>
            AppendAsync(unit, escalated ? WhistleEventTypes.SubmissionEscalated : WhistleEventTypes.SubmissionReminded, row, actor, null, new EscalationStepInfo("answer", level), now));

    private static Task<SubmissionRow?> LoadForUpdateAsync(UnitOfWork unit, string id) =>
        unit.Connection.QuerySingleOrDefaultAsync<SubmissionRow>(unit.Dialect.Sql(SelectForUpdateSql), new { Id = id }, unit.Transaction);

    private static Task AppendAsync(
        UnitOfWork unit, string type, SubmissionRow row, EventActor actor, string? note, EscalationStepInfo? step, DateTimeOffset now,
        string? noteCode = null, IReadOnlyDictionary<string, object?>? noteParams = null, IReadOnlyList<AttachmentSnapshot>? attachments = null) =>
        Timeline.AppendAsync(
            unit,
            new WhistleEvent(0, type, row.Id, null, now, actor, null, null, note, step, null, NoteCode: noteCode, NoteParams: noteParams, Attachments: attachments is { Count: > 0 } ? attachments : null, Submission:
                new SubmissionSnapshot(row.Id, row.Kind, row.RelationId, row.InstitutionId, row.UnitId, row.DepartmentId, row.Title, row.Status, row.DueAt, row.Answer)),
            Visibility.SubmissionAudience(row.InstitutionId, row.UnitId, row.DepartmentId),
            now);
}
