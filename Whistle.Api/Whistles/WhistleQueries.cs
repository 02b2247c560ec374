using System.Text.Json;
using Dapper;
using Whistle.Api.Auth;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Api.Whistles;

/// <summary>
/// The filters of <c>GET /api/whistles</c> (issue 13: the supervisor's drill-down from a chart bar or a ranking row, the
/// board's search): a township, a unit on the whistle (agency or branch), raised in [<see cref="From"/>, <see cref="To"/>),
/// a text in title, address or description (or the id), overdue only.
/// </summary>
/// <summary>
/// The list's filters; the city level's (issue 17): <paramref name="Level"/> (<c>township</c> or <c>city</c>), the
/// requesting department, an institution or one of its units (office or linked branch) with a duty on the work
/// request, and the relation it was raised along.
/// </summary>
public sealed record WhistleFilter(
    string? TownshipId, string? AgencyCode, string? BranchId, DateTimeOffset? From, DateTimeOffset? To, string? Q, bool Overdue,
    string? Level = null, string? DepartmentId = null, string? InstitutionId = null, string? UnitId = null, string? RelationId = null)
{
    public static readonly WhistleFilter None = new(null, null, null, null, null, null, false);
}

/// <summary>
/// The read side of whistles: a whistle, the list, the inbox, catch-up — each filtered by the one visibility rule
/// (<see cref="Visibility"/>: a township its own whistles, a branch or agency those routed to it, a supervisor the county).
/// </summary>
public sealed class WhistleQueries(WhistleDatabase database, TimelineReader timeline, TimeProvider time)
{
    public const int MaxPageSize = 100;
    public const int CatchUpBatch = TimelineReader.Batch;

    private const string WhistleStatusFilter = """
        (@Filter = 'all'
         OR (@Filter = 'open' AND w.status IN ('raised', 'dispatched', 'in-progress', 'resolved'))
         OR (@Filter = 'closed' AND w.status IN ('closed', 'cancelled')))
        """;

    /// <summary>
    /// The list's filters (<see cref="WhistleFilter"/>): each applies only when given, always within the caller's sight. A unit
    /// (agency or branch) is on the whistle when it has a duty on it; overdue: some open duty of a live whistle is past its
    /// report-by (dispatched) or resolve-by (reported); <c>@Q</c> is a LIKE pattern over title, address and description
    /// (its wildcards escaped: <see cref="LikeEscaped"/>), or the id itself.
    /// </summary>
    private const string WhistleFilters = """
        (@TownshipId IS NULL OR w.township_id = @TownshipId)
        AND (@AgencyCode IS NULL OR EXISTS (SELECT 1 FROM assignments fa WHERE fa.whistle_id = w.id AND fa.agency_code = @AgencyCode))
        AND (@BranchId IS NULL OR EXISTS (SELECT 1 FROM assignments fb WHERE fb.whistle_id = w.id AND fb.branch_id = @BranchId))
        AND (@Level IS NULL OR w.level = @Level)
        AND (@DepartmentId IS NULL OR (w.level = 'city' AND w.township_id = @DepartmentId))
        AND (@InstitutionId IS NULL OR (w.level = 'city' AND EXISTS (SELECT 1 FROM assignments fi WHERE fi.whistle_id = w.id AND fi.agency_code = @InstitutionId)))
        AND (@UnitId IS NULL OR (w.level = 'city' AND EXISTS (SELECT 1 FROM assignments fu WHERE fu.whistle_id = w.id AND fu.branch_id = @UnitId)))
        AND (@RelationId IS NULL OR w.relation_id = @RelationId)
        AND (@From IS NULL OR w.raised_at >= @From)
        AND (@To IS NULL OR w.raised_at < @To)
        AND (@Q IS NULL OR w.id = @QExact OR w.title LIKE @Q ESCAPE '\' OR w.address LIKE @Q ESCAPE '\' OR w.description LIKE @Q ESCAPE '\')
        AND (@Overdue = 0 OR (w.status NOT IN ('closed', 'cancelled') AND EXISTS (
            SELECT 1 FROM assignments fo WHERE fo.whistle_id = w.id
              AND ((fo.status = 'dispatched' AND fo.report_by < @Now) OR (fo.status = 'reported' AND fo.resolve_by < @Now)))))
        """;

