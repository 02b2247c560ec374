import { describe, expect, it } from 'vitest'
import type { Assignment, Branch, InboxAssignment, Whistle, WhistleEvent } from '../src/api/types'
import {
  assignmentDeadlines,
  awaitingReassignment,
  boardCounters,
  branchChoices,
  canAddAssignment,
  canReassign,
  declinedAwaiting,
  defaultBranch,
  escalatedInPhase,
  overdueAssignments,
} from '../src/lib/domain'
import { belongsToInbox, noticeFor, noticeKey } from '../src/lib/noticeRules'
import { applyEventToInbox } from '../src/lib/patch'
import { timelineText } from '../src/lib/timeline'

const T0 = Date.parse('2026-11-10T02:00:00Z')
const min = 60_000

function asg(over: Partial<Assignment>): Assignment {
  return {
    id: 'a1',
    whistleId: 'w1',
    agencyCode: 'ENV',
    branchId: 'b-env-t1',
    role: 'lead',
    status: 'dispatched',
    dispatchedAt: new Date(T0).toISOString(),
    reportBy: new Date(T0 + 30 * min).toISOString(),
    resolveBy: new Date(T0 + 240 * min).toISOString(),
    reminderCount: 0,
    escalationCount: 0,
    lastEscalatedAt: null,
    previousAssignmentId: null,
    ...over,
  }
}

function whistle(assignments: Assignment[], over: Partial<Whistle> = {}): Whistle {
  return {
    id: 'w1',
    title: 'Smoke',
    description: '',
    address: 'X',
    matterCode: 'M1',
    urgency: 'urgent',
    status: 'dispatched',
    townshipId: 't1',
    raisedAt: new Date(T0).toISOString(),
    assignments,
    ...over,
  }
}

describe('deadlines that bite', () => {
  it('is overdue once report-by passes while dispatched, and resolve-by while reported', () => {
    const a = asg({})
    expect(assignmentDeadlines(a, T0 + 29 * min).overdue).toBe(false)
    expect(assignmentDeadlines(a, T0 + 31 * min).reportOverdue).toBe(true)
    const reported = asg({ status: 'reported', reportedAt: new Date(T0 + 20 * min).toISOString() })
    expect(assignmentDeadlines(reported, T0 + 31 * min).overdue).toBe(false)
    expect(assignmentDeadlines(reported, T0 + 241 * min).resolveOverdue).toBe(true)
    expect(assignmentDeadlines(asg({ status: 'resolved' }), T0 + 999 * min).overdue).toBe(false)
  })

  it('an escalation already received marks the current phase overdue even if this clock is behind', () => {
    const escalated = asg({ escalationCount: 1, lastEscalatedAt: new Date(T0 + 30 * min).toISOString() })
    expect(escalatedInPhase(escalated)).toBe('report')
    const d = assignmentDeadlines(escalated, T0 + 29 * min) // clock 1 minute behind the server's
    expect(d.reportOverdue).toBe(true)
    expect(d.resolveOverdue).toBe(false)
    // A report-phase escalation does not make the reported assignment overdue for resolve.
    const reported = { ...escalated, status: 'reported' as const, reportedAt: new Date(T0 + 40 * min).toISOString() }
    expect(escalatedInPhase(reported)).toBeNull()
    expect(assignmentDeadlines(reported, T0 + 50 * min).overdue).toBe(false)
    // …but a resolve-phase one does.
    const late = { ...reported, escalationCount: 2, lastEscalatedAt: new Date(T0 + 240 * min).toISOString() }
    expect(escalatedInPhase(late)).toBe('resolve')
    expect(assignmentDeadlines(late, T0 + 239 * min).resolveOverdue).toBe(true)
    expect(escalatedInPhase({ ...late, status: 'resolved' })).toBeNull()
  })

  it('lists overdue assignments county-wide, most late first, with their phase', () => {
    const w1 = whistle([asg({ id: 'a1' }), asg({ id: 'a2', status: 'reported', reportedAt: new Date(T0).toISOString(), resolveBy: new Date(T0 + 60 * min).toISOString() })])
    const w2 = whistle([asg({ id: 'b1', whistleId: 'w2', reportBy: new Date(T0 + 10 * min).toISOString() })], { id: 'w2' })
    const closed = whistle([asg({ id: 'c1', whistleId: 'w3' })], { id: 'w3', status: 'closed' })
    const list = overdueAssignments([w1, w2, closed], T0 + 90 * min)
    expect(list.map((o) => [o.assignment.id, o.phase, o.lateMs / min])).toEqual([
      ['b1', 'report', 80],
      ['a1', 'report', 60],
      ['a2', 'resolve', 30],
    ])
    expect(boardCounters([w1, w2, closed], T0 + 90 * min).overdue).toBe(3)
  })
})

