using Whistle.Core.Assessment;
using Whistle.Core.Domain;

namespace Whistle.Core.Problems;

/// <summary>
/// The problems the API says, each with its code (<see cref="ProblemCodes"/>), its values and its English text: one
/// place for the words, so that a rule names the problem and the edge only maps it to a status.
/// </summary>
public static class Problem
{
    private static ProblemText P(string code, string detail, params (string, object?)[] values) => ProblemText.Of(code, detail, values);

    // ---- by status ----
    public static ProblemText NotFound() => P(ProblemCodes.NotFound, "No such resource, or it is not yours to see.");

    // ---- fields ----
    public static ProblemText Required(string field) => P(ProblemCodes.Required, $"The {field} is required.", ("field", field));
    public static ProblemText Required(string field, string detail) => P(ProblemCodes.Required, detail, ("field", field));
    public static ProblemText TooLong(string field, int max) => P(ProblemCodes.TooLong, $"The {field} must be at most {max} characters.", ("field", field), ("max", max));
    public static ProblemText TooLong(string field, int max, string detail) => P(ProblemCodes.TooLong, detail, ("field", field), ("max", max));

    public static ProblemText ControlCharacter(string field, int code, bool multiLine) => P(
        ProblemCodes.ControlCharacter,
        $"The {field} contains a control character (U+{code:X4}); {(multiLine ? "only tab, CR and LF are allowed" : "it is one line of plain text")}.",
        ("field", field), ("character", $"U+{code:X4}"), ("multiLine", multiLine));

    public static ProblemText OutOfRange(string field, double min, double max, string detail) => P(ProblemCodes.OutOfRange, detail, ("field", field), ("min", min), ("max", max));
    public static ProblemText OneOf(string field, IEnumerable<string> values, string detail) => P(ProblemCodes.OneOf, detail, ("field", field), ("values", string.Join(", ", values)));
    public static ProblemText Unknown(string field, string? value, string detail) => P(ProblemCodes.Unknown, detail, ("field", field), ("value", value));
    public static ProblemText BothOrNeither(string field, string other, string detail) => P(ProblemCodes.BothOrNeither, detail, ("field", field), ("other", other));
    public static ProblemText TooMany(string field, int max, string detail) => P(ProblemCodes.TooMany, detail, ("field", field), ("max", max));
    public static ProblemText AtLeastOne(string field, string detail) => P(ProblemCodes.AtLeastOne, detail, ("field", field));
    public static ProblemText EndBeforeStart() => P(ProblemCodes.EndBeforeStart, "The end must come after the start.");
    public static ProblemText PeriodTooLong(int maxDays, string detail) => P(ProblemCodes.PeriodTooLong, detail, ("maxDays", maxDays));
    public static ProblemText DateFormat(string detail) => P(ProblemCodes.DateFormat, detail);
    public static ProblemText NotOnWhistleList(string matterCode) => P(ProblemCodes.NotOnWhistleList, $"'{matterCode}' is not on the whistle list.", ("matterCode", matterCode));
    public static ProblemText NotOnRelationList(string workItemCode, string institutionId) =>
        P(ProblemCodes.NotOnRelationList, $"'{workItemCode}' is not on the list of work items of a relation your department has with '{institutionId}'.", ("workItemCode", workItemCode), ("institutionId", institutionId));
    public static ProblemText DepartmentNotOnRelation(string departmentId, string relationId) =>
        P(ProblemCodes.DepartmentNotOnRelation, $"'{departmentId}' is not a department of the relation '{relationId}'.", ("departmentId", departmentId), ("relationId", relationId));
    public static ProblemText FilingOneToOne(string relationId) =>
        P(ProblemCodes.FilingOneToOne, $"An appointment is filed with the managing department of a one-to-one relation; '{relationId}' is not one.", ("relationId", relationId));
    public static ProblemText HeadUnitNotOfInstitution(string unitId) =>
        P(ProblemCodes.HeadUnitNotOfInstitution, $"'{unitId}' is not an internal office or branch of your institution.", ("unitId", unitId));
    public static ProblemText ConsultationNotOfBranch(string recommendationId) =>
        P(ProblemCodes.ConsultationNotOfBranch, $"'{recommendationId}' is not your consultation of the township on this branch's head.", ("recommendationId", recommendationId));
    public static ProblemText SubmissionAnswered(string answer) =>
        P(ProblemCodes.SubmissionAnswered, $"It was answered already ({answer}).", ("answer", answer));
    public static ProblemText SubmissionChanged() => P(ProblemCodes.SubmissionChanged, "It changed meanwhile; reload it.");
    public static ProblemText InstitutionSubmits() => P(ProblemCodes.InstitutionSubmits, "An institution submits requests, reports and filings to its departments.");
    public static ProblemText SubmissionAnswerer() => P(ProblemCodes.SubmissionAnswerer, "The department it is addressed to answers it.");
    public static ProblemText SubmissionFilesBySubmitter() => P(ProblemCodes.SubmissionFilesBySubmitter, "The institution that submitted it adds its files.");
    public static ProblemText StartsInPast() => P(ProblemCodes.StartsInPast, "The meeting starts in the future.");
    public static ProblemText DueInPast() => P(ProblemCodes.DueInPast, "A decision is due in the future.");
    public static ProblemText MeetingLength() => P(ProblemCodes.MeetingLength, "The meeting ends after it starts, the same day or the next.");
    public static ProblemText ConfirmByWindow() => P(ProblemCodes.ConfirmByWindow, "Attendance is confirmed by a moment between now and the start.");
    public static ProblemText Recurrence(int max) => P(ProblemCodes.Recurrence, $"A recurring meeting repeats every week or month, 2 to {max} times.", ("max", max));
    public static ProblemText CheckInInFuture() => P(ProblemCodes.CheckInInFuture, "A check-in time cannot be later than now.");
    public static ProblemText RateEachOnce() => P(ProblemCodes.RateEachOnce, "Rate each assignment once.");
    public static ProblemText RateEveryResolved() => P(ProblemCodes.RateEveryResolved, "Rate every resolved assignment: satisfied, basically-satisfied or unsatisfied.");

