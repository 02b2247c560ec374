import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import type { Assignment, InboxAssignment, Whistle, WhistleEvent } from '../src/api/types'
import type { ApplyContext } from '../src/lib/eventStore'
import { completeInboxRows, completeWhistleRow, inboxNeedsReload, whistlesNeedReload } from '../src/lib/patch'
import { patchWhistleList } from '../src/composables/useLiveResource'
import { patchBoard, patchInbox, patchMap, patchTownship, type TownshipLists } from '../src/lib/viewPatches'

/**
 * Issue 15, the browser: a pushed event whose snapshot carries what a row needs is applied in place; the list views
 * ask for a reload only when the event cannot be applied, and read one whistle (not the list) for what a new row shows
 * beyond the event's summary.
 */

const live: ApplyContext = { stale: false, fromCatchUp: false }

const duty: Assignment = {
  id: 'a1',
  whistleId: 'w1',
  agencyCode: 'ENV',
  branchId: 'b-env-t1',
  role: 'lead',
  status: 'dispatched',
  dispatchedAt: '2025-03-01T07:00:00Z',
  reportBy: '2025-03-01T07:30:00Z',
  resolveBy: '2025-03-01T11:00:00Z',
}

const listed: Whistle = {
  id: 'w1',
  title: 'Smoke',
  description: 'Black smoke from the chimney',
  address: '1 Mill Road',
  latitude: 30.1,
  longitude: 120.2,
  matterCode: 'M1',
  urgency: 'urgent',
  status: 'dispatched',
  townshipId: 't1',
  raisedAt: '2025-03-01T07:00:00Z',
  assignments: [duty],
}

const raised: WhistleEvent = {
  sequence: 10,
  type: 'WhistleRaised',
  whistleId: 'w9',
  occurredAt: '2025-03-01T08:00:00Z',
  actor: { userName: 'tw', displayName: 'Township', orgId: 't1' },
  whistle: { id: 'w9', title: 'Blocked drain', status: 'raised', townshipId: 't1', matterCode: 'M1', urgency: 'routine' },
}

const newDuty: Assignment = { ...duty, id: 'a9', whistleId: 'w9' }
const dispatched: WhistleEvent = {
  sequence: 11,
  type: 'AssignmentDispatched',
  whistleId: 'w9',
  assignmentId: 'a9',
  occurredAt: '2025-03-01T08:00:01Z',
  whistle: { id: 'w9', title: 'Blocked drain', status: 'dispatched', townshipId: 't1', matterCode: 'M1', urgency: 'routine' },
  assignment: newDuty,
}

const inboxRow: InboxAssignment = {
  ...duty,
  whistle: { id: 'w1', title: 'Smoke', status: 'dispatched', townshipId: 't1', matterCode: 'M1', urgency: 'urgent', address: '1 Mill Road', description: 'Black smoke' },
  attachments: [],
}

function reads() {
  const asked: string[] = []
  return { asked, complete: (id: string) => void asked.push(id) }
}

