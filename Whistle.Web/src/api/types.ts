// Shapes of the Whistle public contract (PRODUCT.md §5) as the web UI uses them.
//
// Generated from the API's OpenAPI document (issue 13): src/api/schema.d.ts is openapi-typescript's rendering of the
// committed snapshot src/api/openapi.json (`npm run api:types` regenerates both; the .NET spec
// When_the_openapi_document_is_read and tests/apiTypes.test.ts fail when either drifts). Each answer's type below is the
// document's schema, decoded and narrowed where the document cannot say more:
// - numbers: the document types every number `number | string` (the API's JSON options also READ numbers sent as
//   strings); the API always WRITES numbers, so `Decoded<>` keeps `number`;
// - the API's vocabularies (statuses, urgencies, roles, kinds) are C# strings, so the document says `string`; the unions
//   below are the words docs/API.md lists (a new word there needs a line here, and a translation);
// - requests: a C# record's nullable parameter is "required, nullable" in the document; the API takes it missing, so
//   `Sendable<>` makes such fields optional.
// Hand-written entirely, with the reason beside each: the SignalR hub's events (the hub is not in the document) and
// the shapes of answers the document does not describe (GET /api/stats/assessment and GET /api/audit declare no body).
import type { components } from './schema'

type Schemas = components['schemas']
/** A number of the document as the API writes it (see above); nested objects and arrays likewise. */
type DecodedValue<V> = number extends V ? Exclude<V, string> : V extends readonly (infer U)[] ? DecodedValue<U>[] : V extends object ? Decoded<V> : V
/**
 * An answer as the UI reads it: numbers as the API writes them; a field the document says may be null may also be
 * missing (a live event's snapshot and a cached row from an older server leave such fields out; the UI treats both alike).
 */
export type Decoded<T> = Sendable<{ [K in keyof T]: DecodedValue<T[K]> }>
/** A schema with some fields narrowed (each override must be assignable to the document's field: a narrowing, never a new field). */
type Narrow<T, O extends { [K in keyof O]: K extends keyof T ? T[K] : never }> = Omit<T, keyof O> & O
/**
 * A schema with some fields widened: shapes the UI also builds itself from a live event (the hub's events are not in
 * the document), where a field the API always fills may be missing.
 */
type Widen<T, O extends { [K in keyof O]: K extends keyof T ? unknown : never }> = Omit<T, keyof O> & O
type NullableKeys<T> = { [K in keyof T]-?: null extends T[K] ? K : never }[keyof T]
/** A request as the UI sends it: what the API takes as null may be left out. */
type Sendable<T> = Omit<T, NullableKeys<T>> & Partial<Pick<T, NullableKeys<T>>>

export type Urgency = 'routine' | 'urgent' | 'emergency'
export type WhistleStatus = 'raised' | 'dispatched' | 'in-progress' | 'resolved' | 'closed' | 'cancelled'
/** `reassigned`: 改派 — a supervisor moved the duty to another unit (not the unit's decline). */
export type AssignmentStatus = 'dispatched' | 'reported' | 'resolved' | 'declined' | 'reassigned'
export type AssignmentRole = 'lead' | 'co' | 'summoned'
export type UserRole =
  | 'township'
  | 'branch'
  | 'agency'
  | 'supervisor'
  | 'sysadmin'
  | 'secadmin'
  | 'auditadmin'
  // The city level (issue 17): a department raises work requests; an institution (or one of its offices) answers them;
  // the establishment office (编办) reads every relation.
  | 'department'
  | 'institution'
  | 'establishment-office'

/** A whistle's level: a township's whistle, or a city department's work request (工作事项) along a relation. */
export type WhistleLevel = 'township' | 'city'
export type Rating = 'satisfied' | 'basically-satisfied' | 'unsatisfied'

export const URGENCIES: Urgency[] = ['routine', 'urgent', 'emergency']
export const WHISTLE_STATUSES: WhistleStatus[] = ['raised', 'dispatched', 'in-progress', 'resolved', 'closed', 'cancelled']
export const OPEN_WHISTLE_STATUSES: WhistleStatus[] = ['raised', 'dispatched', 'in-progress', 'resolved']
export const RATINGS: Rating[] = ['satisfied', 'basically-satisfied', 'unsatisfied']
export const ROLES: UserRole[] = [
  'township',
  'branch',
  'agency',
  'department',
  'institution',
  'establishment-office',
  'supervisor',
  'sysadmin',
  'secadmin',
  'auditadmin',
]