    /// <summary>The unit named in English (<paramref name="unit"/>) and by its codes (the UI names it in its language).</summary>
    public static ProblemText UnitSame(string unit, string agencyCode, string? branchId) => P(
        ProblemCodes.UnitSame,
        $"The duty is {unit}'s already: reassign it to another unit (another branch, or the agency itself).",
        ("agencyCode", agencyCode), ("branchId", branchId));

    public static ProblemText UnitAlreadyOnWhistle(string unit, string agencyCode, string? branchId, string assignmentStatus) => P(
        ProblemCodes.UnitAlreadyOnWhistle,
        $"{unit} already has a duty on this whistle ({assignmentStatus}).",
        ("agencyCode", agencyCode), ("branchId", branchId), ("assignmentStatus", assignmentStatus));

    public static ProblemText UnitNotStationed(string branchId) => P(
        ProblemCodes.UnitNotStationed,
        $"'{branchId}' is not stationed in this township: a township summons only its own branches (or an agency without a branch there).",
        ("branchId", branchId));

    public static ProblemText TownshipStationedOnly() =>
        P(ProblemCodes.UnitNotStationed, "A township puts work only on the units stationed in it.", ("branchId", null));

    public static ProblemText BranchOfAnotherAgency() => P(ProblemCodes.BranchOfAnotherAgency, "The branch belongs to another agency.");

    public static ProblemText AgencyHasBranchHere(string agencyCode, string branchId) => P(
        ProblemCodes.AgencyHasBranchHere,
        $"'{agencyCode}' has a branch in this township ('{branchId}'): a township summons that branch, not the agency itself.",
        ("agencyCode", agencyCode), ("branchId", branchId));

