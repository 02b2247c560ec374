import { describe, expect, it } from 'vitest'
import type { AssessmentUnit } from '../src/api/types'
import {
  bucketText,
  defaultDir,
  exportFileName,
  histogramBounds,
  isIsoDate,
  isMonth,
  isoWeek,
  periodKey,
  pooledRates,
  previousMonth,
  rateText,
  scoreText,
  secondsText,
  shanghaiDate,
  sortUnits,
} from '../src/lib/assessment'
import { emptyMatterForm, formToUpsert, matterToForm, validateMatter } from '../src/lib/matterForm'
import { auditChanges } from '../src/lib/audit'
import { fileNameFromDisposition } from '../src/lib/files'
import { assessmentQuery } from '../src/api/client'
import zhCN from '../src/i18n/zh-CN'
import en from '../src/i18n/en'
import { translate, type MessageTree } from '../src/i18n'

function unit(over: Partial<AssessmentUnit>): AssessmentUnit {
  return {
    kind: 'branch',
    unitId: 'u',
    unitName: 'U',
    unitNameEn: '',
    agencyCode: 'A',
    responseDue: 0,
    resolutionDue: 0,
    reassigned: 0,
    townshipId: 't1',
    assignments: 0,
    reported: 0,
    reportedWithinLimit: 0,
    resolved: 0,
    resolvedWithinLimit: 0,
    declined: 0,
    escalated: 0,
    rated: 0,
    satisfied: 0,
    basicallySatisfied: 0,
    unsatisfied: 0,
    timeToReportP50: null,
    timeToReportP90: null,
    timeToResolveP50: null,
    timeToResolveP90: null,
    responseRate: null,
    resolutionRate: null,
    satisfactionRate: null,
    score: null,
    rank: null,
    ...over,
  }
}

describe('assessment periods and file names', () => {
  it('takes today in Asia/Shanghai', () => {
    expect(shanghaiDate(Date.parse('2026-11-30T16:30:00Z'))).toBe('2026-12-01') // 00:30 in Shanghai
    expect(shanghaiDate(Date.parse('2026-11-30T15:59:00Z'))).toBe('2026-11-30')
  })
  it('validates dates and months', () => {
    expect(isIsoDate('2026-11-15')).toBe(true)
    expect(isIsoDate('2026-02-30')).toBe(false)
    expect(isIsoDate('2026-11')).toBe(false)
    expect(isIsoDate(undefined)).toBe(false)
    expect(isMonth('2026-11')).toBe(true)
    expect(isMonth('2026-13')).toBe(false)
  })
  it('computes ISO weeks (Monday first) and period keys', () => {
    expect(isoWeek('2026-11-16')).toEqual({ year: 2026, week: 47 })
    expect(isoWeek('2027-01-01')).toEqual({ year: 2026, week: 53 })
    expect(isoWeek('2024-12-30')).toEqual({ year: 2025, week: 1 })
    expect(periodKey('month', '2026-11-15')).toBe('2026-11')
    expect(periodKey('week', '2026-11-16')).toBe('2026-W47')
    expect(periodKey('day', '2026-11-15')).toBe('2026-11-15')
    expect(exportFileName('month', '2026-11-03')).toBe('assessment-2026-11.csv')
  })
  it('builds the query', () => {
    expect(assessmentQuery({ period: 'month', date: '2026-11-01' })).toBe('period=month&date=2026-11-01')
    expect(assessmentQuery({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })).toBe(
      'from=2026-11-01T00%3A00%3A00Z&to=2026-12-01T00%3A00%3A00Z',
    )
    expect(previousMonth('2026-01')).toBe('2025-12')
    expect(previousMonth('2026-11')).toBe('2026-10')
  })
  it('reads the file name of a download', () => {
    expect(fileNameFromDisposition(`attachment; filename=a.csv; filename*=UTF-8''%E8%80%83%E6%A0%B8.csv`)).toBe('考核.csv')
    expect(fileNameFromDisposition('attachment; filename="assessment-2026-11.csv"')).toBe('assessment-2026-11.csv')
    expect(fileNameFromDisposition(null)).toBeNull()
  })
})

