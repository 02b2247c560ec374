import { describe, expect, it } from 'vitest'
import { coveringTiles, project, tileSrc, unproject } from '../src/lib/mapTiles'
import { cityDrilldown, dayRange, filterFromQuery, filterUnits, matchesSearch, queryOf, unitDrilldown } from '../src/lib/drilldown'
import { matchesUnitFilter } from '../src/lib/inboxFilter'
import { whistleFilterQuery } from '../src/api/roles'
import type { InboxAssignment } from '../src/api/types'

describe('the map (issue 13)', () => {
  it('projects to web Mercator and back', () => {
    const [x, y] = project([118.05, 36.5])
    expect(x).toBeCloseTo((118.05 + 180) / 360, 10)
    expect(y).toBeGreaterThan(0)
    expect(y).toBeLessThan(0.5) // north of the equator: the upper half
    const [lon, lat] = unproject([x, y])
    expect(lon).toBeCloseTo(118.05, 9)
    expect(lat).toBeCloseTo(36.5, 9)
  })

  it('fills a tile URL, spreading {s} over the 天地图 servers 0–7', () => {
    expect(tileSrc('https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=k', 12, 3421, 1612)).toBe(
      'https://t1.tianditu.gov.cn/DataServer?T=vec_w&x=3421&y=1612&l=12&tk=k',
    )
  })

  it('covers the view with the tiles of the zoom nearest 256 px, placed where the world is drawn', () => {
    // The world's unit square drawn 2^12 × 256 px wide: zoom 12, each tile 256 px.
    const scale = 2 ** 12 * 256
    const [x, y] = project([118.05, 36.5])
    const view = { width: 600, height: 400, scale, originX: 300 - x * scale, originY: 200 - y * scale }
    const tiles = coveringTiles('/t/{z}/{x}/{y}.png', view)
    expect(tiles.length).toBeGreaterThanOrEqual(6)
    for (const t of tiles) {
      expect(t.size).toBeCloseTo(256, 6)
      expect(t.src).toMatch(/^\/t\/12\/\d+\/\d+\.png$/)
      expect(t.left + t.size).toBeGreaterThan(0)
      expect(t.left).toBeLessThan(600)
    }
    // The tile holding the centre point is among them, where the point lies inside it.
    const tx = Math.floor(x * 2 ** 12)
    const centre = tiles.find((t) => t.key === `12/${tx}/${Math.floor(y * 2 ** 12)}`)!
    expect(centre.left).toBeLessThanOrEqual(300)
    expect(centre.left + 256).toBeGreaterThan(300)
  })
})

