using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Storage;

namespace Whistle.Api.Export;

/// <summary>One whistle as exported: a row of the whistles table, with its assignments counted by state.</summary>
public sealed record WhistleExportRow
{
    public string Id { get; init; } = "";
    public DateTimeOffset RaisedAt { get; init; }

    /// <summary><c>township</c> (a whistle) or <c>city</c> (a work request, issue 17).</summary>
    public string Level { get; init; } = WhistleLevel.Township;

    /// <summary>The raising township (a whistle); null for a work request.</summary>
    public string? TownshipId { get; init; }

    /// <summary>The requesting department (a work request); null for a whistle.</summary>
    public string? DepartmentId { get; init; }

    /// <summary>The matter of the whistle list (a whistle); null for a work request.</summary>
    public string? MatterCode { get; init; }

    /// <summary>The work item of the relation's list (a work request); null for a whistle.</summary>
    public string? WorkItemCode { get; init; }

    /// <summary>The relation a work request was raised along; null for a whistle.</summary>
    public string? RelationId { get; init; }
    public string Urgency { get; init; } = "";
    public string Status { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Description { get; init; }
    public string Address { get; init; } = "";
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public string RaisedByUser { get; init; } = "";
    public string RaisedByName { get; init; } = "";
    public DateTimeOffset UpdatedAt { get; init; }
    public int Assignments { get; init; }
    public int Reported { get; init; }
    public int Resolved { get; init; }
    public int Declined { get; init; }
    public int Attachments { get; init; }
}

/// <summary>
/// One duty as exported (issue 17): an assignment with its whistle's level and requesting side, the unit it is routed
/// to (a county agency and its branch, or a city institution and its office or linked branch), and its clock.
/// </summary>
public sealed record AssignmentExportRow
{
    public string Id { get; init; } = "";
    public string WhistleId { get; init; } = "";
    public string Level { get; init; } = WhistleLevel.Township;
    public string? TownshipId { get; init; }
    public string? DepartmentId { get; init; }
    public string? MatterCode { get; init; }
    public string? WorkItemCode { get; init; }
    public string? RelationId { get; init; }
    public string? AgencyCode { get; init; }
    public string? BranchId { get; init; }
    public string? InstitutionId { get; init; }
    public string? UnitId { get; init; }
    public string Role { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTimeOffset DispatchedAt { get; init; }
    public DateTimeOffset ReportBy { get; init; }
    public DateTimeOffset ResolveBy { get; init; }
    public DateTimeOffset? ReportedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset? DeclinedAt { get; init; }
    public DateTimeOffset? ReassignedAt { get; init; }
    public string? Rating { get; init; }
    public int ReminderCount { get; init; }
    public int EscalationCount { get; init; }
}

/// <summary>One timeline event as exported (the event's full payload stays in the database).</summary>
public sealed record TimelineExportRow
{
    public long Sequence { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    public string WhistleId { get; init; } = "";
    public string? AssignmentId { get; init; }
    public string Type { get; init; } = "";
    public string ActorUser { get; init; } = "";
    public string ActorName { get; init; } = "";
    public string ActorOrg { get; init; } = "";
    public string? Note { get; init; }
}

/// <summary>
/// The read side of the exports: the whistles raised in a period, the duties dispatched in it, its timeline events and
/// its files, as far as the caller sees them (<see cref="Visibility"/>: a supervisor the county), handed on row by row
/// and read a page at a time: each page is one short read after the last row of the page before (keyset, on the
/// export's own order), so no connection is held while the rows are written to a slow download or while a file's
/// bytes are read (the photo export would otherwise hold two at once and, sixteen at once, exhaust a pool of sixteen),
/// and a page that meets a transient failure is read again without repeating rows. A row written after the export
/// began is in it if it sorts after the page being read (a new whistle, raised now, does).
/// </summary>
public sealed class ExportQueries(WhistleDatabase database)
{
    /// <summary>Rows read at once; each is handed on before the next page is read.</summary>
    public const int DefaultPageSize = 500;

    /// <summary>Rows a page reads (<see cref="DefaultPageSize"/>; a spec makes it small to cross pages).</summary>
    public int PageSize { get; init; } = DefaultPageSize;