export type User = Narrow<Schemas['UserDto'], { role: UserRole }>

/**
 * The answer to a sign-in step. With a token: accessToken, expiresAt and user (possibly restricted to changing an
 * expired password or enrolling a second factor). When a code is needed first: secondFactorRequired and a challenge.
 * `idleTimeoutSeconds`: inactivity after which the browser signs out.
 */
export type TokenResponse = Narrow<Decoded<Schemas['TokenResponse']>, { user: User | null }>

export type SecondFactorStatus = Schemas['SecondFactorStatus']

export type SecondFactorEnrolment = Schemas['SecondFactorEnrolment']

export type Actor = Schemas['EventActor']

export type Limit = Decoded<Schemas['LimitDto']>

export type MatterAgency = Narrow<Schemas['MatterAgencyDto'], { role: 'lead' | 'co' }>

/** `active`: false once retired (no new whistles). */
export type Matter = Narrow<Schemas['MatterDto'], { agencies: MatterAgency[]; limits: Partial<Record<Urgency, Limit>> }>

/** PUT /api/whistle-list/{code} */
export type MatterUpsert = Narrow<Sendable<Decoded<Schemas['SaveMatterRequest']>>, { agencies: { agencyCode: string; role: 'lead' | 'co' }[]; limits: Record<Urgency, Limit> }>

export interface Named {
  name: string
  nameEn?: string
}

export type Township = Schemas['TownshipInfo']
export type Agency = Schemas['AgencyDto']
export type Branch = Schemas['BranchInfo']
export type OrgSettings = Narrow<Decoded<Schemas['OrgSettingsDto']>, { assessment: { weights: AssessmentWeights } }>
/** Before the reference data arrives the UI holds empty lists (no county, no settings). */
export type Org = Narrow<Decoded<Schemas['OrgDto']>, { county?: Schemas['CountyInfo']; settings?: OrgSettings }>

/**
 * `reminderCount` / `escalationCount`: 催办 / 督办 sent so far; `previousAssignmentId`: set on an assignment created by
 * reassignment (改派); `reassignedAt`: when a supervisor moved this duty to another unit (status `reassigned`);
 * `expectedOn`: work due in days (a meeting's decision) — the day (YYYY-MM-DD, Asia/Shanghai) the unit expects to finish.
 */
export type Assignment = Narrow<Decoded<Schemas['AssignmentSnapshot']>, { role: AssignmentRole; status: AssignmentStatus; rating?: Rating | null }>

export type StepPhase = 'report' | 'resolve'
/** One step of the escalation chain: level 0 = 催办 (reminder), 1, 2, 3… = 督办 (escalation) repeats. */
export interface EscalationStep {
  phase: StepPhase
  level: number
}

/**
 * `noteCode`: a note the server wrote itself, by code (docs/API.md, "Timeline notes"); `note` keeps the Chinese text.
 * `step` is not in the document (the timeline's escalation step is read from live events only).
 */
export type TimelineEntry = Widen<
  Decoded<Schemas['TimelineEntryDto']>,
  { actor?: Actor | null; noteParams?: Record<string, unknown> | null }
> & { step?: EscalationStep | null }

/** A photo or file of a whistle (issue 14); its bytes are read with the token under the whistle's visibility rule. */
export type Attachment = Narrow<
  Decoded<Schemas['AttachmentDto']>,
  { purpose?: 'raise' | 'report' | 'resolution' | 'note' | 'minutes' | 'submission' | null; mediaKind: 'image' | 'pdf' | 'document' | 'link' }
>

/** Widened: a whistle first seen in a live event (WhistleRaised) is built from the event, without these. */
export type Whistle = Widen<
  Narrow<Decoded<Schemas['WhistleDto']>, { urgency: Urgency; status: WhistleStatus; assignments: Assignment[]; level?: WhistleLevel }>,
  { raisedBy?: Actor | null; updatedAt?: string; timeline?: TimelineEntry[] | null; attachments?: Attachment[] }
>

export interface Page<T> {
  items: T[]
  page?: number
  pageSize?: number
  total?: number
}

