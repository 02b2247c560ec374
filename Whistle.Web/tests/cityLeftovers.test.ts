import { describe, expect, it } from 'vitest'
import type { City } from '../src/api/types'
import type { FollowUp } from '../src/api/city'
import { cardFacts, levelChoice, matchesLevel } from '../src/lib/city'
import { filterFromQuery, queryOf, unitDrilldown } from '../src/lib/drilldown'
import { whistleFilterQuery } from '../src/api/roles'
import { followUpOverdue, followUpsToShow, replyProblem } from '../src/lib/followUps'
import { limitDuration } from '../src/lib/time'

/** Issue 17's leftovers for the UI: the board's level filter, a work request's card, the office's follow-ups, limits in 小时/天. */
describe("the supervisor's board over both levels", () => {
  it('reads the level from the address: township, city, or both for anything else', () => {
    expect(levelChoice('township')).toBe('township')
    expect(levelChoice('city')).toBe('city')
    expect(levelChoice(undefined)).toBe('')
    expect(levelChoice('county')).toBe('')
    expect(levelChoice(['city'])).toBe('')
  })

  it('keeps a row of the other level out (an event without a level is a township whistle)', () => {
    expect(matchesLevel({ level: 'city' }, 'city')).toBe(true)
    expect(matchesLevel({ level: 'city' }, 'township')).toBe(false)
    expect(matchesLevel({}, 'township')).toBe(true)
    expect(matchesLevel({}, 'city')).toBe(false)
    expect(matchesLevel({ level: 'city' }, '')).toBe(true)
  })

  it("sends a township ranking row's drill-down with level=township, kept by the list's address and passed to the API", () => {
    const q = unitDrilldown({ unitId: 'market-supervision.chengguan', agencyCode: 'market-supervision' }, 'branches', 'F', 'T')
    expect(q.level).toBe('township')
    const f = filterFromQuery(q as Record<string, unknown>)
    expect(f.level).toBe('township')
    expect(queryOf(f).level).toBe('township')
    expect(new URLSearchParams(whistleFilterQuery(f)).get('level')).toBe('township')
  })
})

const CITY: City = {
  id: 'yunzhou',
  name: '云州市',
  nameEn: 'Yunzhou',
  departments: [{ id: 'city-ndrc', name: '市发展改革委', nameEn: 'NDRC' }],
  institutions: [
    {
      id: 'credit-center',
      name: '市信用中心',
      nameEn: 'Credit Center',
      agencyCode: null,
      units: [{ id: 'credit-center.data', kind: 'office', name: '数据归集科', nameEn: 'Data Section', branchId: null, townshipId: null }],
    },
  ],
  relations: [],
} as unknown as City

describe('a whistle card', () => {
  const names = {
    pick: (x: { name: string; nameEn?: string | null } | null | undefined) => x?.name ?? '',
    requester: (id: string) => (id === 'city-ndrc' ? '市发展改革委' : id === 'chengguan' ? '城关街道' : id),
    itself: (institution: string) => `${institution}（本级）`,
  }

  it('reads a work request as one: the requesting department and each institution or office, once', () => {
    const facts = cardFacts(
      {
        townshipId: 'city-ndrc',
        level: 'city',
        assignments: [
          { agencyCode: 'credit-center', branchId: 'credit-center.data' },
          { agencyCode: 'credit-center', branchId: 'credit-center.data' },
          { agencyCode: 'credit-center', branchId: null },
        ],
      },
      CITY,
      names,
    )
    expect(facts).toEqual({ level: 'city', requester: '市发展改革委', units: ['市信用中心 · 数据归集科', '市信用中心（本级）'] })
  })

  it("reads a township's whistle as before: its township, no city units", () => {
    expect(cardFacts({ townshipId: 'chengguan', assignments: [{ agencyCode: 'urban-management', branchId: 'urban-management.chengguan' }] }, CITY, names)).toEqual({
      level: 'township',
      requester: '城关街道',
      units: [],
    })
  })
})

function followUp(id: string, status: string, dueAt: string, repliedAt: string | null = null): FollowUp {
  return {
    id, status, dueAt, repliedAt, raisedAt: '2026-11-01T00:00:00Z', relationId: 'r', relationName: 'R', relationNameEn: 'R', departmentId: 'd',
    departmentName: 'D', departmentNameEn: 'D', institutionId: 'i', institutionName: 'I', institutionNameEn: 'I', missing: ['decision-rule'],
    note: '', raisedByName: '编办', overdue: false, reply: null, repliedByName: null, closedAt: null, reminderCount: 0, escalationCount: 0,
  } as FollowUp
}

