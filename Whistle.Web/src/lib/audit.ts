// What an audit entry changed, readable: the fields that differ between `before` and `after`, each old → new.

export interface FieldChange {
  /** The field's path, dotted: `name`, `limits.urgent.reportWithinMinutes`, `agencies`. */
  field: string
  before: unknown
  after: unknown
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The leaves of a JSON value by dotted path; arrays are leaves (a list of agencies is one field). */
function leaves(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, prefix ? `${prefix}.${k}` : k, out)
  } else if (prefix) out.set(prefix, v)
}

/**
 * The fields whose value differs (compared as JSON), nested objects walked to their leaves (`limits.urgent.reportWithinMinutes`),
 * in a stable order; a created or deleted entry lists every field it has.
 */
export function auditChanges(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined): FieldChange[] {
  const b = new Map<string, unknown>()
  const a = new Map<string, unknown>()
  leaves(before ?? {}, '', b)
  leaves(after ?? {}, '', a)
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort()
  const out: FieldChange[] = []
  for (const k of keys) {
    if (JSON.stringify(b.get(k) ?? null) !== JSON.stringify(a.get(k) ?? null)) out.push({ field: k, before: b.get(k) ?? null, after: a.get(k) ?? null })
  }
  return out
}

/** The words a rendering of a change needs (the UI passes its translations). */
export interface AuditWords {
  /** A field's name, one path segment at a time (`limits` → 时限, `urgent` → 紧急). */
  segment(name: string): string
  /** An enumerated value of a field (`role: township` → 乡镇(街道)), or null to show it as it is. */
  value(field: string, value: string): string | null
  yes: string
  no: string
  /** An agency's role on a matter (`lead` → 牵头). */
  agencyRole(role: string): string
  /** `2026-11-29T01:00:00Z` → `2026-11-29 09:00` (Asia/Shanghai). */
  time(iso: string): string
  /** The separator of a list (`、` or `, `). */
  listSeparator: string
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/

/** A field's label: its path's segments in words, joined by ` · ` (`时限 · 紧急 · 报到时限（分钟）`). */
export function auditFieldLabel(field: string, words: Pick<AuditWords, 'segment'>): string {
  return field.split('.').map((s) => words.segment(s)).join(' · ')
}

/** A value as a person reads it: — for nothing, 是/否, times in Asia/Shanghai, a matter's agencies as names with their role. */
export function auditValueText(field: string, v: unknown, words: AuditWords): string {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'boolean') return v ? words.yes : words.no
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') {
    const leaf = field.split('.').pop() ?? field
    const named = words.value(leaf, v)
    if (named !== null) return named
    return ISO_TIME.test(v) ? words.time(v) : v
  }
  if (Array.isArray(v)) {
    return v
      .map((x) => {
        if (isPlainObject(x) && typeof x.agencyCode === 'string') {
          const name = typeof x.agencyName === 'string' && x.agencyName ? x.agencyName : x.agencyCode
          return typeof x.role === 'string' ? `${name}（${words.agencyRole(x.role)}）` : name
        }
        return isPlainObject(x) || Array.isArray(x) ? JSON.stringify(x) : auditValueText(field, x, words)
      })
      .join(words.listSeparator) || '—'
  }
  return JSON.stringify(v)
}

// ---- the audit administrator's page: filters as a query string ----

export type AuditKind = 'changes' | 'sign-ins' | 'all'

export interface AuditFilter {
  kind: AuditKind
  /** ISO dates (yyyy-mm-dd), local days; `to` is inclusive. */
  from?: string
  to?: string
  user?: string
  action?: string
}

/** A local calendar day as the UTC instant it starts at. */
function dayStart(day: string): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y, m - 1, d).toISOString()
}

/** The query string of `GET /api/audit` for a filter (the `to` day included whole). */
export function auditQuery(f: AuditFilter, extra: Record<string, string | number> = {}): string {
  const p = new URLSearchParams()
  if (f.kind !== 'all') p.set('kind', f.kind)
  if (f.from) p.set('from', dayStart(f.from))
  if (f.to) {
    const [y, m, d] = f.to.split('-').map(Number)
    p.set('to', new Date(y, m - 1, d + 1).toISOString())
  }
  if (f.user?.trim()) p.set('user', f.user.trim())
  if (f.action?.trim()) p.set('action', f.action.trim())
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v))
  return p.toString()
}

/** The file name of an export, e.g. audit-2026-11-29.csv. */
export function auditFileName(format: 'csv' | 'jsonl', now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `audit-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.${format}`
}
