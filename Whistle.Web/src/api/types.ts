// Shapes of the Whistle public contract (PRODUCT.md §5) as the web UI uses them.

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

export interface User {
  userName: string
  displayName: string
  role: UserRole
  orgId: string
  orgName: string
}

/**
 * The answer to a sign-in step. With a token: accessToken, expiresAt and user (possibly restricted to changing an
 * expired password or enrolling a second factor). When a code is needed first: secondFactorRequired and a challenge.
 */
export interface TokenResponse {
  accessToken: string | null
  expiresAt: string | null
  user: User | null
  /** Inactivity after which the browser signs out. */
  idleTimeoutSeconds: number
  mustChangePassword: boolean
  mustEnrolSecondFactor: boolean
  secondFactorRequired: boolean
  challenge: string | null
  challengeExpiresAt: string | null
}

export interface SecondFactorStatus {
  enabled: boolean
  required: boolean
  pending: boolean
}

export interface SecondFactorEnrolment {
  secret: string
  otpauthUri: string
}

export interface Actor {
  userName: string
  displayName: string
  orgId: string
}

export interface Limit {
  reportWithinMinutes: number
  resolveWithinMinutes: number
}

export interface MatterAgency {
  agencyCode: string
  agencyName: string
  agencyNameEn?: string
  role: 'lead' | 'co'
}

export interface Matter {
  code: string
  name: string
  nameEn?: string
  category?: string
  categoryEn?: string
  agencies: MatterAgency[]
  limits: Partial<Record<Urgency, Limit>>
  /** false once retired (no new whistles); absent on older servers = active. */
  active?: boolean
}

/** PUT /api/whistle-list/{code} */
export interface MatterUpsert {
  name: string
  nameEn: string
  category: string
  categoryEn: string
  agencies: { agencyCode: string; role: 'lead' | 'co' }[]
  limits: Record<Urgency, Limit>
}

export interface Named {
  name: string
  nameEn?: string
}

export interface Township extends Named {
  id: string
}
export interface Agency extends Named {
  code: string
  hasBranches?: boolean
}
export interface Branch extends Named {
  id: string
  agencyCode: string
  townshipId: string
}
export interface OrgSettings {
  escalation?: { reminderShare: number; repeatEveryMinutes: number }
  assessment?: { weights: AssessmentWeights }
}
export interface Org {
  county?: { id: string } & Named
  townships: Township[]
  agencies: Agency[]
  branches: Branch[]
  settings?: OrgSettings
}

export interface Assignment {
  id: string
  whistleId: string
  agencyCode: string
  branchId: string | null
  role: AssignmentRole
  status: AssignmentStatus
  dispatchedAt: string
  reportedAt?: string | null
  resolvedAt?: string | null
  declinedAt?: string | null
  reportBy?: string | null
  resolveBy?: string | null
  reportByUser?: string | null
  etaMinutes?: number | null
  note?: string | null
  declineReason?: string | null
  rating?: Rating | null
  ratingComment?: string | null
  /** 催办 sent so far (issue 4). */
  reminderCount?: number
  /** 督办 sent so far (issue 4). */
  escalationCount?: number
  lastEscalatedAt?: string | null
  /** Set on an assignment created by reassignment (改派): the declined/replaced one. */
  previousAssignmentId?: string | null
  /** When a supervisor moved this duty to another unit (status `reassigned`). */
  reassignedAt?: string | null
  /** Work due in days (a meeting's decision): the day (YYYY-MM-DD, Asia/Shanghai) the unit expects to finish. */
  expectedOn?: string | null
}

export type StepPhase = 'report' | 'resolve'
/** One step of the escalation chain: level 0 = 催办 (reminder), 1, 2, 3… = 督办 (escalation) repeats. */
export interface EscalationStep {
  phase: StepPhase
  level: number
}

export interface TimelineEntry {
  sequence: number
  type: string
  occurredAt: string
  actor?: Actor | null
  assignmentId?: string | null
  note?: string | null
  /** A note the server wrote itself, by code (docs/API.md, "Timeline notes"); `note` keeps the Chinese text. */
  noteCode?: string | null
  noteParams?: Record<string, unknown> | null
  step?: EscalationStep | null
  attachmentIds?: string[] | null
}

