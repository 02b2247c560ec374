// Coordination meetings (协调会议, issue 8): form rules, times as Asia/Shanghai wall-clock, who may do what.
import type {
  AttendanceInput,
  AttendanceValue,
  DecisionInput,
  Meeting,
  MeetingKind,
  Org,
  ProblemDetails,
  ScheduleMeetingRequest,
  Summons,
  User,
} from '../api/types'
import { ATTENDANCE_VALUES, MEETING_KINDS } from '../api/types'
import { formatDateTime } from './time'
import { tooLong, type ValidationMessage } from './validation'
import { fieldTexts, problemText } from './problem'

export const MEETING_LIMITS = { title: 100, agenda: 2000, place: 200, attendee: 200, reason: 2000, minutes: 10000, decision: 500 } as const
export const MAX_DECISIONS = 20
export const RECURRENCE_COUNT = { min: 2, max: 12 } as const
/** The matter code of a whistle made from a meeting's decision. */
export const DECISION_MATTER_CODE = 'meeting-decision'

/** Asia/Shanghai is UTC+8 all year (no daylight saving). */
const SHANGHAI_OFFSET_MS = 8 * 3600_000

/**
 * A native `datetime-local` value (`2026-11-15T09:30`, wall-clock time in Asia/Shanghai whatever the
 * browser's zone) → ISO UTC (`2026-11-15T01:30:00.000Z`). Null when empty or invalid.
 */
export function shanghaiLocalToIso(local: string | null | undefined): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec((local ?? '').trim())
  if (!m) return null
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)))
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - SHANGHAI_OFFSET_MS
  const back = new Date(ms + SHANGHAI_OFFSET_MS)
  if (back.getUTCDate() !== d || back.getUTCMonth() !== mo - 1) return null // 2026-02-30 and the like
  return new Date(ms).toISOString()
}

/** ISO (any offset) → the `datetime-local` value in Asia/Shanghai (`2026-11-15T09:30`). */
export function isoToShanghaiLocal(value: string | number | Date | null | undefined): string {
  const text = formatDateTime(value)
  return text ? text.replace(' ', 'T') : ''
}

/** `YYYYMMDD` of a moment in Asia/Shanghai. */
export function shanghaiCompactDate(value: string | number | Date): string {
  return formatDateTime(value).slice(0, 10).replace(/-/g, '')
}

/** The calendar file's name: `meeting-YYYYMMDD.ics`, the start's date in Asia/Shanghai. */
export function icsFileName(startsAt: string): string {
  return `meeting-${shanghaiCompactDate(startsAt) || 'unknown'}.ics`
}

