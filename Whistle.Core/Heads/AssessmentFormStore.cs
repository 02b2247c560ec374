using System.Data.Common;
using System.Text.Json;
using Dapper;
using Whistle.Core.Problems;
using Whistle.Contracts;
using Whistle.Core.Assessment;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Core.Heads;

/// <summary>
/// The one owner of <c>assessment_periods</c> and <c>assessment_forms</c> (实绩考核 of branch heads). When a period closes
/// (<see cref="ClosePeriodsAsync"/>, run by the heads scheduler on the injected clock) each township gets one form per
/// branch stationed in it, pre-filled with that branch's evidence for the period from <see cref="StatsQueries"/> — the
/// code that answers the assessment API — and the head holding the post then. The township grades it and writes its
/// opinion before the deadline (reminded and escalated like a duty: <see cref="HeadsChain"/>); once submitted a form is
/// final: a correction is a new version (the old one stays as it was), audited. Confidential to the township, the
/// institution and the supervisors (<see cref="Visibility.HeadsCondition"/>).
/// </summary>
public sealed class AssessmentFormStore(WhistleDatabase database, CountyCatalogHolder county, StatsQueries stats, HeadStore heads, TimeProvider time)
{
    public const int OpinionMax = 2000;

    public const string FormColumns = """
        h.id, h.period_id AS PeriodId, h.form_version AS FormVersion, h.previous_form_id AS PreviousFormId, h.township_id AS TownshipId,
        h.branch_id AS BranchId, h.agency_code AS AgencyCode, h.head_id AS HeadId, h.head_name AS HeadName, h.head_title AS HeadTitle,
        h.status, h.evidence_json AS EvidenceJson, h.issued_at AS IssuedAt, h.due_at AS DueAt, h.grade, h.opinion,
        h.correction_reason AS CorrectionReason, h.submitted_at AS SubmittedAt, h.submitted_by AS SubmittedBy, h.submitted_by_name AS SubmittedByName,
        h.next_step_at AS NextStepAt, h.next_step_kind AS NextStepKind, h.next_step_level AS NextStepLevel,
        h.reminder_count AS ReminderCount, h.escalation_count AS EscalationCount, h.row_version AS RowVersion
        """;

    public const string PeriodColumns = "id, kind, starts_at AS StartsAt, ends_at AS EndsAt, closed_at AS ClosedAt, due_at AS DueAt, weight";

    private const string PeriodExistsSql = "SELECT COUNT(*) FROM assessment_periods WHERE id = @Id;";

    private const string InsertPeriodSql = """
        INSERT INTO assessment_periods (id, kind, starts_at, ends_at, closed_at, due_at, weight)
        VALUES (@Id, @Kind, @StartsAt, @EndsAt, @ClosedAt, @DueAt, @Weight);
        """;

    private const string InsertFormSql = """
        INSERT INTO assessment_forms (id, period_id, form_version, previous_form_id, township_id, branch_id, agency_code, head_id, head_name, head_title,
            status, evidence_json, issued_at, due_at, grade, opinion, correction_reason, submitted_at, submitted_by, submitted_by_name, idempotency_key,
            next_step_at, next_step_kind, next_step_level, reminder_count, escalation_count, row_version)
        VALUES (@Id, @PeriodId, @FormVersion, @PreviousFormId, @TownshipId, @BranchId, @AgencyCode, @HeadId, @HeadName, @HeadTitle,
            @Status, @EvidenceJson, @IssuedAt, @DueAt, @Grade, @Opinion, @CorrectionReason, @SubmittedAt, @SubmittedBy, @SubmittedByName, @IdempotencyKey,
            @NextStepAt, @NextStepKind, @NextStepLevel, 0, 0, 0);
        """;

    private const string SubmitSql = """
        UPDATE assessment_forms SET status = 'submitted', grade = @Grade, opinion = @Opinion, submitted_at = @Now, submitted_by = @UserName,
            submitted_by_name = @DisplayName, next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL, row_version = row_version + 1
        WHERE id = @Id AND status = 'pending' AND row_version = @RowVersion;
        """;

    private const string LatestVersionSql = "SELECT MAX(form_version) FROM assessment_forms WHERE period_id = @PeriodId AND branch_id = @BranchId;";

    private const string FindIdempotencyKeySql = "SELECT id FROM assessment_forms WHERE submitted_by = @UserName AND idempotency_key = @Key;";

    private const string FireStepSql = """
        UPDATE assessment_forms SET next_step_at = @NextAt, next_step_kind = @NextKind, next_step_level = @NextLevel,
            reminder_count = reminder_count + @Reminded, escalation_count = escalation_count + @Escalated, row_version = row_version + 1
        WHERE id = @Id AND status = 'pending' AND next_step_at = @DueAt AND row_version = @RowVersion;
        """;

