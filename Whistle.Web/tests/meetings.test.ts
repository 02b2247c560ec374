import { describe, expect, it } from 'vitest'
import type { Meeting, Org, Summons } from '../src/api/types'
import { ATTENDANCE_VALUES, MEETING_KINDS, MEETING_STATUSES, SUMMONS_STATUSES, MEETING_EVENT_TYPES } from '../src/api/types'
import {
  allPages,
  attendanceEntries,
  decisionInputs,
  allUnitCodes,
  startingUnitCodes,
  emptyMeetingForm,
  hasMinutesErrors,
  icsFileName,
  inboxSummons,
  isOrganizer,
  isoToShanghaiLocal,
  minutesProblem,
  ownsSummons,
  scheduleRequest,
  shanghaiDayAt,
  shanghaiLocalToIso,
  sortMeetings,
  summonsCounts,
  unitOptions,
  validateMeeting,
  validateMinutes,
  type MeetingForm,
} from '../src/lib/meetings'
import { problemToFieldErrors } from '../src/lib/problem'
import { matterName } from '../src/stores/reference'
import zhCN from '../src/i18n/zh-CN'
import en from '../src/i18n/en'
import { setLocale, translate, type MessageTree } from '../src/i18n'

const NOW = Date.parse('2026-11-01T02:00:00Z') // 10:00 in Shanghai

describe('datetime-local values are Asia/Shanghai wall-clock time', () => {
  it('converts to and from ISO UTC whatever the browser zone', () => {
    expect(shanghaiLocalToIso('2026-11-15T09:30')).toBe('2026-11-15T01:30:00.000Z')
    expect(shanghaiLocalToIso('2026-11-15T07:00')).toBe('2026-11-14T23:00:00.000Z') // the day before in UTC
    expect(shanghaiLocalToIso('2026-11-15T09:30:15')).toBe('2026-11-15T01:30:15.000Z')
    expect(shanghaiLocalToIso('')).toBeNull()
    expect(shanghaiLocalToIso('2026-02-30T09:00')).toBeNull()
    expect(shanghaiLocalToIso('2026-11-15T24:00')).toBeNull()
    expect(shanghaiLocalToIso('soon')).toBeNull()
    expect(isoToShanghaiLocal('2026-11-14T23:00:00Z')).toBe('2026-11-15T07:00')
    expect(isoToShanghaiLocal(shanghaiLocalToIso('2026-12-31T23:59'))).toBe('2026-12-31T23:59')
    expect(isoToShanghaiLocal(null)).toBe('')
  })

  it('names the calendar file after the start date in Shanghai', () => {
    expect(icsFileName('2026-11-14T23:00:00Z')).toBe('meeting-20261115.ics')
    expect(icsFileName('2026-11-15T01:30:00Z')).toBe('meeting-20261115.ics')
  })

  it('proposes days at a Shanghai hour', () => {
    expect(shanghaiDayAt(NOW, 1, 9)).toBe('2026-11-02T09:00')
    expect(shanghaiDayAt(Date.parse('2026-11-30T17:00:00Z'), 1, 9)).toBe('2026-12-02T09:00') // 01:00 on Dec 1 in Shanghai
    expect(shanghaiDayAt(NOW, 7, 18, 30)).toBe('2026-11-08T18:30')
  })
})

const org: Pick<Org, 'agencies' | 'branches'> = {
  agencies: [
    { code: 'ENV', name: '生态环境局', nameEn: '', hasBranches: true },
    { code: 'URB', name: '城管执法局', nameEn: '', hasBranches: true },
    { code: 'FIRE', name: '消防救援大队', nameEn: '', hasBranches: true },
  ],
  branches: [
    { id: 'b-env-t1', agencyCode: 'ENV', townshipId: 't1', name: '生态环境所（东城）', nameEn: '' },
    { id: 'b-urb-t1', agencyCode: 'URB', townshipId: 't1', name: '城管执法队（东城）', nameEn: '' },
    { id: 'b-urb-t2', agencyCode: 'URB', townshipId: 't2', name: '城管执法队（西城）', nameEn: '' },
  ],
}

function form(over: Partial<MeetingForm> = {}): MeetingForm {
  return {
    ...emptyMeetingForm(NOW),
    title: '11 月协调会议',
    place: '三楼会议室',
    startsAt: '2026-11-10T09:30',
    agencyCodes: ['ENV', 'URB'],
    ...over,
  }
}

