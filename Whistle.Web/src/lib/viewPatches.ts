import type { Ref } from 'vue'
import type { Assignment, InboxAssignment, Whistle, WhistleEvent, WhistleSummary } from '../api/types'
import type { ApplyContext } from './eventStore'
import type { PatchOutcome } from './useLive'
import { isMeetingEvent } from './meetingEvents'
import { applyEventToInbox, applyEventToWhistles, inboxNeedsReload, inboxRowsToComplete, raisedInFull, whistlesNeedReload } from './patch'
import { isOpenAssignment, isOpenWhistle } from './domain'

/**
 * The live patches of the list views (issue 15): each applies an event in place — a row inserted, updated or left out
 * as the view's filter says — and asks for a reload only when the event cannot be applied (a row it cannot build, an
 * assignment event without its snapshot). What a new row needs and the event does not carry (PRODUCT.md §5: the summary
 * has no address, description, coordinates or photos) is read from that one whistle (`Complete`), not the whole list.
 */

export type ListFilter = 'open' | 'closed' | 'all'

/** Which whistles a list under this filter shows (closed: 已办结 and 已撤销). */
export function acceptsWhistle(filter: ListFilter): (w: WhistleSummary) => boolean {
  if (filter === 'open') return (w) => isOpenWhistle(w.status)
  if (filter === 'closed') return (w) => !isOpenWhistle(w.status)
  return () => true
}

/** Which duties an inbox under this filter shows (the server's 在办 / 已结束). */
export function acceptsDuty(filter: ListFilter): (a: Assignment) => boolean {
  if (filter === 'open') return (a) => isOpenAssignment(a)
  if (filter === 'closed') return (a) => !isOpenAssignment(a)
  return () => true
}

/** Reads one whistle to complete a new row with what its event could not carry (the view's `complete…`). */
export type Complete = (whistleId: string) => void

/** Whether this event put a new whistle into the list (a raise the list shows). */
function added(before: readonly Whistle[], after: readonly Whistle[], e: WhistleEvent): boolean {
  return !before.some((w) => w.id === e.whistleId) && after.some((w) => w.id === e.whistleId)
}

/**
 * The county board: every open whistle. A raise is put first at once, whole for its card; only while a search is
 * typed (it looks at the address and description too) is the new whistle read to complete it.
 */
export function patchBoard(search: () => string, complete: Complete) {
  return (e: WhistleEvent, ctx: ApplyContext, list: Ref<Whistle[]>): PatchOutcome => {
    if (isMeetingEvent(e)) return false
    const accept = acceptsWhistle('open')
    const before = list.value
    const reload = whistlesNeedReload(before, e, ctx.stale, accept)
    list.value = applyEventToWhistles(before, e, ctx.stale, accept)
    if (reload) return 'reload'
    if (added(before, list.value, e) && search().trim()) complete(e.whistleId)
    return true
  }
}

/** The map: every open whistle as a dot. A raise carries no coordinates: the new whistle is listed at once (not
 * placed yet) and read to place it. */
export function patchMap(complete: Complete) {
  return (e: WhistleEvent, ctx: ApplyContext, list: Ref<Whistle[]>): PatchOutcome => {
    if (isMeetingEvent(e)) return false
    const accept = acceptsWhistle('open')
    const before = list.value
    const reload = whistlesNeedReload(before, e, ctx.stale, accept)
    list.value = applyEventToWhistles(before, e, ctx.stale, accept)
    if (reload) return 'reload'
    if (added(before, list.value, e)) complete(e.whistleId)
    return true
  }
}

export interface TownshipLists {
  items: Whistle[]
  total: number
}

/**
 * The township's page of whistles (filter, page) and its open whistles (the declined duties to reassign). A raise is
 * put first on the first page of a list that shows it, counted, and read for its address; other pages keep the
 * server's order and only count it.
 */
export function patchTownship(filter: () => ListFilter, page: () => number, open: Ref<Whistle[]>, complete: Complete) {
  return (e: WhistleEvent, ctx: ApplyContext, listed: Ref<TownshipLists>): PatchOutcome => {
    if (isMeetingEvent(e)) return false
    const accept = acceptsWhistle(filter())
    const items = listed.value.items
    const reload =
      whistlesNeedReload(items, e, ctx.stale, accept) || whistlesNeedReload(open.value, e, ctx.stale, acceptsWhistle('open'))
    const next = applyEventToWhistles(items, e, ctx.stale, page() === 1 ? accept : () => false)
    const counted = !ctx.stale && raisedInFull(e) && !items.some((w) => w.id === e.whistleId) && accept(e.whistle!) ? 1 : 0
    listed.value = { ...listed.value, items: next, total: listed.value.total + counted }
    open.value = applyEventToWhistles(open.value, e, ctx.stale, acceptsWhistle('open'))
    if (reload) return 'reload'
    if (added(items, next, e)) complete(e.whistleId)
    return true
  }
}

/**
 * A branch's or an agency's inbox: its own duties under the filter. A duty the filter does not show is left out; a new
 * one is shown at once from the event and, when the inbox has no other row of its whistle, that whistle is read for
 * the address, description and photos the event does not carry.
 */
export function patchInbox(filter: () => ListFilter, mine: (a: Assignment) => boolean, complete: Complete) {
  return (e: WhistleEvent, ctx: ApplyContext, list: Ref<InboxAssignment[]>): PatchOutcome => {
    if (isMeetingEvent(e)) return false // a meeting's event is no assignment: the summons section follows it
    const shows = acceptsDuty(filter())
    const accept = (a: Assignment) => mine(a) && shows(a)
    const before = list.value
    const reload = inboxNeedsReload(before, e, ctx.stale, accept)
    list.value = applyEventToInbox(before, e, ctx.stale, accept)
    if (reload) return 'reload'
    const incomplete = inboxRowsToComplete(before, list.value, e)
    if (incomplete) complete(incomplete)
    return true
  }
}