    public static ProblemText BranchAndAgencyItself() => P(ProblemCodes.BranchAndAgencyItself, "Name a branch or the agency itself (本部), not both.");
    public static ProblemText SummonsRole() => P(ProblemCodes.SummonsRole, "Only townships and supervisors put work on units.");
    public static ProblemText TownshipOwnMeetings() => P(ProblemCodes.TownshipOwnMeetings, "A township calls meetings of its own.");
    public static ProblemText NotAWhistleOfYours() => P(ProblemCodes.NotAWhistleOfYours, "No such whistle of yours.");
    public static ProblemText NotASummonsOfThisMeeting() => P(ProblemCodes.NotASummonsOfThisMeeting, "Not a summons of this meeting.");
    public static ProblemText UserNameFormat(string detail) => P(ProblemCodes.UserNameFormat, detail);
    public static ProblemText UserNameTaken() => P(ProblemCodes.UserNameTaken, "That user name is taken.");

    public static ProblemText PasswordPolicy(int minimumLength, int maximumLength) => P(
        ProblemCodes.PasswordPolicy,
        $"A password has {minimumLength}–{maximumLength} characters, at least three kinds of lower case, upper case, digits and others, and is neither the user name nor a common password.",
        ("min", minimumLength), ("max", maximumLength));

    public static ProblemText PasswordKinds() => P(ProblemCodes.PasswordKinds, "A password mixes at least three kinds of characters: lower case, upper case, digits, others.");
    public static ProblemText PasswordContainsUserName() => P(ProblemCodes.PasswordContainsUserName, "A password does not contain the user name.");
    public static ProblemText PasswordCommon() => P(ProblemCodes.PasswordCommon, "That password is one of the first ones anybody tries; choose another.");
    public static ProblemText PasswordWrong(string detail) => P(ProblemCodes.PasswordWrong, detail);
    public static ProblemText PasswordUnchanged() => P(ProblemCodes.PasswordUnchanged, "The new password differs from the current one.");
    public static ProblemText TotpCodeFormat(string detail) => P(ProblemCodes.TotpCodeFormat, detail);
    public static ProblemText TotpCodeWrong() => P(ProblemCodes.TotpCodeWrong, "That is not the current code of the authenticator.");
    public static ProblemText AdministratorRole(string detail) => P(ProblemCodes.AdministratorRole, detail);
    public static ProblemText CodeFormat(string field, string detail) => P(ProblemCodes.CodeFormat, detail, ("field", field));
    public static ProblemText MatterAgencies(string detail) => P(ProblemCodes.MatterAgencies, detail);
    public static ProblemText MatterLimits(string detail) => P(ProblemCodes.MatterLimits, detail);
    public static ProblemText AddressRefused(string detail) => P(ProblemCodes.AddressRefused, detail);
    public static ProblemText EtaOrExpectedDay() => P(ProblemCodes.EtaOrExpectedDay, "Give an ETA in minutes or an expected day, not both.");
    public static ProblemText ExpectedDayInPast() => P(ProblemCodes.ExpectedDayInPast, "The expected day must not be in the past (Asia/Shanghai).");

    public static ProblemText ExpectedDayAfterResolveBy(DateOnly resolveBy) => P(
        ProblemCodes.ExpectedDayAfterResolveBy,
        $"The day must not be after the resolve-by day ({resolveBy:yyyy-MM-dd}).",
        ("resolveBy", resolveBy.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));

    // Branch heads (issue 16).
    public static ProblemText TenureStartsInFuture() => P(ProblemCodes.TenureStartsInFuture, "A head's tenure starts today or earlier.");

    /// <summary>A recommendation's kind follows the caller: a township recommends, an institution consults.</summary>
    public static ProblemText RecommendationKind(string kind) => P(
        ProblemCodes.RecommendationKind,
        kind == "recommendation" ? "A township makes recommendations (kind: recommendation)." : "An institution asks for opinions (kind: consultation).",
        ("kind", kind));

