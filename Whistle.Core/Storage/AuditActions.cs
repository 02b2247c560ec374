using System.Reflection;

namespace Whistle.Core.Storage;

/// <summary>
/// Every action the audit trail records, and every entity it records it on: the stable words of the <c>action</c> and
/// <c>entity</c> columns, which the UI translates (Whistle.Web/src/i18n: <c>auditLog.actions</c>, <c>auditLog.entities</c>;
/// a Vitest walks these constants and fails when one lacks a zh-CN or an English word).
/// <see cref="AuditTrail.WriteAsync"/> refuses any other word, so nothing reaches the trail untranslated.
/// </summary>
public static class AuditActions
{
    // Sign-ins (the audit page shows them apart from changes).
    public const string SignedIn = "signed-in";
    public const string SignInFailed = "sign-in-failed";
    public const string SignInRefused = "sign-in-refused";
    public const string LockedOut = "locked-out";
    public const string LockedOutEverywhere = "locked-out-everywhere";

    // Accounts.
    public const string Disabled = "disabled";
    public const string Enabled = "enabled";
    public const string Unlocked = "unlocked";
    public const string RoleChanged = "role-changed";
    public const string PasswordSet = "password-set";
    public const string PasswordChanged = "password-changed";
    public const string SecondFactorEnrolled = "second-factor-enrolled";
    public const string SecondFactorDisabled = "second-factor-disabled";

    // Things created, changed, retired or deleted (accounts, matters, agencies, notice channels).
    public const string Created = "created";
    public const string Changed = "changed";
    public const string Retired = "retired";
    public const string Deleted = "deleted";
    public const string TestSent = "test-sent";

    // Whistles and assignments.
    public const string Raised = "raised";
    public const string Cancelled = "cancelled";
    public const string Confirmed = "confirmed";
    public const string Reopened = "reopened";
    public const string Reported = "reported";
    public const string Resolved = "resolved";
    public const string Declined = "declined";
    public const string Reassigned = "reassigned";
    public const string ReassignedAway = "reassigned-away";
    public const string Added = "added";
    public const string Urged = "urged";

    // Photos and files (issue 14): uploaded as a draft, added to an item (the word above), deleted (the word above).
    public const string Uploaded = "uploaded";

    // Meetings (a summons is confirmed or declined with the words above; a meeting is cancelled).
    public const string Scheduled = "scheduled";
    public const string AttendanceRecorded = "attendance-recorded";
    public const string MinutesRecorded = "minutes-recorded";

    // Branch heads (issue 16): the record, the assessment forms, consultations and recommendations.
    public const string Seeded = "seeded";
    public const string Appointed = "appointed";
    public const string Vacated = "vacated";
    public const string Issued = "issued";
    public const string Submitted = "submitted";
    public const string Corrected = "corrected";
    public const string Opened = "opened";
    public const string Answered = "answered";
    public const string Decided = "decided";
    public const string DecidedWithoutOpinion = "decided-without-opinion";

    // An institution's submissions to its departments (issue 17): a 请示 or 报告 submitted (the word above), a filing
    // filed (with or without the township's opinion), answered (the word above).
    public const string Filed = "filed";
    public const string FiledWithoutOpinion = "filed-without-opinion";
    // The city level (issue 17): a relation's mechanism recorded in upkeep; the establishment office's follow-ups
    // (raised and answered with the words above, closed once the mechanism is complete).
    public const string Recorded = "recorded";
    public const string Closed = "closed";

    // The audit trail itself.
    public const string Exported = "exported";
    public const string Verified = "verified";

    /// <summary>Every action above.</summary>
    public static readonly IReadOnlySet<string> All = Constants(typeof(AuditActions));

    internal static IReadOnlySet<string> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);
}

/// <summary>Every entity the audit trail records actions on (the <c>entity</c> column).</summary>
public static class AuditEntities
{
    public const string Account = "account";
    public const string Whistle = "whistle";
    public const string Assignment = "assignment";
    public const string Meeting = "meeting";
    public const string MeetingSummons = "meeting-summons";
    public const string Matter = "matter";
    public const string Agency = "agency";
    public const string NoticeChannel = "notice-channel";
    public const string BranchHead = "branch-head";
    public const string AssessmentForm = "assessment-form";
    public const string Recommendation = "recommendation";
    public const string Submission = "submission";
    public const string Attachment = "attachment";
    public const string RelationMechanism = "relation-mechanism";
    public const string FollowUp = "follow-up";
    public const string Audit = "audit";

    /// <summary>Every entity above.</summary>
    public static readonly IReadOnlySet<string> All = AuditActions.Constants(typeof(AuditEntities));
}
