namespace Whistle.Core.Messaging;

/// <summary>
/// The notes the server writes on the timeline itself, by code (<c>noteCode</c>, <c>noteParams</c> of a timeline event
/// beside its Chinese <c>note</c>): the UI says them in its language (Whistle.Web/src/i18n, <c>timelineNotes.*</c>; a
/// Vitest walks this class). A person's words (a report's note, a decline's reason, a meeting's title) have no code.
/// </summary>
public static class TimelineNotes
{
    /// <summary>The dispatcher's note on a routed duty: the unit it went to (<c>agencyCode</c>, <c>branchId</c>).</summary>
    public const string DispatchedTo = "dispatched-to";

    /// <summary>A meeting's attendance: <c>entries</c>, each <c>{agencyCode, branchId, attendance}</c>.</summary>
    public const string AttendanceRecorded = "attendance-recorded";

    /// <summary>An institution decided on a head without the township's opinion, its limit having passed (no values).</summary>
    public const string DecidedWithoutOpinion = "decided-without-opinion";

    /// <summary>An institution filed a stationed branch head's appointment without the township's opinion (none asked, or its limit passed unanswered; no values).</summary>
    public const string FiledWithoutOpinion = "filed-without-opinion";

    /// <summary>A filing follows the township's opinion on the appointment: <c>answer</c> (agree / disagree).</summary>
    public const string FiledWithOpinion = "filed-with-opinion";

    public static IReadOnlyDictionary<string, object?> Unit(string agencyCode, string? branchId) =>
        new Dictionary<string, object?> { ["agencyCode"] = agencyCode, ["branchId"] = branchId };

    public sealed record AttendanceEntry(string AgencyCode, string? BranchId, string Attendance);

    public static IReadOnlyDictionary<string, object?> Attendance(IEnumerable<AttendanceEntry> entries) =>
        new Dictionary<string, object?> { ["entries"] = entries.ToList() };
}
