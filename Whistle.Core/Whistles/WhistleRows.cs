using System.Data.Common;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Storage;

namespace Whistle.Core.Whistles;

/// <summary>A whistles row. Property-mapped, so Dapper converts SQLite's and SQL Server's column types alike.</summary>
public sealed record WhistleRow
{
    public string Id { get; init; } = "";
    public string TownshipId { get; init; } = "";
    public string MatterCode { get; init; } = "";
    public string Urgency { get; init; } = "";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public string Address { get; init; } = "";
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public string Status { get; init; } = "";
    public string RaisedByUser { get; init; } = "";
    public string RaisedByName { get; init; } = "";
    public DateTimeOffset RaisedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public int Version { get; init; }

    /// <summary>The meeting whose decision this whistle is (null for a whistle a township raised).</summary>
    public string? MeetingId { get; init; }

    /// <summary>
    /// <c>township</c>: a township's whistle (<see cref="TownshipId"/> the township, <see cref="MatterCode"/> the matter);
    /// <c>city</c>: a department's work request (issue 17: <see cref="TownshipId"/> holds the requesting department,
    /// <see cref="MatterCode"/> the work item, <see cref="RelationId"/> the relation). One engine serves both.
    /// </summary>
    public string Level { get; init; } = WhistleLevel.Township;

    /// <summary>The relation a work request was raised along (null for a township's whistle).</summary>
    public string? RelationId { get; init; }

    public bool IsCity => Level == WhistleLevel.City;

    public WhistleSummary ToSummary() => new(Id, Title, Status, TownshipId, MatterCode, Urgency, Level);
}

/// <summary>An assignments row.</summary>
public sealed record AssignmentRow
{
    public string Id { get; init; } = "";
    public string WhistleId { get; init; } = "";
    public string AgencyCode { get; init; } = "";
    public string? BranchId { get; init; }
    public string Role { get; init; } = "";
    public string Status { get; init; } = "";
    public DateTimeOffset DispatchedAt { get; init; }
    public DateTimeOffset ReportBy { get; init; }
    public DateTimeOffset ResolveBy { get; init; }
    public DateTimeOffset? ReportedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset? DeclinedAt { get; init; }
    public int? EtaMinutes { get; init; }
    public string? Note { get; init; }
    public string? DeclineReason { get; init; }
    public string? Rating { get; init; }
    public string? RatingComment { get; init; }
    public int Position { get; init; }
    public DateTimeOffset? NextStepAt { get; init; }
    public string? NextStepKind { get; init; }
    public int? NextStepLevel { get; init; }
    public int ReminderCount { get; init; }
    public int EscalationCount { get; init; }
    public DateTimeOffset? LastEscalatedAt { get; init; }
    public string? PreviousAssignmentId { get; init; }
    public DateTimeOffset? ReassignedAt { get; init; }

    /// <summary>The day (YYYY-MM-DD, Asia/Shanghai) the unit said it expects to be done, for work due in days (a meeting's decision).</summary>
    public string? ExpectedOn { get; init; }

    public AssignmentClock Clock => new(Status, DispatchedAt, ReportBy, ResolveBy);

    public AssignmentSnapshot ToSnapshot() => new(
        Id, WhistleId, AgencyCode, BranchId, Role, Status, DispatchedAt, ReportedAt, ResolvedAt, DeclinedAt,
        ReportBy, ResolveBy, EtaMinutes, Note, DeclineReason, Rating, RatingComment,
        ReminderCount, EscalationCount, LastEscalatedAt, PreviousAssignmentId, ReassignedAt, ExpectedOn);
}

/// <summary>
/// The reads of whistles and assignments that every side shares (the Api's queries, the aggregate owner, the
/// dispatcher): the column lists and the rows by id. Every write is <see cref="WhistleStore"/>'s.
/// </summary>
public static class WhistleRows
{
    public const string WhistleColumns = """
        w.id, w.township_id AS TownshipId, w.matter_code AS MatterCode, w.urgency, w.title, w.description, w.address,
        w.latitude, w.longitude, w.status, w.raised_by_user AS RaisedByUser, w.raised_by_name AS RaisedByName,
        w.raised_at AS RaisedAt, w.updated_at AS UpdatedAt, w.version, w.meeting_id AS MeetingId, w.level, w.relation_id AS RelationId
        """;

    public const string AssignmentColumns = """
        a.id, a.whistle_id AS WhistleId, a.agency_code AS AgencyCode, a.branch_id AS BranchId, a.role, a.status,
        a.dispatched_at AS DispatchedAt, a.report_by AS ReportBy, a.resolve_by AS ResolveBy, a.reported_at AS ReportedAt,
        a.resolved_at AS ResolvedAt, a.declined_at AS DeclinedAt, a.eta_minutes AS EtaMinutes, a.note,
        a.decline_reason AS DeclineReason, a.rating, a.rating_comment AS RatingComment, a.position,
        a.next_step_at AS NextStepAt, a.next_step_kind AS NextStepKind, a.next_step_level AS NextStepLevel,
        a.reminder_count AS ReminderCount, a.escalation_count AS EscalationCount, a.last_escalated_at AS LastEscalatedAt,
        a.previous_assignment_id AS PreviousAssignmentId, a.reassigned_at AS ReassignedAt, a.expected_on AS ExpectedOn
        """;

    public const string SelectWhistleSql = $"SELECT {WhistleColumns} FROM whistles w WHERE w.id = @Id;";

    public const string SelectAssignmentsSql = $"SELECT {AssignmentColumns} FROM assignments a WHERE a.whistle_id = @WhistleId ORDER BY a.position, a.id;";

    private const string SelectAssignmentSql = $"SELECT {AssignmentColumns} FROM assignments a WHERE a.id = @Id;";

    private static string AssignmentsOfSql(SqlDialect dialect) =>
        $"SELECT {AssignmentColumns} FROM assignments a WHERE {dialect.InList("a.whistle_id", "@Ids")} ORDER BY a.position, a.id;";

    public static Task<WhistleRow?> GetWhistleAsync(DbConnection connection, string id, DbTransaction? transaction = null) =>
        connection.QuerySingleOrDefaultAsync<WhistleRow>(SelectWhistleSql, new { Id = id }, transaction);

    public static async Task<IReadOnlyList<AssignmentRow>> GetAssignmentsAsync(DbConnection connection, string whistleId, DbTransaction? transaction = null) =>
        (await connection.QueryAsync<AssignmentRow>(SelectAssignmentsSql, new { WhistleId = whistleId }, transaction)).ToList();

    public static Task<AssignmentRow?> GetAssignmentAsync(DbConnection connection, string id, DbTransaction? transaction = null) =>
        connection.QuerySingleOrDefaultAsync<AssignmentRow>(SelectAssignmentSql, new { Id = id }, transaction);

    /// <summary>The assignments of several whistles, by whistle (the lists' second query; one statement per chunk of ids, <see cref="SqlDialect.QueryListAsync{TRow}"/>).</summary>
    public static async Task<ILookup<string, AssignmentRow>> GetAssignmentsOfAsync(DbConnection connection, SqlDialect dialect, IReadOnlyCollection<string> whistleIds) =>
        (await dialect.QueryListAsync<AssignmentRow>(connection, dialect.Sql(AssignmentsOfSql), whistleIds, ids => new { Ids = ids })).ToLookup(a => a.WhistleId);
}
