import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import type { Relation, Submission, WhistleEvent } from '../src/api/types'
import {
  answerTextRequired,
  applyEventToSubmissions,
  canAddFiles,
  canAnswer,
  institutionOf,
  openOfKind,
  patchSubmissionDetail,
  patchSubmissionList,
  relationsFor,
  submissionNoticeFor,
} from '../src/lib/submissions'

/** An institution's submissions (issue 17) kept live from their events: applied in place, read again only when needed. */
function submission(over: Partial<Submission> = {}): Submission {
  return {
    id: 's1', kind: 'request', relationId: 'ndrc-credit', institutionId: 'credit-center', institutionName: '市信用中心', institutionNameEn: 'Credit centre',
    departmentId: 'city-ndrc', departmentName: '市发展改革委', departmentNameEn: 'NDRC', relationName: 'r', relationNameEn: 'r', title: '关于调整信用修复流程的请示',
    body: '正文', status: 'open', openedAt: '2026-03-01T01:00:00Z', openedByName: '张三', dueAt: '2026-03-06T01:00:00Z', overdue: false,
    reminderCount: 0, escalationCount: 0, headLeadsStationedBranch: false, answer: null, answerText: null, answeredAt: null, answeredByName: null,
    ...over,
  } as Submission
}

function event(type: string, over: Partial<NonNullable<WhistleEvent['submission']>> = {}, id = 's1'): WhistleEvent {
  return {
    sequence: 10, type, whistleId: id, occurredAt: '2026-03-02T02:00:00Z', whistle: null, actor: { userName: 'department.city-ndrc', displayName: '李四' } as WhistleEvent['actor'],
    submission: { id, kind: 'request', relationId: 'ndrc-credit', institutionId: 'credit-center', departmentId: 'city-ndrc', title: 't', status: 'open', dueAt: '2026-03-06T01:00:00Z', answer: null, ...over },
  }
}

const live = { stale: false, fromCatchUp: false } as never
const stale = { stale: true, fromCatchUp: true } as never

describe('a list of submissions, live', () => {
  it('applies an answer to its row without reading the list again', () => {
    const list = ref([submission(), submission({ id: 's2' })])
    const outcome = patchSubmissionList(event('SubmissionAnswered', { status: 'answered', answer: 'approved' }), live, list)
    expect(outcome).toBe(true)
    expect(list.value[0]).toMatchObject({ status: 'answered', answer: 'approved', answeredByName: '李四', answeredAt: '2026-03-02T02:00:00Z' })
    expect(list.value[1].status).toBe('open')
  })

  it('counts reminders and escalations and marks the escalated one overdue', () => {
    let rows = applyEventToSubmissions([submission()], event('SubmissionReminded'))
    rows = applyEventToSubmissions(rows, event('SubmissionEscalated'))
    rows = applyEventToSubmissions(rows, event('SubmissionEscalated'))
    expect(rows[0]).toMatchObject({ reminderCount: 1, escalationCount: 2, overdue: true })
  })

  it('reads the list again for a submission it does not hold (its names come with the answer), unless it does not belong', () => {
    const list = ref([submission()])
    expect(patchSubmissionList(event('SubmissionFiled', {}, 's9'), live, list)).toBe('reload')
    expect(patchSubmissionList(event('SubmissionFiled', { kind: 'filing' }, 's9'), live, list, (s) => s.kind === 'request')).toBe(false)
    expect(list.value).toHaveLength(1)
  })

  it('leaves whistle events and events already applied (a catch-up) alone', () => {
    const list = ref([submission()])
    const whistleEvent = { ...event('AssignmentReported'), submission: null }
    expect(patchSubmissionList(whistleEvent, live, list)).toBe(false)
    expect(patchSubmissionList(event('SubmissionAnswered', { status: 'answered' }), stale, list)).toBe(false)
    expect(list.value[0].status).toBe('open')
  })
})

describe('one submission, live', () => {
  it('applies its own event at once and reads it again (the timeline, the answer text); another submission is not its concern', () => {
    const current = ref<Submission | null>(submission())
    expect(patchSubmissionDetail(event('SubmissionAnswered', { id: 's2', status: 'answered' }, 's2'), live, current)).toBe(false)
    expect(patchSubmissionDetail(event('SubmissionAnswered', { status: 'answered', answer: 'approved' }), live, current)).toBe('reload')
    expect(current.value).toMatchObject({ status: 'answered', answer: 'approved' })
  })
})

