namespace Whistle.Contracts;

/// <summary>
/// The payload of the hub's <c>whistleEvent</c> method (PRODUCT.md §5). A meeting's events (types
/// <c>Meeting…</c>) travel the same ordered stream: their <c>whistleId</c> is the meeting's id,
/// <c>whistle</c> is null and <c>meeting</c> describes the meeting (and the summons concerned).
/// A note the server writes itself (not a person's words) also carries <c>noteCode</c> and <c>noteParams</c>
/// (<c>Whistle.Core/Messaging/TimelineNotes</c>): clients put it in their own language; <c>note</c> keeps the Chinese text
/// (and is all that events recorded before the codes have). A branch head's matter (issue 16) carries <c>heads</c>.
/// </summary>
public sealed record WhistleEvent(
    long Sequence,
    string Type,
    string WhistleId,
    string? AssignmentId,
    DateTimeOffset OccurredAt,
    EventActor Actor,
    WhistleSummary? Whistle,
    AssignmentSnapshot? Assignment,
    string? Note,
    EscalationStepInfo? Step = null,
    MeetingSnapshot? Meeting = null,
    string? NoteCode = null,
    IReadOnlyDictionary<string, object?>? NoteParams = null,
    HeadsSnapshot? Heads = null,
    IReadOnlyList<AttachmentSnapshot>? Attachments = null,
    SubmissionSnapshot? Submission = null,
    FollowUpSnapshot? FollowUp = null);

/// <summary>
/// An institution's submission to a department on the stream (issue 17): a 请示 (<c>kind: "request"</c>), a 报告
/// (<c>"report"</c>) or a 选拔任用备案 (<c>"filing"</c>). The event's <c>whistleId</c> is its id. Pushed to the city
/// (the establishment office), the department addressed and the institution (and the office that filed it) only.
/// </summary>
public sealed record SubmissionSnapshot(
    string Id,
    string Kind,
    string RelationId,
    string InstitutionId,
    string? UnitId,
    string DepartmentId,
    string Title,
    string Status,
    DateTimeOffset DueAt,
    string? Answer);


/// <summary>
/// The establishment office's follow-up (督促建立机制, issue 17) on the stream; the event's <c>whistleId</c> is its id.
/// Pushed to the county, the city (the office), the relation's lead department and the institution.
/// </summary>
public sealed record FollowUpSnapshot(
    string Id,
    string RelationId,
    string DepartmentId,
    string InstitutionId,
    string Status,
    IReadOnlyList<string> Missing,
    DateTimeOffset DueAt);

/// <summary>
/// A branch head's matter on the stream (issue 16): an assessment form (<c>kind: "form"</c>), a recommendation or
/// consultation (<c>"recommendation"</c>), or a change of a head (<c>"head"</c>). The event's <c>whistleId</c> is its id.
/// Pushed to the county, the township and the institution only — never to a branch.
/// </summary>
public sealed record HeadsSnapshot(
    string Kind,
    string Id,
    string TownshipId,
    string BranchId,
    string AgencyCode,
    string Status,
    DateTimeOffset? DueAt,
    string? Label);

/// <summary>
/// On <c>AttachmentAdded</c> (the files a raise, a report, a resolution or a later note added) and
/// <c>AttachmentRemoved</c>: what a client needs to show a thumbnail or a file's line. The bytes are read from
/// <c>/api/attachments/{id}/…</c> under the whistle's visibility rule.
/// </summary>
public sealed record AttachmentSnapshot(
    string Id,
    string? Purpose,
    string MediaKind,
    string FileName,
    string ContentType,
    long SizeBytes,
    int? Width,
    int? Height,
    bool HasThumbnail,
    string? AssignmentId,
    string UploadedByName,
    string UploadedByOrg,
    DateTimeOffset UploadedAt);

public sealed record MeetingSnapshot(
    string Id,
    string? TownshipId,
    string Kind,
    string Title,
    string Place,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    DateTimeOffset ConfirmBy,
    string Status,
    string? WhistleId,
    MeetingSummonsSnapshot? Summons,
    string ConvenerKind = "township");

public sealed record MeetingSummonsSnapshot(
    string Id,
    string AgencyCode,
    string? BranchId,
    string Status,
    string? Attendee,
    string? Reason,
    DateTimeOffset? RespondedAt,
    string? Attendance,
    DateTimeOffset? CheckedInAt,
    string ParticipantKind = "unit");

