// Pure logic of the assessment (实绩考核) pages: periods, rates, sorting, file names.
import type { AssessmentPeriod, AssessmentUnit, HistogramBucket } from '../api/types'
import { formatDuration, TIME_ZONE, type DurationLanguage } from './time'

const dateFormatter = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })

/** Today's calendar date in Asia/Shanghai, `YYYY-MM-DD`. */
export function shanghaiDate(now: number | Date = Date.now()): string {
  return dateFormatter.format(typeof now === 'number' ? new Date(now) : now)
}

export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const [y, m, d] = s.split('-').map(Number)
  const dt = new Date(Date.UTC(y, m - 1, d))
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d
}

export function isMonth(s: unknown): s is string {
  return typeof s === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(s)
}

export function isPeriod(s: unknown): s is AssessmentPeriod {
  return s === 'day' || s === 'week' || s === 'month'
}

/** `2026-11-15` → `2026-11`. */
export function monthOf(date: string): string {
  return date.slice(0, 7)
}

/** ISO-8601 week (Monday first) of a calendar date: `{ year, week }`. */
export function isoWeek(date: string): { year: number; week: number } {
  const [y, m, d] = date.split('-').map(Number)
  const dt = new Date(Date.UTC(y, m - 1, d))
  const day = dt.getUTCDay() || 7
  dt.setUTCDate(dt.getUTCDate() + 4 - day) // the Thursday of this week decides the year
  const yearStart = Date.UTC(dt.getUTCFullYear(), 0, 1)
  return { year: dt.getUTCFullYear(), week: Math.ceil(((dt.getTime() - yearStart) / 86400000 + 1) / 7) }
}

/** A short key for the period containing `date`: `2026-11`, `2026-W47`, `2026-11-15`. */
export function periodKey(period: AssessmentPeriod, date: string): string {
  if (period === 'month') return monthOf(date)
  if (period === 'week') {
    const w = isoWeek(date)
    return `${w.year}-W${String(w.week).padStart(2, '0')}`
  }
  return date
}

/** The CSV's file name: `assessment-2026-11.csv` for a month (week: `assessment-2026-W47.csv`, day: `assessment-2026-11-15.csv`). */
export function exportFileName(period: AssessmentPeriod, date: string): string {
  return `assessment-${periodKey(period, date)}.csv`
}

