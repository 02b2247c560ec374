// Meeting events on the hub (issue 8): same `whistleEvent` method and CatchUp stream, `whistle: null`,
// `whistleId` = the meeting's id. They must never be taken for a whistle anywhere.
import { describe, expect, it } from 'vitest'
import type { Assignment, InboxAssignment, Meeting, MeetingSummonsSnapshot, Whistle, WhistleEvent } from '../src/api/types'
import { MEETING_EVENT_TYPES } from '../src/api/types'
import { applyEventToInbox, applyEventToWhistle, applyEventToWhistles } from '../src/lib/patch'
import { applyEventToMeeting, applyEventToMeetings, isMeetingEvent, meetingIdOf } from '../src/lib/meetingEvents'
import { noticeFor, noticeKey } from '../src/lib/noticeRules'
import { EventSequencer, catchUpAll, entityKey } from '../src/lib/eventStore'
import { boardCounters, sortInbox } from '../src/lib/domain'

const asg: Assignment = {
  id: 'a1',
  whistleId: 'w1',
  agencyCode: 'ENV',
  branchId: 'b-env-t1',
  role: 'lead',
  status: 'dispatched',
  dispatchedAt: '2026-11-01T01:00:00Z',
  reportBy: '2026-11-01T02:00:00Z',
  resolveBy: '2026-11-01T09:00:00Z',
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
  raisedAt: '2026-11-01T01:00:00Z',
  assignments: [asg],
}
const summary = { id: 'w1', title: 'Smoke', status: 'dispatched' as const, townshipId: 't1', matterCode: 'M1', urgency: 'urgent' as const }
const row: InboxAssignment = { ...asg, whistle: summary }

function meetingEvent(over: Partial<WhistleEvent> = {}): WhistleEvent {
  return {
    sequence: 50,
    type: 'MeetingScheduled',
    whistleId: 'm1',
    assignmentId: null,
    occurredAt: '2026-11-01T02:00:00Z',
    actor: { userName: 'tw1', displayName: 'Township 1', orgId: 't1' },
    whistle: null,
    meeting: {
      id: 'm1',
      townshipId: 't1',
      kind: 'regular',
      title: '11 月协调会议',
      place: '三楼会议室',
      startsAt: '2026-11-10T01:30:00Z',
      endsAt: '2026-11-10T03:30:00Z',
      confirmBy: '2026-11-09T23:30:00Z',
      status: 'scheduled',
      whistleId: null,
      summons: null,
    },
    ...over,
  }
}

const meeting: Meeting = {
  id: 'm1',
  townshipId: 't1',
  kind: 'regular',
  title: '11 月协调会议',
  agenda: '',
  place: '三楼会议室',
  startsAt: '2026-11-10T01:30:00Z',
  endsAt: '2026-11-10T03:30:00Z',
  confirmBy: '2026-11-09T23:30:00Z',
  whistleId: null,
  seriesId: null,
  status: 'scheduled',
  organizer: { userName: 'tw1', displayName: 'Township 1', orgId: 't1' },
  minutes: null,
  minutesAt: null,
  summons: [
    { id: 's1', agencyCode: 'ENV', branchId: 'b-env-t1', status: 'summoned', attendee: null, reason: null, respondedAt: null, attendance: null, checkedInAt: null, unitName: '', confirmedOnTime: null },
    { id: 's2', agencyCode: 'FIRE', branchId: null, status: 'summoned', attendee: null, reason: null, respondedAt: null, attendance: null, checkedInAt: null, unitName: '', confirmedOnTime: null },
  ],
  decisions: [],
}