describe("the office's follow-ups in a department's workspace", () => {
  it('shows the open ones first, the nearest limit first, then the answered ones; never the closed', () => {
    const list = [
      followUp('a', 'answered', '2026-12-01T00:00:00Z', '2026-11-20T00:00:00Z'),
      followUp('late', 'open', '2026-12-09T00:00:00Z'),
      followUp('soon', 'open', '2026-12-02T00:00:00Z'),
      followUp('c', 'closed', '2026-12-01T00:00:00Z'),
    ]
    expect(followUpsToShow(list).map((f) => f.id)).toEqual(['soon', 'late', 'a'])
  })

  it('is overdue only while open and past its limit', () => {
    const now = Date.parse('2026-12-05T00:00:00Z')
    expect(followUpOverdue({ status: 'open', dueAt: '2026-12-02T00:00:00Z' }, now)).toBe(true)
    expect(followUpOverdue({ status: 'answered', dueAt: '2026-12-02T00:00:00Z' }, now)).toBe(false)
    expect(followUpOverdue({ status: 'open', dueAt: '2026-12-09T00:00:00Z' }, now)).toBe(false)
  })

  it('refuses an empty reply and one over the limit before sending', () => {
    expect(replyProblem('   ')?.key).toBe('city.followUps.replyRequired')
    expect(replyProblem('x'.repeat(2001))).toEqual({ key: 'city.followUps.replyTooLong', params: { max: 2000 } })
    expect(replyProblem('已补齐议事规则')).toBeNull()
  })
})

describe("a township's limits on the raise form", () => {
  it('are shown in 小时/天 like the rest of the UI, not in raw minutes', () => {
    expect(limitDuration(30)).toBe('30分')
    expect(limitDuration(120)).toBe('2小时')
    expect(limitDuration(1440)).toBe('1天')
    expect(limitDuration(2880 + 180)).toBe('2天3小时')
    expect(limitDuration(90, 'en')).toMatch(/^1\s?h/)
  })
})

import { convenesJointMeetings, isJointMeeting, jointDecisionTargets, jointPartners, meetingKindKey } from '../src/lib/jointMeetings'
import { decisionInputs, emptyMeetingForm, isOrganizer, ownsSummons, scheduleRequest, summonsInInbox } from '../src/lib/meetings'

const JOINT_CITY = {
  id: 'yunzhou', name: '云州市', nameEn: 'Yunzhou',
  departments: [],
  institutions: [
    { id: 'credit-center', name: '市信用中心', nameEn: 'Credit', agencyCode: null, units: [{ id: 'credit-center.data', kind: 'office', name: '数据归集科', nameEn: 'Data', branchId: null, townshipId: null }] },
    { id: 'inspection-center', name: '市检验检测中心', nameEn: 'Inspection', agencyCode: null, units: [] },
  ],
  relations: [
    { id: 'ndrc-credit', name: '信用协作', nameEn: 'Credit', institutionId: 'credit-center', institutionName: '市信用中心', institutionNameEn: 'Credit',
      departments: [{ departmentId: 'city-ndrc', departmentName: '市发展改革委', departmentNameEn: 'NDRC', role: 'lead' }] },
    { id: 'inspection-guidance', name: '检验指导', nameEn: 'Inspection', institutionId: 'inspection-center', institutionName: '市检验检测中心', institutionNameEn: 'Inspection',
      departments: [
        { departmentId: 'city-market', departmentName: '市市场监督管理局', departmentNameEn: 'Market', role: 'lead' },
        { departmentId: 'city-ndrc', departmentName: '市发展改革委', departmentNameEn: 'NDRC', role: 'member' },
      ] },
  ],
} as unknown as City

