using System.Text.Json;
using Dapper;
using Whistle.Core.Assessment;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Heads;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Heads;

public sealed record HeadDto(string Id, string Post, string Name, string Title, DateTimeOffset Since, DateTimeOffset? Until, string AppointedBy, string? EndedBy);

public sealed record BranchHeadsDto(string BranchId, string BranchName, string BranchNameEn, string TownshipId, string TownshipName, string AgencyCode, string AgencyName, HeadDto? Head, HeadDto? Deputy);

public sealed record GradeDto(string Code, string Name, string NameEn);

public sealed record PeriodDto(string Id, string Kind, DateTimeOffset From, DateTimeOffset To, DateTimeOffset ClosedAt, DateTimeOffset DueAt, double Weight);

public sealed record HeadsSettingsDto(bool Quarterly, IReadOnlyList<GradeDto> Grades, double Weight, int FormDueDays, int OpinionDays, int AnswerDays, IReadOnlyList<PeriodDto> Periods);

public sealed record FormVersionDto(string Id, int FormVersion, string? Grade, DateTimeOffset? SubmittedAt, string? SubmittedByName, string? CorrectionReason);

public sealed record FormDto(
    string Id,
    string PeriodId,
    string PeriodKind,
    double Weight,
    int FormVersion,
    string? PreviousFormId,
    string TownshipId,
    string TownshipName,
    string BranchId,
    string BranchName,
    string AgencyCode,
    string AgencyName,
    string? HeadId,
    string? HeadName,
    string? HeadTitle,
    string Status,
    bool Late,
    FormEvidence Evidence,
    DateTimeOffset IssuedAt,
    DateTimeOffset DueAt,
    string? Grade,
    string? GradeName,
    string? Opinion,
    string? CorrectionReason,
    DateTimeOffset? SubmittedAt,
    string? SubmittedByName,
    int ReminderCount,
    int EscalationCount,
    IReadOnlyList<FormVersionDto>? Versions);

public sealed record AgencySummaryDto(string AgencyCode, string AgencyName, int Forms, int Submitted, int Pending, int Late, IReadOnlyDictionary<string, int> Grades);

public sealed record FormSummaryDto(int Year, double Weight, IReadOnlyList<GradeDto> Grades, IReadOnlyList<AgencySummaryDto> Agencies, int Forms, int Submitted, int Pending, int Late);

public sealed record RecommendationDto(
    string Id,
    string Kind,
    string Action,
    string TownshipId,
    string TownshipName,
    string BranchId,
    string BranchName,
    string AgencyCode,
    string AgencyName,
    string? HeadName,
    string? CandidateName,
    string Reasons,
    IReadOnlyList<StoredEvidence> Evidence,
    string Status,
    DateTimeOffset OpenedAt,
    string OpenedByName,
    DateTimeOffset DueAt,
    bool Overdue,
    string? Answer,
    string? AnswerReasons,
    string? AnswerAction,
    DateTimeOffset? AnsweredAt,
    string? AnsweredByName,
    string? Decision,
    DateTimeOffset? DecidedAt,
    string? DecidedByName,
    bool? DecidedWithoutAnswer,
    int ReminderCount,
    int EscalationCount);

/// <summary>
/// The read side of branch heads, their assessment forms and recommendations, each filtered by the one heads rule
/// (<see cref="Visibility.HeadsCondition"/>: the township, the institution, the supervisors; a branch sees no form and
/// no recommendation). Heads themselves are not confidential: a branch sees its own.
/// </summary>
public sealed class HeadsQueries(WhistleDatabase database, CountyCatalogHolder county, HeadStore heads, TimeProvider time)
{
    private const string ListFormsSql = $"""
        SELECT {AssessmentFormStore.FormColumns} FROM assessment_forms h
        WHERE {Visibility.HeadsCondition}
          AND h.form_version = (SELECT MAX(v.form_version) FROM assessment_forms v WHERE v.period_id = h.period_id AND v.branch_id = h.branch_id)
          AND (@PeriodId IS NULL OR h.period_id = @PeriodId)
          AND (@Status = 'all' OR (@Status = 'pending' AND h.status = 'pending') OR (@Status = 'submitted' AND h.status = 'submitted')
               OR (@Status = 'late' AND h.status = 'pending' AND h.due_at < @Now))
        ORDER BY h.period_id DESC, h.township_id, h.branch_id;
        """;

    private const string FormSql = $"SELECT {AssessmentFormStore.FormColumns} FROM assessment_forms h WHERE h.id = @Id AND {Visibility.HeadsCondition};";

    private const string VersionsSql = """
        SELECT id, form_version AS FormVersion, grade, submitted_at AS SubmittedAt, submitted_by_name AS SubmittedByName, correction_reason AS CorrectionReason
        FROM assessment_forms WHERE period_id = @PeriodId AND branch_id = @BranchId ORDER BY form_version;
        """;