    public static ProblemText BranchNotInTownship(string branchId) =>
        P(ProblemCodes.BranchNotInTownship, "A township recommends on the branches stationed in it.", ("branchId", branchId));

    public static ProblemText BranchNotOfAgency(string branchId) =>
        P(ProblemCodes.BranchNotOfAgency, "An institution asks about the heads of its own branches.", ("branchId", branchId));

    public static ProblemText EvidenceUnknown(int index) => P(
        ProblemCodes.EvidenceUnknown,
        "Evidence is a whistle of the township, or an assessment form of this branch (kind whistle or form, with its id).",
        ("index", index));

    // ---- 409 ----
    public static ProblemText AssignmentNotDispatched(string status) =>
        P(ProblemCodes.AssignmentNotDispatched, $"The assignment is {status}; only a dispatched assignment can be reported.", ("assignmentStatus", status));

    public static ProblemText AssignmentNotReported(string status) =>
        P(ProblemCodes.AssignmentNotReported, $"The assignment is {status}; only a reported assignment can be resolved.", ("assignmentStatus", status));

    public static ProblemText AssignmentNotOpen(string status) =>
        P(ProblemCodes.AssignmentNotOpen, $"The assignment is {status}; only an open assignment can be declined.", ("assignmentStatus", status));

    public static ProblemText AssignmentResolved() => P(ProblemCodes.AssignmentResolved, "The assignment is resolved; nothing is left to reassign.");
    public static ProblemText AssignmentAlreadyReassigned() => P(ProblemCodes.AssignmentAlreadyReassigned, "The assignment has already been reassigned.");

    public static ProblemText TownshipReassignsDeclinedOnly(string status) =>
        P(ProblemCodes.TownshipReassignsDeclinedOnly, $"The assignment is {status}; a township reassigns only a declined one.", ("assignmentStatus", status));

    public static ProblemText AssignmentChanged() => P(ProblemCodes.AssignmentChanged, "The assignment changed meanwhile; reload it.");

    /// <summary>An assignment is acted on only while its whistle is live (dispatched, in progress, resolved).</summary>
    public static ProblemText WhistleNotLive(string whistleStatus) => whistleStatus switch
    {
        WhistleStatus.Cancelled => P(ProblemCodes.WhistleCancelled, "The whistle is cancelled.", ("whistleStatus", whistleStatus)),
        WhistleStatus.Closed => P(ProblemCodes.WhistleClosed, "The whistle is closed.", ("whistleStatus", whistleStatus)),
        _ => P(ProblemCodes.WhistleNotDispatched, $"The whistle is {whistleStatus}.", ("whistleStatus", whistleStatus)),
    };

    public static ProblemText WhistleNotCancellable(string status) =>
        P(ProblemCodes.WhistleNotCancellable, $"The whistle is {status}; only a whistle no branch has reported can be cancelled.", ("whistleStatus", status));

    public static ProblemText BranchAlreadyReported() => P(ProblemCodes.BranchAlreadyReported, "A branch has already reported; the whistle can no longer be cancelled.");

    public static ProblemText WhistleNotResolved(string status, string action) =>
        P(ProblemCodes.WhistleNotResolved, $"The whistle is {status}; only a resolved whistle can be {action}.", ("whistleStatus", status), ("action", action));

    public static ProblemText WhistleChanged() => P(ProblemCodes.WhistleChanged, "The whistle changed meanwhile; reload it.");
    public static ProblemText IdempotencyKeyReused(string whistleId) => P(
        ProblemCodes.IdempotencyKeyReused, "This Idempotency-Key was used for another request; a retry repeats the same request, a new request takes a new key.", ("whistleId", whistleId));

