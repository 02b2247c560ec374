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
