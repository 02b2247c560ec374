import { describe, expect, it } from 'vitest'
import type { Assignment, InboxAssignment, Whistle, WhistleEvent } from '../src/api/types'
import { applyEventToInbox, applyEventToWhistle, applyEventToWhistles } from '../src/lib/patch'
import { noticeFor, ownsAssignment } from '../src/lib/noticeRules'
import { canCancel, ratableAssignments, sortInbox } from '../src/lib/domain'

const base: Assignment = {
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

const whistle: Whistle = {
  id: 'w1',
  title: 'Smoke',
  description: '',
  address: 'X',
  matterCode: 'M1',
  urgency: 'urgent',
  status: 'dispatched',
  townshipId: 't1',
  raisedAt: '2025-03-01T07:00:00Z',
  assignments: [base],
}

function ev(over: Partial<WhistleEvent>): WhistleEvent {
  return {
    sequence: 1,
    type: 'AssignmentReported',
    whistleId: 'w1',
    occurredAt: '2025-03-01T07:10:00Z',
    whistle: { id: 'w1', title: 'Smoke', status: 'in-progress', townshipId: 't1', matterCode: 'M1', urgency: 'urgent' },
    ...over,
  }
}

describe('applying events to what is on screen', () => {
  it('updates the whistle status and the assignment snapshot', () => {
    const e = ev({ assignment: { ...base, status: 'reported', reportedAt: '2025-03-01T07:10:00Z' } })
    const w = applyEventToWhistle(whistle, e)
    expect(w.status).toBe('in-progress')
    expect(w.assignments[0].status).toBe('reported')
    expect(whistle.assignments[0].status).toBe('dispatched') // immutable
  })

  it('ignores stale events and other whistles', () => {
    expect(applyEventToWhistle(whistle, ev({}), true)).toBe(whistle)
    expect(applyEventToWhistle(whistle, ev({ whistleId: 'w2' }))).toBe(whistle)
  })

  it('adds a newly dispatched assignment', () => {
    const e = ev({ type: 'AssignmentDispatched', assignment: { ...base, id: 'a2', branchId: 'b-x' } })
    expect(applyEventToWhistle(whistle, e).assignments.map((a) => a.id)).toEqual(['a1', 'a2'])
  })

  it('puts a newly raised whistle at the top of a list', () => {
    const e = ev({
      type: 'WhistleRaised',
      whistleId: 'w9',
      whistle: { id: 'w9', title: 'New', status: 'raised', townshipId: 't1', matterCode: 'M1', urgency: 'routine' },
    })
    const list = applyEventToWhistles([whistle], e)
    expect(list.map((w) => w.id)).toEqual(['w9', 'w1'])
    expect(applyEventToWhistles(list, e)).toHaveLength(2)
  })

  it('upserts the inbox row and updates the whistle summary on every row of that whistle', () => {
    const row: InboxAssignment = { ...base, whistle: { ...ev({}).whistle!, status: 'dispatched' } }
    const e = ev({ type: 'AssignmentDispatched', assignment: { ...base, id: 'a2' } })
    const next = applyEventToInbox([row], e)
    expect(next.map((r) => r.id)).toEqual(['a2', 'a1'])
    expect(next.every((r) => r.whistle.status === 'in-progress')).toBe(true)
  })
})

describe('live notices', () => {
  const branch = { role: 'branch' as const, orgId: 'b-env-t1' }

  it('a branch gets a beeping notice for its own new assignment, once per assignment key', () => {
    const d = noticeFor(ev({ type: 'AssignmentDispatched', assignmentId: 'a1', assignment: base }), branch, false, 0)!
    expect(d.sound).toBe(true)
    expect(d.notice.kind).toBe('assignment')
    expect(d.notice.key).toBe('a:a1')
    expect(d.notice.title).toBe('Smoke')
  })

  it('not for another branch or for its own reports', () => {
    expect(noticeFor(ev({ type: 'AssignmentDispatched', assignment: { ...base, branchId: 'other' } }), branch, false, 0)).toBeNull()
    expect(noticeFor(ev({ type: 'AssignmentReported', assignment: base }), branch, false, 0)).toBeNull()
  })

  it('history replayed by a catch-up is not news', () => {
    const liveSince = Date.parse('2025-03-01T09:00:00Z')
    const old = ev({ type: 'AssignmentDispatched', assignment: base, occurredAt: '2025-03-01T07:00:00Z' })
    expect(noticeFor(old, branch, true, liveSince)).toBeNull()
    expect(noticeFor(old, branch, false, liveSince)).not.toBeNull()
    expect(noticeFor({ ...old, occurredAt: '2025-03-01T09:10:00Z' }, branch, true, liveSince)).not.toBeNull()
  })

  it('a township hears about declines and whistles ready to confirm', () => {
    const tw = { role: 'township' as const, orgId: 't1' }
    expect(noticeFor(ev({ type: 'AssignmentDeclined' }), tw, false, 0)!.notice.kind).toBe('declined')
    expect(noticeFor(ev({ type: 'AssignmentResolved' }), tw, false, 0)).toBeNull()
    const done = ev({ type: 'AssignmentResolved', whistle: { ...ev({}).whistle!, status: 'resolved' } })
    expect(noticeFor(done, tw, false, 0)!.notice.kind).toBe('resolved')
  })

  it('an agency acts on assignments routed to itself only', () => {
    const agency = { role: 'agency' as const, orgId: 'ENV' }
    expect(ownsAssignment(agency, { agencyCode: 'ENV', branchId: null })).toBe(true)
    expect(ownsAssignment(agency, { agencyCode: 'ENV', branchId: 'b1' })).toBe(false)
    expect(ownsAssignment({ role: 'township', orgId: 't1' }, { agencyCode: 'ENV', branchId: 't1' })).toBe(false)
  })
})

describe('inbox order and township actions', () => {
  const row = (id: string, status: Assignment['status'], urgency: Whistle['urgency'], dispatchedAt: string): InboxAssignment => ({
    ...base,
    id,
    status,
    dispatchedAt,
    whistle: { ...ev({}).whistle!, urgency },
  })

  it('Should_sort_open_duties_by_the_nearest_limit_with_the_overdue_on_top', () => {
    const due = (id: string, status: Assignment['status'], reportBy: string, resolveBy: string, over: Partial<InboxAssignment> = {}): InboxAssignment => ({
      ...row(id, status, 'routine', '2025-03-01T06:00:00Z'),
      reportBy,
      resolveBy,
      ...over,
    })
    const sorted = sortInbox([
      due('report-in-25', 'dispatched', '2025-03-01T08:25:00Z', '2025-03-01T12:00:00Z'),
      row('done', 'resolved', 'emergency', '2025-03-01T09:00:00Z'),
      due('resolve-in-10', 'reported', '2025-03-01T07:00:00Z', '2025-03-01T08:10:00Z'),
      due('overdue-long', 'dispatched', '2025-03-01T06:30:00Z', '2025-03-01T12:00:00Z'),
      due('overdue-short', 'reported', '2025-03-01T06:00:00Z', '2025-03-01T07:55:00Z'),
      due('cancelled', 'dispatched', '2025-03-01T05:00:00Z', '2025-03-01T06:00:00Z', { whistle: { ...ev({}).whistle!, status: 'cancelled' } }),
      // The server escalated it (its clock is ahead of this one): due no later than the escalation.
      due('escalated', 'dispatched', '2025-03-01T08:40:00Z', '2025-03-01T12:00:00Z', { escalationCount: 1, lastEscalatedAt: '2025-03-01T06:45:00Z' }),
    ])
    expect(sorted.map((r) => r.id)).toEqual(['overdue-long', 'escalated', 'overdue-short', 'resolve-in-10', 'report-in-25', 'done', 'cancelled'])
  })

  it('Should_put_the_more_urgent_first_when_limits_fall_together', () => {
    const sorted = sortInbox([
      row('routine', 'dispatched', 'routine', '2025-03-01T06:00:00Z'),
      row('emergency', 'dispatched', 'emergency', '2025-03-01T05:00:00Z'),
    ])
    expect(sorted.map((r) => r.id)).toEqual(['emergency', 'routine'])
  })

  it('cancel only before any report; rate the resolved assignments', () => {
    expect(canCancel(whistle)).toBe(true)
    expect(canCancel({ ...whistle, assignments: [{ ...base, status: 'reported' }] })).toBe(false)
    expect(canCancel({ ...whistle, status: 'closed' })).toBe(false)
    const w = { ...whistle, status: 'resolved' as const, assignments: [{ ...base, status: 'resolved' as const }, { ...base, id: 'a2', status: 'declined' as const }] }
    expect(ratableAssignments(w).map((a) => a.id)).toEqual(['a1'])
  })
})
