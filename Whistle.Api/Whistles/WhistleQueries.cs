using Dapper;
using Whistle.Api.Auth;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Whistles;

/// <summary>What each caller may read: a township its own whistles, a branch or agency those routed to it, a supervisor the county.</summary>
public sealed class WhistleQueries(WhistleDatabase database)
{
    public const int MaxPageSize = 100;
    public const int CatchUpBatch = 500;

    private const string VisibleToCaller = """
        (@Role = 'supervisor'
         OR (@Role = 'township' AND w.township_id = @Org)
         OR (@Role = 'branch' AND EXISTS (SELECT 1 FROM assignments v WHERE v.whistle_id = w.id AND v.branch_id = @Org))
         OR (@Role = 'agency' AND EXISTS (SELECT 1 FROM assignments v WHERE v.whistle_id = w.id AND v.agency_code = @Org)))
        """;

    private const string WhistleStatusFilter = """
        (@Filter = 'all'
         OR (@Filter = 'open' AND w.status IN ('raised', 'dispatched', 'in-progress', 'resolved'))
         OR (@Filter = 'closed' AND w.status IN ('closed', 'cancelled')))
        """;

    private const string CountWhistlesSql = $"SELECT COUNT(*) FROM whistles w WHERE {VisibleToCaller} AND {WhistleStatusFilter};";

    private const string ListWhistlesSqlite = $"""
        SELECT {WhistleData.WhistleColumns} FROM whistles w
        WHERE {VisibleToCaller} AND {WhistleStatusFilter}
        ORDER BY w.raised_at DESC, w.id DESC LIMIT @Take OFFSET @Skip;
        """;

    private const string ListWhistlesSqlServer = $"""
        SELECT {WhistleData.WhistleColumns} FROM whistles w
        WHERE {VisibleToCaller} AND {WhistleStatusFilter}
        ORDER BY w.raised_at DESC, w.id DESC OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY;
        """;

    private const string AssignmentsOfSql = $"SELECT {WhistleData.AssignmentColumns} FROM assignments a WHERE a.whistle_id IN @Ids ORDER BY a.position, a.id;";

    private const string TimelineSql = """
        SELECT sequence, type, occurred_at AS OccurredAt, actor_user AS ActorUser, actor_name AS ActorName, actor_org AS ActorOrg,
               assignment_id AS AssignmentId, note
        FROM timeline WHERE whistle_id = @WhistleId ORDER BY sequence;
        """;

    private const string InboxVisibility = """
        (@Role = 'supervisor'
         OR (@Role = 'township' AND w.township_id = @Org)
         OR (@Role = 'branch' AND a.branch_id = @Org)
         OR (@Role = 'agency' AND a.agency_code = @Org))
        """;

    private const string InboxStatusFilter = """
        (@Filter = 'all'
         OR (@Filter = 'open' AND a.status IN ('dispatched', 'reported') AND w.status NOT IN ('closed', 'cancelled'))
         OR (@Filter = 'closed' AND (a.status IN ('resolved', 'declined', 'reassigned') OR w.status IN ('closed', 'cancelled'))))
        """;

    private const string CountInboxSql = $"SELECT COUNT(*) FROM assignments a JOIN whistles w ON w.id = a.whistle_id WHERE {InboxVisibility} AND {InboxStatusFilter};";

    private const string InboxSqlite = $"""
        SELECT {WhistleData.AssignmentColumns}, w.id AS WId, w.title AS WTitle, w.status AS WStatus, w.township_id AS WTownshipId,
               w.matter_code AS WMatterCode, w.urgency AS WUrgency, w.address AS WAddress, w.description AS WDescription
        FROM assignments a JOIN whistles w ON w.id = a.whistle_id
        WHERE {InboxVisibility} AND {InboxStatusFilter}
        ORDER BY a.dispatched_at DESC, a.id DESC LIMIT @Take OFFSET @Skip;
        """;

    private const string InboxSqlServer = $"""
        SELECT {WhistleData.AssignmentColumns}, w.id AS WId, w.title AS WTitle, w.status AS WStatus, w.township_id AS WTownshipId,
               w.matter_code AS WMatterCode, w.urgency AS WUrgency, w.address AS WAddress, w.description AS WDescription
        FROM assignments a JOIN whistles w ON w.id = a.whistle_id
        WHERE {InboxVisibility} AND {InboxStatusFilter}
        ORDER BY a.dispatched_at DESC, a.id DESC OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY;
        """;

    private const string CatchUpSqlite = """
        SELECT t.sequence, t.payload FROM timeline t JOIN timeline_audience g ON g.sequence = t.sequence
        WHERE g.group_name = @Group AND t.sequence > @After ORDER BY t.sequence LIMIT @Take;
        """;

    private const string CatchUpSqlServer = """
        SELECT TOP (@Take) t.sequence, t.payload FROM timeline t JOIN timeline_audience g ON g.sequence = t.sequence
        WHERE g.group_name = @Group AND t.sequence > @After ORDER BY t.sequence;
        """;

    private sealed record TimelineRow
    {
        public long Sequence { get; init; }
        public string Type { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
        public string ActorUser { get; init; } = "";
        public string ActorName { get; init; } = "";
        public string ActorOrg { get; init; } = "";
        public string? AssignmentId { get; init; }
        public string? Note { get; init; }
    }

    private sealed record InboxWhistleRow
    {
        public string WId { get; init; } = "";
        public string WTitle { get; init; } = "";
        public string WStatus { get; init; } = "";
        public string WTownshipId { get; init; } = "";
        public string WMatterCode { get; init; } = "";
        public string WUrgency { get; init; } = "";
        public string WAddress { get; init; } = "";
        public string WDescription { get; init; } = "";
    }