describe('drill-downs (issue 13)', () => {
  it('counts calendar days in Asia/Shanghai, the last day included', () => {
    expect(dayRange('2026-11-01', '2026-11-30')).toEqual({ from: '2026-11-01T00:00:00+08:00', to: '2026-12-01T00:00:00+08:00' })
    const f = filterFromQuery({ from: '2026-11-01', to: '2026-11-30', townshipId: 'chengguan', overdue: 'true', junk: 'x' })
    expect(f).toEqual({ status: 'all', townshipId: 'chengguan', from: '2026-11-01T00:00:00+08:00', to: '2026-12-01T00:00:00+08:00', overdue: true })
  })

  it("opens a ranking row's whistles: a branch by its id, an agency by its code, in the assessed period, township whistles only", () => {
    expect(unitDrilldown({ unitId: 'urban-management.chengguan', agencyCode: 'urban-management' }, 'branches', 'F', 'T')).toEqual({
      branchId: 'urban-management.chengguan',
      from: 'F',
      to: 'T',
      level: 'township',
    })
    expect(unitDrilldown({ unitId: 'urban-management', agencyCode: 'urban-management' }, 'agencies', 'F', 'T')).toEqual({
      agencyCode: 'urban-management',
      from: 'F',
      to: 'T',
      level: 'township',
    })
    expect(queryOf({ status: 'all', q: '' })).toEqual({})
  })

  it("opens a city ranking row's work requests (issue 17): an institution in a department's ranking, an office, a relation", () => {
    expect(cityDrilldown({ unitId: 'inspection-center', kind: 'institution', departmentId: 'city-ndrc' }, 'F', 'T')).toEqual({
      institutionId: 'inspection-center',
      departmentId: 'city-ndrc',
      from: 'F',
      to: 'T',
    })
    expect(cityDrilldown({ unitId: 'credit-center.data', kind: 'office' }, 'F', 'T')).toEqual({ unitId: 'credit-center.data', from: 'F', to: 'T' })
    expect(cityDrilldown({ unitId: 'ndrc-credit', kind: 'relation' }, 'F', 'T')).toEqual({ relationId: 'ndrc-credit', from: 'F', to: 'T' })
    expect(filterFromQuery({ level: 'city', institutionId: 'credit-center', departmentId: 'city-ndrc' })).toEqual({ status: 'all', level: 'city', institutionId: 'credit-center', departmentId: 'city-ndrc' })
  })

  it('filters the ranking by township and agency (an agency row has no township)', () => {
    const units = [
      { agencyCode: 'a', townshipId: 't1' },
      { agencyCode: 'a', townshipId: 't2' },
      { agencyCode: 'b', townshipId: 't1' },
      { agencyCode: 'b', townshipId: null },
    ]
    expect(filterUnits(units, 't1', '')).toHaveLength(3)
    expect(filterUnits(units, 't1', 'a')).toEqual([{ agencyCode: 'a', townshipId: 't1' }])
  })

  it("searches the board's whistles by text and the days raised", () => {
    const w = { id: 'w1', title: '城关老街占道', address: '城关街道解放路', description: '夜市', raisedAt: '2026-11-10T02:00:00Z' }
    expect(matchesSearch(w, '解放路', {})).toBe(true)
    expect(matchesSearch(w, '青石', {})).toBe(false)
    expect(matchesSearch(w, '', dayRange('2026-11-10', '2026-11-10'))).toBe(true)
    expect(matchesSearch(w, '', dayRange('2026-11-11', '2026-11-12'))).toBe(false)
  })

  it('asks the API for exactly the filters given', () => {
    expect(whistleFilterQuery({ status: 'open', townshipId: 'qingshi', overdue: true }, 2, 50)).toBe('status=open&page=2&pageSize=50&townshipId=qingshi&overdue=true')
  })
})

describe("an agency's inbox filter (issue 13)", () => {
  const duty = (over: Partial<InboxAssignment>): InboxAssignment =>
    ({
      id: 'a1',
      whistleId: 'w1',
      agencyCode: 'urban-management',
      branchId: 'urban-management.chengguan',
      role: 'lead',
      status: 'dispatched',
      dispatchedAt: '2026-11-10T00:00:00Z',
      reportBy: '2026-11-10T01:00:00Z',
      resolveBy: '2026-11-11T00:00:00Z',
      whistle: { id: 'w1', title: 't', status: 'dispatched', townshipId: 'chengguan', matterCode: 'm', urgency: 'urgent' },
      ...over,
    }) as InboxAssignment
  const at = Date.parse('2026-11-10T02:00:00Z')

  it('keeps a township, a branch and the overdue ones', () => {
    expect(matchesUnitFilter(duty({}), { townshipId: 'chengguan', branchId: '', overdue: false }, at)).toBe(true)
    expect(matchesUnitFilter(duty({}), { townshipId: 'qingshi', branchId: '', overdue: false }, at)).toBe(false)
    expect(matchesUnitFilter(duty({}), { townshipId: '', branchId: 'urban-management.qingshi', overdue: false }, at)).toBe(false)
    expect(matchesUnitFilter(duty({}), { townshipId: '', branchId: '', overdue: true }, at)).toBe(true)
    expect(matchesUnitFilter(duty({ reportBy: '2026-11-10T03:00:00Z' }), { townshipId: '', branchId: '', overdue: true }, at)).toBe(false)
  })
})
