using System.Data.Common;
using Dapper;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Meetings;
using Whistle.Core.Storage;

namespace Whistle.Api.Meetings;

/// <summary>
/// The read side of meetings: one meeting, or a page of them, as far as the caller sees them (<see cref="Visibility"/>:
/// its township, the units summoned to it and their agencies, the supervisors).
/// </summary>
public sealed class MeetingQueries(WhistleDatabase database, CountyCatalogHolder county)
{
    public const int MaxPageSize = 100;

    private const string MeetingFilter = """
        (@Filter = 'all'
         OR (@Filter = 'upcoming' AND m.status = 'scheduled')
         OR (@Filter = 'past' AND m.status <> 'scheduled'))
        """;

    // Upcoming: the soonest first; past and all: the latest first.
    private const string MeetingOrder = """
        ORDER BY CASE WHEN @Filter = 'upcoming' THEN m.starts_at END ASC, CASE WHEN @Filter = 'upcoming' THEN m.id END ASC,
                 CASE WHEN @Filter <> 'upcoming' THEN m.starts_at END DESC, CASE WHEN @Filter <> 'upcoming' THEN m.id END DESC
        """;

    private const string CountMeetingsSql = $"SELECT COUNT(*) FROM meetings m WHERE {Visibility.MeetingCondition} AND {MeetingFilter};";

    private const string ListMeetingsSql = $"SELECT {MeetingRows.MeetingColumns} FROM meetings m WHERE {Visibility.MeetingCondition} AND {MeetingFilter} {MeetingOrder}";

    private static string ListMeetingsPageSql(SqlDialect dialect) => dialect.Page(ListMeetingsSql) + ";";

    public async Task<MeetingDto?> GetAsync(Caller user, string id, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var (meeting, summons) = await MeetingRows.LoadAsync(c, id);
                if (meeting is null || !Visibility.CanSee(user, meeting, summons)) return null;
                var decisions = await MeetingRows.GetDecisionsAsync(c, id);
                return ToDto(meeting, summons, decisions, await AttachmentStore.OfMeetingAsync(c, id));
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
                var summons = await MeetingRows.GetSummonsOfAsync(c, database.Dialect, meetings.Select(m => m.Id).ToList());
                return new PageDto<MeetingDto>(meetings.Select(m => ToDto(m, summons[m.Id].ToList(), [])).ToList(), page, pageSize, total);
            },
            ct);

    /// <summary>The meeting as the API shows it; <paramref name="attachments"/>: the minutes' files (a page of meetings leaves them out).</summary>
    public MeetingDto ToDto(MeetingRow m, IReadOnlyList<SummonsRow> summons, IReadOnlyList<DecisionRow> decisions, IReadOnlyList<AttachmentRow>? attachments = null)
    {
        var catalog = county.Catalog;
        (string Name, string NameEn) Names(SummonsRow s) => s.ParticipantKind switch
        {
            ParticipantKind.Department when catalog.FindDepartment(s.AgencyCode) is { } d => (d.Name, d.NameEn),
            ParticipantKind.Institution when catalog.FindInstitution(s.AgencyCode) is { } i => (i.Name, i.NameEn),
            _ when s.BranchId is null && catalog.FindAgency(s.AgencyCode) is { } a => (a.Name, a.NameEn),
            _ when s.BranchId is not null && catalog.FindBranch(s.BranchId) is { } b => (b.Name, b.NameEn),
            _ => (s.AgencyCode, s.AgencyCode),
        };
        var convener = m.ConvenerKind switch
        {
            ConvenerKind.Department when catalog.FindDepartment(m.TownshipId!) is { } d => (d.Name, d.NameEn),
            ConvenerKind.Institution when catalog.FindInstitution(m.TownshipId!) is { } i => (i.Name, i.NameEn),
            _ when m.TownshipId is not null && catalog.FindTownship(m.TownshipId) is { } t => (t.Name, t.NameEn),
            _ => ((string?)null, (string?)null),
        };
        return new MeetingDto(
            m.Id, m.TownshipId, m.Kind, m.Title, m.Agenda, m.Place, m.StartsAt, m.EndsAt, m.ConfirmBy, m.WhistleId, m.SeriesId, m.Status,
            new EventActor(m.OrganizerUser, m.OrganizerName, m.OrganizerOrg), m.Minutes, m.MinutesAt,
            summons.Select(s => new SummonsDto(
                s.Id, s.AgencyCode, s.BranchId, Names(s).Name, s.Status, s.Attendee, s.Reason, s.RespondedAt,
                s.Status == SummonsStatus.Confirmed ? s.RespondedAt <= m.ConfirmBy : null, s.Attendance, s.CheckedInAt, s.ParticipantKind, Names(s).NameEn)).ToList(),
            decisions.Select(d => new DecisionDto(d.Id, d.Text, d.AgencyCode, d.BranchId, d.DueAt, d.WhistleId, d.AssignmentId, d.RelationId)).ToList(),
            (attachments ?? []).Select(AttachmentDto.From).ToList(),
            m.ConvenerKind, convener.Item1, convener.Item2);
    }
}