/// <summary>On <c>AssignmentReminded</c> (level 0) and <c>AssignmentEscalated</c> (level 1, 2, …): which deadline, which repeat.</summary>
public sealed record EscalationStepInfo(string Phase, int Level);

public sealed record EventActor(string UserName, string DisplayName, string OrgId);

public sealed record WhistleSummary(
    string Id,
    string Title,
    string Status,
    string TownshipId,
    string MatterCode,
    string Urgency,
    string Level = "township");

public sealed record AssignmentSnapshot(
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
    int ReminderCount = 0,
    int EscalationCount = 0,
    DateTimeOffset? LastEscalatedAt = null,
    string? PreviousAssignmentId = null,
    DateTimeOffset? ReassignedAt = null,
    string? ExpectedOn = null);

/// <summary>The event types of PRODUCT.md §5, spelled as the push contract spells them.</summary>
public static class WhistleEventTypes
{
    public const string WhistleRaised = nameof(WhistleRaised);
    public const string AssignmentDispatched = nameof(AssignmentDispatched);
    public const string AssignmentReported = nameof(AssignmentReported);
    public const string AssignmentResolved = nameof(AssignmentResolved);
    public const string AssignmentDeclined = nameof(AssignmentDeclined);
    public const string AssignmentReassigned = nameof(AssignmentReassigned);
    public const string AssignmentReminded = nameof(AssignmentReminded);
    public const string AssignmentEscalated = nameof(AssignmentEscalated);
    public const string WhistleConfirmed = nameof(WhistleConfirmed);
    public const string WhistleReopened = nameof(WhistleReopened);
    public const string WhistleCancelled = nameof(WhistleCancelled);
    public const string AttachmentAdded = nameof(AttachmentAdded);
    public const string AttachmentRemoved = nameof(AttachmentRemoved);
    public const string MeetingScheduled = nameof(MeetingScheduled);
    public const string MeetingSummonsConfirmed = nameof(MeetingSummonsConfirmed);
    public const string MeetingSummonsDeclined = nameof(MeetingSummonsDeclined);
    public const string MeetingAttendanceRecorded = nameof(MeetingAttendanceRecorded);
    public const string MeetingMinutesRecorded = nameof(MeetingMinutesRecorded);
    public const string MeetingCancelled = nameof(MeetingCancelled);
    public const string BranchHeadChanged = nameof(BranchHeadChanged);
    public const string AssessmentFormIssued = nameof(AssessmentFormIssued);
    public const string AssessmentFormSubmitted = nameof(AssessmentFormSubmitted);
    public const string AssessmentFormCorrected = nameof(AssessmentFormCorrected);
    public const string AssessmentFormReminded = nameof(AssessmentFormReminded);
    public const string AssessmentFormEscalated = nameof(AssessmentFormEscalated);
    public const string RecommendationOpened = nameof(RecommendationOpened);
    public const string RecommendationAnswered = nameof(RecommendationAnswered);
    public const string RecommendationDecided = nameof(RecommendationDecided);
    public const string RecommendationReminded = nameof(RecommendationReminded);
    public const string RecommendationEscalated = nameof(RecommendationEscalated);
    public const string SubmissionFiled = nameof(SubmissionFiled);
    public const string SubmissionAnswered = nameof(SubmissionAnswered);
    public const string SubmissionReminded = nameof(SubmissionReminded);
    public const string SubmissionEscalated = nameof(SubmissionEscalated);
    public const string FollowUpRaised = nameof(FollowUpRaised);
    public const string FollowUpReplied = nameof(FollowUpReplied);
    public const string FollowUpReminded = nameof(FollowUpReminded);
    public const string FollowUpEscalated = nameof(FollowUpEscalated);
    public const string FollowUpClosed = nameof(FollowUpClosed);
    public const string MechanismRecorded = nameof(MechanismRecorded);
}

/// <summary>The SignalR group names. The server derives a connection's group from its token.</summary>
public static class AudienceGroups
{
    public const string County = "county";
    public static string Township(string townshipId) => $"township:{townshipId}";
    public static string Branch(string branchId) => $"branch:{branchId}";
    public static string Agency(string agencyCode) => $"agency:{agencyCode}";
    /// <summary>The city's establishment office (编办): every work request of the city level.</summary>
    public const string City = "city";
    public static string Department(string departmentId) => $"department:{departmentId}";
    /// <summary>An institution, or one of its internal offices (an institution account's organisation is either).</summary>
    public static string Institution(string institutionOrOfficeId) => $"institution:{institutionOrOfficeId}";
}