describe('reassignment (改派)', () => {
  const township = { role: 'township' as const, orgId: 't1' }
  const otherTownship = { role: 'township' as const, orgId: 't2' }
  const supervisor = { role: 'supervisor' as const, orgId: 'county' }
  const branch = { role: 'branch' as const, orgId: 'b-env-t1' }
  const declined = asg({ id: 'd1', status: 'declined', declinedAt: new Date(T0 + 5 * min).toISOString(), declineReason: 'not ours' })
  const open = asg({ id: 'o1' })

  it('finds declined assignments nobody reassigned yet', () => {
    const w = whistle([declined, open])
    expect(awaitingReassignment(w).map((a) => a.id)).toEqual(['d1'])
    const after = whistle([declined, open, asg({ id: 'n1', previousAssignmentId: 'd1' })])
    expect(awaitingReassignment(after)).toEqual([])
    expect(awaitingReassignment({ ...w, status: 'cancelled' })).toEqual([])
    const w2 = whistle([asg({ id: 'd0', whistleId: 'w2', status: 'declined', declinedAt: new Date(T0).toISOString() })], { id: 'w2' })
    expect(declinedAwaiting([w, w2]).map((x) => x.assignment.id)).toEqual(['d0', 'd1'])
  })

  it('lets the raising township reassign a declined one, a supervisor a declined or open one', () => {
    const w = whistle([declined, open])
    expect(canReassign(township, w, declined)).toBe(true)
    expect(canReassign(township, w, open)).toBe(false)
    expect(canReassign(otherTownship, w, declined)).toBe(false)
    expect(canReassign(supervisor, w, declined)).toBe(true)
    expect(canReassign(supervisor, w, open)).toBe(true)
    expect(canReassign(supervisor, w, asg({ status: 'resolved' }))).toBe(false)
    expect(canReassign(branch, w, declined)).toBe(false)
    expect(canReassign(null, w, declined)).toBe(false)
    expect(canReassign(supervisor, { ...w, status: 'closed' }, declined)).toBe(false)
    const done = whistle([declined, open, asg({ id: 'n1', previousAssignmentId: 'd1' })])
    expect(canReassign(supervisor, done, declined)).toBe(false) // already reassigned
  })

  it('lets only supervisors add a co-handling unit, while the whistle is open', () => {
    expect(canAddAssignment(supervisor, { status: 'in-progress' })).toBe(true)
    expect(canAddAssignment(supervisor, { status: 'resolved' })).toBe(true)
    expect(canAddAssignment(supervisor, { status: 'closed' })).toBe(false)
    expect(canAddAssignment(township, { status: 'dispatched' })).toBe(false)
  })

  it("offers the agency's branches with the whistle's township first, and knows the default", () => {
    const branches: Branch[] = [
      { id: 'b-env-t2', agencyCode: 'ENV', townshipId: 't2', name: '环保所（乙镇）', nameEn: '' },
      { id: 'b-fire-t1', agencyCode: 'FIRE', townshipId: 't1', name: '消防站（甲镇）', nameEn: '' },
      { id: 'b-env-t1', agencyCode: 'ENV', townshipId: 't1', name: '环保所（甲镇）', nameEn: '' },
    ]
    expect(branchChoices(branches, 'ENV', 't1').map((b) => b.id)).toEqual(['b-env-t1', 'b-env-t2'])
    expect(defaultBranch(branches, 'ENV', 't1')?.id).toBe('b-env-t1')
    expect(defaultBranch(branches, 'ENV', 't3')).toBeNull()
    expect(branchChoices(branches, 'NONE', 't1')).toEqual([])
  })
})