describe('the schedule form', () => {
  it('starts the unit picker empty and lets 全选 choose every unit it offers (issue 13)', () => {
    // A clerk who wants three units clicks three: nothing is chosen for them beforehand.
    expect(startingUnitCodes()).toEqual([])
    expect(emptyMeetingForm(NOW).agencyCodes).toEqual([])
    expect(allUnitCodes(org, 't1')).toEqual(['ENV', 'URB', 'FIRE']) // each agency: its branch there, or itself
    expect(allUnitCodes(org, null)).toEqual(['ENV', 'URB', 'FIRE'])
    expect(unitOptions(org, 't1')).toEqual([
      { agencyCode: 'ENV', branchId: 'b-env-t1' },
      { agencyCode: 'URB', branchId: 'b-urb-t1' },
      { agencyCode: 'FIRE', branchId: null },
    ])
  })

  it('starts tomorrow 09:00 Shanghai, regular, once', () => {
    const f = emptyMeetingForm(NOW)
    expect(f.startsAt).toBe('2026-11-02T09:00')
    expect(f.kind).toBe('regular')
    expect(f.recurrence).toBe('none')
  })

  it('mirrors the API rules', () => {
    expect(validateMeeting(form(), NOW)).toEqual({})
    const e = validateMeeting(form({ title: ' ', place: '', agencyCodes: [], startsAt: '2026-11-01T09:00' }), NOW)
    expect(Object.keys(e).sort()).toEqual(['agencyCodes', 'place', 'startsAt', 'title'])
    expect(e.startsAt?.key).toBe('meeting.validation.startFuture')
    expect(validateMeeting(form({ title: 'x'.repeat(101) }), NOW).title?.params).toEqual({ max: 100, count: 101 })
    expect(validateMeeting(form({ agenda: 'x'.repeat(2001) }), NOW).agenda).toBeTruthy()
    expect(validateMeeting(form({ endsAt: '2026-11-10T09:00' }), NOW).endsAt?.key).toBe('meeting.validation.endAfterStart')
    expect(validateMeeting(form({ endsAt: '2026-11-11T10:00' }), NOW).endsAt?.key).toBe('meeting.validation.endAfterStart')
    expect(validateMeeting(form({ endsAt: '2026-11-10T11:00' }), NOW).endsAt).toBeUndefined()
    expect(validateMeeting(form({ confirmBy: '2026-11-10T10:00' }), NOW).confirmBy?.key).toBe('meeting.validation.confirmByRange')
    expect(validateMeeting(form({ confirmBy: '2026-11-01T09:00' }), NOW).confirmBy?.key).toBe('meeting.validation.confirmByRange')
    expect(validateMeeting(form({ confirmBy: '2026-11-09T18:00' }), NOW).confirmBy).toBeUndefined()
    expect(validateMeeting(form({ recurrence: 'month', recurrenceCount: 1 }), NOW).recurrence?.key).toBe('meeting.validation.recurrenceCount')
    expect(validateMeeting(form({ recurrence: 'month', recurrenceCount: 13 }), NOW).recurrence).toBeTruthy()
    expect(validateMeeting(form({ recurrence: 'week', recurrenceCount: 12 }), NOW).recurrence).toBeUndefined()
    expect(validateMeeting(form({ recurrence: 'none', recurrenceCount: 0 }), NOW).recurrence).toBeUndefined()
  })

  it('builds the request: ISO UTC times, defaults left to the server, recurrence only when repeating', () => {
    expect(scheduleRequest(form({ agenda: ' 议程 ' }), 'township')).toEqual({
      kind: 'regular',
      title: '11 月协调会议',
      agenda: '议程',
      place: '三楼会议室',
      startsAt: '2026-11-10T01:30:00.000Z',
      agencyCodes: ['ENV', 'URB'],
      branchIds: [],
    })
    const r = scheduleRequest(form({ endsAt: '2026-11-10T11:00', confirmBy: '2026-11-09T18:00', recurrence: 'month', recurrenceCount: 3, townshipId: 't2' }), 'township')
    expect(r.endsAt).toBe('2026-11-10T03:00:00.000Z')
    expect(r.confirmBy).toBe('2026-11-09T10:00:00.000Z')
    expect(r.recurrence).toEqual({ every: 'month', count: 3 })
    expect(r.townshipId).toBeUndefined() // a township calls meetings of its own
    expect(scheduleRequest(form({ townshipId: 't2' }), 'supervisor').townshipId).toBe('t2')
    expect(scheduleRequest(form({ townshipId: '' }), 'supervisor').townshipId).toBeUndefined() // county-wide
    const onSite = scheduleRequest(form({ whistleId: 'w1', kind: 'regular' }), 'township')
    expect(onSite.kind).toBe('on-site')
    expect(onSite.whistleId).toBe('w1')
  })

  it("maps the API's 400 onto the form's fields", () => {
    const mapped = problemToFieldErrors(
      { status: 400, errors: { startsAt: ['The meeting starts in the future.'], AgencyCodes: ['Summon at least one unit.'], recurrence: ['x'] } },
      ['title', 'startsAt', 'agencyCodes', 'recurrence'],
    )
    expect(Object.keys(mapped.fields).sort()).toEqual(['agencyCodes', 'recurrence', 'startsAt'])
  })
})