describe('a raise applied to the whistle lists: the row at once, no reload', () => {
  it('needs no reload of a list that does not hold the raised whistle yet (the raise brings it whole)', () => {
    expect(whistlesNeedReload([listed], raised)).toBe(false)
    const list = ref<Whistle[]>([listed])
    expect(patchWhistleList(raised, live, list)).toBe(true)
    expect(list.value.map((w) => w.id)).toEqual(['w9', 'w1'])
  })

  it('board: puts the raised whistle first and neither reloads nor reads it while no search is typed', () => {
    const { asked, complete } = reads()
    const search = ref('')
    const list = ref<Whistle[]>([listed])
    expect(patchBoard(() => search.value, complete)(raised, live, list)).toBe(true)
    expect(list.value[0]).toMatchObject({ id: 'w9', title: 'Blocked drain', status: 'raised', townshipId: 't1', raisedAt: raised.occurredAt })
    expect(asked).toEqual([])
    // A search looks at the address and description too: the new whistle is read (only it), still no reload.
    search.value = 'drain'
    const e2 = { ...raised, sequence: 12, whistleId: 'w10', whistle: { ...raised.whistle!, id: 'w10' } }
    expect(patchBoard(() => search.value, complete)(e2, live, list)).toBe(true)
    expect(asked).toEqual(['w10'])
  })

  it('map: lists the raised whistle at once and reads that one whistle for its coordinates, no reload', () => {
    const { asked, complete } = reads()
    const list = ref<Whistle[]>([listed])
    expect(patchMap(complete)(raised, live, list)).toBe(true)
    expect(list.value.map((w) => w.id)).toEqual(['w9', 'w1'])
    expect(asked).toEqual(['w9'])
    list.value = completeWhistleRow(list.value, { ...listed, id: 'w9', latitude: 30.5, longitude: 120.5, status: 'raised', assignments: [] })
    expect(list.value[0]).toMatchObject({ id: 'w9', latitude: 30.5, longitude: 120.5, address: '1 Mill Road', status: 'raised' })
  })

  it('township: first page of 在办 gets the row and the count; another page only the count; 已结束 nothing; no reload', () => {
    const { asked, complete } = reads()
    const filter = ref<'open' | 'closed' | 'all'>('open')
    const page = ref(1)
    const open = ref<Whistle[]>([listed])
    const data = ref<TownshipLists>({ items: [listed], total: 1 })
    const patch = patchTownship(() => filter.value, () => page.value, open, complete)
    expect(patch(raised, live, data)).toBe(true)
    expect(data.value.items.map((w) => w.id)).toEqual(['w9', 'w1'])
    expect(data.value.total).toBe(2)
    expect(open.value.map((w) => w.id)).toEqual(['w9', 'w1'])
    expect(asked).toEqual(['w9'])

    page.value = 2
    const other = { ...raised, sequence: 13, whistleId: 'w11', whistle: { ...raised.whistle!, id: 'w11' } }
    const page2 = ref<TownshipLists>({ items: [listed], total: 21 })
    expect(patch(other, live, page2)).toBe(true)
    expect(page2.value).toEqual({ items: [listed], total: 22 })

    filter.value = 'closed'
    page.value = 1
    const closed = ref<TownshipLists>({ items: [], total: 0 })
    const third = { ...raised, sequence: 14, whistleId: 'w12', whistle: { ...raised.whistle!, id: 'w12' } }
    expect(patch(third, live, closed)).toBe(true)
    expect(closed.value).toEqual({ items: [], total: 0 })
  })

  it('still reloads what an event cannot bring: an unlisted whistle with duties (a reopen), a duty event without its snapshot', () => {
    const reopened: WhistleEvent = { ...dispatched, type: 'WhistleReopened', assignment: null, assignmentId: null }
    expect(patchMap(() => {})(reopened, live, ref<Whistle[]>([listed]))).toBe('reload')
    const bare: WhistleEvent = { ...dispatched, whistleId: 'w1', assignmentId: 'a1', assignment: null }
    expect(patchBoard(() => '', () => {})(bare, live, ref<Whistle[]>([listed]))).toBe('reload')
    // A closed whistle's event is not the board's concern.
    const closedEvent: WhistleEvent = { ...raised, type: 'AttachmentAdded', whistleId: 'w5', whistle: { ...raised.whistle!, id: 'w5', status: 'closed' } }
    expect(patchBoard(() => '', () => {})(closedEvent, live, ref<Whistle[]>([listed]))).toBe(true)
  })
})