describe('three rates and ranking', () => {
  const a = unit({ unitId: 'a', unitName: '甲', assignments: 10, reportedWithinLimit: 9, responseDue: 10, resolved: 8, resolutionDue: 10, rated: 5, satisfied: 3, basicallySatisfied: 1, responseRate: 0.9, score: 88.5, rank: 1, timeToReportP50: 600 })
  const b = unit({ unitId: 'b', unitName: '乙', assignments: 10, reportedWithinLimit: 5, responseDue: 8, resolved: 10, resolutionDue: 10, rated: 5, satisfied: 5, responseRate: 0.5, score: 70, rank: 2, timeToReportP50: 1800 })
  const c = unit({ unitId: 'c', unitName: '丙' }) // no work: no rates, no rank

  it('pools the three rates by PRODUCT.md §3: only the duties that are due count', () => {
    const r = pooledRates([a, b, c])
    expect(r.assignments).toBe(20)
    expect(r.response).toBeCloseTo(14 / 18) // b had 2 duties still inside their report limit
    expect(r.resolution).toBeCloseTo(18 / 20)
    expect(r.satisfaction).toBeCloseTo(9 / 10)
    expect(r.parts.response).toEqual({ rate: 14 / 18, part: 14, whole: 18 })
    expect(pooledRates([c])).toMatchObject({ assignments: 0, response: null, resolution: null, satisfaction: null })
  })

  it('formats rates, seconds and scores', () => {
    expect(rateText(0.8532)).toBe('85.3%')
    expect(rateText(1)).toBe('100.0%')
    expect(rateText(null)).toBe('—')
    expect(secondsText(725)).toBe('12分5秒')
    expect(secondsText(725, 'en')).toBe('12 min 5 s')
    expect(secondsText(null)).toBe('—')
    expect(scoreText(88.456)).toBe('88.5')
    expect(scoreText(null)).toBe('—')
  })

  it('sorts by any column with missing values last, whatever the direction', () => {
    expect(sortUnits([c, b, a], 'rank', 'asc').map((u) => u.unitId)).toEqual(['a', 'b', 'c'])
    expect(sortUnits([c, b, a], 'rank', 'desc').map((u) => u.unitId)).toEqual(['b', 'a', 'c'])
    expect(sortUnits([c, a, b], 'score', 'desc').map((u) => u.unitId)).toEqual(['a', 'b', 'c'])
    expect(sortUnits([c, a, b], 'timeToReportP50', 'asc').map((u) => u.unitId)).toEqual(['a', 'b', 'c'])
    expect(sortUnits([c, a, b], 'assignments', 'desc').map((u) => u.unitId)).toEqual(['a', 'b', 'c']) // tie → rank
    expect(defaultDir('score')).toBe('desc')
    expect(defaultDir('timeToReportP90')).toBe('asc')
    expect(defaultDir('rank')).toBe('asc')
  })

  it('labels the histogram buckets', () => {
    const bounds = histogramBounds([
      { upToMinutes: 15, count: 3 },
      { upToMinutes: 30, count: 2 },
      { upToMinutes: null, count: 1 },
    ])
    expect(bounds.map(bucketText)).toEqual(['≤15', '15–30', '>30'])
  })
})

