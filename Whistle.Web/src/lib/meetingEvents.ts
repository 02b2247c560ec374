// Meeting events (协调会议) travel the hub's ordered stream beside whistle events: same `whistleEvent`
// method, same CatchUp. Their `whistleId` is the MEETING's id and `whistle` is null; they must
// never be taken for a whistle.
import type { Meeting, MeetingSnapshot, WhistleEvent } from '../api/types'
import { MEETING_EVENT_TYPES } from '../api/types'

const MEETING_TYPES = new Set<string>(MEETING_EVENT_TYPES)

/** Is this a meeting's event (by its type, or by carrying a meeting and no whistle)? */
export function isMeetingEvent(e: Pick<WhistleEvent, 'type'> & { whistle?: unknown; meeting?: unknown } | null | undefined): boolean {
  if (!e) return false
  if (typeof e.type === 'string' && (MEETING_TYPES.has(e.type) || e.type.startsWith('Meeting'))) return true
  return !e.whistle && !!e.meeting
}

/** Is this a whistle's event that carries the whistle's summary (what lists, inbox and board need)? */
export function isWhistleEvent(e: WhistleEvent | null | undefined): boolean {
  return !!e && !isMeetingEvent(e)
}

/** The meeting id of a meeting event (the snapshot's id, else `whistleId`). */
export function meetingIdOf(e: WhistleEvent): string {
  return e.meeting?.id ?? e.whistleId
}

/**
 * Applies a meeting event's snapshot to a meeting on screen (status, times, place, and the summons
 * concerned). The refresh that follows brings the rest (minutes, decisions, other summons).
 */
export function applyEventToMeeting(m: Meeting, e: WhistleEvent, stale = false): Meeting {
  if (stale || !isMeetingEvent(e) || meetingIdOf(e) !== m.id) return m
  const snap: MeetingSnapshot | null | undefined = e.meeting
  if (!snap) return m
  let next: Meeting = {
    ...m,
    status: snap.status ?? m.status,
    title: snap.title ?? m.title,
    place: snap.place ?? m.place,
    startsAt: snap.startsAt ?? m.startsAt,
    endsAt: snap.endsAt ?? m.endsAt,
    confirmBy: snap.confirmBy ?? m.confirmBy,
  }
  const s = snap.summons
  if (s && s.id) {
    const i = next.summons.findIndex((x) => x.id === s.id)
    if (i >= 0) {
      const summons = [...next.summons]
      summons[i] = { ...summons[i], ...s }
      next = { ...next, summons }
    }
  }
  return next
}

/** Applies a meeting event to a list of meetings (known ones only; a new one comes with the refresh). */
export function applyEventToMeetings(list: readonly Meeting[], e: WhistleEvent, stale = false): Meeting[] {
  if (!isMeetingEvent(e)) return list as Meeting[]
  const id = meetingIdOf(e)
  const i = list.findIndex((m) => m.id === id)
  if (i < 0) return list as Meeting[]
  const updated = applyEventToMeeting(list[i], e, stale)
  if (updated === list[i]) return list as Meeting[]
  const copy = [...list]
  copy[i] = updated
  return copy
}

/**
 * Whether a list of meetings needs a reload after this meeting event: a meeting it does not have yet (the snapshot
 * carries one summons only), or attendance (its event names no summons).
 */
export function meetingsNeedReload(list: readonly Meeting[], e: WhistleEvent, stale = false): boolean {
  if (stale || !isMeetingEvent(e)) return false
  if (!list.some((m) => m.id === meetingIdOf(e))) return true
  return e.type === 'MeetingAttendanceRecorded' || (!e.meeting?.summons && e.type.startsWith('MeetingSummons'))
}

/** Whether a meeting page needs a reload after this event: attendance, minutes and decisions are not in the event. */
export function meetingNeedsReload(m: Meeting | null, e: WhistleEvent, stale = false): boolean {
  if (!m || stale || !isMeetingEvent(e) || meetingIdOf(e) !== m.id) return false
  return e.type === 'MeetingAttendanceRecorded' || e.type === 'MeetingMinutesRecorded' || (!e.meeting?.summons && e.type.startsWith('MeetingSummons'))
}