/** A photo or file of a whistle (issue 14); its bytes are read with the token under the whistle's visibility rule. */
export interface Attachment {
  id: string
  whistleId?: string | null
  assignmentId?: string | null
  purpose?: 'raise' | 'report' | 'resolution' | 'note' | 'minutes' | null
  mediaKind: 'image' | 'pdf' | 'document' | 'link'
  fileName: string
  contentType: string
  sizeBytes: number
  width?: number | null
  height?: number | null
  uploadedBy?: Actor | null
  uploadedAt?: string
  note?: string | null
  url: string
  displayUrl?: string | null
  thumbnailUrl?: string | null
}

export interface Whistle {
  id: string
  title: string
  description: string
  address: string
  latitude?: number | null
  longitude?: number | null
  matterCode: string
  urgency: Urgency
  status: WhistleStatus
  townshipId: string
  raisedBy?: Actor | null
  raisedAt: string
  assignments: Assignment[]
  timeline?: TimelineEntry[]
  attachments?: Attachment[]
  /** `city`: a work request — `townshipId` is the requesting department, `matterCode` the work item. Absent = township. */
  level?: WhistleLevel
  /** The relation a work request was raised along. */
  relationId?: string | null
}

export interface Page<T> {
  items: T[]
  page?: number
  pageSize?: number
  total?: number
}

export interface WhistleSummary {
  id: string
  title: string
  status: WhistleStatus
  townshipId: string
  matterCode: string
  urgency: Urgency
  address?: string
  description?: string
  level?: WhistleLevel
  relationId?: string | null
}

export interface InboxAssignment extends Assignment {
  whistle: WhistleSummary
  attachments?: Attachment[] | null
}

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

export interface Summons extends MeetingSummonsSnapshot {
  unitName?: string
  confirmedOnTime?: boolean | null
}

export interface MeetingDecision {
  id: string
  text: string
  agencyCode: string
  branchId: string | null
  dueAt: string
  whistleId: string
  assignmentId: string
}

export interface Meeting {
  id: string
  townshipId: string | null
  kind: MeetingKind | string
  title: string
  agenda: string
  place: string
  startsAt: string
  endsAt: string
  confirmBy: string
  whistleId: string | null
  seriesId: string | null
  status: MeetingStatus | string
  organizer?: Actor | null
  minutes: string | null
  minutesAt: string | null
  summons: Summons[]
  decisions: MeetingDecision[]
}

export interface ScheduleMeetingRequest {
  kind: MeetingKind
  title: string
  agenda: string
  place: string
  startsAt: string
  endsAt?: string
  confirmBy?: string
  whistleId?: string
  townshipId?: string
  agencyCodes: string[]
  branchIds: string[]
  recurrence?: { every: 'week' | 'month'; count: number }
}

export interface DecisionInput {
  text: string
  agencyCode: string
  branchId?: string
  dueAt: string
}

export interface AttendanceInput {
  summonsId: string
  attendance: AttendanceValue
  checkedInAt?: string
}

export interface DemoUser extends User {}

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

export interface RaiseWhistleRequest {
  matterCode: string
  title: string
  description: string
  address: string
  latitude?: number
  longitude?: number
  urgency: Urgency
  extraAgencyCodes?: string[]
  attachmentIds?: string[]
}

// ---- assessment (实绩考核), issue 4 ----
export type AssessmentPeriod = 'day' | 'week' | 'month'
export const ASSESSMENT_PERIODS: AssessmentPeriod[] = ['day', 'week', 'month']

export interface AssessmentWeights {
  response: number
  resolution: number
  satisfaction: number
}

