using System.Data.Common;
using Dapper;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;

namespace Whistle.Api.Meetings;

/// <summary>Who sees a meeting: its township, the units summoned to it (and their agencies), the supervisors.</summary>
public sealed class MeetingQueries(WhistleDatabase database, CountyCatalogHolder county)
{
    private const string MeetingColumns = """
        id, township_id AS TownshipId, kind, title, agenda, place, starts_at AS StartsAt, ends_at AS EndsAt, confirm_by AS ConfirmBy,
        whistle_id AS WhistleId, series_id AS SeriesId, status, organizer_user AS OrganizerUser, organizer_name AS OrganizerName,
        organizer_org AS OrganizerOrg, minutes, minutes_at AS MinutesAt, created_at AS CreatedAt, version
        """;

    private const string SummonsColumns = """
        id, meeting_id AS MeetingId, agency_code AS AgencyCode, branch_id AS BranchId, status, attendee, reason, responded_at AS RespondedAt,
        attendance, checked_in_at AS CheckedInAt, position
        """;

    private const string SelectMeetingSql = $"SELECT {MeetingColumns} FROM meetings WHERE id = @Id;";

    private const string SelectSummonsSql = $"SELECT {SummonsColumns} FROM meeting_summons WHERE meeting_id = @Id ORDER BY position;";

    private const string SelectDecisionsSql = """
        SELECT id, meeting_id AS MeetingId, text, agency_code AS AgencyCode, branch_id AS BranchId, due_at AS DueAt, whistle_id AS WhistleId,
               assignment_id AS AssignmentId, created_at AS CreatedAt
        FROM meeting_decisions WHERE meeting_id = @Id ORDER BY created_at, id;
        """;

    // The first read of a meeting command locks the meeting row, so two commands on one meeting run one after the
    // other (SQLite has one writer anyway).
    private static string SelectMeetingForUpdateSql(SqlDialect dialect) => dialect.SelectForUpdate(MeetingColumns, "meetings", "id = @Id") + ";";

    public const int MaxPageSize = 100;

    private const string VisibleMeetings = """
        (@Role = 'supervisor'
         OR (@Role = 'township' AND m.township_id = @Org)
         OR (@Role = 'branch' AND EXISTS (SELECT 1 FROM meeting_summons s WHERE s.meeting_id = m.id AND s.branch_id = @Org))
         OR (@Role = 'agency' AND EXISTS (SELECT 1 FROM meeting_summons s WHERE s.meeting_id = m.id AND s.agency_code = @Org)))
        AND (@Filter = 'all'
             OR (@Filter = 'upcoming' AND m.status = 'scheduled')
             OR (@Filter = 'past' AND m.status <> 'scheduled'))
        """;

    // Upcoming: the soonest first; past and all: the latest first.
    private const string MeetingOrder = """
        ORDER BY CASE WHEN @Filter = 'upcoming' THEN m.starts_at END ASC, CASE WHEN @Filter = 'upcoming' THEN m.id END ASC,
                 CASE WHEN @Filter <> 'upcoming' THEN m.starts_at END DESC, CASE WHEN @Filter <> 'upcoming' THEN m.id END DESC
        """;

    private const string CountMeetingsSql = $"SELECT COUNT(*) FROM meetings m WHERE {VisibleMeetings};";

    private const string ListMeetingsSql = $"SELECT {MeetingColumns} FROM meetings m WHERE {VisibleMeetings} {MeetingOrder}";

    private static string ListMeetingsPageSql(SqlDialect dialect) => dialect.Page(ListMeetingsSql) + ";";

    private static string SummonsOfSql(SqlDialect dialect) => $"SELECT {SummonsColumns} FROM meeting_summons WHERE {dialect.InList("meeting_id", "@Ids")} ORDER BY position;";

    public static async Task<(MeetingRow? Meeting, IReadOnlyList<SummonsRow> Summons)> LoadAsync(DbConnection connection, string id, DbTransaction? transaction = null)
    {
        var meeting = await connection.QuerySingleOrDefaultAsync<MeetingRow>(SelectMeetingSql, new { Id = id }, transaction);
        var summons = meeting is null ? [] : (await connection.QueryAsync<SummonsRow>(SelectSummonsSql, new { Id = id }, transaction)).ToList();
        return (meeting, summons);
    }