describe('a new duty applied to an inbox: the row at once, no reload', () => {
  it('needs no reload for a new duty whose event carries the whistle summary', () => {
    expect(inboxNeedsReload([inboxRow], dispatched)).toBe(false)
  })

  it('shows the new duty and reads only its whistle for the address, description and photos', () => {
    const { asked, complete } = reads()
    const list = ref<InboxAssignment[]>([inboxRow])
    expect(patchInbox(() => 'open', () => true, complete)(dispatched, live, list)).toBe(true)
    expect(list.value.map((r) => r.id)).toEqual(['a9', 'a1'])
    expect(list.value[0]).toMatchObject({ status: 'dispatched', whistle: { title: 'Blocked drain', status: 'dispatched' } })
    expect(asked).toEqual(['w9'])
    const photo = { id: 'p1', mediaKind: 'image' } as unknown as NonNullable<Whistle['attachments']>[number]
    list.value = completeInboxRows(list.value, { ...listed, id: 'w9', address: '9 Canal St', description: 'Water on the road', attachments: [photo] })
    expect(list.value[0]).toMatchObject({ whistle: { address: '9 Canal St', description: 'Water on the road', status: 'dispatched' }, attachments: [photo] })
    expect(list.value[1]).toEqual(inboxRow)
  })

  it('takes the address of another row of the same whistle without reading anything', () => {
    const { asked, complete } = reads()
    const list = ref<InboxAssignment[]>([inboxRow])
    const second: WhistleEvent = { ...dispatched, whistleId: 'w1', assignmentId: 'a2', whistle: inboxRow.whistle, assignment: { ...duty, id: 'a2', role: 'co' } }
    const { address, description, ...summary } = inboxRow.whistle
    void address
    void description
    expect(patchInbox(() => 'open', () => true, complete)({ ...second, whistle: summary }, live, list)).toBe(true)
    expect(list.value.find((r) => r.id === 'a2')?.whistle).toMatchObject({ address: '1 Mill Road', description: 'Black smoke' })
    expect(asked).toEqual([])
  })

  it('leaves out a duty that is not the inbox filter’s (a new duty under 已结束) or not its own, without a reload', () => {
    const { asked, complete } = reads()
    const list = ref<InboxAssignment[]>([])
    expect(patchInbox(() => 'closed', () => true, complete)(dispatched, live, list)).toBe(true)
    expect(list.value).toEqual([])
    expect(patchInbox(() => 'open', () => false, complete)(dispatched, live, list)).toBe(true)
    expect(list.value).toEqual([])
    expect(asked).toEqual([])
  })
})

describe("the establishment office's events on the county's whistle lists: not about a whistle, no reload", () => {
  const followUp = { id: 'f1', relationId: 'r1', departmentId: 'd1', institutionId: 'i1', status: 'open', missing: ['agreement'], dueAt: '2025-03-08T15:59:59Z' }
  const office: WhistleEvent[] = [
    { sequence: 20, type: 'FollowUpRaised', whistleId: 'f1', occurredAt: '2025-03-01T08:00:00Z', whistle: null, followUp },
    ...(['FollowUpReplied', 'FollowUpReminded', 'FollowUpEscalated', 'FollowUpClosed'] as const).map((type, i) => ({
      sequence: 21 + i, type, whistleId: 'f1', occurredAt: '2025-03-01T08:00:00Z', whistle: null, followUp,
    })),
    { sequence: 30, type: 'MechanismRecorded', whistleId: 'r1', occurredAt: '2025-03-01T08:00:00Z', whistle: null, note: 'agreement' },
  ]

  it('a FollowUpRaised reaching the board, the map or the township page changes nothing and reloads nothing', () => {
    for (const e of office) {
      expect(whistlesNeedReload([listed], e)).toBe(false)
      const board = ref<Whistle[]>([listed])
      expect(patchBoard(() => '', () => {})(e, live, board)).not.toBe('reload')
      expect(board.value).toEqual([listed])
      const map = ref<Whistle[]>([listed])
      expect(patchMap(() => {})(e, live, map)).not.toBe('reload')
      expect(map.value).toEqual([listed])
      const page = ref<TownshipLists>({ items: [listed], total: 21 })
      const open = ref<Whistle[]>([listed])
      expect(patchTownship(() => 'open', () => 2, open, () => {})(e, live, page)).not.toBe('reload')
      expect(page.value).toEqual({ items: [listed], total: 21 })
      expect(open.value).toEqual([listed])
    }
  })

  it('neither does a submission nor a branch head matter (their ids are no whistle either)', () => {
    const filed: WhistleEvent = {
      sequence: 40, type: 'SubmissionFiled', whistleId: 's1', occurredAt: '2025-03-01T08:00:00Z', whistle: null,
      submission: { id: 's1', kind: 'request', relationId: 'r1', institutionId: 'i1', departmentId: 'd1', title: 'Q', status: 'open', dueAt: '2025-03-08T15:59:59Z' },
    }
    const form = { sequence: 41, type: 'AssessmentFormIssued', whistleId: 'h1', occurredAt: '2025-03-01T08:00:00Z', whistle: null, heads: { kind: 'form', id: 'h1' } } as WhistleEvent
    expect(whistlesNeedReload([listed], filed)).toBe(false)
    expect(whistlesNeedReload([listed], form)).toBe(false)
  })
})
