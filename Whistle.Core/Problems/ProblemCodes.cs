namespace Whistle.Core.Problems;

/// <summary>
/// Every code a problem answer of the API can carry (<c>code</c> of a problem, <c>codes[field][i].code</c> of a 400),
/// stable and kebab-case. The web UI translates each one (Whistle.Web/src/i18n, <c>problems.*</c>); a Vitest walks this
/// class and fails when a code lacks a zh-CN or an English text. Add a code here, with its factory in
/// <see cref="Problems"/>, and its texts there.
/// </summary>
public static class ProblemCodes
{
    // ---- by status, when nothing more specific is said (also the framework's own answers) ----
    public const string InvalidRequest = "invalid-request";
    public const string Invalid = "invalid";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not-found";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string Conflict = "conflict";
    public const string BodyTooLarge = "body-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string TooManyRequests = "too-many-requests";
    public const string ServerError = "server-error";
    public const string Unavailable = "unavailable";

    // ---- fields (400) ----
    public const string Required = "required";
    public const string TooLong = "too-long";
    public const string ControlCharacter = "control-character";
    public const string OutOfRange = "out-of-range";
    public const string OneOf = "one-of";
    public const string Unknown = "unknown";
    public const string BothOrNeither = "both-or-neither";
    public const string TooMany = "too-many";
    public const string AtLeastOne = "at-least-one";
    public const string EndBeforeStart = "end-before-start";
    public const string PeriodTooLong = "period-too-long";
    public const string DateFormat = "date-format";
    public const string NotOnWhistleList = "not-on-whistle-list";
    public const string StartsInPast = "starts-in-past";
    public const string DueInPast = "due-in-past";
    public const string MeetingLength = "meeting-length";
    public const string ConfirmByWindow = "confirm-by-window";
    public const string Recurrence = "recurrence";
    public const string CheckInInFuture = "check-in-in-future";
    public const string RateEachOnce = "rate-each-once";
    public const string RateEveryResolved = "rate-every-resolved";
    public const string UnitSame = "unit-same";
    public const string UnitAlreadyOnWhistle = "unit-already-on-whistle";
    public const string UnitNotStationed = "unit-not-stationed";
    public const string BranchOfAnotherAgency = "branch-of-another-agency";
    public const string AgencyHasBranchHere = "agency-has-branch-here";
    public const string BranchAndAgencyItself = "branch-and-agency-itself";
    public const string SummonsRole = "summons-role";
    public const string TownshipOwnMeetings = "township-own-meetings";
    public const string NotAWhistleOfYours = "not-a-whistle-of-yours";
    public const string NotASummonsOfThisMeeting = "not-a-summons-of-this-meeting";
    public const string UserNameFormat = "user-name-format";
    public const string UserNameTaken = "user-name-taken";
    public const string PasswordPolicy = "password-policy";
    public const string PasswordKinds = "password-kinds";
    public const string PasswordContainsUserName = "password-contains-user-name";
    public const string PasswordCommon = "password-common";
    public const string PasswordWrong = "password-wrong";
    public const string PasswordUnchanged = "password-unchanged";
    public const string TotpCodeFormat = "totp-code-format";
    public const string TotpCodeWrong = "totp-code-wrong";
    public const string AdministratorRole = "administrator-role";
    public const string CodeFormat = "code-format";
    public const string MatterAgencies = "matter-agencies";
    public const string MatterLimits = "matter-limits";
    public const string AddressRefused = "address-refused";
    public const string EtaOrExpectedDay = "eta-or-expected-day";
    public const string ExpectedDayInPast = "expected-day-in-past";
    public const string ExpectedDayAfterResolveBy = "expected-day-after-resolve-by";
    public const string TenureStartsInFuture = "tenure-starts-in-future";
    public const string RecommendationKind = "recommendation-kind";
    public const string BranchNotInTownship = "branch-not-in-township";
    public const string BranchNotOfAgency = "branch-not-of-agency";
    public const string EvidenceUnknown = "evidence-unknown";
    public const string NotOnRelationList = "not-on-relation-list";
    public const string DepartmentNotOnRelation = "department-not-on-relation";
    public const string FilingOneToOne = "filing-one-to-one";
    public const string HeadUnitNotOfInstitution = "head-unit-not-of-institution";
    public const string ConsultationNotOfBranch = "consultation-not-of-branch";
    public const string NotOnYourRelations = "not-on-your-relations";
    public const string JointMeetingParticipants = "joint-meeting-participants";
    public const string MechanismNotExpected = "mechanism-not-expected";