    public static ProblemText MeetingNotScheduled(string status, string? more = null) =>
        P(ProblemCodes.MeetingNotScheduled, $"The meeting is {status}{more}.", ("meetingStatus", status));

    /// <summary>Attendance and minutes wait for the start: the text says when it begins in the county's time (Asia/Shanghai).</summary>
    public static ProblemText MeetingNotStarted(DateTimeOffset startsAt, string what) => P(
        ProblemCodes.MeetingNotStarted,
        $"The meeting has not begun: it begins at {startsAt.ToOffset(ChinaTime.Offset):yyyy-MM-dd HH:mm} (Asia/Shanghai); {what}.",
        ("startsAt", startsAt.ToUniversalTime()));

    public static ProblemText SummonsAlreadyAnswered(string status) =>
        P(ProblemCodes.SummonsAlreadyAnswered, $"The summons was already answered ({status}).", ("summonsStatus", status));

    public static ProblemText MeetingChanged() => P(ProblemCodes.MeetingChanged, "The meeting changed meanwhile; reload it.");
    public static ProblemText SecondFactorEnrolled() => P(ProblemCodes.SecondFactorEnrolled, "A second factor is already enrolled; disable it first.");
    public static ProblemText SecondFactorNothingToConfirm() => P(ProblemCodes.SecondFactorNothingToConfirm, "Nothing to confirm: start the enrolment first.");
    public static ProblemText SecondFactorNone() => P(ProblemCodes.SecondFactorNone, "No second factor is enrolled.");

    public static ProblemText SecondFactorRequiredByRole() =>
        P(ProblemCodes.SecondFactorRequiredByRole, "Accounts of this role must keep a second factor (Whistle:Auth:RequireSecondFactorFor).");

    public static ProblemText OwnAccount() => P(ProblemCodes.OwnAccount, "Nobody disables or enables their own account.");
    public static ProblemText AccountChanged() => P(ProblemCodes.AccountChanged, "The account changed meanwhile; read it again.");

    public static ProblemText AssignmentNotUrgeable(string status) =>
        P(ProblemCodes.AssignmentNotUrgeable, $"The assignment is {status}; only an open duty (dispatched or reported) can be urged.", ("assignmentStatus", status));

    /// <summary>A second 催办 too soon: when the last one was (UTC in the params; the text in the county's time) and the interval.</summary>
    public static ProblemText UrgedRecently(DateTimeOffset at, int minutes) => P(
        ProblemCodes.UrgedRecently,
        $"The branch was urged at {at.ToOffset(ChinaTime.Offset):yyyy-MM-dd HH:mm} (Asia/Shanghai); urge again after {minutes} minutes.",
        ("urgedAt", at.ToUniversalTime()), ("minutes", minutes));

    public static ProblemText NoticeTestPending() =>
        P(ProblemCodes.NoticeTestPending, "A test notice of this channel is still on its way; its outcome will be in the delivery log.");

    public static ProblemText FormFinal() => P(ProblemCodes.FormFinal, "The form is submitted and final; a correction is a new version (POST …/corrections).");
    public static ProblemText FormNotSubmitted() => P(ProblemCodes.FormNotSubmitted, "Only a submitted form is corrected; grade this one (POST …/submit).");

    public static ProblemText FormVersionReplaced(int latest) =>
        P(ProblemCodes.FormVersionReplaced, $"Version {latest} replaced this one; correct the latest.", ("latest", latest));

    public static ProblemText FormChanged() => P(ProblemCodes.FormChanged, "The form changed meanwhile; reload it.");
    public static ProblemText PostVacant() => P(ProblemCodes.PostVacant, "The post is vacant already.");
    public static ProblemText PostChanged() => P(ProblemCodes.PostChanged, "The post changed meanwhile; reload it.");

    public static ProblemText RecommendationAnswered(string status) =>
        P(ProblemCodes.RecommendationAnswered, $"It was answered already ({status}).", ("recommendationStatus", status));

