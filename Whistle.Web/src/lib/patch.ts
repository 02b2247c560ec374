import type { Assignment, InboxAssignment, TimelineEntry, Whistle, WhistleEvent, WhistleSummary } from '../api/types'
import { isMeetingEvent } from './meetingEvents'
import { isSubmissionEvent } from './submissions'
import { isOfficeEvent } from './city'

/**
 * Live events change what is on screen by their snapshots (PRODUCT.md §5: an event carries the whistle's summary and
 * the assignment concerned). A list is patched, not reloaded: a reload costs every open page a request per event.
 * Only an event that cannot be applied in full asks for a reload (`…NeedsReload`): a row the list cannot build from
 * it, ratings (a confirm carries none), an assignment event without its snapshot. A new row is built from the event at
 * once; what the summary lacks (address, description, coordinates, photos) the view that shows it reads from that one
 * whistle (`complete…`), never by reloading its list. Stale events (a newer one of the same whistle was applied) change nothing and need nothing.
 */

/**
 * Whether an event is about a whistle at all. A meeting's, an institution's submission's, a branch head's matter's and
 * the establishment office's events (follow-ups, mechanisms recorded) travel the same stream with `whistle` null and
 * their own id as `whistleId`: no whistle list holds that id, and none needs a reload for it.
 */
export function concernsWhistle(e: WhistleEvent): boolean {
  return !isMeetingEvent(e) && !isSubmissionEvent(e) && !isOfficeEvent(e) && !(e as { heads?: unknown }).heads
}

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

/** Applies an event to a list of whistles; a whistle not yet listed that the list accepts is put first. */
export function applyEventToWhistles(
  list: readonly Whistle[],
  e: WhistleEvent,
  stale = false,
  /** Which whistles not yet listed belong in the list (e.g. only open ones). */
  accept: (w: WhistleSummary) => boolean = () => true,
): Whistle[] {
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
  if (stale || !e.whistle || !accept(e.whistle)) return list as Whistle[]
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
 * A whistle a list does not hold yet that its event brings in full for a list row: a raise carries the whistle's
 * summary and it has no assignments yet (each follows in its own AssignmentDispatched, with its snapshot). Another
 * event of an unlisted whistle (a reopen, a dispatch seen first) lacks the whistle's other assignments.
 */
export function raisedInFull(e: WhistleEvent): boolean {
  return e.type === 'WhistleRaised' && !!e.whistle
}

/**
 * Whether a list of whistles needs a reload after this event: a whistle it does not have yet that the event does not
 * bring in full (see `raisedInFull`; a raised one is put first at once, whole), or an assignment event without its
 * snapshot. `accept` says which whistles the list shows (e.g. only open ones): an event of an unlisted whistle it
 * does not accept is not its concern.
 */
export function whistlesNeedReload(
  list: readonly Whistle[],
  e: WhistleEvent,
  stale = false,
  accept: (w: WhistleSummary) => boolean = () => true,
): boolean {
  if (stale || !concernsWhistle(e)) return false
  if (!list.some((w) => w.id === e.whistleId)) return !raisedInFull(e) && (!e.whistle || accept(e.whistle))
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
    // A new row of a whistle the inbox already shows takes the address, description and photos of its other row.
    const sibling = i >= 0 ? next[i] : next.find((row) => row.whistleId === e.whistleId)
    const row: InboxAssignment = {
      ...(i >= 0 ? next[i] : sibling?.attachments ? { attachments: sibling.attachments } : {}),
      ...a,
      whistle: { ...(sibling?.whistle ?? {}), ...(summary ?? {}) } as InboxAssignment['whistle'],
    }
    if (i >= 0) next[i] = row
    else next = [row, ...next]
  }
  return next
}

/**
 * Whether an inbox needs a reload after this event: a row it does not have yet and cannot build (no summary), the
 * ratings of a confirm on a whistle it shows, or an assignment event without its snapshot. A new row built from the
 * event lacks the whistle's address, description and photos unless another row of that whistle is listed
 * (`inboxRowsToComplete`): the view reads that one whistle, not the list.
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
  if (a && a.id) return !list.some((row) => row.id === a.id) && accept(a) && !e.whistle
  if (e.assignmentId) return list.some((row) => row.id === e.assignmentId)
  // A confirm carries no ratings. A cancel or a reopen of a whistle the list has no row of may add rows to it
  // (撤销 puts a duty into 已结束; a reopen brings a resolved duty back to 在办).
  if (e.type === 'WhistleConfirmed') return true
  if (e.type === 'WhistleCancelled' || e.type === 'WhistleReopened') return !list.some((row) => row.whistleId === e.whistleId)
  return false
}

/** The whistle whose rows in this inbox lack what the event could not carry (address, description, photos), if any. */
export function inboxRowsToComplete(before: readonly InboxAssignment[], after: readonly InboxAssignment[], e: WhistleEvent): string | null {
  if (before.some((row) => row.whistleId === e.whistleId)) return null
  return after.some((row) => row.whistleId === e.whistleId) ? e.whistleId : null
}

/** Completes an inbox's rows of a whistle with what the event lacked, read from the whistle itself. */
export function completeInboxRows(list: readonly InboxAssignment[], w: Whistle): InboxAssignment[] {
  if (!list.some((row) => row.whistleId === w.id)) return list as InboxAssignment[]
  return list.map((row) =>
    row.whistleId !== w.id
      ? row
      : { ...row, attachments: w.attachments ?? row.attachments, whistle: { ...row.whistle, address: w.address, description: w.description } },
  )
}

/**
 * Completes a listed whistle with what its raise could not carry (address, description, coordinates, photos, who raised
 * it), read from the whistle itself. Status and assignments stay as the events made them (they may be newer).
 */
export function completeWhistleRow(list: readonly Whistle[], w: Whistle): Whistle[] {
  const i = list.findIndex((x) => x.id === w.id)
  if (i < 0) return list as Whistle[]
  const copy = [...list]
  copy[i] = {
    ...copy[i],
    address: w.address,
    description: w.description,
    latitude: w.latitude,
    longitude: w.longitude,
    raisedBy: w.raisedBy ?? copy[i].raisedBy,
    attachments: w.attachments ?? copy[i].attachments,
  }
  return copy
}