    private const string ClearStepSql = "UPDATE assessment_forms SET next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL WHERE id = @Id;";

    private const string NextStepDueSql = "SELECT MIN(next_step_at) FROM assessment_forms WHERE next_step_at IS NOT NULL;";

    private static string DueStepsSql(SqlDialect dialect) =>
        dialect.Limit("SELECT id, next_step_at AS At FROM assessment_forms WHERE next_step_at <= @Now ORDER BY next_step_at, id");

    private static string SelectForUpdateSql(SqlDialect dialect) => dialect.SelectForUpdate(FormColumns, "assessment_forms h", "h.id = @Id") + ";";

    private const string SelectSql = $"SELECT {FormColumns} FROM assessment_forms h WHERE h.id = @Id;";

    // ---- Periods ----------------------------------------------------------------------------------------------

    /// <summary>The latest periods that have ended by <paramref name="now"/>: the year before, and the quarter before when the county assesses quarterly.</summary>
    public static IReadOnlyList<(string Id, string Kind, DateTimeOffset From, DateTimeOffset To)> LatestEnded(DateTimeOffset now, HeadsSettings settings)
    {
        var today = ChinaTime.LocalDate(now);
        var year = today.Year - 1;
        var periods = new List<(string, string, DateTimeOffset, DateTimeOffset)>
        {
            ($"{year}", PeriodKind.Annual, ChinaTime.StartOf(new DateOnly(year, 1, 1)), ChinaTime.StartOf(new DateOnly(year + 1, 1, 1))),
        };
        if (settings.Quarterly)
        {
            var startOfThis = new DateOnly(today.Year, ((today.Month - 1) / 3 * 3) + 1, 1);
            var start = startOfThis.AddMonths(-3);
            periods.Add(($"{start.Year}-Q{((start.Month - 1) / 3) + 1}", PeriodKind.Quarter, ChinaTime.StartOf(start), ChinaTime.StartOf(startOfThis)));
        }

        return periods;
    }

    /// <summary>Closes every latest period not closed yet; answers how many forms it issued.</summary>
    public async Task<int> ClosePeriodsAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var issued = 0;
        foreach (var period in LatestEnded(now, county.Catalog.Heads))
        {
            if (await database.ReadAsync(c => c.ExecuteScalarAsync<int>(PeriodExistsSql, new { period.Id }), ct) > 0) continue;
            issued += await CloseAsync(period.Id, period.Kind, period.From, period.To, ct);
        }