    private sealed record EventRow(long Sequence, string Payload);

    public static bool CanSee(CurrentUser user, WhistleRow whistle, IEnumerable<AssignmentRow> assignments) => user.Role switch
    {
        Roles.Supervisor => true,
        Roles.Township => whistle.TownshipId == user.OrgId,
        Roles.Branch => assignments.Any(a => a.BranchId == user.OrgId),
        Roles.Agency => assignments.Any(a => a.AgencyCode == user.OrgId),
        _ => false,
    };

    /// <summary>Whether the caller sees the whistle (the one visibility rule); false when there is no such whistle.</summary>
    public async Task<bool> CanSeeAsync(CurrentUser user, string whistleId, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var whistle = await WhistleData.GetWhistleAsync(c, whistleId);
                return whistle is not null && CanSee(user, whistle, await WhistleData.GetAssignmentsAsync(c, whistleId));
            },
            ct);

    public async Task<WhistleDto?> GetAsync(CurrentUser user, string id, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var whistle = await WhistleData.GetWhistleAsync(c, id);
                if (whistle is null) return null;
                var assignments = await WhistleData.GetAssignmentsAsync(c, id);
                if (!CanSee(user, whistle, assignments)) return null;
                var attachments = await AttachmentStore.OfWhistleAsync(c, id);
                var added = attachments.Where(a => a.AddedSequence is not null).ToLookup(a => a.AddedSequence!.Value, a => a.Id);
                var timeline = (await c.QueryAsync<TimelineRow>(TimelineSql, new { WhistleId = id }))
                    .Select(t => new TimelineEntryDto(
                        t.Sequence, t.Type, t.OccurredAt, new EventActor(t.ActorUser, t.ActorName, t.ActorOrg), t.AssignmentId, t.Note,
                        added.Contains(t.Sequence) ? added[t.Sequence].ToList() : null))
                    .ToList();
                return WhistleDto.From(whistle, assignments, timeline, attachments);
            },
            ct);

    public async Task<PageDto<WhistleDto>> ListAsync(CurrentUser user, string filter, int page, int pageSize, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var args = new { user.Role, Org = user.OrgId, Filter = filter, Skip = (page - 1) * pageSize, Take = pageSize };
                var total = await c.ExecuteScalarAsync<int>(CountWhistlesSql, args);
                var whistles = (await c.QueryAsync<WhistleRow>(database.Sql(ListWhistlesSqlite, ListWhistlesSqlServer), args)).ToList();
                var assignments = (whistles.Count == 0
                    ? []
                    : await c.QueryAsync<AssignmentRow>(AssignmentsOfSql, new { Ids = whistles.Select(w => w.Id).ToList() })).ToLookup(a => a.WhistleId);
                var attachments = await AttachmentStore.OfWhistlesAsync(c, whistles.Select(w => w.Id).ToList());
                return new PageDto<WhistleDto>(whistles.Select(w => WhistleDto.From(w, assignments[w.Id], null, attachments[w.Id])).ToList(), page, pageSize, total);
            },
            ct);

    public async Task<PageDto<InboxItemDto>> InboxAsync(CurrentUser user, string filter, int page, int pageSize, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var args = new { user.Role, Org = user.OrgId, Filter = filter, Skip = (page - 1) * pageSize, Take = pageSize };
                var total = await c.ExecuteScalarAsync<int>(CountInboxSql, args);
                var items = (await c.QueryAsync<AssignmentRow, InboxWhistleRow, InboxItemDto>(
                    database.Sql(InboxSqlite, InboxSqlServer),
                    (r, w) => new InboxItemDto(
                        r.Id, r.WhistleId, r.AgencyCode, r.BranchId, r.Role, r.Status, r.DispatchedAt, r.ReportedAt, r.ResolvedAt, r.DeclinedAt,
                        r.ReportBy, r.ResolveBy, r.EtaMinutes, r.Note, r.DeclineReason, r.Rating, r.RatingComment,
                        new InboxWhistleDto(w.WId, w.WTitle, w.WStatus, w.WTownshipId, w.WMatterCode, w.WUrgency, w.WAddress, w.WDescription),
                        r.ReminderCount, r.EscalationCount, r.LastEscalatedAt, r.PreviousAssignmentId, r.ReassignedAt),
                    args,
                    splitOn: "WId")).ToList();
                // The inbox card shows the whistle's photos: one read for the page.
                var attachments = await AttachmentStore.OfWhistlesAsync(c, items.Select(i => i.WhistleId).Distinct().ToList());
                items = items.Select(i => i with { Attachments = attachments[i.WhistleId].Select(AttachmentDto.From).ToList() }).ToList();
                return new PageDto<InboxItemDto>(items, page, pageSize, total);
            },
            ct);

    /// <summary>The events after <paramref name="afterSequence"/> that the caller's group may see, oldest first.</summary>
    public async Task<IReadOnlyList<WhistleEvent>> CatchUpAsync(CurrentUser user, long afterSequence, CancellationToken ct) =>
        await database.ReadAsync(
            async c => (await c.QueryAsync<EventRow>(
                    database.Sql(CatchUpSqlite, CatchUpSqlServer),
                    new { user.Group, After = afterSequence, Take = CatchUpBatch }))
                .Select(r => Timeline.Deserialize(r.Sequence, r.Payload))
                .ToList(),
            ct);
}
