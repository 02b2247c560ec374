using System.Data.Common;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Storage;

namespace Whistle.Core.Meetings;

public static class MeetingKind
{
    public const string Regular = "regular";
    public const string AdHoc = "ad-hoc";
    public const string OnSite = "on-site";
    public static readonly IReadOnlyList<string> All = [Regular, AdHoc, OnSite];
}

/// <summary>Who convened a meeting (what <c>meetings.township_id</c> names): a township (none: the supervisors), a department or an institution (issue 17).</summary>
public static class ConvenerKind
{
    public const string Township = "township";
    public const string Department = "department";
    public const string Institution = "institution";
}

/// <summary>What a summons' <c>agency_code</c> names: a county unit (an agency; <c>branch_id</c> its branch), a department or an institution.</summary>
public static class ParticipantKind
{
    public const string Unit = "unit";
    public const string Department = "department";
    public const string Institution = "institution";
}

public static class MeetingStatus
{
    public const string Scheduled = "scheduled";
    public const string Held = "held";
    public const string Cancelled = "cancelled";
}

public static class SummonsStatus
{
    public const string Summoned = "summoned";
    public const string Confirmed = "confirmed";
    public const string Declined = "declined";
}

public static class Attendance
{
    public const string Present = "present";
    public const string Late = "late";
    public const string Absent = "absent";
    public static readonly IReadOnlyList<string> All = [Present, Late, Absent];
}

public sealed record RecurrenceRequest(string? Every, int Count);

public sealed record ScheduleMeetingRequest(
    string? Kind,
    string? Title,
    string? Agenda,
    string? Place,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    DateTimeOffset? ConfirmBy,
    string? WhistleId,
    string? TownshipId,
    IReadOnlyList<string>? AgencyCodes,
    IReadOnlyList<string>? BranchIds,
    RecurrenceRequest? Recurrence,
    IReadOnlyList<string>? DepartmentIds = null,
    IReadOnlyList<string>? InstitutionIds = null);

public sealed record ConfirmSummonsRequest(string? Attendee);

public sealed record DeclineSummonsRequest(string? Reason);

public sealed record AttendanceEntry(string? SummonsId, string? Attendance, DateTimeOffset? CheckedInAt);

public sealed record RecordAttendanceRequest(IReadOnlyList<AttendanceEntry>? Entries);

/// <summary>A decision: at a township's meeting the responsible unit (agency, branch); at a joint meeting the relation (and the institution's office) it becomes a work request on.</summary>
public sealed record DecisionRequest(string? Text, string? AgencyCode, string? BranchId, DateTimeOffset? DueAt, string? RelationId = null, string? UnitId = null);

/// <summary><paramref name="AttachmentIds"/>: the organizer's uploads for this meeting (<c>POST /api/attachments?meetingId=</c>), kept with the minutes.</summary>
public sealed record RecordMinutesRequest(string? Minutes, IReadOnlyList<DecisionRequest>? Decisions, IReadOnlyList<string>? AttachmentIds = null);

public sealed record MeetingRow
{
    public string Id { get; init; } = "";
    public string? TownshipId { get; init; }
    public string ConvenerKind { get; init; } = Meetings.ConvenerKind.Township;
    public string Kind { get; init; } = "";
    public string Title { get; init; } = "";
    public string Agenda { get; init; } = "";
    public string Place { get; init; } = "";
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public DateTimeOffset ConfirmBy { get; init; }
    public string? WhistleId { get; init; }
    public string? SeriesId { get; init; }
    public string Status { get; init; } = "";
    public string OrganizerUser { get; init; } = "";
    public string OrganizerName { get; init; } = "";
    public string OrganizerOrg { get; init; } = "";
    public string? Minutes { get; init; }
    public DateTimeOffset? MinutesAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public int Version { get; init; }

    public MeetingSnapshot ToSnapshot(SummonsRow? summons = null) =>
        new(Id, TownshipId, Kind, Title, Place, StartsAt, EndsAt, ConfirmBy, Status, WhistleId, summons?.ToSnapshot(), ConvenerKind);
}

public sealed record SummonsRow
{
    public string Id { get; init; } = "";
    public string MeetingId { get; init; } = "";
    public string AgencyCode { get; init; } = "";
    public string? BranchId { get; init; }
    public string ParticipantKind { get; init; } = Meetings.ParticipantKind.Unit;
    public string Status { get; init; } = "";
    public string? Attendee { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? RespondedAt { get; init; }
    public string? Attendance { get; init; }
    public DateTimeOffset? CheckedInAt { get; init; }
    public int Position { get; init; }

    public MeetingSummonsSnapshot ToSnapshot() => new(Id, AgencyCode, BranchId, Status, Attendee, Reason, RespondedAt, Attendance, CheckedInAt, ParticipantKind);
}

public sealed record DecisionRow
{
    public string Id { get; init; } = "";
    public string MeetingId { get; init; } = "";
    public string Text { get; init; } = "";
    public string AgencyCode { get; init; } = "";
    public string? BranchId { get; init; }
    public DateTimeOffset DueAt { get; init; }
    public string WhistleId { get; init; } = "";
    public string AssignmentId { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public string? RelationId { get; init; }
}

/// <summary>
/// The reads of meetings that the owner (<see cref="MeetingStore"/>) and the Api's queries share: the column lists,
/// a meeting with its summons (locked first inside a write), its decisions, and who organised it.
/// </summary>
public static class MeetingRows
{
    public const string MeetingColumns = """
        id, township_id AS TownshipId, convener_kind AS ConvenerKind, kind, title, agenda, place, starts_at AS StartsAt, ends_at AS EndsAt, confirm_by AS ConfirmBy,
        whistle_id AS WhistleId, series_id AS SeriesId, status, organizer_user AS OrganizerUser, organizer_name AS OrganizerName,
        organizer_org AS OrganizerOrg, minutes, minutes_at AS MinutesAt, created_at AS CreatedAt, version
        """;