    public static ProblemText RecommendationNotConsultation() =>
        P(ProblemCodes.RecommendationNotConsultation, "A township's recommendation is answered (POST …/answer), not decided.");

    public static ProblemText RecommendationDecided() => P(ProblemCodes.RecommendationDecided, "It was decided already.");

    /// <summary>A decision before the township's opinion is due: when it is (UTC in the params; the text in the county's time).</summary>
    public static ProblemText OpinionNotDue(DateTimeOffset dueAt) => P(
        ProblemCodes.OpinionNotDue,
        $"The township's opinion is due by {dueAt.ToOffset(ChinaTime.Offset):yyyy-MM-dd HH:mm} (Asia/Shanghai): decide once it has answered, or after that limit.",
        ("dueAt", dueAt.ToUniversalTime()));

    public static ProblemText RecommendationChanged() => P(ProblemCodes.RecommendationChanged, "It changed meanwhile; reload it.");

    // ---- 403 ----
    public static ProblemText TownshipRaises() => P(ProblemCodes.TownshipRaises, "Only township staff raise whistles.");
    public static ProblemText DepartmentRaises() => P(ProblemCodes.DepartmentRaises, "Only department staff raise work requests.");
    public static ProblemText WorkRequestNotReassigned() => P(ProblemCodes.WorkRequestNotReassigned, "A work request goes to the unit its list names; a declined one is raised again on the right item.");
    public static ProblemText RaisingTownshipOnly() => P(ProblemCodes.RaisingTownshipOnly, "Only the raising township acts on its whistle.");

    public static ProblemText AssignmentNotYours() =>
        P(ProblemCodes.AssignmentNotYours, "Only the branch the assignment is routed to (or the agency, where it has no branch there) acts on it.");

    public static ProblemText ReassignRole() => P(ProblemCodes.ReassignRole, "Only the raising township (for a declined duty) or a supervisor reassigns.");
    public static ProblemText SupervisorAddsUnits() => P(ProblemCodes.SupervisorAddsUnits, "Only a supervisor adds a co-handling unit to a whistle.");
    public static ProblemText MeetingCallers() => P(ProblemCodes.MeetingCallers, "Townships and supervisors call meetings; departments and institutions (their own accounts) call joint meetings.");
    public static ProblemText NotOnYourRelations(string id) => P(ProblemCodes.NotOnYourRelations, $"'{id}' is not on a relation of yours (or of this meeting's participants).", ("value", id));
    public static ProblemText JointMeetingParticipants() => P(ProblemCodes.JointMeetingParticipants, "A joint meeting summons departments (departmentIds) or institutions (institutionIds), not county units.");
    public static ProblemText MechanismNotExpected(string kind, string relationKind) => P(ProblemCodes.MechanismNotExpected, $"A relation of kind '{relationKind}' does not record '{kind}' (the work items are the list itself).", ("kind", kind), ("relationKind", relationKind));
    public static ProblemText MechanismInPlace(string relationId) => P(ProblemCodes.MechanismInPlace, $"The mechanism of '{relationId}' is in place: nothing to follow up.", ("relationId", relationId));
    public static ProblemText FollowUpOpen(string followUpId) => P(ProblemCodes.FollowUpOpen, "This relation already has an open follow-up.", ("followUpId", followUpId));
    public static ProblemText FollowUpClosed() => P(ProblemCodes.FollowUpClosed, "The follow-up is closed: the mechanism is complete.");
    public static ProblemText FollowUpChanged() => P(ProblemCodes.FollowUpChanged, "The follow-up changed meanwhile; read it again.");
    public static ProblemText EstablishmentOfficeFollowsUp() => P(ProblemCodes.EstablishmentOfficeFollowsUp, "Only the establishment office raises follow-ups.");
    public static ProblemText FollowUpAnswerers() => P(ProblemCodes.FollowUpAnswerers, "The relation's lead department (or its institution) answers a follow-up.");
    public static ProblemText MechanismKeepers() => P(ProblemCodes.MechanismKeepers, "The relation's lead department or the establishment office records its mechanism.");
    public static ProblemText SummonsNotYours() => P(ProblemCodes.SummonsNotYours, "Only the summoned unit answers its summons.");
    public static ProblemText MeetingOrganizerOnly(string what) => P(ProblemCodes.MeetingOrganizerOnly, $"The township that called the meeting {what}.");
    public static ProblemText AssessmentRoles() => P(ProblemCodes.AssessmentRoles, "The assessment is for supervisors, townships and agencies (their own branches), and at the city level for departments, institutions and the establishment office.");
    public static ProblemText AssessmentLevel(string level) => P(ProblemCodes.AssessmentLevel, $"The {level} level's assessment is not yours to read: townships and agencies read the township level, the city's roles the city level, the supervisors either or both.");