        return issued;
    }

    /// <summary>
    /// Closes one period: its row, and one form per branch with its evidence as of now. Two schedulers closing the same
    /// period: the period's key lets one commit; the other's transaction fails on it and issues nothing.
    /// </summary>
    public async Task<int> CloseAsync(string periodId, string kind, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var catalog = county.Catalog;
        var settings = catalog.Heads;
        var now = time.GetUtcNow();
        var dueAt = now.AddDays(settings.FormDueDays);
        var holders = (await heads.CurrentAsync(ct)).Where(h => h.Post == HeadPost.Head).ToDictionary(h => h.BranchId);
        var forms = new List<FormRow>();
        foreach (var township in catalog.Definition.Townships)
        {
            var figures = await stats.TownshipBranchesAsync(catalog, township.Id, from, to, now, ct);
            foreach (var unit in figures)
            {
                var unsatisfied = await stats.UnsatisfiedAsync(unit.UnitId, from, to, ct);
                var evidence = new FormEvidence(from, to, now, catalog.Weights, unit, figures.Count, unsatisfied);
                var head = holders.GetValueOrDefault(unit.UnitId);
                var step = DutyChain.First(now, dueAt, now, HeadsChain.Settings(catalog));
                forms.Add(new FormRow
                {
                    Id = Guid.CreateVersion7(now).ToString(), PeriodId = periodId, FormVersion = 1, TownshipId = township.Id, BranchId = unit.UnitId,
                    AgencyCode = unit.AgencyCode, HeadId = head?.Id, HeadName = head?.Name, HeadTitle = head?.Title, Status = FormStatus.Pending,
                    EvidenceJson = JsonSerializer.Serialize(evidence, MessageTypes.Json), IssuedAt = now, DueAt = dueAt,
                    NextStepAt = step?.At, NextStepKind = step?.Kind, NextStepLevel = step?.Level,
                });
            }
        }

        try
        {
            return await database.WriteAsync(
                async unit =>
                {
                    if (await unit.Connection.ExecuteScalarAsync<int>(PeriodExistsSql, new { Id = periodId }, unit.Transaction) > 0) return 0;
                    await unit.Connection.ExecuteAsync(
                        InsertPeriodSql, new { Id = periodId, Kind = kind, StartsAt = from, EndsAt = to, ClosedAt = now, DueAt = dueAt, settings.Weight }, unit.Transaction);
                    var system = new AuditActor("system", "调度中心", null);
                    foreach (var form in forms)
                    {
                        await InsertAsync(unit, form, null, null);
                        await AuditTrail.WriteAsync(unit, system, AuditEntities.AssessmentForm, form.Id, AuditActions.Issued, null, new { form.PeriodId, form.BranchId, form.HeadName, form.DueAt }, now);
                        await AppendAsync(unit, WhistleEventTypes.AssessmentFormIssued, form, WhistleStore.SystemActor(catalog.County.Id), null, null, now);
                    }

                    unit.Complete();
                    return forms.Count;
                },
                ct);
        }
        catch (Exception e) when (database.IsUniqueViolation(e))
        {
            return 0; // another scheduler closed it
        }
    }

    // ---- The township's grade --------------------------------------------------------------------------------

    public async Task<CommandResult<string>> SubmitAsync(Caller caller, string formId, SubmitFormRequest r, CancellationToken ct)
    {
        var errors = Validate(r.Grade, r.Opinion);
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var form = await LoadForUpdateAsync(unit, formId);
                if (form is null || !Visibility.CanSeeHeads(caller, form.TownshipId, form.AgencyCode)) return new CommandResult<string>.NotFound();
                if (caller.Role != Roles.Township) return new CommandResult<string>.Forbidden(Problem.FormTownshipOnly("The township grades the heads of the branches stationed in it."));
                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (form.Status != FormStatus.Pending) return new CommandResult<string>.Conflict(Problem.FormFinal());
                var now = time.GetUtcNow();
                var rows = await unit.Connection.ExecuteAsync(
                    SubmitSql, new { form.Id, Grade = r.Grade, Opinion = r.Opinion!.Trim(), Now = now, caller.UserName, caller.DisplayName, form.RowVersion }, unit.Transaction);
                if (rows != 1) return new CommandResult<string>.Conflict(Problem.FormChanged());
                var after = form with { Status = FormStatus.Submitted, Grade = r.Grade, Opinion = r.Opinion.Trim(), SubmittedAt = now };
                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.AssessmentForm, form.Id, AuditActions.Submitted, new { form.Status }, new { after.Grade, after.Opinion, Late = now > form.DueAt }, now);
                await AppendAsync(unit, WhistleEventTypes.AssessmentFormSubmitted, after, caller.Actor, GradeName(r.Grade!), null, now);
                unit.Complete();
                return new CommandResult<string>.Success(form.Id);
            },
            ct);
    }

    /// <summary>A correction of a submitted form: a new version (the evidence carried over), the old one kept as it was.</summary>
    public async Task<CommandResult<string>> CorrectAsync(Caller caller, string formId, CorrectFormRequest r, string? idempotencyKey, CancellationToken ct)
    {
        var errors = Validate(r.Grade, r.Opinion);
        WhistleValidation.Text(errors, "reason", r.Reason, OpinionMax, required: true, multiLine: true);
        if (idempotencyKey is { Length: > WhistleValidation.IdempotencyKeyMax }) errors.Set("idempotencyKey", Problem.TooLong("idempotencyKey", WhistleValidation.IdempotencyKeyMax, $"The Idempotency-Key header must be at most {WhistleValidation.IdempotencyKeyMax} characters."));
        try
        {
            return await database.WriteAsync<CommandResult<string>>(
                async unit =>
                {
                    var form = await LoadForUpdateAsync(unit, formId);
                    if (form is null || !Visibility.CanSeeHeads(caller, form.TownshipId, form.AgencyCode)) return new CommandResult<string>.NotFound();
                    if (caller.Role != Roles.Township) return new CommandResult<string>.Forbidden(Problem.FormTownshipOnly("The township corrects its own assessment."));
                    if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                    if (idempotencyKey is not null
                        && await unit.Connection.ExecuteScalarAsync<string?>(FindIdempotencyKeySql, new { caller.UserName, Key = idempotencyKey }, unit.Transaction) is { } first)
                        return new CommandResult<string>.Success(first, Replayed: true);
                    if (form.Status != FormStatus.Submitted) return new CommandResult<string>.Conflict(Problem.FormNotSubmitted());
                    var latest = await unit.Connection.ExecuteScalarAsync<int>(LatestVersionSql, new { form.PeriodId, form.BranchId }, unit.Transaction);
                    if (latest != form.FormVersion) return new CommandResult<string>.Conflict(Problem.FormVersionReplaced(latest));
                    var now = time.GetUtcNow();
                    var next = form with
                    {
                        Id = Guid.CreateVersion7(now).ToString(), FormVersion = form.FormVersion + 1, PreviousFormId = form.Id, Grade = r.Grade, Opinion = r.Opinion!.Trim(),
                        CorrectionReason = r.Reason!.Trim(), SubmittedAt = now, SubmittedBy = caller.UserName, SubmittedByName = caller.DisplayName,
                        NextStepAt = null, NextStepKind = null, NextStepLevel = null, Status = FormStatus.Submitted,
                    };
                    await InsertAsync(unit, next, idempotencyKey, caller);
                    await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.AssessmentForm, next.Id, AuditActions.Corrected,
                        new { form.Id, form.FormVersion, form.Grade, form.Opinion }, new { next.FormVersion, next.Grade, next.Opinion, next.CorrectionReason }, now);
                    await AppendAsync(unit, WhistleEventTypes.AssessmentFormCorrected, next, caller.Actor, next.CorrectionReason, null, now);
                    unit.Complete();
                    return new CommandResult<string>.Success(next.Id);
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

    private FieldErrors Validate(string? grade, string? opinion)
    {
        var errors = new FieldErrors();
        var grades = county.Catalog.Heads.GradesOrDefault;
        if (string.IsNullOrWhiteSpace(grade)) errors.Set("grade", Problem.Required("grade"));
        else if (grades.All(g => g.Code != grade)) errors.Set("grade", Problem.OneOf("grade", grades.Select(g => g.Code), $"The grade is one of {string.Join(", ", grades.Select(g => g.Code))}."));
        WhistleValidation.Text(errors, "opinion", opinion, OpinionMax, required: true, multiLine: true);
        return errors;
    }

    private string GradeName(string code) => county.Catalog.Heads.GradesOrDefault.FirstOrDefault(g => g.Code == code)?.Name ?? code;

    // ---- The chain ----------------------------------------------------------------------------------------------

    /// <summary>The forms' chain (the township's duty to submit): 催办 to the township; 督办: the township and the supervisors.</summary>
    public DutyChainSteps<FormRow> Chain => new(
        database, county, time, HeadsChain.Settings, new(NextStepDueSql, DueStepsSql, ClearStepSql, FireStepSql), LoadForUpdateAsync, (unit, form, escalated, level, actor, now) =>
            AppendAsync(unit, escalated ? WhistleEventTypes.AssessmentFormEscalated : WhistleEventTypes.AssessmentFormReminded, form, actor, null, new("submit", level), now));

    // ---- Rows ---------------------------------------------------------------------------------------------------

    private static Task InsertAsync(UnitOfWork unit, FormRow form, string? idempotencyKey, Caller? caller) =>
        unit.Connection.ExecuteAsync(InsertFormSql, new
        {
            form.Id, form.PeriodId, form.FormVersion, form.PreviousFormId, form.TownshipId, form.BranchId, form.AgencyCode, form.HeadId, form.HeadName, form.HeadTitle,
            form.Status, form.EvidenceJson, form.IssuedAt, form.DueAt, form.Grade, form.Opinion, form.CorrectionReason, form.SubmittedAt,
            SubmittedBy = caller?.UserName ?? form.SubmittedBy, SubmittedByName = caller?.DisplayName ?? form.SubmittedByName, IdempotencyKey = idempotencyKey,
            form.NextStepAt, form.NextStepKind, form.NextStepLevel,
        }, unit.Transaction);

    private static Task<FormRow?> LoadForUpdateAsync(UnitOfWork unit, string id) =>
        unit.Connection.QuerySingleOrDefaultAsync<FormRow>(unit.Dialect.Sql(SelectForUpdateSql), new { Id = id }, unit.Transaction);

    public static Task<FormRow?> GetAsync(DbConnection connection, string id) => connection.QuerySingleOrDefaultAsync<FormRow>(SelectSql, new { Id = id });

    private static Task AppendAsync(UnitOfWork unit, string type, FormRow form, EventActor actor, string? note, EscalationStepInfo? step, DateTimeOffset now) =>
        Timeline.AppendAsync(
            unit,
            new WhistleEvent(0, type, form.Id, null, now, actor, null, null, note, step, null, Heads:
                new HeadsSnapshot("form", form.Id, form.TownshipId, form.BranchId, form.AgencyCode, form.Status, form.DueAt, form.PeriodId)),
            Visibility.HeadsAudience(form.TownshipId, form.AgencyCode),
            now);
}
