// Issue 13: the whistles behind a chart bar, a ranking row, a map's township or a search — as a route to the filtered list.
import type { LocationQueryRaw } from 'vue-router'
import type { AssessmentUnit } from '../api/types'
import type { WhistleFilter } from '../api/roles'
import { isIsoDate } from './assessment'

/** A calendar day in Asia/Shanghai as the instant it begins (`2026-11-01` → `2026-11-01T00:00:00+08:00`). */
export function dayStart(day: string): string {
  return `${day}T00:00:00+08:00`
}

/** The day after a calendar day (`2026-11-30` → `2026-12-01`). */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number)
  const dt = new Date(Date.UTC(y, m - 1, d + 1))
  return dt.toISOString().slice(0, 10)
}

/** A date range picked as calendar days [first, last], both included, as the API's [from, to) instants. */
export function dayRange(first: string, last: string): { from: string; to: string } {
  return { from: dayStart(first), to: dayStart(nextDay(last)) }
}

const FILTER_KEYS = ['townshipId', 'agencyCode', 'branchId', 'from', 'to', 'q', 'departmentId', 'institutionId', 'unitId', 'relationId'] as const

/** The filter a route's query names (a `from`/`to` given as a calendar day counts whole days in Asia/Shanghai; `to` included). */
export function filterFromQuery(query: Record<string, unknown>): WhistleFilter {
  const f: WhistleFilter = {}
  const status = query.status
  f.status = status === 'open' || status === 'closed' || status === 'all' ? status : 'all'
  for (const key of FILTER_KEYS) {
    const v = query[key]
    if (typeof v === 'string' && v.trim()) f[key] = v.trim()
  }
  if (f.from && isIsoDate(f.from)) f.from = dayStart(f.from)
  if (f.to && isIsoDate(f.to)) f.to = dayStart(nextDay(f.to))
  if (query.overdue === 'true' || query.overdue === '1') f.overdue = true
  if (query.level === 'township' || query.level === 'city') f.level = query.level
  return f
}

/** The query of a filter (what the address bar keeps, so that a drill-down can be bookmarked and shared). */
export function queryOf(f: WhistleFilter): LocationQueryRaw {
  const q: LocationQueryRaw = {}
  if (f.status && f.status !== 'all') q.status = f.status
  for (const key of FILTER_KEYS) if (f[key]) q[key] = f[key]
  if (f.overdue) q.overdue = 'true'
  if (f.level) q.level = f.level
  return q
}

/** The whistles behind one row of the township ranking: the unit's duties of the assessed period, township whistles only. */
export function unitDrilldown(u: Pick<AssessmentUnit, 'unitId' | 'agencyCode'>, kind: 'branches' | 'agencies', from: string, to: string): LocationQueryRaw {
  // The township level's figures: its whistles only (a branch linked to a city institution also answers work requests).
  const level = 'township' as const
  return queryOf(kind === 'branches' ? { branchId: u.unitId, from, to, level } : { agencyCode: u.agencyCode || u.unitId, from, to, level })
}

/** The city level's ranking kinds (issue 17). */
export type CityRankingKind = 'institution' | 'office' | 'relation'

/** The work requests behind one row of the city's ranking: an institution (in a department's ranking, that department's requests), an office, a relation. */
export function cityDrilldown(u: { unitId: string; kind: string; departmentId?: string | null }, from: string, to: string): LocationQueryRaw {
  // institutionId, unitId, relationId and departmentId name work requests only: no level needed.
  const base = { from, to }
  if (u.kind === 'office') return queryOf({ ...base, unitId: u.unitId })
  if (u.kind === 'relation') return queryOf({ ...base, relationId: u.unitId })
  return queryOf({ ...base, institutionId: u.unitId, ...(u.departmentId ? { departmentId: u.departmentId } : {}) })
}

/** Units that pass the ranking's township and agency filters (an agency's row has no township: it passes that one). */
export function filterUnits<T extends Pick<AssessmentUnit, 'agencyCode' | 'townshipId'>>(units: readonly T[], townshipId: string, agencyCode: string): T[] {
  return units.filter((u) => (!townshipId || !u.townshipId || u.townshipId === townshipId) && (!agencyCode || u.agencyCode === agencyCode))
}

/** Does a whistle match the board's search text (title, address, description, id) and its raised-in days? */
export function matchesSearch(
  w: { id: string; title: string; address?: string | null; description?: string | null; raisedAt: string },
  q: string,
  range: { from?: string; to?: string },
): boolean {
  const text = q.trim().toLowerCase()
  if (text && ![w.title, w.address ?? '', w.description ?? '', w.id].some((s) => s.toLowerCase().includes(text))) return false
  const at = Date.parse(w.raisedAt)
  if (range.from && at < Date.parse(range.from)) return false
  if (range.to && at >= Date.parse(range.to)) return false
  return true
}