describe('live 催办 / 督办 / 改派 for the branch and the agency', () => {
  const base: WhistleEvent = {
    sequence: 7,
    type: 'AssignmentReminded',
    whistleId: 'w1',
    occurredAt: new Date(T0 + 20 * min).toISOString(),
    whistle: { id: 'w1', title: 'Smoke', status: 'dispatched', townshipId: 't1', matterCode: 'M1', urgency: 'urgent' },
    assignment: asg({ reminderCount: 1 }),
    step: { phase: 'report', level: 0 },
  }
  const branch = { role: 'branch' as const, orgId: 'b-env-t1' }
  const agency = { role: 'agency' as const, orgId: 'ENV' }

  it('gives the branch a reminder notice that says which deadline', () => {
    const d = noticeFor(base, branch, false, 0)!
    expect(d.sound).toBe(true)
    expect(d.notice).toMatchObject({ kind: 'reminder', phase: 'report', level: 0, assignmentId: 'a1' })
    expect(noticeKey(d.notice).key).toBe('notice.reminderReport')
    const resolve = noticeFor({ ...base, step: { phase: 'resolve', level: 0 } }, branch, false, 0)!
    expect(noticeKey(resolve.notice).key).toBe('notice.reminderResolve')
  })

  it('gives escalations to the branch, its agency and the supervisors, with the level', () => {
    const e = { ...base, sequence: 8, type: 'AssignmentEscalated', step: { phase: 'report' as const, level: 2 } }
    const forBranch = noticeFor(e, branch, false, 0)!
    expect(forBranch.notice.kind).toBe('escalation')
    expect(noticeKey(forBranch.notice)).toEqual({ key: 'notice.escalationReport', params: { level: 2 } })
    expect(noticeFor(e, agency, false, 0)?.notice.kind).toBe('escalation')
    expect(noticeFor(e, { role: 'supervisor', orgId: 'c' }, false, 0)?.sound).toBe(false)
    // Without a step (an older server) the plain wording is used.
    expect(noticeKey({ kind: 'escalation' }).key).toBe('notice.escalation')
  })

  it('treats a reassignment as new work for the new unit only', () => {
    const newA = asg({ id: 'n1', branchId: 'b-fire-t1', agencyCode: 'FIRE', previousAssignmentId: 'a1' })
    const e: WhistleEvent = { ...base, sequence: 9, type: 'AssignmentReassigned', assignment: newA, assignmentId: 'n1', step: null }
    expect(noticeFor(e, { role: 'branch', orgId: 'b-fire-t1' }, false, 0)?.notice).toMatchObject({ kind: 'reassigned', key: 'a:n1' })
    expect(noticeFor(e, branch, false, 0)).toBeNull()
    expect(belongsToInbox({ role: 'branch', orgId: 'b-fire-t1' }, newA)).toBe(true)
    expect(belongsToInbox(branch, newA)).toBe(false)
    expect(belongsToInbox({ role: 'agency', orgId: 'FIRE' }, newA)).toBe(true)
    expect(belongsToInbox(agency, newA)).toBe(false)

    const row: InboxAssignment = { ...asg({}), whistle: base.whistle! }
    const mine = applyEventToInbox([row], e, false, (a) => belongsToInbox(branch, a))
    expect(mine.map((r) => r.id)).toEqual(['a1'])
    const theirs = applyEventToInbox([], e, false, (a) => belongsToInbox({ role: 'branch', orgId: 'b-fire-t1' }, a))
    expect(theirs.map((r) => r.id)).toEqual(['n1'])
  })

  it('updates the counts on the inbox row from the event snapshot', () => {
    const row: InboxAssignment = { ...asg({}), whistle: base.whistle! }
    const e = { ...base, type: 'AssignmentEscalated', assignment: asg({ reminderCount: 1, escalationCount: 1, lastEscalatedAt: new Date(T0 + 30 * min).toISOString() }) }
    const [next] = applyEventToInbox([row], e, false, () => false) // an existing row is always updated
    expect(next.reminderCount).toBe(1)
    expect(next.escalationCount).toBe(1)
    expect(assignmentDeadlines(next, T0 + 29 * min).reportOverdue).toBe(true)
  })
})

describe('timeline wording', () => {
  const a1 = asg({ id: 'a1', status: 'declined' })
  const n1 = asg({ id: 'n1', previousAssignmentId: 'a1', branchId: 'b-x' })
  const byId = new Map([
    ['a1', a1],
    ['n1', n1],
  ])
  it('says which deadline a 催办/督办 is about and which repeat, done by the system', () => {
    expect(timelineText({ sequence: 1, type: 'AssignmentReminded', occurredAt: '', assignmentId: 'a1', step: { phase: 'report', level: 0 } }, byId))
      .toMatchObject({ key: 'timeline.reminded.report', system: true, unit: a1 })
    expect(timelineText({ sequence: 2, type: 'AssignmentEscalated', occurredAt: '', assignmentId: 'a1', step: { phase: 'resolve', level: 3 } }, byId))
      .toMatchObject({ key: 'timeline.escalated.resolve', params: { level: 3 } })
    expect(timelineText({ sequence: 3, type: 'AssignmentEscalated', occurredAt: '' }, byId).key).toBe('event.AssignmentEscalated')
  })
  it('names both units of a 改派', () => {
    const r = timelineText(
      { sequence: 4, type: 'AssignmentReassigned', occurredAt: '', assignmentId: 'n1', actor: { userName: 's', displayName: 'S', orgId: 'c' } },
      byId,
    )
    expect(r).toMatchObject({ key: 'event.AssignmentReassigned', unit: n1, previousUnit: a1, system: false })
  })
})