    private const string PeriodsSql = $"SELECT {AssessmentFormStore.PeriodColumns} FROM assessment_periods ORDER BY ends_at DESC, id;";

    private const string ListRecommendationsSql = $"""
        SELECT {RecommendationStore.Columns} FROM recommendations h
        WHERE {Visibility.HeadsCondition} AND (@Status = 'all' OR h.status = 'open')
        ORDER BY h.opened_at DESC, h.id;
        """;

    private const string RecommendationSql = $"SELECT {RecommendationStore.Columns} FROM recommendations h WHERE h.id = @Id AND {Visibility.HeadsCondition};";

    // ---- Heads ----

    /// <summary>The branches in the caller's scope with their current head and deputy.</summary>
    public async Task<IReadOnlyList<BranchHeadsDto>> HeadsAsync(Caller caller, CancellationToken ct)
    {
        var catalog = county.Catalog;
        var current = (await heads.CurrentAsync(ct)).ToLookup(h => h.BranchId);
        return catalog.Definition.Branches.Where(b => InScope(caller, b))
            .Select(b => new BranchHeadsDto(
                b.Id, b.Name, b.NameEn, b.TownshipId, catalog.FindTownship(b.TownshipId)?.Name ?? b.TownshipId, b.AgencyCode, catalog.FindAgency(b.AgencyCode)?.Name ?? b.AgencyCode,
                current[b.Id].Where(h => h.Post == HeadPost.Head).Select(ToDto).FirstOrDefault(),
                current[b.Id].Where(h => h.Post == HeadPost.Deputy).Select(ToDto).FirstOrDefault()))
            .ToList();
    }

    public async Task<IReadOnlyList<HeadDto>?> HistoryAsync(Caller caller, string branchId, CancellationToken ct) =>
        county.Catalog.FindBranch(branchId) is { } b && InScope(caller, b) ? (await heads.HistoryAsync(branchId, ct)).Select(ToDto).ToList() : null;

    public static bool InScope(Caller caller, BranchInfo b) => caller.Role switch
    {
        Roles.Supervisor => true,
        Roles.Township => b.TownshipId == caller.OrgId,
        Roles.Agency => b.AgencyCode == caller.OrgId,
        Roles.Branch => b.Id == caller.OrgId,
        _ => false,
    };

    private static HeadDto ToDto(HeadRow h) => new(h.Id, h.Post, h.Name, h.Title, h.HeldFrom, h.HeldUntil, h.AppointedBy, h.EndedBy);

    // ---- Forms ----

    public async Task<HeadsSettingsDto> SettingsAsync(CancellationToken ct)
    {
        var s = county.Catalog.Heads;
        var periods = await database.ReadAsync(c => c.QueryAsync<PeriodRow>(PeriodsSql), ct);
        return new HeadsSettingsDto(s.Quarterly, Grades(s), s.Weight, s.FormDueDays, s.OpinionDays, s.AnswerDays,
            periods.Select(p => new PeriodDto(p.Id, p.Kind, p.StartsAt, p.EndsAt, p.ClosedAt, p.DueAt, p.Weight)).ToList());
    }

    private static List<GradeDto> Grades(HeadsSettings s) => s.GradesOrDefault.Select(g => new GradeDto(g.Code, g.Name, g.NameEn)).ToList();

    public async Task<IReadOnlyList<FormDto>> FormsAsync(Caller caller, string? periodId, string status, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (rows, periods) = await database.ReadAsync(
            async c => ((await c.QueryAsync<FormRow>(ListFormsSql, new { caller.Role, Org = caller.OrgId, PeriodId = periodId, Status = status, Now = now })).ToList(),
                (await c.QueryAsync<PeriodRow>(PeriodsSql)).ToDictionary(p => p.Id)),
            ct);
        return rows.Select(r => ToDto(r, periods.GetValueOrDefault(r.PeriodId), now, null)).ToList();
    }

    public async Task<FormDto?> FormAsync(Caller caller, string id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return await database.ReadAsync(
            async c =>
            {
                var row = await c.QuerySingleOrDefaultAsync<FormRow>(FormSql, new { Id = id, caller.Role, Org = caller.OrgId });
                if (row is null) return null;
                var period = (await c.QueryAsync<PeriodRow>(PeriodsSql)).FirstOrDefault(p => p.Id == row.PeriodId);
                var versions = (await c.QueryAsync<FormRow>(VersionsSql, new { row.PeriodId, row.BranchId }))
                    .Select(v => new FormVersionDto(v.Id, v.FormVersion, v.Grade, v.SubmittedAt, v.SubmittedByName, v.CorrectionReason)).ToList();
                return ToDto(row, period, now, versions);
            },
            ct);
    }

