import type { Assignment, InboxAssignment, Whistle, WhistleEvent } from '../api/types'
import { isMeetingEvent } from './meetingEvents'

/** Inserts or replaces an assignment by id (keeps order; new ones go last). */
export function upsertAssignment(list: readonly Assignment[], a: Assignment): Assignment[] {
  const i = list.findIndex((x) => x.id === a.id)
  if (i < 0) return [...list, a]
  const copy = [...list]
  copy[i] = { ...copy[i], ...a }
  return copy
}

/**
 * Applies a live event's snapshots to one whistle. A stale event (a newer one of the same
 * whistle was applied already) changes nothing: the refresh that follows every event brings
 * the server's truth anyway.
 */
export function applyEventToWhistle(w: Whistle, e: WhistleEvent, stale = false): Whistle {
  if (e.whistleId !== w.id || stale || isMeetingEvent(e)) return w
  let next: Whistle = w
  if (e.whistle?.status && e.whistle.status !== w.status) next = { ...next, status: e.whistle.status }
  if (e.assignment && e.assignment.id) next = { ...next, assignments: upsertAssignment(next.assignments ?? [], e.assignment) }
  return next
}

/** Applies an event to a list of whistles; a raised whistle that is not yet listed is put first. */
export function applyEventToWhistles(list: readonly Whistle[], e: WhistleEvent, stale = false): Whistle[] {
  // A meeting's event never touches a whistle list (its whistleId is the meeting's id).
  if (isMeetingEvent(e)) return list as Whistle[]
  const i = list.findIndex((w) => w.id === e.whistleId)
  if (i >= 0) {
    const updated = applyEventToWhistle(list[i], e, stale)
    if (updated === list[i]) return list as Whistle[]
    const copy = [...list]
    copy[i] = updated
    return copy
  }
  if (stale || !e.whistle) return list as Whistle[]
  const placeholder: Whistle = {
    id: e.whistle.id,
    title: e.whistle.title,
    description: e.whistle.description ?? '',
    address: e.whistle.address ?? '',
    matterCode: e.whistle.matterCode,
    urgency: e.whistle.urgency,
    status: e.whistle.status,
    townshipId: e.whistle.townshipId,
    raisedBy: e.type === 'WhistleRaised' ? (e.actor ?? null) : null,
    raisedAt: e.type === 'WhistleRaised' ? e.occurredAt : e.occurredAt,
    assignments: e.assignment ? [e.assignment] : [],
  }
  return [placeholder, ...list]
}

/** Applies an event to an inbox: updates the whistle summary on its rows and upserts the assignment. */
export function applyEventToInbox(
  list: readonly InboxAssignment[],
  e: WhistleEvent,
  stale = false,
  /** Whether an assignment not yet listed belongs in this inbox (e.g. a reassignment to another unit does not). */
  accept: (a: Assignment) => boolean = () => true,
): InboxAssignment[] {
  if (stale || isMeetingEvent(e)) return list as InboxAssignment[]
  const summary = e.whistle
  let next = list.map((row) =>
    row.whistleId === e.whistleId && summary ? { ...row, whistle: { ...row.whistle, ...summary } } : row,
  )
  const a = e.assignment
  if (a && a.id) {
    const i = next.findIndex((row) => row.id === a.id)
    if (i < 0 && !accept(a)) return next
    // A new row needs the whistle's summary; without one the refresh that follows brings it.
    if (i < 0 && !summary) return next
    const row: InboxAssignment = { ...(i >= 0 ? next[i] : {}), ...a, whistle: { ...(i >= 0 ? next[i].whistle : {}), ...(summary ?? {}) } as InboxAssignment['whistle'] }
    if (i >= 0) next[i] = row
    else next = [row, ...next]
  }
  return next
}