export interface AssessmentUnit {
  unitId: string
  unitName: string
  unitNameEn?: string | null
  agencyCode: string
  townshipId: string | null
  assignments: number
  reported: number
  reportedWithinLimit: number
  /** The response rate's denominator: reported, or unreported past report-by (as of `asOf`). */
  responseDue?: number
  resolved: number
  resolvedWithinLimit: number
  /** The resolution rate's denominator: resolved, or unresolved past resolve-by (as of `asOf`). */
  resolutionDue?: number
  declined: number
  /** Duties a supervisor moved to another unit (改派): not declines. */
  reassigned?: number
  escalated: number
  rated: number
  satisfied: number
  basicallySatisfied: number
  unsatisfied: number
  timeToReportP50: number | null
  timeToReportP90: number | null
  timeToResolveP50: number | null
  timeToResolveP90: number | null
  responseRate: number | null
  resolutionRate: number | null
  satisfactionRate: number | null
  score?: number | null
  rank?: number | null
  /** Coordination meetings: summoned, confirmed by the deadline, reported in (present or late), late, absent. */
  meetingsSummoned?: number
  confirmedOnTime?: number
  reportedIn?: number
  late?: number
  absent?: number
}

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

export interface AuditChainEnd {
  position: number
  hash: string
}

export interface AuditBrokenLink {
  id: number | null
  position: number
  expectedHash: string | null
  storedHash: string | null
  reason: 'changed' | 'not-following' | 'missing-before' | 'out-of-order' | 'beyond-head' | 'missing-at-end' | string
}

export interface AuditVerification {
  verified: boolean
  verifiedRows: number
  unsealedRows: number
  checkpoint: AuditChainEnd
  head: AuditChainEnd
  firstBrokenLink: AuditBrokenLink | null
}

// ---- issue 11: accounts, for the security administrator ----
export interface Account {
  userName: string
  displayName: string
  role: string
  orgId: string
  orgName: string | null
  disabled: boolean
  lockedOut: boolean
  isDemo: boolean
  createdAt: string | null
  createdBy: string | null
  secondFactor?: boolean
}

export interface CreateAccountRequest {
  userName: string
  displayName: string
  role: string
  orgId: string
  password: string
}

// ---- the city level (issue 17): departments, institutions, relations and their lists of work items ----
export type RelationKind = 'one-to-one' | 'one-to-many-service' | 'many-to-one-guidance'
export const RELATION_KINDS: RelationKind[] = ['one-to-one', 'one-to-many-service', 'many-to-one-guidance']

export interface CityUnit {
  id: string
  kind: 'office' | 'branch' | string
  name: string
  nameEn?: string
  branchId?: string | null
  townshipId?: string | null
}

export interface CityInstitution extends Named {
  id: string
  agencyCode?: string | null
  units: CityUnit[]
}

export interface CityDepartment extends Named {
  id: string
}

export interface RelationDepartment {
  departmentId: string
  departmentName: string
  departmentNameEn?: string
  role: 'lead' | 'member' | string
  field?: string | null
  fieldEn?: string | null
}

/** One item of a relation's list of work items (工作事项清单): what may be asked, how, to what standard, within what limits. */
export interface WorkItem {
  code: string
  name: string
  nameEn?: string
  process: string
  content: string
  standard: string
  reportWithinMinutes: number
  resolveWithinMinutes: number
  /** A guiding department asks only in its field: the item names it; absent = every department of the relation. */
  departmentId?: string | null
  /** The office (or linked branch) that answers; absent = the institution itself. */
  unitId?: string | null
  unitName?: string | null
  unitNameEn?: string | null
  active: boolean
}

export interface MechanismRecord {
  kind: string
  recorded: boolean
  title?: string | null
  body?: string | null
  reference?: string | null
}

export interface Relation extends Named {
  id: string
  kind: RelationKind | string
  institutionId: string
  institutionName: string
  institutionNameEn?: string
  leadDepartmentId: string
  departments: RelationDepartment[]
  workItems: WorkItem[]
  mechanism: MechanismRecord[]
  mechanismInPlace: boolean
}

export interface City extends Named {
  id: string
  departments: CityDepartment[]
  institutions: CityInstitution[]
  relations: Relation[]
}

/** POST /api/work-requests (a department). */
export interface RaiseWorkRequest {
  institutionId: string
  workItemCode: string
  title: string
  description?: string
  address?: string
  attachmentIds?: string[]
}