    private FormDto ToDto(FormRow r, PeriodRow? period, DateTimeOffset now, IReadOnlyList<FormVersionDto>? versions)
    {
        var catalog = county.Catalog;
        var late = r.Status == FormStatus.Pending ? now > r.DueAt : r.FormVersion == 1 && r.SubmittedAt > r.DueAt;
        return new FormDto(
            r.Id, r.PeriodId, period?.Kind ?? PeriodKind.Annual, period?.Weight ?? catalog.Heads.Weight, r.FormVersion, r.PreviousFormId,
            r.TownshipId, catalog.FindTownship(r.TownshipId)?.Name ?? r.TownshipId, r.BranchId, catalog.FindBranch(r.BranchId)?.Name ?? r.BranchId,
            r.AgencyCode, catalog.FindAgency(r.AgencyCode)?.Name ?? r.AgencyCode, r.HeadId, r.HeadName, r.HeadTitle, r.Status, late,
            JsonSerializer.Deserialize<FormEvidence>(r.EvidenceJson, MessageTypes.Json)!, r.IssuedAt, r.DueAt, r.Grade,
            r.Grade is null ? null : catalog.Heads.GradesOrDefault.FirstOrDefault(g => g.Code == r.Grade)?.Name ?? r.Grade,
            r.Opinion, r.CorrectionReason, r.SubmittedAt, r.SubmittedByName, r.ReminderCount, r.EscalationCount, versions);
    }

    /// <summary>The year's forms per institution (supervisors): how many, submitted, pending, late, and the grades given.</summary>
    public async Task<FormSummaryDto> SummaryAsync(Caller caller, int year, CancellationToken ct)
    {
        var catalog = county.Catalog;
        var forms = (await FormsAsync(caller, null, "all", ct)).Where(f => f.Evidence.From >= ChinaTime.StartOf(new DateOnly(year, 1, 1)) && f.Evidence.From < ChinaTime.StartOf(new DateOnly(year + 1, 1, 1))).ToList();
        var grades = Grades(catalog.Heads);
        AgencySummaryDto Row(string code, IReadOnlyList<FormDto> own) => new(
            code, catalog.FindAgency(code)?.Name ?? code, own.Count, own.Count(f => f.Status == FormStatus.Submitted), own.Count(f => f.Status == FormStatus.Pending), own.Count(f => f.Late),
            grades.ToDictionary(g => g.Code, g => own.Count(f => f.Grade == g.Code)));
        var agencies = catalog.Definition.Agencies.Where(a => forms.Any(f => f.AgencyCode == a.Code))
            .Select(a => Row(a.Code, forms.Where(f => f.AgencyCode == a.Code).ToList())).ToList();
        return new FormSummaryDto(year, catalog.Heads.Weight, grades, agencies, forms.Count, forms.Count(f => f.Status == FormStatus.Submitted),
            forms.Count(f => f.Status == FormStatus.Pending), forms.Count(f => f.Late));
    }

    // ---- Recommendations ----

    public async Task<IReadOnlyList<RecommendationDto>> RecommendationsAsync(Caller caller, string status, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var rows = await database.ReadAsync(c => c.QueryAsync<RecommendationRow>(ListRecommendationsSql, new { caller.Role, Org = caller.OrgId, Status = status }), ct);
        return rows.Select(r => ToDto(r, now)).ToList();
    }

    public async Task<RecommendationDto?> RecommendationAsync(Caller caller, string id, CancellationToken ct)
    {
        var row = await database.ReadAsync(c => c.QuerySingleOrDefaultAsync<RecommendationRow>(RecommendationSql, new { Id = id, caller.Role, Org = caller.OrgId }), ct);
        return row is null ? null : ToDto(row, time.GetUtcNow());
    }

    private RecommendationDto ToDto(RecommendationRow r, DateTimeOffset now)
    {
        var catalog = county.Catalog;
        return new RecommendationDto(
            r.Id, r.Kind, r.Action, r.TownshipId, catalog.FindTownship(r.TownshipId)?.Name ?? r.TownshipId, r.BranchId, catalog.FindBranch(r.BranchId)?.Name ?? r.BranchId,
            r.AgencyCode, catalog.FindAgency(r.AgencyCode)?.Name ?? r.AgencyCode, r.HeadName, r.CandidateName, r.Reasons,
            JsonSerializer.Deserialize<List<StoredEvidence>>(r.EvidenceJson, MessageTypes.Json) ?? [], r.Status, r.OpenedAt, r.OpenedByName, r.DueAt,
            r.Status == RecommendationStatus.Open && now > r.DueAt, r.Answer, r.AnswerReasons, r.AnswerAction, r.AnsweredAt, r.AnsweredByName,
            r.Decision, r.DecidedAt, r.DecidedByName, r.DecidedWithoutAnswer, r.ReminderCount, r.EscalationCount);
    }
}
