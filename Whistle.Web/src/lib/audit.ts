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