    public static ProblemText UrgeOwnBranches() => P(ProblemCodes.UrgeOwnBranches, "An agency urges its own branches' duties only.");

    public static ProblemText AdministratorAccount() =>
        P(ProblemCodes.AdministratorAccount, "An administrator's account is kept from the command line on the server, not over the API.");

    public static ProblemText OwnAccountElsewhere() => P(ProblemCodes.OwnAccountElsewhere, "Your own password and second factor are changed under /api/auth.");

    public static ProblemText FormTownshipOnly(string detail) => P(ProblemCodes.FormTownshipOnly, detail);
    public static ProblemText FormSummarySupervisors() => P(ProblemCodes.FormSummarySupervisors, "The yearly summary is the supervisors'.");
    public static ProblemText HeadsKeptByInstitution() => P(ProblemCodes.HeadsKeptByInstitution, "The institution that stations the branch keeps its heads.");
    public static ProblemText RecommendationRoles() => P(ProblemCodes.RecommendationRoles, "A township recommends; an institution asks the township's opinion.");

    public static ProblemText RecommendationAnswerer(string kind) => P(
        ProblemCodes.RecommendationAnswerer,
        kind == "consultation" ? "The township gives its opinion." : "The institution answers the township's recommendation.",
        ("kind", kind));

    public static ProblemText RecommendationDecider() => P(ProblemCodes.RecommendationDecider, "The institution decides on the head of its branch.");
    // ---- evidence (issue 14) ----

