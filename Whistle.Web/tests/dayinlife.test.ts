// Issue 13 ("a day in the life"): what users of every role met in a real browser, as pure logic.
import { beforeEach, describe, expect, it } from 'vitest'
import type { Assignment, AssessmentUnit, Branch, InboxAssignment, Whistle, WhistleEvent } from '../src/api/types'
import {
  applyEventToInbox,
  applyEventToWhistle,
  applyEventToWhistles,
  inboxNeedsReload,
  whistleNeedsReload,
  whistlesNeedReload,
} from '../src/lib/patch'
import { meetingNeedsReload, meetingsNeedReload } from '../src/lib/meetingEvents'
import { noticeFor } from '../src/lib/noticeRules'
import { AGENCY_ITSELF, DEFAULT_UNIT, choiceBody, firstOpenChoice, isOpenInboxRow, reassignChoices } from '../src/lib/domain'
import { fractionText, pooledRates, unitRates } from '../src/lib/assessment'
import { highlighted, notices, pushNotice, resetNotices, unreadCount } from '../src/stores/notices'

const duty: Assignment = {
  id: 'a1',
  whistleId: 'w1',
  agencyCode: 'URB',
  branchId: 'b-urb-t1',
  role: 'lead',
  status: 'dispatched',
  dispatchedAt: '2026-11-03T01:00:00Z',
  reportBy: '2026-11-03T01:30:00Z',
  resolveBy: '2026-11-03T05:00:00Z',
}
const summary = { id: 'w1', title: '夜市占道', status: 'dispatched' as const, townshipId: 't1', matterCode: 'street-vending', urgency: 'urgent' as const }
const row: InboxAssignment = { ...duty, whistle: { ...summary, address: '人民路', description: '夜市' } }

function ev(over: Partial<WhistleEvent>): WhistleEvent {
  return { sequence: 10, type: 'AssignmentReported', whistleId: 'w1', occurredAt: '2026-11-03T01:10:00Z', whistle: summary, ...over }
}

