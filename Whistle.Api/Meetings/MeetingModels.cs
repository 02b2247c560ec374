using Whistle.Contracts;

namespace Whistle.Api.Meetings;

public static class MeetingKind
{
    public const string Regular = "regular";
    public const string AdHoc = "ad-hoc";
    public const string OnSite = "on-site";
    public static readonly IReadOnlyList<string> All = [Regular, AdHoc, OnSite];
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
    RecurrenceRequest? Recurrence);

public sealed record ConfirmSummonsRequest(string? Attendee);

public sealed record DeclineSummonsRequest(string? Reason);

public sealed record AttendanceEntry(string? SummonsId, string? Attendance, DateTimeOffset? CheckedInAt);

public sealed record RecordAttendanceRequest(IReadOnlyList<AttendanceEntry>? Entries);

public sealed record DecisionRequest(string? Text, string? AgencyCode, string? BranchId, DateTimeOffset? DueAt);

public sealed record RecordMinutesRequest(string? Minutes, IReadOnlyList<DecisionRequest>? Decisions);

public sealed record MeetingRow
{
    public string Id { get; init; } = "";
    public string? TownshipId { get; init; }
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
        new(Id, TownshipId, Kind, Title, Place, StartsAt, EndsAt, ConfirmBy, Status, WhistleId, summons?.ToSnapshot());
}

public sealed record SummonsRow
{
    public string Id { get; init; } = "";
    public string MeetingId { get; init; } = "";
    public string AgencyCode { get; init; } = "";
    public string? BranchId { get; init; }
    public string Status { get; init; } = "";
    public string? Attendee { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? RespondedAt { get; init; }
    public string? Attendance { get; init; }
    public DateTimeOffset? CheckedInAt { get; init; }
    public int Position { get; init; }

    public MeetingSummonsSnapshot ToSnapshot() => new(Id, AgencyCode, BranchId, Status, Attendee, Reason, RespondedAt, Attendance, CheckedInAt);
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
}

public sealed record SummonsDto(
    string Id, string AgencyCode, string? BranchId, string UnitName, string Status, string? Attendee, string? Reason,
    DateTimeOffset? RespondedAt, bool? ConfirmedOnTime, string? Attendance, DateTimeOffset? CheckedInAt);

public sealed record DecisionDto(string Id, string Text, string AgencyCode, string? BranchId, DateTimeOffset DueAt, string WhistleId, string AssignmentId);

public sealed record MeetingDto(
    string Id,
    string? TownshipId,
    string Kind,
    string Title,
    string Agenda,
    string Place,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    DateTimeOffset ConfirmBy,
    string? WhistleId,
    string? SeriesId,
    string Status,
    EventActor Organizer,
    string? Minutes,
    DateTimeOffset? MinutesAt,
    IReadOnlyList<SummonsDto> Summons,
    IReadOnlyList<DecisionDto> Decisions);