/** Also the summary a live event carries (WhistleEvent.whistle), which has no address or description. */
export type WhistleSummary = Widen<Narrow<Schemas['InboxWhistleDto'], { status: WhistleStatus; urgency: Urgency; level?: WhistleLevel }>, { address?: string; description?: string }>

/** Widened: a row first seen in a live event is built from the event's assignment snapshot (no counters yet). */
export type InboxAssignment = Widen<
  Narrow<Decoded<Schemas['InboxItemDto']>, { role: AssignmentRole; status: AssignmentStatus; rating?: Rating | null; attachments?: Attachment[] | null }>,
  { reminderCount?: number; escalationCount?: number; whistle: WhistleSummary }
>

export type WhistleEventType =
  | 'WhistleRaised'
  | 'AssignmentDispatched'
  | 'AssignmentReported'
  | 'AssignmentResolved'
  | 'AssignmentDeclined'
  | 'AssignmentReassigned'
  | 'AssignmentReminded'
  | 'AssignmentEscalated'
  | 'WhistleConfirmed'
  | 'WhistleReopened'
  | 'WhistleCancelled'
  | 'AttachmentAdded'
  | 'AttachmentRemoved'
  | MeetingEventType

export type MeetingEventType =
  | 'MeetingScheduled'
  | 'MeetingSummonsConfirmed'
  | 'MeetingSummonsDeclined'
  | 'MeetingAttendanceRecorded'
  | 'MeetingMinutesRecorded'
  | 'MeetingCancelled'
export const MEETING_EVENT_TYPES: MeetingEventType[] = [
  'MeetingScheduled',
  'MeetingSummonsConfirmed',
  'MeetingSummonsDeclined',
  'MeetingAttendanceRecorded',
  'MeetingMinutesRecorded',
  'MeetingCancelled',
]

/**
 * One event of the hub's ordered stream. Whistle events carry `whistle`; meeting events (types
 * `Meeting…`) carry `meeting` instead, `whistle` is null and `whistleId` is the meeting's id.
 */
export interface WhistleEvent {
  sequence: number
  type: WhistleEventType | string
  whistleId: string
  assignmentId?: string | null
  occurredAt: string
  actor?: Actor | null
  whistle: WhistleSummary | null
  assignment?: Assignment | null
  step?: EscalationStep | null
  note?: string | null
  noteCode?: string | null
  noteParams?: Record<string, unknown> | null
  meeting?: MeetingSnapshot | null
  /**
   * An institution's submission (issue 17, types `Submission…`, and `AttachmentAdded` for its 补充材料): `whistle` is
   * null and `whistleId` is its id.
   */
  submission?: SubmissionSnapshot | null
  /** The files an event linked (a submission's, a whistle's later note). */
  attachments?: Schemas['AttachmentSnapshot'][] | null
  /** The establishment office's follow-up (issue 17, types `FollowUp…`): `whistle` is null and `whistleId` is its id. */
  followUp?: FollowUpSnapshot | null
}

// ---- coordination meetings (协调会议), issue 8 ----
export type MeetingKind = 'regular' | 'ad-hoc' | 'on-site'
export type MeetingStatus = 'scheduled' | 'held' | 'cancelled'
export type SummonsStatus = 'summoned' | 'confirmed' | 'declined'
export type AttendanceValue = 'present' | 'late' | 'absent'
export const MEETING_KINDS: MeetingKind[] = ['regular', 'ad-hoc', 'on-site']
export const MEETING_STATUSES: MeetingStatus[] = ['scheduled', 'held', 'cancelled']
export const SUMMONS_STATUSES: SummonsStatus[] = ['summoned', 'confirmed', 'declined']
export const ATTENDANCE_VALUES: AttendanceValue[] = ['present', 'late', 'absent']

/** The meeting as a live event describes it (with the summons concerned, when one is). */
export interface MeetingSnapshot {
  id: string
  townshipId: string | null
  kind: MeetingKind | string
  title: string
  place: string
  startsAt: string
  endsAt: string
  confirmBy: string
  status: MeetingStatus | string
  whistleId: string | null
  summons: MeetingSummonsSnapshot | null
}

export interface MeetingSummonsSnapshot {
  id: string
  agencyCode: string
  branchId: string | null
  status: SummonsStatus | string
  attendee: string | null
  reason: string | null
  respondedAt: string | null
  attendance: AttendanceValue | null | string
  checkedInAt: string | null
}

