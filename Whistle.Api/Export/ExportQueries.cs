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
/// The read side of the exports: the whistles raised in a period and the timeline events of a period, as far as the
/// caller sees them (<see cref="Visibility"/>: a supervisor the county), streamed — one connection, an unbuffered query,
/// each row handed on before the next is read (no retry midway: a retry would repeat rows).
/// </summary>
public sealed class ExportQueries(WhistleDatabase database)
{
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
        ORDER BY a.dispatched_at, a.id;
        """;

    // The events pushed to the caller's group (the supervisors': every event), as catch-up reads them.
    private const string TimelineSql = """
        SELECT t.sequence, t.occurred_at AS OccurredAt, t.whistle_id AS WhistleId, t.assignment_id AS AssignmentId, t.type,
               t.actor_user AS ActorUser, t.actor_name AS ActorName, t.actor_org AS ActorOrg, t.note
        FROM timeline t JOIN timeline_audience g ON g.sequence = t.sequence AND g.group_name = @Group
        WHERE t.occurred_at >= @From AND t.occurred_at < @To
        ORDER BY t.sequence;
        """;

    // The files of the whistles raised in the period that the caller sees (a supervisor: the county's), linked and not deleted.
    private const string AttachmentsSql = $"""
        SELECT {AttachmentRow.Columns}
        FROM attachments x JOIN whistles w ON w.id = x.whistle_id
        WHERE w.raised_at >= @From AND w.raised_at < @To AND {Visibility.WhistleCondition}
          AND x.linked_at IS NOT NULL AND x.deleted_at IS NULL AND x.media_kind <> 'link'
        ORDER BY w.raised_at, w.id, x.uploaded_at, x.id;
        """;

    public IAsyncEnumerable<AttachmentRow> AttachmentsAsync(Caller caller, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        StreamAsync<AttachmentRow>(AttachmentsSql, new { From = from, To = to, caller.Role, Org = caller.OrgId }, ct);

    public IAsyncEnumerable<WhistleExportRow> WhistlesAsync(Caller caller, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        StreamAsync<WhistleExportRow>(WhistlesSql, new { From = from, To = to, caller.Role, Org = caller.OrgId }, ct);

    public IAsyncEnumerable<AssignmentExportRow> AssignmentsAsync(Caller caller, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        StreamAsync<AssignmentExportRow>(AssignmentsSql, new { From = from, To = to, caller.Role, Org = caller.OrgId }, ct);

    public IAsyncEnumerable<TimelineExportRow> TimelineAsync(Caller caller, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        StreamAsync<TimelineExportRow>(TimelineSql, new { From = from, To = to, caller.Group }, ct);

    private async IAsyncEnumerable<T> StreamAsync<T>(string sql, object args, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await foreach (var row in connection.QueryUnbufferedAsync<T>(sql, args).WithCancellation(ct))
        {
            yield return row;
        }
    }
}