    private const string CountWhistlesSql = $"SELECT COUNT(*) FROM whistles w WHERE {Visibility.WhistleCondition} AND {WhistleStatusFilter} AND {WhistleFilters};";

    private const string ListWhistlesSql = $"""
        SELECT {WhistleRows.WhistleColumns} FROM whistles w
        WHERE {Visibility.WhistleCondition} AND {WhistleStatusFilter} AND {WhistleFilters}
        ORDER BY w.raised_at DESC, w.id DESC
        """;

    private static string ListWhistlesPageSql(SqlDialect dialect) => dialect.Page(ListWhistlesSql) + ";";

    private const string TimelineSql = """
        SELECT sequence, type, occurred_at AS OccurredAt, actor_user AS ActorUser, actor_name AS ActorName, actor_org AS ActorOrg,
               assignment_id AS AssignmentId, note, note_code AS NoteCode, note_params AS NoteParams
        FROM timeline WHERE whistle_id = @WhistleId ORDER BY sequence;
        """;

    private const string InboxStatusFilter = """
        (@Filter = 'all'
         OR (@Filter = 'open' AND a.status IN ('dispatched', 'reported') AND w.status NOT IN ('closed', 'cancelled'))
         OR (@Filter = 'closed' AND (a.status IN ('resolved', 'declined', 'reassigned') OR w.status IN ('closed', 'cancelled'))))
        """;

    private const string CountInboxSql = $"SELECT COUNT(*) FROM assignments a JOIN whistles w ON w.id = a.whistle_id WHERE {Visibility.AssignmentCondition} AND {InboxStatusFilter};";

    private const string InboxSql = $"""
        SELECT {WhistleRows.AssignmentColumns}, w.id AS WId, w.title AS WTitle, w.status AS WStatus, w.township_id AS WTownshipId,
               w.matter_code AS WMatterCode, w.urgency AS WUrgency, w.address AS WAddress, w.description AS WDescription, w.level AS WLevel, w.relation_id AS WRelationId
        FROM assignments a JOIN whistles w ON w.id = a.whistle_id
        WHERE {Visibility.AssignmentCondition} AND {InboxStatusFilter}
        ORDER BY a.dispatched_at DESC, a.id DESC
        """;

