// The audit trail of whistle-list upkeep: what changed between `before` and `after`.

export interface FieldChange {
  field: string
  before: string
  after: string
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

/** Top-level fields whose value differs (compared as JSON), in a stable order; created/retired entries list every field. */
export function auditChanges(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined): FieldChange[] {
  const b = before ?? {}
  const a = after ?? {}
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()
  const out: FieldChange[] = []
  for (const k of keys) {
    const x = JSON.stringify(b[k] ?? null)
    const y = JSON.stringify(a[k] ?? null)
    if (x !== y) out.push({ field: k, before: show(b[k]), after: show(a[k]) })
  }
  return out
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