describe("the department's inbox and answer", () => {
  it('lists the open ones of a kind, the nearest limit first', () => {
    const rows = [
      submission({ id: 'a', dueAt: '2026-03-09T00:00:00Z' }),
      submission({ id: 'b', dueAt: '2026-03-05T00:00:00Z' }),
      submission({ id: 'c', status: 'answered' }),
      submission({ id: 'd', kind: 'filing' }),
    ]
    expect(openOfKind(rows, 'request').map((s) => s.id)).toEqual(['b', 'a'])
    expect(openOfKind(rows, 'filing').map((s) => s.id)).toEqual(['d'])
  })

  it('lets only the department addressed answer, while it is open', () => {
    const s = submission()
    expect(canAnswer({ role: 'department', orgId: 'city-ndrc' }, s)).toBe(true)
    expect(canAnswer({ role: 'department', orgId: 'city-housing' }, s)).toBe(false)
    expect(canAnswer({ role: 'institution', orgId: 'credit-center' }, s)).toBe(false)
    expect(canAnswer({ role: 'establishment-office', orgId: 'city-ndrc' }, s)).toBe(false)
    expect(canAnswer({ role: 'department', orgId: 'city-ndrc' }, { ...s, status: 'answered' })).toBe(false)
  })

  it('lets the institution add files (补充材料) while it is open, not the department or the office', () => {
    const s = submission()
    expect(canAddFiles({ role: 'institution' }, s)).toBe(true)
    expect(canAddFiles({ role: 'institution' }, { ...s, status: 'answered' })).toBe(false)
    expect(canAddFiles({ role: 'department' }, s)).toBe(false)
    expect(canAddFiles({ role: 'establishment-office' }, s)).toBe(false)
    expect(canAddFiles(null, s)).toBe(false)
  })

  it('asks for the text of a 批复 and of an objection, not of 阅知 or 备案确认', () => {
    expect(['approved', 'disapproved', 'objected'].every(answerTextRequired)).toBe(true)
    expect(['noted', 'acknowledged', ''].some(answerTextRequired)).toBe(false)
  })
})

describe('what an institution may submit along', () => {
  const relations = [
    { id: 'ndrc-credit', kind: 'one-to-one', institutionId: 'credit-center' },
    { id: 'inspection-guidance', kind: 'many-to-one-guidance', institutionId: 'inspection-center' },
    { id: 'other', kind: 'one-to-many-service', institutionId: 'credit-center' },
  ] as Relation[]

  it('any of its relations for a 请示 or 报告, its one-to-one relation only for a filing', () => {
    expect(relationsFor(relations, 'credit-center', 'request').map((r) => r.id)).toEqual(['ndrc-credit', 'other'])
    expect(relationsFor(relations, 'credit-center', 'filing').map((r) => r.id)).toEqual(['ndrc-credit'])
  })

  it("an office account speaks for its institution", () => {
    const institutions = [{ id: 'credit-center', units: [{ id: 'credit-center.data' }] }]
    expect(institutionOf('credit-center.data', institutions)).toBe('credit-center')
    expect(institutionOf('credit-center', institutions)).toBe('credit-center')
    expect(institutionOf('city-ndrc', institutions)).toBeNull()
  })
})

describe('the words of submissions', () => {
  it('name every kind, answer and event in both languages', async () => {
    const { default: zh } = await import('../src/i18n/zh-CN')
    const { default: en } = await import('../src/i18n/en')
    const { translate } = await import('../src/i18n')
    const { SUBMISSION_KINDS, SUBMISSION_ANSWERS } = await import('../src/api/types')
    for (const tree of [zh, en] as never[]) {
      for (const k of SUBMISSION_KINDS) {
        expect(translate(tree, `city.submissions.kinds.${k}`), k).toBeTruthy()
        expect(translate(tree, `city.submissions.tabs.${k}`), k).toBeTruthy()
        expect(translate(tree, `city.submissions.answerText.${k}`), k).toBeTruthy()
        for (const a of SUBMISSION_ANSWERS[k]) {
          expect(translate(tree, `city.submissions.answers.${a}`), a).toBeTruthy()
          expect(translate(tree, `city.submissions.answerActions.${a}`), a).toBeTruthy()
        }
      }
      for (const type of ['SubmissionFiled', 'SubmissionReminded', 'SubmissionEscalated', 'SubmissionAnswered'])
        expect(translate(tree, `city.submissions.events.${type}`), type).toBeTruthy()
    }
  })
})

describe('the notices of submissions', () => {
  it('calls the department addressed to a new one, with a beep, and tells the institution (or its filing office) of the answer', () => {
    const filed = submissionNoticeFor(event('SubmissionFiled'), { role: 'department', orgId: 'city-ndrc' }, false, 0)
    expect(filed).toMatchObject({ sound: true, notice: { kind: 'submission', submissionId: 's1', submissionKind: 'request', whistleId: '' } })
    const answered = event('SubmissionAnswered', { status: 'answered', answer: 'approved', unitId: 'credit-center.data' })
    expect(submissionNoticeFor(answered, { role: 'institution', orgId: 'credit-center' }, false, 0)).toMatchObject({ sound: false, notice: { kind: 'submission-answered' } })
    expect(submissionNoticeFor(answered, { role: 'institution', orgId: 'credit-center.data' }, false, 0)).not.toBeNull()
  })

  it('says nothing to anyone else, nor of what happened before the session was live', () => {
    expect(submissionNoticeFor(event('SubmissionFiled'), { role: 'department', orgId: 'city-housing' }, false, 0)).toBeNull()
    expect(submissionNoticeFor(event('SubmissionFiled'), { role: 'establishment-office', orgId: 'yunzhou' }, false, 0)).toBeNull()
    expect(submissionNoticeFor(event('SubmissionAnswered'), { role: 'department', orgId: 'city-ndrc' }, false, 0)).toBeNull()
    const later = new Date('2026-03-03T00:00:00Z').getTime()
    expect(submissionNoticeFor(event('SubmissionFiled'), { role: 'department', orgId: 'city-ndrc' }, true, later)).toBeNull()
  })
})
