using Dapper;
using Whistle.Core.Assessment;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Storage;

namespace Whistle.Api.City;

/// <summary>A relation's activity in a period: work requests raised, finished (closed), overdue (past a limit unmet), joint meetings held, and its last activity.</summary>
public sealed record RelationActivityDto(int Raised, int Finished, int Overdue, int MeetingsHeld, DateTimeOffset? LastActivityAt);

public sealed record FollowUpDto(
    string Id, string RelationId, string RelationName, string RelationNameEn, string DepartmentId, string DepartmentName, string DepartmentNameEn,
    string InstitutionId, string InstitutionName, string InstitutionNameEn, IReadOnlyList<string> Missing, string Note, string Status,
    string RaisedByName, DateTimeOffset RaisedAt, DateTimeOffset DueAt, bool Overdue, string? Reply, string? RepliedByName, DateTimeOffset? RepliedAt,
    DateTimeOffset? ClosedAt, int ReminderCount, int EscalationCount);

/// <summary>One relation as the establishment office reads it: its mechanism, its activity and figures, its open follow-up.</summary>
public sealed record OfficeRelationDto(RelationDto Relation, IReadOnlyList<string> Missing, RelationActivityDto Activity, UnitFigures Figures, FollowUpDto? FollowUp);

public sealed record OfficeViewDto(DateTimeOffset From, DateTimeOffset To, DateTimeOffset AsOf, int InPlace, int MissingCount, IReadOnlyList<OfficeRelationDto> Relations);

/// <summary>
/// The establishment office's (编办) view of the city level (issue 17): every relation with its mechanism (recorded /
/// missing, <see cref="CityViews.Relation"/>), its activity, its figures — the assessment's own computation of a
/// relation (<see cref="StatsQueries.RelationFiguresAsync"/>: the work requests raised along it, ranked among the
/// relations shown) — and its open follow-up; and the follow-ups as each role may read them
/// (<see cref="Visibility.FollowUpCondition"/>).
/// </summary>
public sealed class OfficeQueries(WhistleDatabase database, StatsQueries stats)
{
    private const string ActivitySql = """
        SELECT w.relation_id AS RelationId,
               SUM(CASE WHEN w.raised_at >= @From AND w.raised_at < @To THEN 1 ELSE 0 END) AS Raised,
               SUM(CASE WHEN w.raised_at >= @From AND w.raised_at < @To AND w.status = 'closed' THEN 1 ELSE 0 END) AS Finished,
               SUM(CASE WHEN w.raised_at >= @From AND w.raised_at < @To AND EXISTS (
                       SELECT 1 FROM assignments a WHERE a.whistle_id = w.id AND a.status IN ('dispatched', 'reported')
                       AND ((a.reported_at IS NULL AND a.report_by < @AsOf) OR a.resolve_by < @AsOf)) THEN 1 ELSE 0 END) AS Overdue,
               MAX(w.updated_at) AS LastAt
        FROM whistles w
        WHERE w.level = 'city' AND w.relation_id IS NOT NULL AND w.status <> 'cancelled'
        GROUP BY w.relation_id;
        """;

    // A joint meeting held between a relation's department and its institution: convened by either, the other summoned.
    private const string MeetingsSql = """
        SELECT m.convener_kind AS ConvenerKind, m.township_id AS ConvenerId, s.participant_kind AS ParticipantKind, s.agency_code AS ParticipantId,
               m.starts_at AS StartsAt, m.minutes_at AS MinutesAt
        FROM meetings m JOIN meeting_summons s ON s.meeting_id = m.id
        WHERE m.convener_kind <> 'township' AND m.status = 'held';
        """;

    private const string FollowUpsSql = $"SELECT {FollowUpStore.Columns} FROM mechanism_followups f WHERE {Visibility.FollowUpCondition} ORDER BY f.raised_at DESC, f.id;";

    private const string MechanismsRecordedSql = "SELECT relation_id AS RelationId, MAX(recorded_at) AS LastAt FROM relation_mechanisms WHERE recorded_at IS NOT NULL GROUP BY relation_id;";

    private sealed record ActivityRow
    {
        public string RelationId { get; init; } = "";
        public long Raised { get; init; }
        public long Finished { get; init; }
        public long Overdue { get; init; }
        public DateTimeOffset? LastAt { get; init; }
    }

    private sealed record MeetingRow
    {
        public string ConvenerKind { get; init; } = "";
        public string ConvenerId { get; init; } = "";
        public string ParticipantKind { get; init; } = "";
        public string ParticipantId { get; init; } = "";
        public DateTimeOffset StartsAt { get; init; }
        public DateTimeOffset? MinutesAt { get; init; }
    }

    private sealed record LastRow
    {
        public string RelationId { get; init; } = "";
        public DateTimeOffset? LastAt { get; init; }
    }

