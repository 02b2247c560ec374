import type { Assignment, InboxAssignment, TimelineEntry, Whistle, WhistleEvent } from '../api/types'
import { isMeetingEvent } from './meetingEvents'

/**
 * Live events change what is on screen by their snapshots (PRODUCT.md §5: an event carries the whistle's summary and
 * the assignment concerned). A list is patched, not reloaded: a reload costs every open page a request per event.
 * Only an event that cannot be applied in full asks for a reload (`…NeedsReload`): a row the list does not have yet
 * (the summary lacks the address and description), ratings (a confirm carries none), an assignment event without its
 * snapshot. Stale events (a newer one of the same whistle was applied) change nothing and need nothing.
 */

/** Inserts or replaces an assignment by id (keeps order; new ones go last). */
export function upsertAssignment(list: readonly Assignment[], a: Assignment): Assignment[] {
  const i = list.findIndex((x) => x.id === a.id)
  if (i < 0) return [...list, a]
  const copy = [...list]
  copy[i] = { ...copy[i], ...a }
  return copy
}

/**
 * What an event does to an assignment it does not carry: a reassignment (改派) ends the open duty it replaced as
 * `reassigned` (a declined one stays declined); a reopen sends the whistle's resolved duties back to `reported`.
 */
export function sideEffect<A extends Assignment>(a: A, e: WhistleEvent): A {
  if (a.whistleId !== e.whistleId) return a
  if (e.type === 'AssignmentReassigned' && e.assignment?.previousAssignmentId === a.id && (a.status === 'dispatched' || a.status === 'reported'))
    return { ...a, status: 'reassigned', reassignedAt: e.occurredAt }
  if (e.type === 'WhistleReopened' && a.status === 'resolved') return { ...a, status: 'reported', resolvedAt: null }
  return a
}

function touchesOthers(e: WhistleEvent): boolean {
  return (e.type === 'AssignmentReassigned' && !!e.assignment?.previousAssignmentId) || e.type === 'WhistleReopened'
}

/** The timeline entry an event adds (the detail page shows the timeline). */
export function timelineEntryOf(e: WhistleEvent): TimelineEntry {
  return {
    sequence: e.sequence,
    type: e.type,
    occurredAt: e.occurredAt,
    actor: e.actor ?? null,
    assignmentId: e.assignmentId ?? e.assignment?.id ?? null,
    note: e.note ?? null,
    noteCode: e.noteCode ?? null,
    noteParams: e.noteParams ?? null,
    step: e.step ?? null,
  }
}

/**
 * Applies a live event's snapshots to one whistle: its status, the assignment concerned, what the event does to the
 * others (改派, reopen) and, where the timeline is on screen, the event's entry. A stale event changes nothing.
 */
export function applyEventToWhistle(w: Whistle, e: WhistleEvent, stale = false): Whistle {
  if (e.whistleId !== w.id || stale || isMeetingEvent(e)) return w
  let next: Whistle = w
  if (e.whistle?.status && e.whistle.status !== w.status) next = { ...next, status: e.whistle.status }
  if (touchesOthers(e)) {
    const assignments = (next.assignments ?? []).map((a) => sideEffect(a, e))
    if (assignments.some((a, i) => a !== next.assignments[i])) next = { ...next, assignments }
  }
  if (e.assignment && e.assignment.id) next = { ...next, assignments: upsertAssignment(next.assignments ?? [], e.assignment) }
  if (next.timeline && Number.isFinite(e.sequence) && !next.timeline.some((x) => x.sequence === e.sequence)) {
    next = { ...next, timeline: [...next.timeline, timelineEntryOf(e)].sort((a, b) => a.sequence - b.sequence) }
  }
  return next
}

/** Whether a whistle on screen (with its timeline) needs the server's answer after this event. */
export function whistleNeedsReload(w: Whistle | null, e: WhistleEvent, stale = false): boolean {
  // Not loaded yet: the load under way brings it.
  if (!w || stale || isMeetingEvent(e) || e.whistleId !== w.id) return false
  if (e.type === 'WhistleConfirmed') return true // the ratings are not in the event
  if (e.type === 'AttachmentAdded' || e.type === 'AttachmentRemoved') return true // the photos and files, with their links
  return !!e.assignmentId && !e.assignment
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
    raisedAt: e.occurredAt,
    assignments: e.assignment ? [e.assignment] : [],
  }
  return [placeholder, ...list]
}

/**
 * Whether a list of whistles needs a reload after this event: a whistle it does not have yet (shown at once as a
 * placeholder from the summary, completed by the reload), or an assignment event without its snapshot.
 */
export function whistlesNeedReload(list: readonly Whistle[], e: WhistleEvent, stale = false): boolean {
  if (stale || isMeetingEvent(e)) return false
  if (!list.some((w) => w.id === e.whistleId)) return true
  return !!e.assignmentId && !e.assignment
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
  let next = list.map((row) => {
    if (row.whistleId !== e.whistleId) return row
    const moved = touchesOthers(e) ? sideEffect(row, e) : row
    return summary ? { ...moved, whistle: { ...moved.whistle, ...summary } } : moved
  })
  const a = e.assignment
  if (a && a.id) {
    const i = next.findIndex((row) => row.id === a.id)
    if (i < 0 && !accept(a)) return next
    // A new row needs the whistle's summary; without one the reload that follows brings it.
    if (i < 0 && !summary) return next
    const row: InboxAssignment = { ...(i >= 0 ? next[i] : {}), ...a, whistle: { ...(i >= 0 ? next[i].whistle : {}), ...(summary ?? {}) } as InboxAssignment['whistle'] }
    if (i >= 0) next[i] = row
    else next = [row, ...next]
  }
  return next
}

/**
 * Whether an inbox needs a reload after this event: a row it does not have yet (the event's summary lacks the address
 * and description), the ratings of a confirm on a whistle it shows, or an assignment event without its snapshot.
 */
export function inboxNeedsReload(
  list: readonly InboxAssignment[],
  e: WhistleEvent,
  stale = false,
  accept: (a: Assignment) => boolean = () => true,
): boolean {
  if (stale || isMeetingEvent(e)) return false
  // Photos and files added or removed: the cards of that whistle show its thumbnails.
  if (e.type === 'AttachmentAdded' || e.type === 'AttachmentRemoved') return list.some((row) => row.whistleId === e.whistleId)
  const a = e.assignment
  if (a && a.id) return !list.some((row) => row.id === a.id) && accept(a)
  if (e.assignmentId) return list.some((row) => row.id === e.assignmentId)
  // A confirm carries no ratings. A cancel or a reopen of a whistle the list has no row of may add rows to it
  // (撤销 puts a duty into 已结束; a reopen brings a resolved duty back to 在办).
  if (e.type === 'WhistleConfirmed') return true
  if (e.type === 'WhistleCancelled' || e.type === 'WhistleReopened') return !list.some((row) => row.whistleId === e.whistleId)
  return false
}