    /// <summary>A byte limit in words: "10 MiB", or bytes when it is no whole number of MiB.</summary>
    public static string Size(long bytes) =>
        bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes} bytes";

    /// <summary>413: one file past <c>Whistle:Attachments:MaxFileBytes</c>; <c>limit</c> in bytes, <c>size</c> in words, the file's (safe) name.</summary>
    public static ProblemText FileTooLarge(long limit, string? file) => P(
        ProblemCodes.FileTooLarge,
        $"{(file is null ? "A file" : $"'{file}'")} is larger than {Size(limit)} (Whistle:Attachments:MaxFileBytes = {limit} bytes).",
        ("limit", limit), ("size", Size(limit)), ("file", file), ("setting", "Whistle:Attachments:MaxFileBytes"));

    public static ProblemText ItemTooLarge(long limit) => P(
        ProblemCodes.ItemTooLarge,
        $"The files of one item may hold at most {Size(limit)} together (Whistle:Attachments:MaxItemBytes = {limit} bytes).",
        ("limit", limit), ("size", Size(limit)), ("setting", "Whistle:Attachments:MaxItemBytes"));

    public static ProblemText TooManyFiles(int limit) => P(
        ProblemCodes.TooManyFiles,
        $"One item may carry at most {limit} files (Whistle:Attachments:MaxFilesPerItem).",
        ("limit", limit), ("setting", "Whistle:Attachments:MaxFilesPerItem"));

    /// <summary>415: what the file is (<c>kind</c>: program, markup, zip, office-other, ole-other, unknown), judged from its content.</summary>
    public static ProblemText UnsupportedType(string kind, string what) => P(
        ProblemCodes.UnsupportedType,
        $"This file is {what}. Accepted: photos (JPEG, PNG, WebP), PDF, Word, Excel and PowerPoint documents (.docx/.xlsx/.pptx, or .doc/.xls/.ppt).",
        ("kind", kind));

    public static ProblemText HeicNotSupported() => P(
        ProblemCodes.HeicNotSupported,
        "HEIC/HEIF photos cannot be re-encoded here. Pick the photo from the gallery in the browser (it sends JPEG), or set the camera to 'Most Compatible' (JPEG).");

    public static ProblemText MacroNotAllowed() => P(
        ProblemCodes.MacroNotAllowed,
        "Documents with macros (.docm, .xlsm, .pptm) are not accepted: save it without macros (.docx, .xlsx, .pptx).");

    public static ProblemText MultipartRequired() => P(ProblemCodes.MultipartRequired, "Send the files as multipart/form-data (one part per file).");
    public static ProblemText EmptyFile() => P(ProblemCodes.EmptyFile, "The file is empty.");
    public static ProblemText BrokenFile(string detail) => P(ProblemCodes.BrokenFile, detail);
    public static ProblemText BrokenImage(string detail) => P(ProblemCodes.BrokenImage, detail);

    public static ProblemText ImageTooLarge(int width, int height, long maxPixels) => P(
        ProblemCodes.ImageTooLarge,
        $"The image claims {width} × {height} pixels; at most {maxPixels.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} pixels are accepted (Whistle:Attachments:MaxImagePixels).",
        ("width", width), ("height", height), ("limit", maxPixels), ("setting", "Whistle:Attachments:MaxImagePixels"));

    public static ProblemText ZipBomb(string detail) => P(ProblemCodes.ZipBomb, detail);
    public static ProblemText OneTarget() => P(ProblemCodes.OneTarget, "Name a whistle or a meeting, not both.");
    public static ProblemText NoFiles() => P(ProblemCodes.NoFiles, "The upload holds no file: send each as a part with a filename.");
    public static ProblemText MalformedUpload(string detail) => P(ProblemCodes.MalformedUpload, detail);
    public static ProblemText TruncatedUpload() => P(ProblemCodes.TruncatedUpload, "The upload ended before its last part arrived: nothing was stored. Send it again.");
    public static ProblemText AttachmentTwice() => P(ProblemCodes.AttachmentTwice, "Name each attachment once.", ("field", "attachmentIds"));

    public static ProblemText AttachmentNotADraft(string id) => P(
        ProblemCodes.AttachmentNotADraft,
        $"'{id}' is no upload of yours that is waiting to be added here (upload it again).",
        ("field", "attachmentIds"), ("id", id));

    public static ProblemText AttachmentTaken(string id) => P(ProblemCodes.AttachmentTaken, $"'{id}' was added elsewhere meanwhile.", ("field", "attachmentIds"), ("id", id));

    public static ProblemText MediaUrl() => P(
        ProblemCodes.MediaUrl,
        "The media URL must be an absolute http(s) address of at most 2000 characters, without credentials or control characters.",
        ("field", "mediaUrl"), ("max", 2000));

    public static ProblemText AttachmentRemover() => P(ProblemCodes.AttachmentRemover, "Only the one who added a file, or a supervisor, removes it.");

    // ---- 401, 429 ----
    public static ProblemText SignInFailed() => P(ProblemCodes.SignInFailed, "The user name, password or code is wrong, or the account cannot sign in now.");
    public static ProblemText TooManySignIns() => P(ProblemCodes.TooManySignIns, "Too many attempts for this account from here; wait a minute.");
    public static ProblemText TooManyRequests() => P(ProblemCodes.TooManyRequests, "Slow down and try again in a minute.");
}