/** Widened: a summons first seen in a live event is built from the event's snapshot (no unit name, no on-time mark). */
export type Summons = Widen<Decoded<Schemas['SummonsDto']>, { unitName?: string; confirmedOnTime?: boolean | null }>

export type MeetingDecision = Schemas['DecisionDto']

/**
 * Widened like Summons: a meeting first seen in a live event is built from its snapshot (no organizer, no files).
 * `attachments`: the minutes' photos and files (issue 14; a page of meetings sends none).
 */
export type Meeting = Widen<Decoded<Schemas['MeetingDto']>, { organizer?: Actor | null; summons: Summons[]; attachments?: Attachment[] }>

export type ScheduleMeetingRequest = Narrow<Sendable<Decoded<Schemas['ScheduleMeetingRequest']>>, { kind: MeetingKind; recurrence?: { every: 'week' | 'month'; count: number } | null }>

export type DecisionInput = Sendable<Schemas['DecisionRequest']>

export type AttendanceInput = Narrow<Sendable<Schemas['AttendanceEntry']>, { attendance: AttendanceValue }>

export type DemoUser = User

/** The values a problem's text needs (docs/API.md, "Problem codes"). */
export type ProblemParams = Record<string, string | number | boolean | null>

/** One field's problem in a 400: its code and values. */
export interface FieldProblem {
  code: string
  params?: ProblemParams
}

export interface ProblemDetails {
  type?: string
  title?: string
  status?: number
  /** English, for API clients; the UI shows the translated `code`. */
  detail?: string
  /** Stable, kebab-case (Whistle.Core/Problems/ProblemCodes.cs). */
  code?: string
  params?: ProblemParams
  errors?: Record<string, string[] | string>
  /** Beside `errors` on a 400: each field's problems as codes. */
  codes?: Record<string, FieldProblem[]>
  [key: string]: unknown
}

export type RaiseWhistleRequest = Narrow<Sendable<Decoded<Schemas['RaiseWhistleRequest']>>, { urgency: Urgency }>

// ---- assessment (实绩考核), issue 4 ----
export type AssessmentPeriod = 'day' | 'week' | 'month'
export const ASSESSMENT_PERIODS: AssessmentPeriod[] = ['day', 'week', 'month']

/** The API always writes all three (the document marks none required: a C# class with settable properties). */
export type AssessmentWeights = Required<Decoded<Schemas['AssessmentWeights']>>

/**
 * One unit's figures (the document's UnitFigures, also in GET /api/stats/response-times and the assessment forms).
 * `responseDue` / `resolutionDue`: the rates' denominators — reported (resolved), or past report-by (resolve-by) as of
 * `asOf`; `reassigned`: duties a supervisor moved to another unit (改派), not declines; meetings: summoned, confirmed
 * by the deadline, reported in (present or late), late, absent.
 */
export type AssessmentUnit = Decoded<Schemas['UnitFigures']>

export interface HistogramBucket {
  upToMinutes: number | null
  count: number
}

export interface TrendPoint {
  date: string
  assignments: number
  reportedWithinLimit: number
  responseDue?: number
  resolved: number
  resolutionDue?: number
  responseRate: number | null
  resolutionRate: number | null
}

export interface Assessment {
  period?: AssessmentPeriod | string | null
  from: string
  to: string
  /** The moment the rates were counted at: a duty counts once its limit passed before it, or once finished. */
  asOf?: string
  weights?: AssessmentWeights
  agencies: AssessmentUnit[]
  branches: AssessmentUnit[]
  timeToReportHistogram?: HistogramBucket[]
  trend?: TrendPoint[]
  /** Issue 17: the level counted (`township`, `city`, `both`) and, at the city level, the institutions ranked overall, each department's ranking of its institutions, the offices and the relations. */
  level?: AssessmentLevel | string
  institutions?: AssessmentUnit[]
  departments?: DepartmentRanking[]
  offices?: AssessmentUnit[]
  relations?: AssessmentUnit[]
}

export type AssessmentLevel = 'township' | 'city' | 'both'

/** A department's ranking of the institutions it asks (on its own work requests). */
export interface DepartmentRanking {
  departmentId: string
  departmentName: string
  departmentNameEn: string
  institutions: AssessmentUnit[]
}