    private const string WhistlesSql = $"""
        SELECT w.id, w.raised_at AS RaisedAt, w.level AS Level,
               CASE WHEN w.level = 'city' THEN NULL ELSE w.township_id END AS TownshipId,
               CASE WHEN w.level = 'city' THEN w.township_id END AS DepartmentId,
               CASE WHEN w.level = 'city' THEN NULL ELSE w.matter_code END AS MatterCode,
               CASE WHEN w.level = 'city' THEN w.matter_code END AS WorkItemCode,
               w.relation_id AS RelationId, w.urgency, w.status,
               w.title, w.description, w.address, w.latitude, w.longitude, w.raised_by_user AS RaisedByUser,
               w.raised_by_name AS RaisedByName, w.updated_at AS UpdatedAt,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id) AS Assignments,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id AND a.reported_at IS NOT NULL) AS Reported,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id AND a.status = 'resolved') AS Resolved,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id AND a.status = 'declined') AS Declined,
               (SELECT COUNT(*) FROM attachments x WHERE x.whistle_id = w.id AND x.linked_at IS NOT NULL AND x.deleted_at IS NULL) AS Attachments
        FROM whistles w
        WHERE w.raised_at >= @From AND w.raised_at < @To AND {Visibility.WhistleCondition}
          AND (w.raised_at > @AfterAt OR (w.raised_at = @AfterAt AND w.id > @AfterId))
        ORDER BY w.raised_at, w.id;
        """;

    // The duties dispatched in the period that the caller sees (a supervisor: every one), oldest first.
    private const string AssignmentsSql = $"""
        SELECT a.id, a.whistle_id AS WhistleId, w.level AS Level,
               CASE WHEN w.level = 'city' THEN NULL ELSE w.township_id END AS TownshipId,
               CASE WHEN w.level = 'city' THEN w.township_id END AS DepartmentId,
               CASE WHEN w.level = 'city' THEN NULL ELSE w.matter_code END AS MatterCode,
               CASE WHEN w.level = 'city' THEN w.matter_code END AS WorkItemCode,
               w.relation_id AS RelationId,
               CASE WHEN w.level = 'city' THEN NULL ELSE a.agency_code END AS AgencyCode,
               CASE WHEN w.level = 'city' THEN NULL ELSE a.branch_id END AS BranchId,
               CASE WHEN w.level = 'city' THEN a.agency_code END AS InstitutionId,
               CASE WHEN w.level = 'city' THEN a.branch_id END AS UnitId,
               a.role, a.status, a.dispatched_at AS DispatchedAt, a.report_by AS ReportBy, a.resolve_by AS ResolveBy,
               a.reported_at AS ReportedAt, a.resolved_at AS ResolvedAt, a.declined_at AS DeclinedAt, a.reassigned_at AS ReassignedAt,
               a.rating, a.reminder_count AS ReminderCount, a.escalation_count AS EscalationCount
        FROM assignments a JOIN whistles w ON w.id = a.whistle_id
        WHERE a.dispatched_at >= @From AND a.dispatched_at < @To AND {Visibility.AssignmentCondition}
          AND (a.dispatched_at > @AfterAt OR (a.dispatched_at = @AfterAt AND a.id > @AfterId))
        ORDER BY a.dispatched_at, a.id;
        """;

    // The events pushed to the caller's group (the supervisors': every event), as catch-up reads them.
    private const string TimelineSql = """
        SELECT t.sequence, t.occurred_at AS OccurredAt, t.whistle_id AS WhistleId, t.assignment_id AS AssignmentId, t.type,
               t.actor_user AS ActorUser, t.actor_name AS ActorName, t.actor_org AS ActorOrg, t.note
        FROM timeline t JOIN timeline_audience g ON g.sequence = t.sequence AND g.group_name = @Group
        WHERE t.occurred_at >= @From AND t.occurred_at < @To AND t.sequence > @After
        ORDER BY t.sequence;
        """;

