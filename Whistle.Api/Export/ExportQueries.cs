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
    public string TownshipId { get; init; } = "";
    public string MatterCode { get; init; } = "";
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
        SELECT w.id, w.raised_at AS RaisedAt, w.township_id AS TownshipId, w.matter_code AS MatterCode, w.urgency, w.status,
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
