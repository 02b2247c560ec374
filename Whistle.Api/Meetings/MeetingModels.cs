using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Meetings;

namespace Whistle.Api.Meetings;

public sealed record SummonsDto(
    string Id, string AgencyCode, string? BranchId, string UnitName, string Status, string? Attendee, string? Reason,
    DateTimeOffset? RespondedAt, bool? ConfirmedOnTime, string? Attendance, DateTimeOffset? CheckedInAt, string ParticipantKind = ParticipantKind.Unit, string? UnitNameEn = null);

public sealed record DecisionDto(string Id, string Text, string AgencyCode, string? BranchId, DateTimeOffset DueAt, string WhistleId, string AssignmentId, string? RelationId = null);

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
    IReadOnlyList<DecisionDto> Decisions,
    IReadOnlyList<AttachmentDto> Attachments,
    string ConvenerKind = ConvenerKind.Township,
    string? ConvenerName = null,
    string? ConvenerNameEn = null);
