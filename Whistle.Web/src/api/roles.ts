/** Types of the issue-13 role pages (map, filtered whistle lists, notice channels, exports, 催办). */

/** `GET /api/whistles` filters: each only when given. */
export interface WhistleFilter {
  status?: 'open' | 'closed' | 'all'
  townshipId?: string
  agencyCode?: string
  branchId?: string
  /** ISO instants: raised in [from, to). */
  from?: string
  to?: string
  q?: string
  overdue?: boolean
  /** The city level (issue 17): `township` or `city`; the requesting department, an institution, its office or linked branch, a relation. */
  level?: 'township' | 'city'
  departmentId?: string
  institutionId?: string
  unitId?: string
  relationId?: string
}

/** GeoJSON as the map needs it. */
export interface BoundaryFeature {
  type: 'Feature'
  properties: { township: string; name: string; nameEn: string }
  geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] }
}

export interface CountyMap {
  tileUrl: string | null
  boundaries: { type: 'FeatureCollection'; features: BoundaryFeature[] }
}

export type NoticeUnitKind = 'agency' | 'branch'
export type NoticeKind = 'wecom' | 'dingtalk' | 'feishu' | 'webhook'
export const NOTICE_KINDS: NoticeKind[] = ['wecom', 'dingtalk', 'feishu', 'webhook']
export const NOTICE_EVENTS = ['AssignmentDispatched', 'AssignmentReassigned', 'AssignmentReminded', 'AssignmentEscalated'] as const

export interface NoticeChannel {
  id: string
  unitKind: NoticeUnitKind
  unitId: string
  kind: NoticeKind
  url: string
  hasSecret: boolean
  events: string[]
  createdAt: string
  updatedAt: string
}

export interface SaveNoticeChannel {
  unitKind: NoticeUnitKind
  unitId: string
  kind: NoticeKind
  url?: string
  secret?: string
  events: string[]
}

export interface NoticeAttempt {
  attempt: number
  attemptedAt: string
  statusCode: number | null
  error: string | null
  durationMs: number
}

export interface NoticeDelivery {
  id: string
  sequence: number
  eventType: string
  status: 'pending' | 'sent' | 'failed'
  attempts: number
  nextAttemptAt: string | null
  lastError: string | null
  sentAt: string | null
  createdAt: string
  attemptLog: NoticeAttempt[]
}

export type ExportKind = 'whistles' | 'timeline'
export type ExportFormat = 'csv' | 'jsonl'

/** The query string of a whistle filter (empty values left out). */
export function whistleFilterQuery(f: WhistleFilter, page = 1, pageSize = 50): string {
  const p = new URLSearchParams()
  p.set('status', f.status ?? 'all')
  p.set('page', String(page))
  p.set('pageSize', String(pageSize))
  for (const key of ['townshipId', 'agencyCode', 'branchId', 'from', 'to', 'q', 'level', 'departmentId', 'institutionId', 'unitId', 'relationId'] as const) {
    const v = f[key]
    if (v) p.set(key, v)
  }
  if (f.overdue) p.set('overdue', 'true')
  return p.toString()
}