describe('meeting events are not whistle events', () => {
  it('recognises every meeting type, and a meeting payload without a whistle', () => {
    for (const type of MEETING_EVENT_TYPES) expect(isMeetingEvent(meetingEvent({ type }))).toBe(true)
    expect(isMeetingEvent({ type: 'MeetingSomethingNew', whistle: null })).toBe(true)
    expect(isMeetingEvent({ type: 'Unknown', whistle: null, meeting: meetingEvent().meeting })).toBe(true)
    expect(isMeetingEvent({ type: 'AssignmentReported', whistle: summary })).toBe(false)
    expect(isMeetingEvent(null)).toBe(false)
    expect(meetingIdOf(meetingEvent())).toBe('m1')
  })

  it('leaves whistle lists, the whistle page and the inbox untouched (no placeholder whistle, no crash)', () => {
    for (const type of MEETING_EVENT_TYPES) {
      const e = meetingEvent({ type })
      const list = [whistle]
      expect(applyEventToWhistles(list, e)).toBe(list)
      expect(applyEventToWhistles([], e)).toEqual([])
      expect(applyEventToWhistle(whistle, e)).toBe(whistle)
      const inbox = [row]
      expect(applyEventToInbox(inbox, e)).toBe(inbox)
      expect(applyEventToInbox([], e, false, () => true)).toEqual([])
    }
  })

  it('is ignored even when its id collides with a whistle on screen', () => {
    const e = meetingEvent({ whistleId: 'w1', meeting: { ...meetingEvent().meeting!, id: 'w1', status: 'cancelled' } })
    expect(applyEventToWhistle(whistle, e)).toBe(whistle)
    expect(applyEventToWhistles([whistle], e)[0].status).toBe('dispatched')
    expect(applyEventToInbox([row], e)[0].whistle.status).toBe('dispatched')
  })

  it('a whistle event without a summary (defensive) updates rows but never adds a half-empty one', () => {
    const e: WhistleEvent = { ...meetingEvent(), type: 'AssignmentDispatched', whistleId: 'w9', whistle: null, meeting: null, assignment: { ...asg, id: 'a9', whistleId: 'w9' } }
    expect(applyEventToInbox([], e, false, () => true)).toEqual([])
    expect(applyEventToWhistles([], e)).toEqual([])
  })

  it('board counters and inbox order are unaffected by meeting traffic', () => {
    let list: Whistle[] = [whistle]
    let inbox: InboxAssignment[] = [row]
    for (const type of MEETING_EVENT_TYPES) {
      list = applyEventToWhistles(list, meetingEvent({ type }))
      inbox = applyEventToInbox(inbox, meetingEvent({ type }))
    }
    expect(boardCounters(list, Date.parse('2026-11-01T01:10:00Z'))).toEqual({ open: 1, unreported: 1, overdue: 0 })
    expect(sortInbox(inbox).map((r) => r.id)).toEqual(['a1'])
  })
})

describe('meeting events through the event store', () => {
  it('are ordered, de-duplicated and caught up with whistle events in one stream', async () => {
    const applied: string[] = []
    const seq = new EventSequencer<WhistleEvent>((e, ctx) => applied.push(`${e.sequence}:${e.type}${ctx.stale ? ':stale' : ''}`))
    seq.receive({ ...meetingEvent({ sequence: 3 }) })
    seq.beginCatchUp()
    seq.receive(meetingEvent({ sequence: 9, type: 'MeetingSummonsConfirmed' })) // live, held back
    const missed = await catchUpAll<WhistleEvent>(async (after) =>
      after === 3
        ? [
            { sequence: 4, type: 'AssignmentReported', whistleId: 'w1', occurredAt: '2026-11-01T01:20:00Z', whistle: summary, assignment: asg },
            meetingEvent({ sequence: 9, type: 'MeetingSummonsConfirmed' }),
            meetingEvent({ sequence: 6, type: 'MeetingAttendanceRecorded' }),
          ]
        : [],
      seq.lastSequence,
    )
    seq.endCatchUp(missed)
    seq.receive(meetingEvent({ sequence: 3 })) // duplicate
    expect(applied).toEqual(['3:MeetingScheduled', '4:AssignmentReported', '6:MeetingAttendanceRecorded', '9:MeetingSummonsConfirmed'])
    expect(seq.lastSequence).toBe(9)
  })

  it('an older snapshot of the same meeting arriving late is stale', () => {
    const applied: boolean[] = []
    const seq = new EventSequencer<WhistleEvent>((_e, ctx) => applied.push(ctx.stale))
    seq.receive(meetingEvent({ sequence: 10, type: 'MeetingCancelled' }))
    seq.receive(meetingEvent({ sequence: 8, type: 'MeetingSummonsConfirmed' }))
    expect(applied).toEqual([false, true])
    const m = applyEventToMeeting(meeting, meetingEvent({ sequence: 8, type: 'MeetingSummonsConfirmed' }), true)
    expect(m).toBe(meeting)
  })
})

describe('meeting and whistle staleness are kept apart', () => {
  it('a meeting event never makes a whistle event with the same id stale, nor the reverse', () => {
    const applied: string[] = []
    const seq = new EventSequencer<WhistleEvent>((e, ctx) => applied.push(`${e.sequence}${ctx.stale ? ':stale' : ''}`))
    seq.receive(meetingEvent({ sequence: 20, whistleId: 'x1' }))
    seq.receive({ sequence: 15, type: 'AssignmentReported', whistleId: 'x1', occurredAt: '', whistle: { ...summary, id: 'x1' } })
    seq.receive(meetingEvent({ sequence: 12, whistleId: 'x1', type: 'MeetingSummonsConfirmed' }))
    expect(applied).toEqual(['20', '15', '12:stale'])
    expect(entityKey(meetingEvent({ whistleId: 'x1' }))).toBe('meeting:x1')
    expect(entityKey({ sequence: 1, whistleId: 'x1', type: 'WhistleRaised', whistle: summary })).toBe('x1')
    expect(entityKey({ sequence: 1 })).toBeNull()
  })
})

