using System.Data.Common;
using System.Text.Json;
using Dapper;
using Whistle.Core.Problems;
using Whistle.Contracts;
using Whistle.Core.Assessment;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Core.Heads;

/// <summary>A link a recommendation carries, as stored: what it points at and what it was called then.</summary>
public sealed record StoredEvidence(string Kind, string Id, string Label);

/// <summary>
/// The one owner of <c>recommendations</c> (任免建议), in both directions the mechanism knows:
/// <list type="bullet">
/// <item>a consultation (征求意见): the institution that plans to appoint, move or remove a branch head asks the
/// township; the township answers agree / disagree with reasons within <see cref="HeadsSettings.OpinionDays"/>; the
/// institution decides after the answer, or — without one — only once the limit has passed (before it: 409), and the
/// record says it decided without the township's opinion;</item>
/// <item>a recommendation: the township recommends on its own (commend, keep, 约谈, adjust, remove) with reasons and
/// evidence (its whistles, its assessment forms); the institution must answer (accepted / partly / not accepted, with
/// reasons and what it did) within <see cref="HeadsSettings.AnswerDays"/>, reminded and escalated to the supervisors.</item>
/// </list>
/// Confidential: the township, the institution's accounts and the supervisors see them, no branch and no other
/// organisation (<see cref="Visibility.HeadsCondition"/>; pushed to <see cref="Visibility.HeadsAudience"/> only).
/// </summary>
public sealed class RecommendationStore(WhistleDatabase database, CountyCatalogHolder county, TimeProvider time)
{
    public const int ReasonsMax = 2000;
    public const int EvidenceMax = 20;

    public const string Columns = """
        h.id, h.kind, h.action, h.township_id AS TownshipId, h.branch_id AS BranchId, h.agency_code AS AgencyCode, h.head_id AS HeadId,
        h.head_name AS HeadName, h.candidate_name AS CandidateName, h.reasons, h.evidence_json AS EvidenceJson, h.status, h.opened_at AS OpenedAt,
        h.opened_by AS OpenedBy, h.opened_by_name AS OpenedByName, h.due_at AS DueAt, h.answer, h.answer_reasons AS AnswerReasons,
        h.answer_action AS AnswerAction, h.answered_at AS AnsweredAt, h.answered_by AS AnsweredBy, h.answered_by_name AS AnsweredByName,
        h.decision, h.decided_at AS DecidedAt, h.decided_by AS DecidedBy, h.decided_by_name AS DecidedByName, h.decided_without_answer AS DecidedWithoutAnswer,
        h.next_step_at AS NextStepAt, h.next_step_kind AS NextStepKind, h.next_step_level AS NextStepLevel,
        h.reminder_count AS ReminderCount, h.escalation_count AS EscalationCount, h.row_version AS RowVersion
        """;

    private const string InsertSql = """
        INSERT INTO recommendations (id, kind, action, township_id, branch_id, agency_code, head_id, head_name, candidate_name, reasons, evidence_json,
            status, opened_at, opened_by, opened_by_name, due_at, idempotency_key, next_step_at, next_step_kind, next_step_level, reminder_count, escalation_count, row_version)
        VALUES (@Id, @Kind, @Action, @TownshipId, @BranchId, @AgencyCode, @HeadId, @HeadName, @CandidateName, @Reasons, @EvidenceJson,
            'open', @OpenedAt, @OpenedBy, @OpenedByName, @DueAt, @IdempotencyKey, @NextStepAt, @NextStepKind, @NextStepLevel, 0, 0, 0);
        """;

    private const string FindIdempotencyKeySql = "SELECT id FROM recommendations WHERE opened_by = @UserName AND idempotency_key = @Key;";

    private const string AnswerSql = """
        UPDATE recommendations SET status = 'answered', answer = @Answer, answer_reasons = @Reasons, answer_action = @ActionTaken, answered_at = @Now,
            answered_by = @UserName, answered_by_name = @DisplayName, next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL, row_version = row_version + 1
        WHERE id = @Id AND status = 'open' AND row_version = @RowVersion;
        """;

    private const string DecideSql = """
        UPDATE recommendations SET status = 'decided', decision = @Decision, decided_at = @Now, decided_by = @UserName, decided_by_name = @DisplayName,
            decided_without_answer = @WithoutAnswer, next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL, row_version = row_version + 1
        WHERE id = @Id AND status = @Status AND row_version = @RowVersion;
        """;