/** `datetime-local` of a day `days` after `now` (Shanghai calendar) at `hh:mm` Shanghai time. */
export function shanghaiDayAt(now: number, days: number, hh: number, mm = 0): string {
  const local = new Date(now + SHANGHAI_OFFSET_MS) // its UTC fields are Shanghai's wall clock
  const d = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days, hh, mm))
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(hh)}:${p(mm)}`
}

// ---- the schedule form ----

export type Recurrence = 'none' | 'week' | 'month'

export interface MeetingForm {
  kind: MeetingKind
  title: string
  agenda: string
  place: string
  /** `datetime-local` values, Asia/Shanghai. */
  startsAt: string
  endsAt: string
  confirmBy: string
  /** Agencies summoned: each resolves to its branch in the meeting's township (or the agency itself). */
  agencyCodes: string[]
  recurrence: Recurrence
  recurrenceCount: number
  whistleId: string
  /** Supervisors: a township, or empty for a county-wide meeting. */
  townshipId: string
}

export type MeetingField =
  | 'kind'
  | 'title'
  | 'agenda'
  | 'place'
  | 'startsAt'
  | 'endsAt'
  | 'confirmBy'
  | 'agencyCodes'
  | 'branchIds'
  | 'recurrence'
  | 'whistleId'
  | 'townshipId'
  | 'institutionIds'
  | 'departmentIds'
export const MEETING_FIELDS: readonly MeetingField[] = [
  'kind',
  'title',
  'agenda',
  'place',
  'startsAt',
  'endsAt',
  'confirmBy',
  'agencyCodes',
  'branchIds',
  'recurrence',
  'whistleId',
  'townshipId',
  'institutionIds',
  'departmentIds',
]

export function emptyMeetingForm(now: number): MeetingForm {
  return {
    kind: 'regular',
    title: '',
    agenda: '',
    place: '',
    startsAt: shanghaiDayAt(now, 1, 9),
    endsAt: '',
    confirmBy: '',
    agencyCodes: [],
    recurrence: 'none',
    recurrenceCount: 3,
    whistleId: '',
    townshipId: '',
  }
}

/** Mirrors the API's rules for POST /api/meetings. */
export function validateMeeting(f: MeetingForm, now: number): Partial<Record<MeetingField, ValidationMessage>> {
  const errors: Partial<Record<MeetingField, ValidationMessage>> = {}
  if (!MEETING_KINDS.includes(f.kind)) errors.kind = { key: 'validation.required' }
  const title = f.title.trim()
  if (!title) errors.title = { key: 'validation.required' }
  else if (title.length > MEETING_LIMITS.title) errors.title = tooLong(title, MEETING_LIMITS.title)!
  if (f.agenda.trim().length > MEETING_LIMITS.agenda) errors.agenda = tooLong(f.agenda.trim(), MEETING_LIMITS.agenda)!
  const place = f.place.trim()
  if (!place) errors.place = { key: 'validation.required' }
  else if (place.length > MEETING_LIMITS.place) errors.place = tooLong(place, MEETING_LIMITS.place)!
  const start = shanghaiLocalToIso(f.startsAt)
  const startMs = start ? Date.parse(start) : NaN
  if (!start) errors.startsAt = { key: f.startsAt.trim() ? 'validation.dateTime' : 'validation.required' }
  else if (startMs <= now) errors.startsAt = { key: 'meeting.validation.startFuture' }
  if (f.endsAt.trim()) {
    const end = shanghaiLocalToIso(f.endsAt)
    if (!end) errors.endsAt = { key: 'validation.dateTime' }
    else if (Number.isFinite(startMs) && (Date.parse(end) <= startMs || Date.parse(end) - startMs > 24 * 3600_000))
      errors.endsAt = { key: 'meeting.validation.endAfterStart' }
  }
  if (f.confirmBy.trim()) {
    const by = shanghaiLocalToIso(f.confirmBy)
    if (!by) errors.confirmBy = { key: 'validation.dateTime' }
    else if (Date.parse(by) <= now || (Number.isFinite(startMs) && Date.parse(by) > startMs))
      errors.confirmBy = { key: 'meeting.validation.confirmByRange' }
  }
  if (f.agencyCodes.length === 0) errors.agencyCodes = { key: 'meeting.validation.unitsRequired' }
  else if (f.agencyCodes.length > 50) errors.agencyCodes = { key: 'meeting.validation.unitsMax', params: { max: 50 } }
  if (
    f.recurrence !== 'none' &&
    (!Number.isInteger(f.recurrenceCount) || f.recurrenceCount < RECURRENCE_COUNT.min || f.recurrenceCount > RECURRENCE_COUNT.max)
  )
    errors.recurrence = { key: 'meeting.validation.recurrenceCount', params: RECURRENCE_COUNT }
  return errors
}

/** The POST /api/meetings body (a township's own township is implied; a supervisor's may be chosen). */
export function scheduleRequest(f: MeetingForm, role: User['role'] | undefined): ScheduleMeetingRequest {
  const endsAt = shanghaiLocalToIso(f.endsAt)
  const confirmBy = shanghaiLocalToIso(f.confirmBy)
  // A joint meeting (联席会议, issue 17): the picker's choices are the other side of the convener's relations.
  const chosen = [...new Set(f.agencyCodes)]
  const participants =
    role === 'department'
      ? { agencyCodes: [], branchIds: [], institutionIds: chosen }
      : role === 'institution'
        ? { agencyCodes: [], branchIds: [], departmentIds: chosen }
        : { agencyCodes: chosen, branchIds: [] }
  return {
    kind: f.whistleId ? 'on-site' : f.kind,
    title: f.title.trim(),
    agenda: f.agenda.trim(),
    place: f.place.trim(),
    startsAt: shanghaiLocalToIso(f.startsAt) ?? '',
    ...(endsAt ? { endsAt } : {}),
    ...(confirmBy ? { confirmBy } : {}),
    ...(f.whistleId ? { whistleId: f.whistleId } : {}),
    ...(role === 'supervisor' && f.townshipId ? { townshipId: f.townshipId } : {}),
    ...participants,
    ...(f.recurrence !== 'none' ? { recurrence: { every: f.recurrence, count: f.recurrenceCount } } : {}),
  }
}

export interface UnitOption {
  agencyCode: string
  /** The agency's branch stationed in the meeting's township (what the summons goes to), if any. */
  branchId: string | null
}

/** Every agency as a choice, each with its branch in the township (null: the agency itself is summoned). */
export function unitOptions(org: Pick<Org, 'agencies' | 'branches'>, townshipId: string | null | undefined): UnitOption[] {
  return org.agencies.map((a) => ({
    agencyCode: a.code,
    branchId: townshipId ? (org.branches.find((b) => b.agencyCode === a.code && b.townshipId === townshipId)?.id ?? null) : null,
  }))
}

/**
 * The picker starts empty (issue 13: it used to start with every branch chosen, so a clerk who wanted three had to
 * remove all the others); "全选" chooses every unit it offers, "清空" none.
 */
export function startingUnitCodes(): string[] {
  return []
}

/** Every unit the picker offers (全选): each agency, through its branch in the township or itself. */
export function allUnitCodes(org: Pick<Org, 'agencies' | 'branches'>, townshipId: string | null | undefined): string[] {
  return unitOptions(org, townshipId).map((u) => u.agencyCode)
}

// ---- who may do what ----

/** The organizer: the meeting's township; supervisors for a county-wide meeting; a joint meeting's convening department or institution. */
export function isOrganizer(user: Pick<User, 'role' | 'orgId'> | null | undefined, m: Pick<Meeting, 'townshipId'> & { convenerKind?: string | null }): boolean {
  if (!user) return false
  if (m.convenerKind === 'department' || m.convenerKind === 'institution') return user.role === m.convenerKind && user.orgId === m.townshipId
  return m.townshipId ? user.role === 'township' && user.orgId === m.townshipId : user.role === 'supervisor'
}

/** Does this unit answer the summons (the branch; the agency for a summons to the agency itself)? */
export function ownsSummons(
  user: Pick<User, 'role' | 'orgId'> | null | undefined,
  s: Pick<Summons, 'agencyCode' | 'branchId'> & { participantKind?: string | null },
): boolean {
  if (!user) return false
  // A joint meeting's summons: the department or the institution (its own account) answers it.
  if (s.participantKind === 'department' || s.participantKind === 'institution') return user.role === s.participantKind && s.agencyCode === user.orgId
  if (user.role === 'department' || user.role === 'institution') return false
  if ((s.participantKind ?? 'unit') !== 'unit') return false
  if (user.role === 'branch') return !!s.branchId && s.branchId === user.orgId
  if (user.role === 'agency') return !s.branchId && s.agencyCode === user.orgId
  return false
}

/** The summons of a meeting that concern a branch/agency user's inbox (an agency also sees its branches'). */
export function summonsInInbox(user: Pick<User, 'role' | 'orgId'> | null | undefined, m: Pick<Meeting, 'summons'>): Summons[] {
  if (!user) return []
  if (user.role === 'branch') return (m.summons ?? []).filter((s) => s.branchId === user.orgId)
  if (user.role === 'agency') return (m.summons ?? []).filter((s) => s.agencyCode === user.orgId && (s.participantKind ?? 'unit') === 'unit')
  if (user.role === 'institution') return (m.summons ?? []).filter((s) => s.participantKind === 'institution' && s.agencyCode === user.orgId)
  return []
}

export interface InboxSummons {
  meeting: Meeting
  summons: Summons
}

/** The inbox's summons section: scheduled meetings only, unanswered first, then the soonest. */
export function inboxSummons(user: Pick<User, 'role' | 'orgId'> | null | undefined, meetings: readonly Meeting[]): InboxSummons[] {
  const rows: InboxSummons[] = []
  for (const m of meetings) {
    if (m.status !== 'scheduled') continue
    for (const s of summonsInInbox(user, m)) rows.push({ meeting: m, summons: s })
  }
  const waiting = (r: InboxSummons) => (r.summons.status === 'summoned' && ownsSummons(user, r.summons) ? 0 : 1)
  return rows.sort((a, b) => waiting(a) - waiting(b) || Date.parse(a.meeting.startsAt) - Date.parse(b.meeting.startsAt))
}

/** Upcoming meetings soonest first; past ones latest first. */
/** The most a page of GET /api/meetings holds (the API's MeetingQueries.MaxPageSize). */
export const MEETINGS_MAX_PAGE_SIZE = 100

/**
 * Every item of a paged list (GET /api/meetings pages as GET /api/whistles does): pages are fetched until the
 * total is reached or a page comes back empty, at most `maxPages`; an item that moved between two pages while
 * they were read is kept once.
 */
export async function allPages<T extends { id: string }>(
  fetchPage: (page: number) => Promise<{ items: T[]; total?: number }>,
  maxPages = 50,
): Promise<T[]> {
  const seen = new Map<string, T>()
  for (let page = 1; page <= maxPages; page++) {
    const res = await fetchPage(page)
    for (const item of res.items) if (!seen.has(item.id)) seen.set(item.id, item)
    if (res.items.length === 0 || seen.size >= (res.total ?? 0)) break
  }
  return [...seen.values()]
}

export function sortMeetings(list: readonly Meeting[], order: 'upcoming' | 'past'): Meeting[] {
  const sign = order === 'upcoming' ? 1 : -1
  return [...list].sort((a, b) => sign * (Date.parse(a.startsAt) - Date.parse(b.startsAt)) || a.id.localeCompare(b.id))
}

export interface SummonsCounts {
  summoned: number
  confirmed: number
  declined: number
  present: number
  late: number
  absent: number
  total: number
}

export function summonsCounts(m: Pick<Meeting, 'summons'>): SummonsCounts {
  const c: SummonsCounts = { summoned: 0, confirmed: 0, declined: 0, present: 0, late: 0, absent: 0, total: 0 }
  for (const s of m.summons ?? []) {
    c.total++
    if (s.status === 'summoned' || s.status === 'confirmed' || s.status === 'declined') c[s.status]++
    if (s.attendance === 'present' || s.attendance === 'late' || s.attendance === 'absent') c[s.attendance]++
  }
  return c
}

/** Attendance entries to send: the choices that differ from what is recorded. */
export function attendanceEntries(summons: readonly Summons[], chosen: Readonly<Record<string, AttendanceValue | '' | undefined>>): AttendanceInput[] {
  const out: AttendanceInput[] = []
  for (const s of summons) {
    const value = chosen[s.id]
    if (!value || !ATTENDANCE_VALUES.includes(value) || value === s.attendance) continue
    out.push({ summonsId: s.id, attendance: value })
  }
  return out
}

// ---- minutes and decisions ----

export interface DecisionDraft {
  text: string
  /** The responsible unit; at a joint meeting the work request's target (`relationId` or `relationId|unitId`, see jointDecisionTargets). */
  agencyCode: string
  /** `datetime-local`, Asia/Shanghai. */
  dueAt: string
}

export type DecisionField = 'text' | 'agencyCode' | 'dueAt'

export interface MinutesErrors {
  minutes?: ValidationMessage
  decisions: Record<number, Partial<Record<DecisionField, ValidationMessage>>>
}

export function hasMinutesErrors(e: MinutesErrors): boolean {
  return !!e.minutes || Object.values(e.decisions).some((d) => Object.keys(d).length > 0)
}

/**
 * Mirrors the API's rules for POST /api/meetings/{id}/minutes. A joint meeting's decision names its handling unit
 * (承办单位), a township's a responsible agency: the missing unit is asked for in the meeting's words.
 */
export function validateMinutes(minutes: string, decisions: readonly DecisionDraft[], now: number, joint = false): MinutesErrors {
  const errors: MinutesErrors = { decisions: {} }
  const text = minutes.trim()
  if (!text) errors.minutes = { key: 'validation.required' }
  else if (text.length > MEETING_LIMITS.minutes) errors.minutes = tooLong(text, MEETING_LIMITS.minutes)!
  decisions.forEach((d, i) => {
    const e: Partial<Record<DecisionField, ValidationMessage>> = {}
    const dt = d.text.trim()
    if (!dt) e.text = { key: 'validation.required' }
    else if (dt.length > MEETING_LIMITS.decision) e.text = tooLong(dt, MEETING_LIMITS.decision)!
    if (!d.agencyCode) e.agencyCode = { key: joint ? 'city.joint.decisionTargetRequired' : 'meeting.validation.agencyRequired' }
    const due = shanghaiLocalToIso(d.dueAt)
    if (!due) e.dueAt = { key: d.dueAt.trim() ? 'validation.dateTime' : 'validation.required' }
    else if (Date.parse(due) <= now) e.dueAt = { key: 'meeting.validation.dueFuture' }
    if (Object.keys(e).length) errors.decisions[i] = e
  })
  return errors
}

export function decisionInputs(decisions: readonly DecisionDraft[], joint = false): DecisionInput[] {
  return decisions.map((d) => {
    const dueAt = shanghaiLocalToIso(d.dueAt) ?? ''
    if (!joint) return { text: d.text.trim(), agencyCode: d.agencyCode, dueAt }
    // A joint meeting's decision is a work request along a relation (to its institution, or the office chosen).
    const [relationId, unitId] = d.agencyCode.split('|')
    return { text: d.text.trim(), relationId, ...(unitId ? { unitId } : {}), dueAt }
  })
}

/**
 * The API's 400 for minutes: `errors` keyed `minutes`, `decisions`, `decisions[0].text`,
 * `decisions[1].dueAt`… → messages for the minutes field, each decision's fields, and the rest.
 */
export function minutesProblem(problem: ProblemDetails | null | undefined): {
  minutes: string[]
  decisions: Record<number, Partial<Record<DecisionField | 'branchId', string[]>>>
  general: string[]
} {
  const out = { minutes: [] as string[], decisions: {} as Record<number, Partial<Record<DecisionField | 'branchId', string[]>>>, general: [] as string[] }
  const errors = problem?.errors
  if (errors && typeof errors === 'object') {
    for (const key of Object.keys(errors)) {
      const messages = fieldTexts(problem!, key)
      if (!messages.length) continue
      const m = /^(?:\$\.)?decisions\[(\d+)\]\.(\w+)$/i.exec(key.trim())
      const field = m ? m[2].charAt(0).toLowerCase() + m[2].slice(1) : ''
      if (m && (field === 'text' || field === 'agencyCode' || field === 'dueAt' || field === 'branchId' || field === 'relationId' || field === 'unitId')) {
        const d = (out.decisions[Number(m[1])] ??= {})
        // A joint meeting's relation or office is the form's one target field.
        const shown = field === 'relationId' || field === 'unitId' ? 'agencyCode' : field
        ;(d[shown as DecisionField | 'branchId'] ??= []).push(...messages)
      } else if (/^(?:\$\.)?minutes$/i.test(key.trim())) out.minutes.push(...messages)
      else out.general.push(...messages)
    }
  }
  if (!out.minutes.length && !out.general.length && !Object.keys(out.decisions).length) {
    if (problem) out.general.push(problemText(problem))
  }
  return out
}