describe('meeting snapshots on screen', () => {
  it('updates the status and the summons concerned; other meetings and whistle events change nothing', () => {
    const s1 = { ...meeting.summons[0], status: 'confirmed', attendee: '张三', respondedAt: '2026-11-02T00:00:00Z' }
    const e = meetingEvent({ type: 'MeetingSummonsConfirmed', meeting: { ...meetingEvent().meeting!, summons: s1 as MeetingSummonsSnapshot } })
    const next = applyEventToMeeting(meeting, e)
    expect(next.summons[0].status).toBe('confirmed')
    expect(next.summons[0].attendee).toBe('张三')
    expect(meeting.summons[0].status).toBe('summoned') // immutable
    expect(applyEventToMeetings([meeting], meetingEvent({ whistleId: 'm2', meeting: { ...meetingEvent().meeting!, id: 'm2' } }))[0]).toBe(meeting)
    const w: WhistleEvent = { sequence: 1, type: 'AssignmentReported', whistleId: 'm1', occurredAt: '', whistle: summary }
    expect(applyEventToMeetings([meeting], w)[0]).toBe(meeting)
    expect(applyEventToMeeting(meeting, meetingEvent({ type: 'MeetingCancelled', meeting: { ...meetingEvent().meeting!, status: 'cancelled' } })).status).toBe('cancelled')
  })
})

describe('meeting notices', () => {
  const branch = { role: 'branch' as const, orgId: 'b-env-t1' }
  const agency = { role: 'agency' as const, orgId: 'FIRE' }
  const township = { role: 'township' as const, orgId: 't1' }
  const otherTownship = { role: 'township' as const, orgId: 't2' }
  const supervisor = { role: 'supervisor' as const, orgId: 'county' }

  it('a summoned unit gets a beeping "会议召集" notice once per meeting, keyed by the meeting, with no whistle id', () => {
    for (const user of [branch, agency]) {
      const d = noticeFor(meetingEvent(), user, false, 0)!
      expect(d.sound).toBe(true)
      expect(d.notice.kind).toBe('meeting')
      expect(d.notice.key).toBe('m:m1')
      expect(d.notice.meetingId).toBe('m1')
      expect(d.notice.whistleId).toBe('')
      expect(d.notice.assignmentId).toBeNull()
      expect(d.notice.title).toBe('11 月协调会议')
      expect(noticeKey(d.notice).key).toBe('notice.meeting')
    }
  })

  it('a cancellation is told without a beep; answers and attendance are no news for the unit', () => {
    expect(noticeFor(meetingEvent({ type: 'MeetingCancelled' }), branch, false, 0)!.notice.kind).toBe('meeting-cancelled')
    expect(noticeFor(meetingEvent({ type: 'MeetingCancelled' }), branch, false, 0)!.sound).toBe(false)
    for (const type of ['MeetingSummonsConfirmed', 'MeetingSummonsDeclined', 'MeetingAttendanceRecorded', 'MeetingMinutesRecorded'])
      expect(noticeFor(meetingEvent({ type }), branch, false, 0)).toBeNull()
  })

  it('the organizer hears when a unit cannot come; nobody else does', () => {
    const declined = meetingEvent({ type: 'MeetingSummonsDeclined', sequence: 77 })
    expect(noticeFor(declined, township, false, 0)!.notice.kind).toBe('meeting-declined')
    expect(noticeFor(declined, otherTownship, false, 0)).toBeNull()
    expect(noticeFor(declined, supervisor, false, 0)).toBeNull() // a township's meeting
    const countyWide = meetingEvent({ type: 'MeetingSummonsDeclined', meeting: { ...meetingEvent().meeting!, townshipId: null } })
    expect(noticeFor(countyWide, supervisor, false, 0)!.notice.kind).toBe('meeting-declined')
    expect(noticeFor(meetingEvent(), township, false, 0)).toBeNull()
  })

  it('history replayed by a catch-up is no news', () => {
    const liveSince = Date.parse('2026-11-01T05:00:00Z')
    expect(noticeFor(meetingEvent(), branch, true, liveSince)).toBeNull()
    expect(noticeFor(meetingEvent({ occurredAt: '2026-11-01T05:01:00Z' }), branch, true, liveSince)).not.toBeNull()
  })

  it('never turns a meeting event into an assignment notice, even with a stray assignment id', () => {
    const e = meetingEvent({ assignmentId: 'a1', assignment: asg })
    const d = noticeFor(e, branch, false, 0)!
    expect(d.notice.kind).toBe('meeting')
    expect(d.notice.assignmentId).toBeNull()
  })
})