describe('joint meetings (联席会议) of the city roles', () => {
  const ndrc = { role: 'department' as const, orgId: 'city-ndrc' }
  const inspection = { role: 'institution' as const, orgId: 'inspection-center' }
  const office = { role: 'institution' as const, orgId: 'credit-center.data' }

  it("offers the convener's relation partners: a department its institutions, an institution its departments; an office convenes none", () => {
    expect(jointPartners(ndrc, JOINT_CITY).map((p) => p.id)).toEqual(['credit-center', 'inspection-center'])
    expect(jointPartners(inspection, JOINT_CITY).map((p) => p.id)).toEqual(['city-market', 'city-ndrc'])
    expect(convenesJointMeetings(ndrc, JOINT_CITY)).toBe(true)
    expect(convenesJointMeetings(inspection, JOINT_CITY)).toBe(true)
    expect(convenesJointMeetings(office, JOINT_CITY)).toBe(false)
  })

  it('sends the chosen partners as institutionIds or departmentIds, never as county units', () => {
    const form = { ...emptyMeetingForm(Date.parse('2026-11-30T00:00:00Z')), title: '季度会商', place: '三楼', agencyCodes: ['credit-center', 'credit-center'] }
    const byDepartment = scheduleRequest(form, 'department')
    expect(byDepartment.institutionIds).toEqual(['credit-center'])
    expect(byDepartment.agencyCodes).toEqual([])
    expect(byDepartment.departmentIds).toBeUndefined()
    const byInstitution = scheduleRequest({ ...form, agencyCodes: ['city-ndrc'] }, 'institution')
    expect(byInstitution.departmentIds).toEqual(['city-ndrc'])
    expect(byInstitution.agencyCodes).toEqual([])
    expect(scheduleRequest({ ...form, agencyCodes: ['urban-management'] }, 'township').agencyCodes).toEqual(['urban-management'])
  })

  it('knows the convener as organizer and each summoned department or institution as the one answering its summons', () => {
    const m = { townshipId: 'city-ndrc', convenerKind: 'department' }
    expect(isOrganizer(ndrc, m)).toBe(true)
    expect(isOrganizer({ role: 'township', orgId: 'city-ndrc' }, m)).toBe(false)
    const s = { agencyCode: 'credit-center', branchId: null, participantKind: 'institution' }
    expect(ownsSummons({ role: 'institution', orgId: 'credit-center' }, s)).toBe(true)
    expect(ownsSummons({ role: 'agency', orgId: 'credit-center' }, s)).toBe(false)
    expect(ownsSummons(office, s)).toBe(false)
    expect(ownsSummons({ role: 'department', orgId: 'city-ndrc' }, { agencyCode: 'city-ndrc', branchId: null, participantKind: 'department' })).toBe(true)
    const meeting = { summons: [{ ...s, id: 's1' }, { agencyCode: 'urban-management', branchId: null, participantKind: 'unit', id: 's2' }] }
    expect(summonsInInbox({ role: 'institution', orgId: 'credit-center' }, meeting as never).map((x) => x.id)).toEqual(['s1'])
  })

  it("decides along a relation between the convener and a participant: the institution or one of its offices, as a work request", () => {
    const meeting = { townshipId: 'city-ndrc', convenerKind: 'department', summons: [{ agencyCode: 'credit-center' }] }
    const targets = jointDecisionTargets(meeting as never, JOINT_CITY)
    expect(targets.map((x) => x.value)).toEqual(['ndrc-credit', 'ndrc-credit|credit-center.data'])
    const inputs = decisionInputs(
      [
        { text: ' 按月报送 ', agencyCode: 'ndrc-credit', dueAt: '2026-12-10T18:00' },
        { text: '数据归集', agencyCode: 'ndrc-credit|credit-center.data', dueAt: '2026-12-10T18:00' },
      ],
      true,
    )
    expect(inputs[0]).toEqual({ text: '按月报送', relationId: 'ndrc-credit', dueAt: '2026-12-10T10:00:00.000Z' })
    expect(inputs[1]).toMatchObject({ relationId: 'ndrc-credit', unitId: 'credit-center.data' })
    expect(inputs[1]).not.toHaveProperty('agencyCode')
  })

  it("names a joint meeting's kind in the city's words and a township's as before", () => {
    expect(isJointMeeting({ convenerKind: 'department' })).toBe(true)
    expect(isJointMeeting({ convenerKind: 'township' })).toBe(false)
    expect(meetingKindKey('regular', true)).toBe('city.joint.kinds.regular')
    expect(meetingKindKey('regular', false)).toBe('meeting.kinds.regular')
  })
})