describe('a list follows live events by patching, and reloads only what an event cannot say', () => {
  it('patches an escalated row in place: the row needs no reload (the flaky browser test waited for one)', () => {
    const e = ev({ type: 'AssignmentEscalated', assignmentId: 'a1', assignment: { ...duty, escalationCount: 1, lastEscalatedAt: '2026-11-03T01:31:00Z' } })
    const next = applyEventToInbox([row], e)
    expect(next[0].escalationCount).toBe(1)
    expect(next[0].whistle.address).toBe('人民路') // the summary does not wipe what the list had
    expect(inboxNeedsReload([row], e)).toBe(false)
  })

  it('builds a row it does not have yet from the event (issue 15: no reload), and reloads for ratings', () => {
    const fresh = ev({ type: 'AssignmentDispatched', assignmentId: 'a2', assignment: { ...duty, id: 'a2' } })
    expect(inboxNeedsReload([row], fresh)).toBe(false)
    expect(inboxNeedsReload([row], { ...fresh, whistle: null })).toBe(true) // no summary: the row cannot be built
    expect(inboxNeedsReload([row], fresh, false, () => false)).toBe(false) // not this inbox's
    expect(inboxNeedsReload([row], ev({ type: 'WhistleConfirmed' }))).toBe(true)
    expect(inboxNeedsReload([row], ev({ type: 'AssignmentReported', assignment: duty }), true)).toBe(false) // stale
  })

  it('a cancel takes the open duty out of 在办 at once; a reopen brings a resolved one back', () => {
    const cancelled = applyEventToInbox([row], ev({ type: 'WhistleCancelled', whistle: { ...summary, status: 'cancelled' } }))
    expect(cancelled[0].whistle.status).toBe('cancelled')
    expect(isOpenInboxRow(cancelled[0])).toBe(false)
    expect(inboxNeedsReload([row], ev({ type: 'WhistleCancelled' }))).toBe(false)
    expect(inboxNeedsReload([], ev({ type: 'WhistleCancelled' }))).toBe(true) // 已结束 may gain the row

    const resolved: InboxAssignment = { ...row, status: 'resolved', resolvedAt: '2026-11-03T02:00:00Z', whistle: { ...row.whistle, status: 'resolved' } }
    const reopened = applyEventToInbox([resolved], ev({ type: 'WhistleReopened', whistle: { ...summary, status: 'in-progress' } }))
    expect(reopened[0].status).toBe('reported')
    expect(reopened[0].resolvedAt).toBeNull()
    expect(isOpenInboxRow(reopened[0])).toBe(true)
    expect(inboxNeedsReload([], ev({ type: 'WhistleReopened' }))).toBe(true) // 在办 did not have it
  })

  it('a reassignment ends the open duty it replaced as reassigned (not declined), in the old unit’s inbox too', () => {
    const e = ev({
      type: 'AssignmentReassigned',
      assignmentId: 'a9',
      occurredAt: '2026-11-03T01:45:00Z',
      assignment: { ...duty, id: 'a9', branchId: null, previousAssignmentId: 'a1' },
    })
    const inbox = applyEventToInbox([row], e, false, (a) => a.branchId === 'b-urb-t1')
    expect(inbox.map((r) => [r.id, r.status, r.reassignedAt])).toEqual([['a1', 'reassigned', '2026-11-03T01:45:00Z']])
    expect(inboxNeedsReload([row], e, false, (a) => a.branchId === 'b-urb-t1')).toBe(false)
    const declined = applyEventToInbox([{ ...row, status: 'declined' }], e)
    expect(declined.find((r) => r.id === 'a1')!.status).toBe('declined')
  })

  it('patches a whistle list and its timeline; reloads for a whistle it lacks (but a raise) or a confirm on the detail page', () => {
    const w: Whistle = { ...summary, description: '', address: '人民路', raisedAt: duty.dispatchedAt, assignments: [duty], timeline: [] }
    const e = ev({ type: 'AssignmentReported', assignmentId: 'a1', assignment: { ...duty, status: 'reported' }, actor: { userName: 'u', displayName: '张', orgId: 'b' } })
    const next = applyEventToWhistle(w, e)
    expect(next.assignments[0].status).toBe('reported')
    expect(next.timeline!.map((x) => x.sequence)).toEqual([10])
    expect(applyEventToWhistle(next, e).timeline).toHaveLength(1)
    expect(whistlesNeedReload([w], e)).toBe(false)
    expect(whistlesNeedReload([], ev({ type: 'WhistleRaised', whistleId: 'w2' }))).toBe(false) // a raise brings its row whole (issue 15)
    expect(whistlesNeedReload([], ev({ type: 'WhistleReopened', whistleId: 'w2' }))).toBe(true) // its duties are not in the event
    expect(applyEventToWhistles([], ev({ type: 'WhistleRaised', whistleId: 'w2', whistle: { ...summary, id: 'w2' } }))).toHaveLength(1)
    expect(whistleNeedsReload(w, ev({ type: 'WhistleConfirmed' }))).toBe(true)
    expect(whistleNeedsReload(w, e)).toBe(false)
  })

  it('reloads meetings for a new one and for attendance, minutes (not in the event)', () => {
    const m = { id: 'm1', status: 'scheduled', summons: [] } as never
    const me = (type: string): WhistleEvent => ({ sequence: 5, type, whistleId: 'm1', occurredAt: '', whistle: null, meeting: { id: 'm1', summons: { id: 's1' } } } as never)
    expect(meetingsNeedReload([], me('MeetingScheduled'))).toBe(true)
    expect(meetingsNeedReload([m], me('MeetingSummonsConfirmed'))).toBe(false)
    expect(meetingsNeedReload([m], me('MeetingAttendanceRecorded'))).toBe(true)
    expect(meetingNeedsReload(m, me('MeetingMinutesRecorded'))).toBe(true)
    expect(meetingNeedsReload(m, me('MeetingCancelled'))).toBe(false)
  })
})

describe('a cancel and a reopen are news on the branch’s phone', () => {
  const branch = { role: 'branch' as const, orgId: 'b-urb-t1' }
  beforeEach(() => resetNotices())

  it('beeps for both and lets the cancel replace the notices of the duty it ends, so the count stays true', () => {
    const dispatched = noticeFor(ev({ type: 'AssignmentDispatched', assignmentId: 'a1', assignment: duty }), branch, false, 0)!
    pushNotice(dispatched.notice, dispatched.sound, dispatched.replacesWhistle)
    expect(unreadCount.value).toBe(1)
    expect(highlighted.has('a1')).toBe(true)

    const cancel = noticeFor(ev({ type: 'WhistleCancelled', whistle: { ...summary, status: 'cancelled' } }), branch, false, 0)!
    expect(cancel.notice.kind).toBe('cancelled')
    expect(cancel.sound).toBe(true)
    pushNotice(cancel.notice, cancel.sound, cancel.replacesWhistle)
    expect(notices.value.map((n) => n.kind)).toEqual(['cancelled'])
    expect(unreadCount.value).toBe(1)
    expect(highlighted.has('a1')).toBe(false) // nothing new to look at on a closed duty

    const reopen = noticeFor(ev({ sequence: 30, type: 'WhistleReopened', whistleId: 'w2', whistle: { ...summary, id: 'w2', status: 'in-progress' } }), branch, false, 0)!
    expect(reopen.notice.kind).toBe('reopened')
    expect(reopen.sound).toBe(true)
    pushNotice(reopen.notice, reopen.sound, reopen.replacesWhistle)
    expect(unreadCount.value).toBe(2)
  })

  it('an agency hears of them without a beep; a township not at all (it did it)', () => {
    const cancel = ev({ type: 'WhistleCancelled' })
    expect(noticeFor(cancel, { role: 'agency', orgId: 'URB' }, false, 0)!.sound).toBe(false)
    expect(noticeFor(cancel, { role: 'township', orgId: 't1' }, false, 0)).toBeNull()
  })
})