/** `0.8532` → `85.3%`; null/undefined/NaN → `—`. */
export function rateText(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—'
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`
}

/** Seconds → `12分5秒` / `1小时5分` (English `12 min 5 s`); null → `—`. */
export function secondsText(seconds: number | null | undefined, language: DurationLanguage = 'zh-CN'): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  return formatDuration(seconds * 1000, language)
}

export function scoreText(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) return '—'
  return score.toFixed(1)
}

/** A rate with what it counts: `part` of `whole` (null when nothing counts yet). */
export interface RateParts {
  rate: number | null
  part: number
  whole: number
}

export interface ThreeRates {
  response: number | null
  resolution: number | null
  satisfaction: number | null
  assignments: number
  /** What each rate counts (the API's numerators and denominators): shown as `2/3`. */
  parts: { response: RateParts; resolution: RateParts; satisfaction: RateParts }
}

function parts(part: number, whole: number): RateParts {
  return { rate: whole ? part / whole : null, part, whole }
}

/** The three rates of one unit with their fractions, as the API counts them (docs/API.md, Assessment). */
export function unitRates(u: AssessmentUnit): ThreeRates['parts'] {
  return {
    response: { ...parts(u.reportedWithinLimit || 0, u.responseDue ?? 0), rate: u.responseRate ?? null },
    resolution: { ...parts(u.resolved || 0, u.resolutionDue ?? 0), rate: u.resolutionRate ?? null },
    satisfaction: { ...parts((u.satisfied || 0) + (u.basicallySatisfied || 0), u.rated || 0), rate: u.satisfactionRate ?? null },
  }
}

/**
 * The three rates (三率) pooled over a set of units, by PRODUCT.md §3 — only the duties that are due count:
 * response = reported within limit / response due (reported, or unreported past report-by);
 * resolution = resolved / resolution due (resolved, or unresolved past resolve-by);
 * satisfaction = (satisfied + basically satisfied) / rated. Declined duties count in none.
 * A rate with a zero denominator is null.
 */
export function pooledRates(units: readonly AssessmentUnit[]): ThreeRates {
  let assignments = 0
  let within = 0
  let responseDue = 0
  let resolved = 0
  let resolutionDue = 0
  let rated = 0
  let satisfied = 0
  for (const u of units) {
    assignments += u.assignments || 0
    within += u.reportedWithinLimit || 0
    responseDue += u.responseDue || 0
    resolved += u.resolved || 0
    resolutionDue += u.resolutionDue || 0
    rated += u.rated || 0
    satisfied += (u.satisfied || 0) + (u.basicallySatisfied || 0)
  }
  const p = { response: parts(within, responseDue), resolution: parts(resolved, resolutionDue), satisfaction: parts(satisfied, rated) }
  return { assignments, response: p.response.rate, resolution: p.resolution.rate, satisfaction: p.satisfaction.rate, parts: p }
}

/** `2/3`; `—` when nothing counts yet. */
export function fractionText(p: Pick<RateParts, 'part' | 'whole'>): string {
  return p.whole ? `${p.part}/${p.whole}` : '—'
}

export type SortKey =
  | 'rank'
  | 'unitName'
  | 'assignments'
  | 'responseRate'
  | 'resolutionRate'
  | 'satisfactionRate'
  | 'timeToReportP50'
  | 'timeToReportP90'
  | 'escalated'
  | 'declined'
  | 'confirmedOnTime'
  | 'reportedIn'
  | 'absent'
  | 'score'

export type SortDir = 'asc' | 'desc'

/** The direction a first click on a column sorts: best first (high rates/scores, low times/ranks). */
export function defaultDir(key: SortKey): SortDir {
  return key === 'rank' || key === 'unitName' || key.startsWith('timeTo') || key === 'escalated' || key === 'declined' || key === 'absent' ? 'asc' : 'desc'
}

/** Sorts ranking rows; missing values (null) always go last, ties by rank then name. */
export function sortUnits(units: readonly AssessmentUnit[], key: SortKey, dir: SortDir, nameOf: (u: AssessmentUnit) => string = (u) => u.unitName): AssessmentUnit[] {
  const sign = dir === 'asc' ? 1 : -1
  const val = (u: AssessmentUnit): number | string | null => {
    if (key === 'unitName') return nameOf(u)
    const v = u[key]
    return v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : (v as number)
  }
  const tie = (a: AssessmentUnit, b: AssessmentUnit) => {
    const ra = a.rank ?? Infinity
    const rb = b.rank ?? Infinity
    if (ra !== rb) return ra < rb ? -1 : 1
    return nameOf(a).localeCompare(nameOf(b), 'zh-CN')
  }
  return [...units].sort((a, b) => {
    const va = val(a)
    const vb = val(b)
    if (va === null && vb === null) return tie(a, b)
    if (va === null) return 1
    if (vb === null) return -1
    const c = typeof va === 'string' ? va.localeCompare(vb as string, 'zh-CN') : va - (vb as number)
    return c !== 0 ? sign * c : tie(a, b)
  })
}

export interface BucketLabel {
  /** Lower bound in minutes (0 for the first bucket). */
  from: number
  /** Upper bound in minutes; null for the open last bucket. */
  to: number | null
}

/** Bounds of each histogram bucket: `[0,15]`, `(15,30]`, … `(120, ∞)`, in the order given. */
export function histogramBounds(buckets: readonly HistogramBucket[]): BucketLabel[] {
  let prev = 0
  return buckets.map((b) => {
    const label = { from: prev, to: b.upToMinutes }
    if (b.upToMinutes !== null) prev = b.upToMinutes
    return label
  })
}

/** A short label for a bucket: `≤15`, `15–30`, `>120` (minutes). */
export function bucketText(b: BucketLabel): string {
  if (b.to === null) return `>${b.from}`
  if (b.from === 0) return `≤${b.to}`
  return `${b.from}–${b.to}`
}

/** `YYYY-MM` → its first day, `YYYY-MM-01`. */
export function firstDayOf(month: string): string {
  return `${month}-01`
}

/** The previous calendar month of `YYYY-MM`. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}
