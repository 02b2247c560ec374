// How a timeline entry reads: 催办/督办 say which deadline and which repeat; 改派 says from whom to whom.
import type { Actor, Assignment, TimelineEntry } from '../api/types'
import { locale, messages, t, translate } from '../i18n'

export interface TimelineText {
  /** i18n key of the headline. */
  key: string
  params: Record<string, string | number>
  /** The unit line: the assignment concerned, or (改派) the previous and the new one. */
  unit: Assignment | null
  previousUnit: Assignment | null
  /** Done by the system (no actor): the escalation chain. */
  system: boolean
}

/** Events a work request (level `city`, issue 17) words in its own terms: 发起事项 and 派发 rather than 吹哨 and 派单. */
export const CITY_WORDED_EVENTS: readonly string[] = ['WhistleRaised', 'AssignmentDispatched']

export function timelineText(entry: TimelineEntry, byId: ReadonlyMap<string, Assignment>, level: 'township' | 'city' = 'township'): TimelineText {
  const unit = entry.assignmentId ? (byId.get(entry.assignmentId) ?? null) : null
  const system = !entry.actor
  const step = entry.step
  if (entry.type === 'AssignmentReminded' && step?.phase)
    return { key: `timeline.reminded.${step.phase}`, params: {}, unit, previousUnit: null, system }
  if (entry.type === 'AssignmentEscalated' && step?.phase)
    return { key: `timeline.escalated.${step.phase}`, params: { level: step.level > 0 ? step.level : 1 }, unit, previousUnit: null, system }
  if (entry.type === 'AssignmentReassigned') {
    const previousUnit = unit?.previousAssignmentId ? (byId.get(unit.previousAssignmentId) ?? null) : null
    return { key: 'event.AssignmentReassigned', params: {}, unit, previousUnit, system }
  }
  if (level === 'city' && CITY_WORDED_EVENTS.includes(entry.type)) return { key: `city.event.${entry.type}`, params: {}, unit, previousUnit: null, system }
  return { key: `event.${entry.type}`, params: {}, unit, previousUnit: null, system }
}

type UnitCodes = { agencyCode: string; branchId: string | null }

/** A unit as the note's values name it (`agencyCode`, `branchId`), or null. */
function unitOf(value: unknown): UnitCodes | null {
  if (!value || typeof value !== 'object') return null
  const v = value as Record<string, unknown>
  return typeof v.agencyCode === 'string' ? { agencyCode: v.agencyCode, branchId: typeof v.branchId === 'string' ? v.branchId : null } : null
}

/**
 * A timeline entry's note in the UI's language: a note the server wrote itself by its code (`noteCode`, `noteParams`:
 * the unit a duty was dispatched to, a meeting's attendance), a person's words (or an entry recorded before the codes)
 * as written.
 */
export function timelineNote(
  entry: Pick<TimelineEntry, 'note' | 'noteCode' | 'noteParams'>,
  unitName: (unit: UnitCodes) => string,
): string | null {
  const code = entry.noteCode
  const params = entry.noteParams ?? {}
  const tree = messages[locale.value]
  if (code === 'dispatched-to') {
    const unit = unitOf(params)
    const text = unit ? translate(tree, 'timelineNotes.dispatched-to', { unit: unitName(unit) }) : undefined
    if (text) return text
  } else if (code === 'attendance-recorded' && Array.isArray(params.entries)) {
    const parts = params.entries.flatMap((e) => {
      const unit = unitOf(e)
      const attendance = (e as Record<string, unknown>)?.attendance
      if (!unit || typeof attendance !== 'string') return []
      const word = translate(tree, `meeting.attendance.${attendance}`) ?? attendance
      return [t('timelineNotes.attendanceEntry', { unit: unitName(unit), attendance: word })]
    })
    if (parts.length) return t('timelineNotes.attendance-recorded', { entries: parts.join(t('timelineNotes.separator')) })
  } else if (code) {
    const flat = Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === 'string' || typeof v === 'number')) as Record<string, string | number>
    const text = translate(tree, `timelineNotes.${code}`, flat)
    if (text) return text
  }
  return entry.note ?? null
}

/**
 * The actors the server itself acts as, by user name: the dispatcher and the escalation chain (`system`, stored with
 * the name 调度中心) and the server's command line (`cli`). Shown in the UI's language, not as stored.
 */
export const SYSTEM_ACTORS: Readonly<Record<string, string>> = { system: 'actors.system', cli: 'actors.cli' }

/** Who acted, in the UI's language: a system actor by its code, a person by the name they have. */
export function actorName(actor: Pick<Actor, 'userName' | 'displayName'> | null | undefined): string {
  if (!actor) return t('actors.system')
  const key = SYSTEM_ACTORS[actor.userName]
  return key ? t(key) : actor.displayName
}