    /// <summary>The meeting and its summons inside a write, the meeting row locked first on SQL Server.</summary>
    public static async Task<(MeetingRow? Meeting, IReadOnlyList<SummonsRow> Summons)> LoadForUpdateAsync(UnitOfWork unit, string id)
    {
        var meeting = await unit.Connection.QuerySingleOrDefaultAsync<MeetingRow>(
            unit.Dialect.Sql(SelectMeetingForUpdateSql), new { Id = id }, unit.Transaction);
        var summons = meeting is null ? [] : (await unit.Connection.QueryAsync<SummonsRow>(SelectSummonsSql, new { Id = id }, unit.Transaction)).ToList();
        return (meeting, summons);
    }

    public static bool CanSee(Caller user, MeetingRow meeting, IEnumerable<SummonsRow> summons) => user.Role switch
    {
        Roles.Supervisor => true,
        Roles.Township => meeting.TownshipId == user.OrgId,
        Roles.Branch => summons.Any(s => s.BranchId == user.OrgId),
        Roles.Agency => summons.Any(s => s.AgencyCode == user.OrgId),
        _ => false,
    };

    /// <summary>The township that called it (a county-wide meeting: the supervisors).</summary>
    public static bool IsOrganizer(Caller user, MeetingRow meeting) =>
        meeting.TownshipId is null ? user.Role == Roles.Supervisor : user.Role == Roles.Township && user.OrgId == meeting.TownshipId;

    public async Task<MeetingDto?> GetAsync(Caller user, string id, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var (meeting, summons) = await LoadAsync(c, id);
                if (meeting is null || !CanSee(user, meeting, summons)) return null;
                var decisions = (await c.QueryAsync<DecisionRow>(SelectDecisionsSql, new { Id = id })).ToList();
                return ToDto(meeting, summons, decisions);
            },
            ct);

    /// <summary>One page of the meetings the caller sees (at most <see cref="MaxPageSize"/>), as <c>GET /api/whistles</c> pages whistles.</summary>
    public async Task<PageDto<MeetingDto>> ListAsync(Caller user, string filter, int page, int pageSize, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var args = new { user.Role, Org = user.OrgId, Filter = filter, Skip = (long)(page - 1) * pageSize, Take = pageSize };
                var total = await c.ExecuteScalarAsync<int>(CountMeetingsSql, args);
                var meetings = (await c.QueryAsync<MeetingRow>(database.Dialect.Sql(ListMeetingsPageSql), args)).ToList();
                var summons = (meetings.Count == 0 ? [] : await c.QueryAsync<SummonsRow>(database.Dialect.Sql(SummonsOfSql), new { Ids = meetings.Select(m => m.Id).ToList() })).ToLookup(s => s.MeetingId);
                return new PageDto<MeetingDto>(meetings.Select(m => ToDto(m, summons[m.Id].ToList(), [])).ToList(), page, pageSize, total);
            },
            ct);

    public MeetingDto ToDto(MeetingRow m, IReadOnlyList<SummonsRow> summons, IReadOnlyList<DecisionRow> decisions)
    {
        var catalog = county.Catalog;
        string Name(SummonsRow s) => (s.BranchId is null ? catalog.FindAgency(s.AgencyCode)?.Name : catalog.FindBranch(s.BranchId)?.Name) ?? s.AgencyCode;
        return new MeetingDto(
            m.Id, m.TownshipId, m.Kind, m.Title, m.Agenda, m.Place, m.StartsAt, m.EndsAt, m.ConfirmBy, m.WhistleId, m.SeriesId, m.Status,
            new EventActor(m.OrganizerUser, m.OrganizerName, m.OrganizerOrg), m.Minutes, m.MinutesAt,
            summons.Select(s => new SummonsDto(
                s.Id, s.AgencyCode, s.BranchId, Name(s), s.Status, s.Attendee, s.Reason, s.RespondedAt,
                s.Status == SummonsStatus.Confirmed ? s.RespondedAt <= m.ConfirmBy : null, s.Attendance, s.CheckedInAt)).ToList(),
            decisions.Select(d => new DecisionDto(d.Id, d.Text, d.AgencyCode, d.BranchId, d.DueAt, d.WhistleId, d.AssignmentId)).ToList());
    }
}