    public const string SummonsColumns = """
        id, meeting_id AS MeetingId, agency_code AS AgencyCode, branch_id AS BranchId, participant_kind AS ParticipantKind, status, attendee, reason, responded_at AS RespondedAt,
        attendance, checked_in_at AS CheckedInAt, position
        """;

    private const string SelectMeetingSql = $"SELECT {MeetingColumns} FROM meetings WHERE id = @Id;";

    private const string SelectSummonsSql = $"SELECT {SummonsColumns} FROM meeting_summons WHERE meeting_id = @Id ORDER BY position;";

    private const string SelectDecisionsSql = """
        SELECT id, meeting_id AS MeetingId, text, agency_code AS AgencyCode, branch_id AS BranchId, due_at AS DueAt, whistle_id AS WhistleId,
               assignment_id AS AssignmentId, created_at AS CreatedAt, relation_id AS RelationId
        FROM meeting_decisions WHERE meeting_id = @Id ORDER BY created_at, id;
        """;

    // The first read of a meeting command locks the meeting row, so two commands on one meeting run one after the
    // other (SQLite has one writer anyway).
    private static string SelectMeetingForUpdateSql(SqlDialect dialect) => dialect.SelectForUpdate(MeetingColumns, "meetings", "id = @Id") + ";";

    private static string SummonsOfSql(SqlDialect dialect) => $"SELECT {SummonsColumns} FROM meeting_summons WHERE {dialect.InList("meeting_id", "@Ids")} ORDER BY position;";

    public static async Task<(MeetingRow? Meeting, IReadOnlyList<SummonsRow> Summons)> LoadAsync(DbConnection connection, string id, DbTransaction? transaction = null)
    {
        var meeting = await connection.QuerySingleOrDefaultAsync<MeetingRow>(SelectMeetingSql, new { Id = id }, transaction);
        var summons = meeting is null ? [] : (await connection.QueryAsync<SummonsRow>(SelectSummonsSql, new { Id = id }, transaction)).ToList();
        return (meeting, summons);
    }

    /// <summary>The meeting and its summons inside a write, the meeting row locked first.</summary>
    public static async Task<(MeetingRow? Meeting, IReadOnlyList<SummonsRow> Summons)> LoadForUpdateAsync(UnitOfWork unit, string id)
    {
        var meeting = await unit.Connection.QuerySingleOrDefaultAsync<MeetingRow>(unit.Dialect.Sql(SelectMeetingForUpdateSql), new { Id = id }, unit.Transaction);
        var summons = meeting is null ? [] : (await unit.Connection.QueryAsync<SummonsRow>(SelectSummonsSql, new { Id = id }, unit.Transaction)).ToList();
        return (meeting, summons);
    }

    public static async Task<IReadOnlyList<DecisionRow>> GetDecisionsAsync(DbConnection connection, string meetingId) =>
        (await connection.QueryAsync<DecisionRow>(SelectDecisionsSql, new { Id = meetingId })).ToList();

    /// <summary>The summons of several meetings, by meeting (the list's second query).</summary>
    public static async Task<ILookup<string, SummonsRow>> GetSummonsOfAsync(DbConnection connection, SqlDialect dialect, IReadOnlyCollection<string> meetingIds) =>
        (await dialect.QueryListAsync<SummonsRow>(connection, dialect.Sql(SummonsOfSql), meetingIds, ids => new { Ids = ids })).ToLookup(s => s.MeetingId);

    /// <summary>The township that called it (a county-wide meeting: the supervisors); a joint meeting's convening department or institution.</summary>
    public static bool IsOrganizer(Caller caller, MeetingRow meeting) => meeting.ConvenerKind switch
    {
        ConvenerKind.Department => caller.Role == Roles.Department && caller.OrgId == meeting.TownshipId,
        ConvenerKind.Institution => caller.Role == Roles.Institution && caller.OrgId == meeting.TownshipId,
        _ => meeting.TownshipId is null ? caller.Role == Roles.Supervisor : caller.Role == Roles.Township && caller.OrgId == meeting.TownshipId,
    };
}