const summons = (over: Partial<Summons>): Summons => ({
  id: 's1',
  agencyCode: 'ENV',
  branchId: 'b-env-t1',
  status: 'summoned',
  attendee: null,
  reason: null,
  respondedAt: null,
  attendance: null,
  checkedInAt: null,
  ...over,
})

function meeting(over: Partial<Meeting> = {}): Meeting {
  return {
    id: 'm1',
    townshipId: 't1',
    kind: 'regular',
    title: 'M',
    agenda: '',
    place: 'P',
    startsAt: '2026-11-10T01:30:00Z',
    endsAt: '2026-11-10T03:30:00Z',
    confirmBy: '2026-11-09T23:30:00Z',
    whistleId: null,
    seriesId: null,
    status: 'scheduled',
    minutes: null,
    minutesAt: null,
    summons: [
      summons({}),
      summons({ id: 's2', agencyCode: 'FIRE', branchId: null }),
      summons({ id: 's3', agencyCode: 'FIRE', branchId: 'b-fire-t1', status: 'confirmed', attendee: '李四' }),
    ],
    decisions: [],
    ...over,
  }
}

describe('who does what', () => {
  it('the organizer: the township of the meeting, supervisors for county-wide ones', () => {
    expect(isOrganizer({ role: 'township', orgId: 't1' }, meeting())).toBe(true)
    expect(isOrganizer({ role: 'township', orgId: 't2' }, meeting())).toBe(false)
    expect(isOrganizer({ role: 'supervisor', orgId: 'c' }, meeting())).toBe(false)
    expect(isOrganizer({ role: 'supervisor', orgId: 'c' }, meeting({ townshipId: null }))).toBe(true)
    expect(isOrganizer({ role: 'township', orgId: 't1' }, meeting({ townshipId: null }))).toBe(false)
    expect(isOrganizer(null, meeting())).toBe(false)
  })

  it('a summons is answered by its branch, or by the agency when summoned itself', () => {
    const m = meeting()
    expect(ownsSummons({ role: 'branch', orgId: 'b-env-t1' }, m.summons[0])).toBe(true)
    expect(ownsSummons({ role: 'branch', orgId: 'b-env-t2' }, m.summons[0])).toBe(false)
    expect(ownsSummons({ role: 'agency', orgId: 'FIRE' }, m.summons[1])).toBe(true)
    expect(ownsSummons({ role: 'agency', orgId: 'FIRE' }, m.summons[2])).toBe(false) // its branch answers
    expect(ownsSummons({ role: 'township', orgId: 't1' }, m.summons[0])).toBe(false)
  })

  it('the inbox section: own summons of scheduled meetings, unanswered first, then soonest', () => {
    const later = meeting({ id: 'm2', startsAt: '2026-11-20T01:30:00Z' })
    const answered = meeting({ id: 'm3', startsAt: '2026-11-05T01:30:00Z', summons: [summons({ id: 's9', status: 'confirmed' })] })
    const held = meeting({ id: 'm4', status: 'held' })
    const rows = inboxSummons({ role: 'branch', orgId: 'b-env-t1' }, [later, answered, meeting(), held])
    expect(rows.map((r) => `${r.meeting.id}/${r.summons.id}`)).toEqual(['m1/s1', 'm2/s1', 'm3/s9'])
    // An agency sees its own summons and its branches'; its own unanswered one first.
    const agencyRows = inboxSummons({ role: 'agency', orgId: 'FIRE' }, [meeting()])
    expect(agencyRows.map((r) => r.summons.id)).toEqual(['s2', 's3'])
    expect(inboxSummons({ role: 'township', orgId: 't1' }, [meeting()])).toEqual([])
  })

  it('counts answers and attendance; sorts meetings', () => {
    const m = meeting({ summons: [summons({ attendance: 'present' }), summons({ id: 's2', status: 'declined', attendance: 'absent' }), summons({ id: 's3', status: 'confirmed', attendance: 'late' })] })
    expect(summonsCounts(m)).toEqual({ summoned: 1, confirmed: 1, declined: 1, present: 1, late: 1, absent: 1, total: 3 })
    const a = meeting({ id: 'a', startsAt: '2026-11-10T00:00:00Z' })
    const b = meeting({ id: 'b', startsAt: '2026-11-03T00:00:00Z' })
    expect(sortMeetings([a, b], 'upcoming').map((m) => m.id)).toEqual(['b', 'a'])
    expect(sortMeetings([b, a], 'past').map((m) => m.id)).toEqual(['a', 'b'])
  })

  it('sends only the attendance that changed', () => {
    const list = [summons({ attendance: 'present' }), summons({ id: 's2' }), summons({ id: 's3' })]
    expect(attendanceEntries(list, { s1: 'present', s2: 'late', s3: '' })).toEqual([{ summonsId: 's2', attendance: 'late' }])
    expect(attendanceEntries(list, { s1: 'absent' })).toEqual([{ summonsId: 's1', attendance: 'absent' }])
    expect(attendanceEntries(list, {})).toEqual([])
  })
})

