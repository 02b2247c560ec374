using System.Text.Json;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Whistles;

namespace Whistle.Api.Whistles;

/// <summary>
/// A timeline entry: <c>note</c> as written (a person's words, or the server's Chinese text); a note the server wrote
/// itself also has <c>noteCode</c> and <c>noteParams</c> (<c>TimelineNotes</c>) for the client to say in its language.
/// <c>attachmentIds</c>: the files an <c>AttachmentAdded</c> entry added.
/// </summary>
public sealed record TimelineEntryDto(
    long Sequence, string Type, DateTimeOffset OccurredAt, EventActor Actor, string? AssignmentId, string? Note,
    string? NoteCode = null, IReadOnlyDictionary<string, JsonElement>? NoteParams = null, IReadOnlyList<string>? AttachmentIds = null);

public sealed record WhistleDto(
    string Id,
    string Title,
    string Description,
    string Address,
    double? Latitude,
    double? Longitude,
    string MatterCode,
    string Urgency,
    string Status,
    string TownshipId,
    EventActor RaisedBy,
    DateTimeOffset RaisedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<AssignmentSnapshot> Assignments,
    IReadOnlyList<TimelineEntryDto>? Timeline,
    IReadOnlyList<AttachmentDto> Attachments,
    string Level = "township",
    string? RelationId = null)
{
    public static WhistleDto From(WhistleRow w, IEnumerable<AssignmentRow> assignments, IReadOnlyList<TimelineEntryDto>? timeline, IEnumerable<AttachmentRow>? attachments = null) => new(
        w.Id, w.Title, w.Description, w.Address, w.Latitude, w.Longitude, w.MatterCode, w.Urgency, w.Status, w.TownshipId,
        new EventActor(w.RaisedByUser, w.RaisedByName, w.TownshipId), w.RaisedAt, w.UpdatedAt,
        assignments.Select(a => a.ToSnapshot()).ToList(), timeline, (attachments ?? []).Select(AttachmentDto.From).ToList(), w.Level, w.RelationId);
}

public sealed record PageDto<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

/// <summary><c>level</c>: <c>township</c> (a whistle) or <c>city</c> (a work request: <c>townshipId</c> is the requesting department, <c>matterCode</c> the work item).</summary>
public sealed record InboxWhistleDto(string Id, string Title, string Status, string TownshipId, string MatterCode, string Urgency, string Address, string Description, string Level = "township", string? RelationId = null);

public sealed record InboxItemDto(
    string Id,
    string WhistleId,
    string AgencyCode,
    string? BranchId,
    string Role,
    string Status,
    DateTimeOffset DispatchedAt,
    DateTimeOffset? ReportedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? DeclinedAt,
    DateTimeOffset ReportBy,
    DateTimeOffset ResolveBy,
    int? EtaMinutes,
    string? Note,
    string? DeclineReason,
    string? Rating,
    string? RatingComment,
    InboxWhistleDto Whistle,
    int ReminderCount,
    int EscalationCount,
    DateTimeOffset? LastEscalatedAt,
    string? PreviousAssignmentId,
    DateTimeOffset? ReassignedAt,
    string? ExpectedOn,
    IReadOnlyList<AttachmentDto>? Attachments = null);