// ---- whistle list upkeep: audit trail ----
export interface AuditEntry {
  id: string
  at: string
  userName: string
  displayName: string
  entity: 'matter' | 'agency' | string
  key: string
  action: 'created' | 'changed' | 'retired' | string
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
  remoteAddress?: string | null
  /** The row's place in the audit chain and its hash (null until the sealer chained it). */
  position?: number | null
  hash?: string | null
}

export type AuditChainEnd = Decoded<Schemas['AuditChainEnd']>

export type AuditBrokenLink = Decoded<Schemas['AuditBrokenLink']>

export type AuditVerification = Decoded<Schemas['AuditVerificationDto']>

// ---- issue 11: accounts, for the security administrator ----
export type Account = Schemas['AccountDto']

export type CreateAccountRequest = Schemas['CreateAccountRequest']

// ---- the city level (issue 17): departments, institutions, relations and their lists of work items ----
export type RelationKind = 'one-to-one' | 'one-to-many-service' | 'many-to-one-guidance'
export const RELATION_KINDS: RelationKind[] = ['one-to-one', 'one-to-many-service', 'many-to-one-guidance']
/** An office (内设机构) or a linked stationed branch of an institution. */
export type CityUnit = Decoded<Schemas['CityUnitDto']>
export type CityInstitution = Decoded<Schemas['CityInstitutionDto']>
export type CityDepartment = Decoded<Schemas['CityDepartmentDto']>
/** A department of a relation: `lead` (牵头) or `member`; a guiding department's `field`. */
export type RelationDepartment = Decoded<Schemas['RelationDepartmentDto']>
/**
 * One item of a relation's list of work items (工作事项清单): what may be asked, how, to what standard, within what
 * limits; `departmentId`: a guiding department asks only in its field; `unitId`: the office (or linked branch) that
 * answers, absent = the institution itself.
 */
export type WorkItem = Decoded<Schemas['WorkItemDto']>
export type MechanismRecord = Decoded<Schemas['MechanismDto']>
export type Relation = Decoded<Schemas['RelationDto']>
export type City = Decoded<Schemas['CityDto']>
/** POST /api/work-requests (a department). */
export type RaiseWorkRequest = Sendable<Decoded<Schemas['RaiseWorkRequest']>>

// ---- the city level (issue 17): an institution's submissions to its departments (请示, 报告, 选拔任用备案) ----
export type SubmissionKind = 'request' | 'report' | 'filing'
export const SUBMISSION_KINDS: SubmissionKind[] = ['request', 'report', 'filing']
export type SubmissionStatus = 'open' | 'answered'
/** 批复 同意 / 不同意 (a request), 阅知 (a report), 备案确认 / 提出异议 (a filing). */
export type SubmissionAnswer = 'approved' | 'disapproved' | 'noted' | 'acknowledged' | 'objected'
export const SUBMISSION_ANSWERS: Record<SubmissionKind, SubmissionAnswer[]> = {
  request: ['approved', 'disapproved'],
  report: ['noted'],
  filing: ['acknowledged', 'objected'],
}
/** The township's opinion a stationed branch head's filing follows (its consultation, issue 16). */
export type TownshipOpinion = Decoded<Schemas['TownshipOpinionDto']>
/** Widened: a row first seen in a live event is built from the event's snapshot (names and counters come with the reload). */
export type Submission = Widen<Decoded<Schemas['SubmissionDto']>, { timeline?: WhistleEvent[] | null }>
/** POST /api/submissions (an institution). */
export type SubmitRequest = Sendable<Decoded<Schemas['SubmitRequest']>>
/** POST /api/submissions/{id}/answer (the department addressed). */
export type AnswerSubmissionRequest = Sendable<Decoded<Schemas['AnswerSubmissionRequest']>>
/** A submission as its live events (`Submission…`) describe it; the event's `whistleId` is its id. */
export type SubmissionSnapshot = Decoded<Schemas['SubmissionSnapshot']>
export type FollowUpSnapshot = Decoded<Schemas['FollowUpSnapshot']>
export type SubmissionEventType = 'SubmissionFiled' | 'SubmissionAnswered' | 'SubmissionReminded' | 'SubmissionEscalated'