describe('minutes and decisions', () => {
  const decision = { text: '清理河道垃圾', agencyCode: 'ENV', dueAt: '2026-11-08T18:00' }

  it('mirrors the API rules', () => {
    expect(hasMinutesErrors(validateMinutes('纪要', [decision], NOW))).toBe(false)
    const e = validateMinutes(' ', [decision, { text: '', agencyCode: '', dueAt: '2026-11-01T09:00' }, { ...decision, dueAt: '' }], NOW)
    expect(e.minutes?.key).toBe('validation.required')
    expect(e.decisions[0]).toBeUndefined()
    expect(Object.keys(e.decisions[1]).sort()).toEqual(['agencyCode', 'dueAt', 'text'])
    expect(e.decisions[1].dueAt?.key).toBe('meeting.validation.dueFuture')
    expect(e.decisions[2].dueAt?.key).toBe('validation.required')
    expect(e.decisions[1].agencyCode?.key).toBe('meeting.validation.agencyRequired')
    // A joint meeting asks for the handling unit (承办单位) in the city's words.
    expect(validateMinutes('纪要', [{ ...decision, agencyCode: '' }], NOW, true).decisions[0].agencyCode?.key).toBe('city.joint.decisionTargetRequired')
    expect(validateMinutes('x'.repeat(10001), [], NOW).minutes?.params).toEqual({ max: 10000, count: 10001 })
    expect(validateMinutes('x', [{ ...decision, text: 'x'.repeat(501) }], NOW).decisions[0].text?.params).toEqual({ max: 500, count: 501 })
  })

  it('sends each decision with its due time in UTC', () => {
    expect(decisionInputs([{ ...decision, text: ' 清理河道垃圾 ' }])).toEqual([{ text: '清理河道垃圾', agencyCode: 'ENV', dueAt: '2026-11-08T10:00:00.000Z' }])
  })

  it("maps the API's 400 to the minutes, each decision's fields and the rest", () => {
    setLocale('en') // answers without codes: the English the API sent
    const mapped = minutesProblem({
      status: 400,
      errors: { minutes: ['Required.'], 'decisions[0].text': ['Too long.'], 'decisions[1].dueAt': ['Past.'], 'decisions[1].branchId': ['No.'], decisions: ['At most 20.'] },
    })
    expect(mapped.minutes).toEqual(['Required.'])
    expect(mapped.decisions[0]).toEqual({ text: ['Too long.'] })
    expect(mapped.decisions[1]).toEqual({ dueAt: ['Past.'], branchId: ['No.'] })
    expect(mapped.general).toEqual(['At most 20.'])
    expect(minutesProblem({ status: 400, detail: 'Bad' }).general).toEqual(['Bad'])
    setLocale('zh-CN')
    expect(minutesProblem({ status: 400, errors: { 'decisions[0].dueAt': ['A decision is due in the future.'] }, codes: { 'decisions[0].dueAt': [{ code: 'due-in-past' }] } }).decisions[0]).toEqual({
      dueAt: ['办结期限须晚于现在'],
    })
  })

  it('a decision whistle shows its matter as 会议议定事项', () => {
    expect(matterName('meeting-decision')).toBe('会议议定事项')
    expect(matterName('UNKNOWN-1')).toBe('UNKNOWN-1')
  })
})