describe('whistle list upkeep', () => {
  const known = ['ENV', 'FIRE']
  it('accepts a good matter and builds the PUT body', () => {
    const f = emptyMatterForm()
    f.code = 'M9'
    f.name = '噪声扰民'
    f.agencies = [
      { agencyCode: 'ENV', role: 'lead' },
      { agencyCode: 'FIRE', role: 'co' },
      { agencyCode: '', role: 'co' },
    ]
    expect(validateMatter(f, known, true, ['M1'])).toEqual({})
    const body = formToUpsert(f)
    expect(body.agencies).toEqual([
      { agencyCode: 'ENV', role: 'lead' },
      { agencyCode: 'FIRE', role: 'co' },
    ])
    expect(body.limits.urgent.reportWithinMinutes).toBeGreaterThan(0)
  })
  it('mirrors the API rules: one lead, known agencies, positive limits, resolve ≥ report, unique new code', () => {
    const f = emptyMatterForm()
    f.code = 'M1'
    f.name = ''
    f.agencies = [
      { agencyCode: 'ENV', role: 'lead' },
      { agencyCode: 'FIRE', role: 'lead' },
    ]
    f.limits.routine = { reportWithinMinutes: 60, resolveWithinMinutes: 30 }
    f.limits.urgent = { reportWithinMinutes: 0, resolveWithinMinutes: 30 }
    f.limits.emergency = { reportWithinMinutes: null, resolveWithinMinutes: 30 }
    const e = validateMatter(f, known, true, ['M1'])
    expect(e.code?.key).toBe('matters.codeTaken')
    expect(e.name?.key).toBe('validation.required')
    expect(e.agencies?.key).toBe('matters.oneLead')
    expect(e['limits.routine']?.key).toBe('matters.resolveAfterReport')
    expect(e['limits.urgent']?.key).toBe('matters.limitPositive')
    expect(e['limits.emergency']?.key).toBe('matters.limitPositive')
    f.agencies = [{ agencyCode: 'NOPE', role: 'lead' }]
    expect(validateMatter(f, known, false).agencies?.key).toBe('matters.unknownAgency')
    expect(validateMatter(f, known, false).code).toBeUndefined() // editing keeps its code
  })
  it('round-trips a matter through the form', () => {
    const f = matterToForm({
      code: 'M1',
      name: '污染',
      nameEn: '',
      category: '',
      categoryEn: '',
      active: true,
      agencies: [{ agencyCode: 'ENV', agencyName: '环保', agencyNameEn: '', role: 'lead' }],
      limits: { urgent: { reportWithinMinutes: 30, resolveWithinMinutes: 240 } },
    })
    expect(f.limits.urgent).toEqual({ reportWithinMinutes: 30, resolveWithinMinutes: 240 })
    expect(f.limits.routine.reportWithinMinutes).toBeNull()
  })
  it('shows what an audited change changed', () => {
    expect(auditChanges({ name: 'a', limits: { urgent: 1 }, same: 1 }, { name: 'b', limits: { urgent: 2 }, same: 1 })).toEqual([
      { field: 'limits.urgent', before: 1, after: 2 },
      { field: 'name', before: 'a', after: 'b' },
    ])
    expect(auditChanges(null, { name: 'x' })).toEqual([{ field: 'name', before: null, after: 'x' }])
  })
})

describe('issue 4 wording (PRODUCT.md §3)', () => {
  const zh = zhCN as MessageTree
  const eng = en as MessageTree
  it('uses the vocabulary', () => {
    expect(translate(zh, 'reassign.button')).toBe('改派')
    expect(translate(zh, 'nav.assessment')).toBe('实绩考核')
    expect(translate(zh, 'assessment.threeRates')).toBe('三率')
    expect(translate(zh, 'assessment.responseRate')).toBe('响应率')
    expect(translate(zh, 'assessment.resolutionRate')).toBe('解决率')
    expect(translate(zh, 'assessment.satisfactionRate')).toBe('满意率')
    expect(translate(zh, 'notice.reminderReport', { title: 'X' })).toContain('请尽快报到')
    expect(translate(zh, 'notice.reminderResolve', { title: 'X' })).toContain('请尽快办结')
    expect(translate(zh, 'notice.escalationReport', { title: 'X', level: 1 })).toContain('已超时')
    expect(translate(zh, 'notice.escalationReport', { title: 'X', level: 1 })).toContain('督办')
    expect(translate(zh, 'report.title', { county: '平谷县', year: 2026, month: 11 })).toBe('平谷县 吹哨报到 实绩考核月报 2026年11月')
    expect(translate(eng, 'timeline.escalated.report', { level: 2 })).toBe('Escalation #2 (report overdue)')
  })
})