    private static string InboxPageSql(SqlDialect dialect) => dialect.Page(InboxSql) + ";";

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
        public string? NoteCode { get; init; }
        public string? NoteParams { get; init; }
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
        public string WLevel { get; init; } = "";
        public string? WRelationId { get; init; }
    }

    // A whistle whole — its row, duties, photos and timeline — in one round trip (issue 15: every command answers with it).
    private const string WholeWhistleSql =
        WhistleRows.SelectWhistleSql + "\n" + WhistleRows.SelectAssignmentsSql + "\n" + AttachmentStore.OfWhistleSql + "\n" + TimelineSql;

    public async Task<WhistleDto?> GetAsync(Caller user, string id, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                await using var grid = await c.QueryMultipleAsync(WholeWhistleSql, new { Id = id, WhistleId = id });
                var whistle = await grid.ReadSingleOrDefaultAsync<WhistleRow>();
                var assignments = (await grid.ReadAsync<AssignmentRow>()).ToList();
                var attachments = (await grid.ReadAsync<AttachmentRow>()).ToList();
                var rows = (await grid.ReadAsync<TimelineRow>()).ToList();
                if (whistle is null || !Visibility.CanSee(user, whistle, assignments)) return null;
                var added = attachments.Where(a => a.AddedSequence is not null).ToLookup(a => a.AddedSequence!.Value, a => a.Id);
                var timeline = rows
                    .Select(t => new TimelineEntryDto(
                        t.Sequence, t.Type, t.OccurredAt, new EventActor(t.ActorUser, t.ActorName, t.ActorOrg), t.AssignmentId, t.Note,
                        t.NoteCode, t.NoteParams is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(t.NoteParams),
                        added.Contains(t.Sequence) ? added[t.Sequence].ToList() : null))
                    .ToList();
                return WhistleDto.From(whistle, assignments, timeline, attachments);
            },
            ct);

    /// <summary>A text searched for as itself: LIKE's wildcards and the escape character are escaped.</summary>
    public static string LikeEscaped(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
        .Replace("_", "\\_", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal);

    public async Task<PageDto<WhistleDto>> ListAsync(Caller user, string filter, int page, int pageSize, CancellationToken ct) =>
        await ListAsync(user, filter, WhistleFilter.None, page, pageSize, ct);

    public async Task<PageDto<WhistleDto>> ListAsync(Caller user, string filter, WhistleFilter where, int page, int pageSize, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var q = string.IsNullOrWhiteSpace(where.Q) ? null : where.Q.Trim();
                var args = new
                {
                    user.Role,
                    Org = user.OrgId,
                    Filter = filter,
                    Skip = (page - 1) * pageSize,
                    Take = pageSize,
                    where.TownshipId,
                    where.AgencyCode,
                    where.BranchId,
                    where.Level,
                    where.DepartmentId,
                    where.InstitutionId,
                    where.UnitId,
                    where.RelationId,
                    where.From,
                    where.To,
                    Q = q is null ? null : $"%{LikeEscaped(q)}%",
                    QExact = q,
                    Overdue = where.Overdue ? 1 : 0,
                    Now = time.GetUtcNow(),
                };
                var total = await c.ExecuteScalarAsync<int>(CountWhistlesSql, args);
                var whistles = (await c.QueryAsync<WhistleRow>(database.Dialect.Sql(ListWhistlesPageSql), args)).ToList();
                var assignments = await WhistleRows.GetAssignmentsOfAsync(c, database.Dialect, whistles.Select(w => w.Id).ToList());
                var attachments = await AttachmentStore.OfWhistlesAsync(c, database.Dialect, whistles.Select(w => w.Id).ToList());
                return new PageDto<WhistleDto>(whistles.Select(w => WhistleDto.From(w, assignments[w.Id], null, attachments[w.Id])).ToList(), page, pageSize, total);
            },
            ct);

    public async Task<PageDto<InboxItemDto>> InboxAsync(Caller user, string filter, int page, int pageSize, CancellationToken ct) =>
        await database.ReadAsync(
            async c =>
            {
                var args = new { user.Role, Org = user.OrgId, Filter = filter, Skip = (page - 1) * pageSize, Take = pageSize };
                var total = await c.ExecuteScalarAsync<int>(CountInboxSql, args);
                var items = (await c.QueryAsync<AssignmentRow, InboxWhistleRow, InboxItemDto>(
                    database.Dialect.Sql(InboxPageSql),
                    (r, w) => new InboxItemDto(
                        r.Id, r.WhistleId, r.AgencyCode, r.BranchId, r.Role, r.Status, r.DispatchedAt, r.ReportedAt, r.ResolvedAt, r.DeclinedAt,
                        r.ReportBy, r.ResolveBy, r.EtaMinutes, r.Note, r.DeclineReason, r.Rating, r.RatingComment,
                        new InboxWhistleDto(w.WId, w.WTitle, w.WStatus, w.WTownshipId, w.WMatterCode, w.WUrgency, w.WAddress, w.WDescription, w.WLevel, w.WRelationId),
                        r.ReminderCount, r.EscalationCount, r.LastEscalatedAt, r.PreviousAssignmentId, r.ReassignedAt, r.ExpectedOn),
                    args,
                    splitOn: "WId")).ToList();
                // The inbox card shows the whistle's photos: one read for the page.
                var attachments = await AttachmentStore.OfWhistlesAsync(c, database.Dialect, items.Select(i => i.WhistleId).Distinct().ToList());
                items = items.Select(i => i with { Attachments = attachments[i.WhistleId].Select(AttachmentDto.From).ToList() }).ToList();
                return new PageDto<InboxItemDto>(items, page, pageSize, total);
            },
            ct);

    /// <summary>The events after <paramref name="afterSequence"/> that the caller's group may see, oldest first, up to the timeline's horizon.</summary>
    public Task<IReadOnlyList<WhistleEvent>> CatchUpAsync(Caller user, long afterSequence, CancellationToken ct) =>
        timeline.CatchUpAsync(user.Group, afterSequence, ct);
}