describe('i18n of meetings', () => {
  const zh = zhCN as MessageTree
  const eng = en as MessageTree

  it('covers every meeting enum and event type in both languages', () => {
    for (const tree of [zh, eng]) {
      for (const k of MEETING_KINDS) expect(translate(tree, `meeting.kinds.${k}`), k).toBeTruthy()
      for (const s of MEETING_STATUSES) expect(translate(tree, `meeting.status.${s}`), s).toBeTruthy()
      for (const s of SUMMONS_STATUSES) expect(translate(tree, `meeting.summonsStatus.${s}`), s).toBeTruthy()
      for (const a of ATTENDANCE_VALUES) expect(translate(tree, `meeting.attendance.${a}`), a).toBeTruthy()
      for (const e of MEETING_EVENT_TYPES) expect(translate(tree, `event.${e}`), e).toBeTruthy()
      for (const n of ['meeting', 'meeting-cancelled', 'meeting-declined']) expect(translate(tree, `notice.${n}`), n).toBeTruthy()
    }
  })

  it('uses the vocabulary: 协调会议, 召集, 确认参会, 报到, 迟到, 缺席, 会议纪要, 议定事项, 责任单位, 完成时限', () => {
    expect(translate(zh, 'nav.meetings')).toBe('协调会议')
    expect(translate(zh, 'meeting.new')).toBe('召集会议')
    expect(translate(zh, 'notice.meeting', { title: 'X' })).toBe('会议召集：X')
    expect(translate(zh, 'meeting.confirm')).toBe('确认参会')
    expect(translate(zh, 'meeting.decline')).toBe('请假/无法参会')
    expect(translate(zh, 'meeting.attendance.present')).toBe('已报到')
    expect(translate(zh, 'meeting.attendance.late')).toBe('迟到')
    expect(translate(zh, 'meeting.attendance.absent')).toBe('缺席')
    expect(translate(zh, 'meeting.minutes')).toBe('会议纪要')
    expect(translate(zh, 'meeting.decisions')).toBe('议定事项')
    expect(translate(zh, 'meeting.decisionAgency')).toBe('责任单位')
    expect(translate(zh, 'meeting.decisionDue')).toBe('完成时限')
    expect(translate(eng, 'meeting.decisionMatter')).toBe('Meeting decision')
  })

  it('every literal t() key in the source exists in both languages', () => {
    const sources = import.meta.glob<string>(['../src/**/*.vue', '../src/**/*.ts'], { query: '?raw', import: 'default', eager: true })
    expect(Object.keys(sources).length).toBeGreaterThan(30)
    const missing: string[] = []
    let checked = 0
    for (const [f, text] of Object.entries(sources)) {
      for (const m of text.matchAll(/\bt\('([a-zA-Z][\w-]*(?:\.[\w-]+)+)'/g)) {
        const key = m[1]
        checked++
        if (translate(zh, key) === undefined || translate(eng, key) === undefined) missing.push(`${f}: ${key}`)
      }
    }
    expect(checked).toBeGreaterThan(200)
    expect(missing).toEqual([])
  })
})

describe('allPages (GET /api/meetings is paged, issue 11)', () => {
  const items = Array.from({ length: 45 }, (_, i) => ({ id: `m${i}` }))
  const pages = (size: number) => async (page: number) => ({ items: items.slice((page - 1) * size, page * size), total: items.length })

  it('reads every page until the total is reached, so a user with many meetings loses none', async () => {
    const asked: number[] = []
    const all = await allPages(async (page) => {
      asked.push(page)
      return pages(20)(page)
    })
    expect(all.map((m) => m.id)).toEqual(items.map((m) => m.id))
    expect(asked).toEqual([1, 2, 3])
  })

  it('keeps an item that moved between two pages once, and stops on an empty page or at the page limit', async () => {
    const shifted = await allPages(async (page) => ({ items: page === 1 ? [{ id: 'a' }, { id: 'b' }] : page === 2 ? [{ id: 'b' }, { id: 'c' }] : [], total: 4 }))
    expect(shifted.map((m) => m.id)).toEqual(['a', 'b', 'c'])
    let calls = 0
    await allPages(async () => {
      calls++
      return { items: [{ id: `x${calls}` }], total: 1000 }
    }, 5)
    expect(calls).toBe(5)
  })
})