    // The files of the whistles raised in the period that the caller sees (a supervisor: the county's), linked and not deleted.
    // The whistle's raise time comes last, split off for the keyset (KeyedAttachment).
    private const string AttachmentsSql = $"""
        SELECT {AttachmentRow.Columns}, w.raised_at AS WhistleRaisedAt
        FROM attachments x JOIN whistles w ON w.id = x.whistle_id
        WHERE w.raised_at >= @From AND w.raised_at < @To AND {Visibility.WhistleCondition}
          AND x.linked_at IS NOT NULL AND x.deleted_at IS NULL AND x.media_kind <> 'link'
          AND (w.raised_at > @AfterAt OR (w.raised_at = @AfterAt AND (w.id > @AfterWhistle OR (w.id = @AfterWhistle
               AND (x.uploaded_at > @AfterUploadedAt OR (x.uploaded_at = @AfterUploadedAt AND x.id > @AfterId))))))
        ORDER BY w.raised_at, w.id, x.uploaded_at, x.id;
        """;

    // Each page starts after the last row of the page before; the first after (From, "") — every row of the period.
    public async IAsyncEnumerable<AttachmentRow> AttachmentsAsync(
        Caller caller, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken ct)
    {
        var pages = PagesAsync<KeyedAttachment>(
            static d => d.Limit(AttachmentsSql) + ";",
            last => new
            {
                From = from, To = to, caller.Role, Org = caller.OrgId, AfterAt = last?.WhistleRaisedAt ?? from,
                AfterWhistle = last?.Row.WhistleId ?? "", AfterUploadedAt = last?.Row.UploadedAt ?? from, AfterId = last?.Row.Id ?? "",
                Take = PageSize,
            },
            static async (c, command) => (await c.QueryAsync<AttachmentRow, DateTimeOffset, KeyedAttachment>(
                command, static (row, raisedAt) => new KeyedAttachment(row, raisedAt), splitOn: nameof(KeyedAttachment.WhistleRaisedAt))).AsList(),
            ct);
        await foreach (var keyed in pages) yield return keyed.Row;
    }

    public IAsyncEnumerable<WhistleExportRow> WhistlesAsync(Caller caller, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        PagesAsync<WhistleExportRow>(
            static d => d.Limit(WhistlesSql) + ";",
            last => new { From = from, To = to, caller.Role, Org = caller.OrgId, AfterAt = last?.RaisedAt ?? from, AfterId = last?.Id ?? "", Take = PageSize },
            ct);

    public IAsyncEnumerable<AssignmentExportRow> AssignmentsAsync(Caller caller, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        PagesAsync<AssignmentExportRow>(
            static d => d.Limit(AssignmentsSql) + ";",
            last => new { From = from, To = to, caller.Role, Org = caller.OrgId, AfterAt = last?.DispatchedAt ?? from, AfterId = last?.Id ?? "", Take = PageSize },
            ct);

    public IAsyncEnumerable<TimelineExportRow> TimelineAsync(Caller caller, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        PagesAsync<TimelineExportRow>(
            static d => d.Limit(TimelineSql) + ";",
            last => new { From = from, To = to, caller.Group, After = last?.Sequence ?? 0L, Take = PageSize },
            ct);

    private IAsyncEnumerable<T> PagesAsync<T>(Func<SqlDialect, string> statement, Func<T?, object> keyset, CancellationToken ct)
        where T : class =>
        PagesAsync(statement, keyset, static async (c, command) => (await c.QueryAsync<T>(command)).AsList(), ct);

    // One page per read (a pooled connection for the read alone, retried as a whole on a transient failure); its rows are
    // handed on after the connection is back in the pool. The keyset's arguments carry the page's size as @Take.
    private async IAsyncEnumerable<T> PagesAsync<T>(
        Func<SqlDialect, string> statement, Func<T?, object> keyset, Func<DbConnection, CommandDefinition, Task<List<T>>> query,
        [EnumeratorCancellation] CancellationToken ct)
        where T : class
    {
        var sql = database.Dialect.Sql(statement);
        T? last = null;
        while (true)
        {
            var command = new CommandDefinition(sql, keyset(last), cancellationToken: ct);
            var page = await database.ReadAsync(c => query(c, command), ct);
            foreach (var row in page) yield return row;
            if (page.Count < PageSize) yield break;
            last = page[^1];
        }
    }

    /// <summary>An attachment with the raise time of its whistle (the export's first order), for the keyset.
    /// Dapper's multi-mapping reads the split column (the last) into the moment with the registered handler.</summary>
    private sealed record KeyedAttachment(AttachmentRow Row, DateTimeOffset WhistleRaisedAt);
}
