using Dapper;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Core.City;

/// <summary>The township's opinion a filing follows (its consultation: asked when, due when, the answer and its reasons, if any).</summary>
public sealed record TownshipOpinionDto(
    string RecommendationId, string TownshipId, string TownshipName, string Status, DateTimeOffset AskedAt, DateTimeOffset DueAt,
    string? Answer, string? Reasons, DateTimeOffset? AnsweredAt);

public sealed record SubmissionDto(
    string Id,
    string Kind,
    string RelationId,
    string RelationName,
    string RelationNameEn,
    string InstitutionId,
    string InstitutionName,
    string InstitutionNameEn,
    string? UnitId,
    string DepartmentId,
    string DepartmentName,
    string DepartmentNameEn,
    string? Field,
    string Title,
    string Body,
    string? HeadUnitId,
    string? HeadUnitName,
    string? HeadUnitNameEn,
    bool HeadLeadsStationedBranch,
    string? HeadName,
    string? HeadTitle,
    bool? WithoutOpinion,
    TownshipOpinionDto? TownshipOpinion,
    string Status,
    DateTimeOffset OpenedAt,
    string OpenedByName,
    DateTimeOffset DueAt,
    bool Overdue,
    string? Answer,
    string? AnswerText,
    DateTimeOffset? AnsweredAt,
    string? AnsweredByName,
    int ReminderCount,
    int EscalationCount,
    IReadOnlyList<WhistleEvent>? Timeline,
    IReadOnlyList<AttachmentDto>? Attachments = null);

/// <summary>
/// The read side of submissions, each row filtered by the one rule (<see cref="Visibility.SubmissionCondition"/>): a list
/// (all, or open only, newest first) and one with its timeline. A filing shows the township's opinion it follows
/// (the consultation's answer), to the department it is filed with as to the institution.
/// </summary>
public sealed class SubmissionQueries(WhistleDatabase database, CountyCatalogHolder county, TimeProvider time)
{
    private const string ListSql = $"""
        SELECT {SubmissionStore.Columns} FROM submissions s
        WHERE {Visibility.SubmissionCondition} AND (@Status = 'all' OR s.status = @Status) AND (@Kind IS NULL OR s.kind = @Kind)
        ORDER BY s.opened_at DESC, s.id DESC;
        """;

    private const string OneSql = $"SELECT {SubmissionStore.Columns} FROM submissions s WHERE s.id = @Id AND {Visibility.SubmissionCondition};";

    private const string OpinionColumns =
        "id, township_id AS TownshipId, status, opened_at AS OpenedAt, due_at AS DueAt, answer, answer_reasons AS AnswerReasons, answered_at AS AnsweredAt";

    private const string OpinionSql = $"SELECT {OpinionColumns} FROM recommendations WHERE id = @Id;";

    private static string OpinionsOfSql(SqlDialect dialect) => $"SELECT {OpinionColumns} FROM recommendations WHERE {dialect.InList("id", "@Ids")};";

    private const string TimelineSql = "SELECT sequence, payload FROM timeline WHERE whistle_id = @Id ORDER BY sequence;";

    private sealed record EventRow(long Sequence, string Payload);

    private sealed record OpinionRow
    {
        public string Id { get; init; } = "";
        public string TownshipId { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset OpenedAt { get; init; }
        public DateTimeOffset DueAt { get; init; }
        public string? Answer { get; init; }
        public string? AnswerReasons { get; init; }
        public DateTimeOffset? AnsweredAt { get; init; }
    }

    public async Task<IReadOnlyList<SubmissionDto>> ListAsync(Caller caller, string status, string? kind, CancellationToken ct)
    {
        var (rows, opinions) = await database.ReadAsync(
            async c =>
            {
                var list = (await c.QueryAsync<SubmissionRow>(ListSql, new { caller.Role, Org = caller.OrgId, Status = status, Kind = kind })).ToList();
                var ids = list.Where(s => s.RecommendationId is not null).Select(s => s.RecommendationId!).Distinct().ToList();
                // The consultations the filings follow, in one query (the dialect spells the list parameter).
                var found = (await database.Dialect.QueryListAsync<OpinionRow>(c, database.Dialect.Sql(OpinionsOfSql), ids, chunk => new { Ids = chunk })).ToDictionary(o => o.Id);
                return (list, found);
            },
            ct);
        var now = time.GetUtcNow();
        return rows.Select(r => ToDto(r, r.RecommendationId is null ? null : opinions.GetValueOrDefault(r.RecommendationId), now, null)).ToList();
    }

    public async Task<SubmissionDto?> OneAsync(Caller caller, string id, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var row = await c.QuerySingleOrDefaultAsync<SubmissionRow>(OneSql, new { Id = id, caller.Role, Org = caller.OrgId });
                if (row is null) return null;
                var opinion = row.RecommendationId is null ? null
                    : await c.QuerySingleOrDefaultAsync<OpinionRow>(OpinionSql, new { Id = row.RecommendationId });
                var timeline = (await c.QueryAsync<EventRow>(TimelineSql, new { row.Id }))
                    .Select(e => Messaging.Timeline.Deserialize(e.Sequence, e.Payload)).ToList();
                var files = await AttachmentStore.OfSubmissionAsync(c, row.Id);
                return ToDto(row, opinion, time.GetUtcNow(), timeline) with { Attachments = files.Select(AttachmentDto.From).ToList() };
            },
            ct);

    private SubmissionDto ToDto(SubmissionRow r, OpinionRow? opinion, DateTimeOffset now, IReadOnlyList<WhistleEvent>? timeline)
    {
        var catalog = county.Catalog;
        var relation = catalog.FindRelation(r.RelationId);
        var institution = catalog.FindInstitution(r.InstitutionId);
        var department = catalog.FindDepartment(r.DepartmentId);
        var headUnit = r.HeadUnitId is null ? null : catalog.FindUnit(r.HeadUnitId);
        var (unitName, unitNameEn) = headUnit is { } u ? catalog.UnitName(u.Unit) : (r.HeadUnitId, r.HeadUnitId);
        return new SubmissionDto(
            r.Id, r.Kind, r.RelationId, relation?.Name ?? r.RelationId, relation?.NameEn ?? r.RelationId,
            r.InstitutionId, institution?.Name ?? r.InstitutionId, institution?.NameEn ?? r.InstitutionId, r.UnitId,
            r.DepartmentId, department?.Name ?? r.DepartmentId, department?.NameEn ?? r.DepartmentId, r.Field, r.Title, r.Body,
            r.HeadUnitId, unitName, unitNameEn, headUnit is { Unit.Kind: InstitutionUnitKind.Branch, Unit.BranchId: not null },
            r.HeadName, r.HeadTitle, r.WithoutOpinion,
            opinion is null ? null : new TownshipOpinionDto(
                opinion.Id, opinion.TownshipId, catalog.FindTownship(opinion.TownshipId)?.Name ?? opinion.TownshipId, opinion.Status, opinion.OpenedAt, opinion.DueAt,
                opinion.Answer, opinion.AnswerReasons, opinion.AnsweredAt),
            r.Status, r.OpenedAt, r.OpenedByName, r.DueAt, r.Status == SubmissionStatus.Open && now > r.DueAt,
            r.Answer, r.AnswerText, r.AnsweredAt, r.AnsweredByName, r.ReminderCount, r.EscalationCount, timeline);
    }
}