    private const string FireStepSql = """
        UPDATE recommendations SET next_step_at = @NextAt, next_step_kind = @NextKind, next_step_level = @NextLevel,
            reminder_count = reminder_count + @Reminded, escalation_count = escalation_count + @Escalated, row_version = row_version + 1
        WHERE id = @Id AND status = 'open' AND next_step_at = @DueAt AND row_version = @RowVersion;
        """;

    private const string ClearStepSql = "UPDATE recommendations SET next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL WHERE id = @Id;";

    private const string NextStepDueSql = "SELECT MIN(next_step_at) FROM recommendations WHERE next_step_at IS NOT NULL;";

    private const string WhistleOfTownshipSql = "SELECT title FROM whistles WHERE id = @Id AND township_id = @TownshipId;";

    private const string FormOfTownshipSql = "SELECT period_id FROM assessment_forms WHERE id = @Id AND township_id = @TownshipId AND branch_id = @BranchId;";

    private static string DueStepsSql(SqlDialect dialect) =>
        dialect.Limit("SELECT id, next_step_at AS At FROM recommendations WHERE next_step_at <= @Now ORDER BY next_step_at, id");

    private static string SelectForUpdateSql(SqlDialect dialect) => dialect.SelectForUpdate(Columns, "recommendations h", "h.id = @Id") + ";";

    public async Task<CommandResult<string>> OpenAsync(Caller caller, OpenRecommendationRequest r, string? idempotencyKey, CancellationToken ct)
    {
        if (caller.Role is not (Roles.Township or Roles.Agency))
            return new CommandResult<string>.Forbidden(Problem.RecommendationRoles());
        var catalog = county.Catalog;
        var kind = caller.Role == Roles.Township ? RecommendationKind.Recommendation : RecommendationKind.Consultation;
        var errors = new FieldErrors();
        if (r.Kind is not null && r.Kind != kind)
            errors.Set("kind", Problem.RecommendationKind(kind));
        var branch = r.BranchId is null ? null : catalog.FindBranch(r.BranchId);
        if (branch is null) errors.Set("branchId", Problem.Unknown("branchId", r.BranchId, "Unknown branch."));
        else if (caller.Role == Roles.Township && branch.TownshipId != caller.OrgId) errors.Set("branchId", Problem.BranchNotInTownship(branch.Id));
        else if (caller.Role == Roles.Agency && branch.AgencyCode != caller.OrgId) errors.Set("branchId", Problem.BranchNotOfAgency(branch.Id));
        var actions = kind == RecommendationKind.Consultation ? RecommendationKind.ConsultationActions : RecommendationKind.RecommendationActions;
        if (r.Action is null || !actions.Contains(r.Action)) errors.Set("action", Problem.OneOf("action", actions, $"The action is one of {string.Join(", ", actions)}."));
        WhistleValidation.Text(errors, "reasons", r.Reasons, ReasonsMax, required: true, multiLine: true);
        WhistleValidation.Text(errors, "candidateName", r.CandidateName, HeadStore.NameMax, required: kind == RecommendationKind.Consultation && r.Action == "appoint");
        if ((r.Evidence?.Count ?? 0) > EvidenceMax) errors.Set("evidence", Problem.TooMany("evidence", EvidenceMax, $"At most {EvidenceMax} items of evidence."));
        if (idempotencyKey is { Length: > WhistleValidation.IdempotencyKeyMax }) errors.Set("idempotencyKey", Problem.TooLong("idempotencyKey", WhistleValidation.IdempotencyKeyMax, $"The Idempotency-Key header must be at most {WhistleValidation.IdempotencyKeyMax} characters."));
        if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);

        // Evidence: the township's own whistles and its forms about this branch; nothing it cannot see.
        var evidence = new List<StoredEvidence>();
        foreach (var (link, i) in (r.Evidence ?? []).Select((l, i) => (l, i)))
        {
            string? label = link.Kind switch
            {
                "whistle" when link.Id is not null => await database.ReadAsync(c => c.ExecuteScalarAsync<string?>(WhistleOfTownshipSql, new { link.Id, branch!.TownshipId }), ct),
                "form" when link.Id is not null => await database.ReadAsync(c => c.ExecuteScalarAsync<string?>(FormOfTownshipSql, new { link.Id, branch!.TownshipId, BranchId = branch.Id }), ct),
                _ => null,
            };
            if (label is null) errors.Set($"evidence[{i}]", Problem.EvidenceUnknown(i));
            else evidence.Add(new StoredEvidence(link.Kind!, link.Id!, label));
        }