describe('改派 offers 本部 and refuses the unit it leaves and the units already on the whistle', () => {
  const branches: Branch[] = [
    { id: 'b-urb-t1', agencyCode: 'URB', townshipId: 't1', name: '城管中队（东城）', nameEn: '' },
    { id: 'b-urb-t2', agencyCode: 'URB', townshipId: 't2', name: '城管中队（西城）', nameEn: '' },
    { id: 'b-mkt-t1', agencyCode: 'MKT', townshipId: 't1', name: '市场监管所（东城）', nameEn: '' },
  ]
  const w = { townshipId: 't1', assignments: [duty, { ...duty, id: 'a2', agencyCode: 'MKT', branchId: 'b-mkt-t1', role: 'co' as const }] }
  const supervisor = { role: 'supervisor' as const, orgId: 'county' }

  it('a supervisor moving an overdue duty within the same agency gets 本部 preselected, the current branch disabled', () => {
    const choices = reassignChoices(supervisor, w, duty, 'URB', branches)
    expect(choices.map((c) => [c.value, c.blocked])).toEqual([
      [DEFAULT_UNIT, 'current'],
      [AGENCY_ITSELF, null],
      ['b-urb-t1', 'current'],
      ['b-urb-t2', null],
    ])
    expect(firstOpenChoice(choices)).toBe(AGENCY_ITSELF)
    expect(choiceBody(AGENCY_ITSELF)).toEqual({ toAgency: true })
    expect(choiceBody(DEFAULT_UNIT)).toEqual({})
    expect(choiceBody('b-urb-t2')).toEqual({ branchId: 'b-urb-t2' })
  })

  it('a unit already on the whistle is disabled; a declined or moved-away one is not', () => {
    expect(reassignChoices(supervisor, w, duty, 'MKT', branches)[0].blocked).toBe('onWhistle')
    const moved = { ...w, assignments: [duty, { ...w.assignments[1], status: 'reassigned' as const }] }
    expect(reassignChoices(supervisor, moved, duty, 'MKT', branches)[0].blocked).toBeNull()
  })

  it('a township gets no 本部 where the agency has a branch, and no other township’s branch', () => {
    const township = { role: 'township' as const, orgId: 't1' }
    const declined = { ...duty, status: 'declined' as const }
    const choices = reassignChoices(township, w, declined, 'URB', branches)
    expect(choices.some((c) => c.value === AGENCY_ITSELF)).toBe(false)
    expect(choices.find((c) => c.value === 'b-urb-t2')!.blocked).toBe('otherTownship')
    expect(firstOpenChoice(choices)).toBeNull() // the default is the branch that declined: nothing is preselected
  })
})

describe('the three rates say what they count', () => {
  const u = (over: Partial<AssessmentUnit>): AssessmentUnit =>
    ({ unitId: 'u', unitName: 'U', agencyCode: 'A', townshipId: 't1', assignments: 0, reported: 0, reportedWithinLimit: 0, resolved: 0, resolvedWithinLimit: 0, declined: 0, escalated: 0, rated: 0, satisfied: 0, basicallySatisfied: 0, unsatisfied: 0, timeToReportP50: null, timeToReportP90: null, timeToResolveP50: null, timeToResolveP90: null, responseRate: null, resolutionRate: null, satisfactionRate: null, ...over }) as AssessmentUnit

  it('pools by the denominators the API gives (responseDue, resolutionDue), not by the assignments', () => {
    // The branch of the issue: 8 duties, 2 reported in time, 6 still inside their limit.
    const branch = u({ assignments: 8, reportedWithinLimit: 2, responseDue: 2, resolutionDue: 0, responseRate: 1 })
    const r = pooledRates([branch])
    expect(r.response).toBe(1)
    expect(fractionText(r.parts.response)).toBe('2/2')
    expect(r.resolution).toBeNull()
    expect(fractionText(r.parts.resolution)).toBe('—')
    expect(fractionText(unitRates(branch).response)).toBe('2/2')
    expect(unitRates(u({ satisfied: 1, basicallySatisfied: 1, rated: 3, satisfactionRate: 2 / 3 })).satisfaction).toMatchObject({ part: 2, whole: 3 })
  })
})