    // ---- 409: a transition that is not allowed now ----
    public const string AssignmentNotDispatched = "assignment-not-dispatched";
    public const string AssignmentNotReported = "assignment-not-reported";
    public const string AssignmentNotOpen = "assignment-not-open";
    public const string AssignmentResolved = "assignment-resolved";
    public const string AssignmentAlreadyReassigned = "assignment-already-reassigned";
    public const string TownshipReassignsDeclinedOnly = "township-reassigns-declined-only";
    public const string AssignmentChanged = "assignment-changed";
    public const string WhistleCancelled = "whistle-cancelled";
    public const string WhistleClosed = "whistle-closed";
    public const string WhistleNotDispatched = "whistle-not-dispatched";
    public const string WhistleNotCancellable = "whistle-not-cancellable";
    public const string BranchAlreadyReported = "branch-already-reported";
    public const string WhistleNotResolved = "whistle-not-resolved";
    public const string WhistleChanged = "whistle-changed";
    public const string IdempotencyKeyReused = "idempotency-key-reused";
    public const string MeetingNotScheduled = "meeting-not-scheduled";
    public const string MeetingNotStarted = "meeting-not-started";
    public const string SummonsAlreadyAnswered = "summons-already-answered";
    public const string MeetingChanged = "meeting-changed";
    public const string SecondFactorEnrolled = "second-factor-enrolled";
    public const string SecondFactorNothingToConfirm = "second-factor-nothing-to-confirm";
    public const string SecondFactorNone = "second-factor-none";
    public const string SecondFactorRequiredByRole = "second-factor-required-by-role";
    public const string OwnAccount = "own-account";
    public const string AccountChanged = "account-changed";
    public const string AssignmentNotUrgeable = "assignment-not-urgeable";
    public const string UrgedRecently = "urged-recently";
    public const string NoticeTestPending = "notice-test-pending";
    public const string FormFinal = "form-final";
    public const string FormNotSubmitted = "form-not-submitted";
    public const string FormVersionReplaced = "form-version-replaced";
    public const string FormChanged = "form-changed";
    public const string PostVacant = "post-vacant";
    public const string PostChanged = "post-changed";
    public const string RecommendationAnswered = "recommendation-answered";
    public const string RecommendationNotConsultation = "recommendation-not-consultation";
    public const string RecommendationDecided = "recommendation-decided";
    public const string OpinionNotDue = "opinion-not-due";
    public const string RecommendationChanged = "recommendation-changed";
    public const string SubmissionAnswered = "submission-answered";
    public const string SubmissionChanged = "submission-changed";
    public const string MechanismInPlace = "mechanism-in-place";
    public const string FollowUpOpen = "follow-up-open";
    public const string FollowUpClosed = "follow-up-closed";
    public const string FollowUpChanged = "follow-up-changed";

    // ---- 403: not yours to do ----
    public const string TownshipRaises = "township-raises";
    public const string DepartmentRaises = "department-raises";
    public const string WorkRequestNotReassigned = "work-request-not-reassigned";
    public const string RaisingTownshipOnly = "raising-township-only";
    public const string AssignmentNotYours = "assignment-not-yours";
    public const string ReassignRole = "reassign-role";
    public const string SupervisorAddsUnits = "supervisor-adds-units";
    public const string MeetingCallers = "meeting-callers";
    public const string EstablishmentOfficeFollowsUp = "establishment-office-follows-up";
    public const string FollowUpAnswerers = "follow-up-answerers";
    public const string MechanismKeepers = "mechanism-keepers";
    public const string SummonsNotYours = "summons-not-yours";
    public const string MeetingOrganizerOnly = "meeting-organizer-only";
    public const string AssessmentRoles = "assessment-roles";
    public const string AssessmentLevel = "assessment-level";
    public const string UrgeOwnBranches = "urge-own-branches";
    public const string AdministratorAccount = "administrator-account";
    public const string OwnAccountElsewhere = "own-account-elsewhere";
    public const string FormTownshipOnly = "form-township-only";
    public const string FormSummarySupervisors = "form-summary-supervisors";
    public const string HeadsKeptByInstitution = "heads-kept-by-institution";
    public const string RecommendationRoles = "recommendation-roles";
    public const string RecommendationAnswerer = "recommendation-answerer";
    public const string RecommendationDecider = "recommendation-decider";
    public const string InstitutionSubmits = "institution-submits";
    public const string SubmissionAnswerer = "submission-answerer";
    public const string SubmissionFilesBySubmitter = "submission-files-by-submitter";

    // ---- evidence (issue 14): uploads refused (413 a limit, 415 a type, 400 the rest), links, removal ----
    public const string FileTooLarge = "file-too-large";
    public const string ItemTooLarge = "item-too-large";
    public const string TooManyFiles = "too-many-files";
    public const string UnsupportedType = "unsupported-type";
    public const string HeicNotSupported = "heic-not-supported";
    public const string MacroNotAllowed = "macro-not-allowed";
    public const string MultipartRequired = "multipart-required";
    public const string EmptyFile = "empty-file";
    public const string BrokenFile = "broken-file";
    public const string BrokenImage = "broken-image";
    public const string ImageTooLarge = "image-too-large";
    public const string ZipBomb = "zip-bomb";
    public const string OneTarget = "one-target";
    public const string NoFiles = "no-files";
    public const string MalformedUpload = "malformed-upload";
    public const string TruncatedUpload = "truncated-upload";
    public const string AttachmentTwice = "attachment-twice";
    public const string AttachmentNotADraft = "attachment-not-a-draft";
    public const string AttachmentTaken = "attachment-taken";
    public const string MediaUrl = "media-url";
    public const string AttachmentRemover = "attachment-remover";

    // ---- 401, 429 ----
    public const string SignInFailed = "sign-in-failed";
    public const string TooManySignIns = "too-many-sign-ins";
}