        if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
        try
        {
            return await database.WriteAsync<CommandResult<string>>(
                async unit =>
                {
                    if (idempotencyKey is not null
                        && await unit.Connection.ExecuteScalarAsync<string?>(FindIdempotencyKeySql, new { caller.UserName, Key = idempotencyKey }, unit.Transaction) is { } first)
                        return new CommandResult<string>.Success(first, Replayed: true);
                    var now = time.GetUtcNow();
                    var head = await HeadStore.CurrentOfAsync(unit.Connection, branch!.Id, HeadPost.Head, unit.Transaction);
                    var due = now.AddDays(kind == RecommendationKind.Consultation ? catalog.Heads.OpinionDays : catalog.Heads.AnswerDays);
                    var step = DutyChain.First(now, due, now, HeadsChain.Settings(catalog));
                    var row = new RecommendationRow
                    {
                        Id = Guid.CreateVersion7(now).ToString(), Kind = kind, Action = r.Action!, TownshipId = branch.TownshipId, BranchId = branch.Id, AgencyCode = branch.AgencyCode,
                        HeadId = head?.Id, HeadName = head?.Name, CandidateName = string.IsNullOrWhiteSpace(r.CandidateName) ? null : r.CandidateName.Trim(),
                        Reasons = r.Reasons!.Trim(), EvidenceJson = JsonSerializer.Serialize(evidence, MessageTypes.Json), Status = RecommendationStatus.Open,
                        OpenedAt = now, OpenedBy = caller.UserName, OpenedByName = caller.DisplayName, DueAt = due,
                        NextStepAt = step?.At, NextStepKind = step?.Kind, NextStepLevel = step?.Level,
                    };
                    await unit.Connection.ExecuteAsync(InsertSql, new
                    {
                        row.Id, row.Kind, row.Action, row.TownshipId, row.BranchId, row.AgencyCode, row.HeadId, row.HeadName, row.CandidateName, row.Reasons, row.EvidenceJson,
                        row.OpenedAt, row.OpenedBy, row.OpenedByName, row.DueAt, IdempotencyKey = idempotencyKey, row.NextStepAt, row.NextStepKind, row.NextStepLevel,
                    }, unit.Transaction);
                    await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.Recommendation, row.Id, AuditActions.Opened, null, new { row.Kind, row.Action, row.BranchId, row.HeadName, row.CandidateName, row.Reasons, Evidence = evidence, row.DueAt }, now);
                    await AppendAsync(unit, WhistleEventTypes.RecommendationOpened, row, caller.Actor, null, null, now);
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

    /// <summary>The other side's answer: the township's opinion on a consultation, the institution's on a recommendation.</summary>
    public async Task<CommandResult<string>> AnswerAsync(Caller caller, string id, AnswerRecommendationRequest r, CancellationToken ct) =>
        await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var row = await LoadForUpdateAsync(unit, id);
                if (row is null || !Visibility.CanSeeHeads(caller, row.TownshipId, row.AgencyCode)) return new CommandResult<string>.NotFound();
                if (caller.Role != row.AnsweringRole)
                    return new CommandResult<string>.Forbidden(Problem.RecommendationAnswerer(row.Kind));
                var errors = new FieldErrors();
                var answers = row.Kind == RecommendationKind.Consultation ? RecommendationKind.ConsultationAnswers : RecommendationKind.RecommendationAnswers;
                if (r.Answer is null || !answers.Contains(r.Answer)) errors.Set("answer", Problem.OneOf("answer", answers, $"The answer is one of {string.Join(", ", answers)}."));
                WhistleValidation.Text(errors, "reasons", r.Reasons, ReasonsMax, required: true, multiLine: true);
                WhistleValidation.Text(errors, "actionTaken", r.ActionTaken, ReasonsMax,
                    required: row.Kind == RecommendationKind.Recommendation && r.Answer is "accepted" or "partly", multiLine: true);
                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (row.Status != RecommendationStatus.Open) return new CommandResult<string>.Conflict(Problem.RecommendationAnswered(row.Status));
                var now = time.GetUtcNow();
                var actionTaken = string.IsNullOrWhiteSpace(r.ActionTaken) ? null : r.ActionTaken.Trim();
                var rows = await unit.Connection.ExecuteAsync(
                    AnswerSql, new { row.Id, r.Answer, Reasons = r.Reasons!.Trim(), ActionTaken = actionTaken, Now = now, caller.UserName, caller.DisplayName, row.RowVersion }, unit.Transaction);
                if (rows != 1) return new CommandResult<string>.Conflict(Problem.RecommendationChanged());
                var after = row with { Status = RecommendationStatus.Answered, Answer = r.Answer, AnsweredAt = now };
                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.Recommendation, row.Id, AuditActions.Answered, new { row.Status },
                    new { r.Answer, Reasons = r.Reasons.Trim(), ActionTaken = actionTaken, Late = now > row.DueAt }, now);
                await AppendAsync(unit, WhistleEventTypes.RecommendationAnswered, after, caller.Actor, r.Answer, null, now);
                unit.Complete();
                return new CommandResult<string>.Success(row.Id);
            },
            ct);

    /// <summary>
    /// The institution's decision on its consultation: after the township answered, or — without an answer — only once
    /// the opinion's limit has passed (then recorded as decided without the township's opinion).
    /// </summary>
    public async Task<CommandResult<string>> DecideAsync(Caller caller, string id, DecideRecommendationRequest r, CancellationToken ct) =>
        await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var row = await LoadForUpdateAsync(unit, id);
                if (row is null || !Visibility.CanSeeHeads(caller, row.TownshipId, row.AgencyCode)) return new CommandResult<string>.NotFound();
                if (caller.Role != Roles.Agency) return new CommandResult<string>.Forbidden(Problem.RecommendationDecider());
                var errors = new FieldErrors();
                WhistleValidation.Text(errors, "decision", r.Decision, ReasonsMax, required: true, multiLine: true);
                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (row.Kind != RecommendationKind.Consultation) return new CommandResult<string>.Conflict(Problem.RecommendationNotConsultation());
                if (row.Status == RecommendationStatus.Decided) return new CommandResult<string>.Conflict(Problem.RecommendationDecided());
                var now = time.GetUtcNow();
                var withoutAnswer = row.Status == RecommendationStatus.Open;
                if (withoutAnswer && now < row.DueAt)
                {
                    return new CommandResult<string>.Conflict(Problem.OpinionNotDue(row.DueAt));
                }

                var rows = await unit.Connection.ExecuteAsync(
                    DecideSql, new { row.Id, Decision = r.Decision!.Trim(), Now = now, caller.UserName, caller.DisplayName, WithoutAnswer = withoutAnswer ? 1 : 0, row.Status, row.RowVersion }, unit.Transaction);
                if (rows != 1) return new CommandResult<string>.Conflict(Problem.RecommendationChanged());
                var after = row with { Status = RecommendationStatus.Decided, DecidedAt = now, DecidedWithoutAnswer = withoutAnswer };
                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.Recommendation, row.Id, withoutAnswer ? AuditActions.DecidedWithoutOpinion : AuditActions.Decided, new { row.Status, row.Answer },
                    new { Decision = r.Decision.Trim(), WithoutAnswer = withoutAnswer }, now);
                await AppendAsync(unit, WhistleEventTypes.RecommendationDecided, after, caller.Actor, withoutAnswer ? "征求意见期限已过，未获乡镇（街道）答复即作决定" : null, null, now,
                    withoutAnswer ? TimelineNotes.DecidedWithoutOpinion : null);
                unit.Complete();
                return new CommandResult<string>.Success(row.Id);
            },
            ct);

    // ---- The chain ----------------------------------------------------------------------------------------------

    /// <summary>The answering side's chain: 催办; 督办 to the supervisors.</summary>
    public DutyChainSteps<RecommendationRow> Chain => new(
        database, county, time, HeadsChain.Settings, new(NextStepDueSql, DueStepsSql, ClearStepSql, FireStepSql), LoadForUpdateAsync, (unit, row, escalated, level, actor, now) =>
            AppendAsync(unit, escalated ? WhistleEventTypes.RecommendationEscalated : WhistleEventTypes.RecommendationReminded, row, actor, null, new("answer", level), now));

    private static Task<RecommendationRow?> LoadForUpdateAsync(UnitOfWork unit, string id) =>
        unit.Connection.QuerySingleOrDefaultAsync<RecommendationRow>(unit.Dialect.Sql(SelectForUpdateSql), new { Id = id }, unit.Transaction);

    private static Task AppendAsync(UnitOfWork unit, string type, RecommendationRow row, EventActor actor, string? note, EscalationStepInfo? step, DateTimeOffset now, string? noteCode = null) =>
        Timeline.AppendAsync(
            unit,
            new WhistleEvent(0, type, row.Id, null, now, actor, null, null, note, step, null, NoteCode: noteCode, NoteParams: noteCode is null ? null : new Dictionary<string, object?>(), Heads:
                new HeadsSnapshot("recommendation", row.Id, row.TownshipId, row.BranchId, row.AgencyCode, row.Status, row.DueAt, $"{row.Kind}:{row.Action}")),
            Visibility.HeadsAudience(row.TownshipId, row.AgencyCode),
            now);
}