    public async Task<OfficeViewDto> ViewAsync(CountyCatalog catalog, Caller caller, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf, CancellationToken ct)
    {
        var relations = (catalog.City?.Relations ?? []).Where(r => CityViews.CanSee(catalog, caller, r)).ToList();
        var args = new { From = from, To = to, AsOf = asOf, Role = caller.Role, Org = caller.OrgId };
        var (activity, meetings, followUps, recorded) = await database.ReadAsync(
            async c => (
                (await c.QueryAsync<ActivityRow>(ActivitySql, args)).ToDictionary(a => a.RelationId),
                (await c.QueryAsync<MeetingRow>(MeetingsSql)).ToList(),
                (await c.QueryAsync<FollowUpRow>(FollowUpsSql, args)).ToList(),
                (await c.QueryAsync<LastRow>(MechanismsRecordedSql)).ToDictionary(a => a.RelationId, a => a.LastAt)),
            ct);
        var figures = (await stats.RelationFiguresAsync(catalog, relations.Select(r => r.Id), from, to, asOf, ct)).ToDictionary(f => f.UnitId, StringComparer.Ordinal);
        var result = relations.Select(r =>
        {
            var departments = r.Departments.Select(d => d.DepartmentId).ToHashSet(StringComparer.Ordinal);
            bool Between(MeetingRow m) =>
                (m.ConvenerKind == "department" && departments.Contains(m.ConvenerId) && m.ParticipantKind == "institution" && m.ParticipantId == r.InstitutionId)
                || (m.ConvenerKind == "institution" && m.ConvenerId == r.InstitutionId && m.ParticipantKind == "department" && departments.Contains(m.ParticipantId));
            var held = meetings.Where(Between).GroupBy(m => (m.ConvenerId, m.StartsAt)).Select(g => g.First()).ToList();
            var a = activity.GetValueOrDefault(r.Id);
            var last = new[] { a?.LastAt, held.Select(m => m.MinutesAt).Max(), recorded.GetValueOrDefault(r.Id), followUps.Where(f => f.RelationId == r.Id).Select(f => f.RepliedAt).Max() }
                .Where(x => x is not null).Max();
            var open = followUps.FirstOrDefault(f => f.RelationId == r.Id && f.Status != FollowUpStatus.Closed);
            return new OfficeRelationDto(
                CityViews.Relation(catalog, r),
                r.MechanismState().Where(m => !m.Recorded).Select(m => m.Kind).ToList(),
                new RelationActivityDto((int)(a?.Raised ?? 0), (int)(a?.Finished ?? 0), (int)(a?.Overdue ?? 0), held.Count(m => m.StartsAt >= from && m.StartsAt < to), last),
                figures[r.Id],
                open is null ? null : ToDto(catalog, open, asOf));
        }).ToList();
        return new OfficeViewDto(from, to, asOf, result.Count(x => x.Relation.MechanismInPlace), result.Count(x => !x.Relation.MechanismInPlace), result);
    }

    public async Task<IReadOnlyList<FollowUpDto>> FollowUpsAsync(CountyCatalog catalog, Caller caller, string? status, DateTimeOffset asOf, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<FollowUpRow>(FollowUpsSql, new { Role = caller.Role, Org = caller.OrgId }), ct))
            .Where(f => status is null || f.Status == status)
            .Select(f => ToDto(catalog, f, asOf))
            .ToList();

    public async Task<FollowUpDto?> FollowUpAsync(CountyCatalog catalog, Caller caller, string id, DateTimeOffset asOf, CancellationToken ct) =>
        await database.ReadAsync(c => FollowUpStore.GetAsync(c, id), ct) is { } f && Visibility.CanSeeFollowUp(caller, f.DepartmentId, f.InstitutionId)
            ? ToDto(catalog, f, asOf)
            : null;

    private static FollowUpDto ToDto(CountyCatalog catalog, FollowUpRow f, DateTimeOffset asOf)
    {
        var relation = catalog.FindRelation(f.RelationId);
        var department = catalog.FindDepartment(f.DepartmentId);
        var institution = catalog.FindInstitution(f.InstitutionId);
        return new FollowUpDto(
            f.Id, f.RelationId, relation?.Name ?? f.RelationId, relation?.NameEn ?? f.RelationId,
            f.DepartmentId, department?.Name ?? f.DepartmentId, department?.NameEn ?? f.DepartmentId,
            f.InstitutionId, institution?.Name ?? f.InstitutionId, institution?.NameEn ?? f.InstitutionId,
            f.MissingKinds, f.Note, f.Status, f.RaisedByName, f.RaisedAt, f.DueAt,
            f.Status == FollowUpStatus.Open && f.DueAt < asOf, f.Reply, f.RepliedByName, f.RepliedAt, f.ClosedAt, f.ReminderCount, f.EscalationCount);
    }
}
