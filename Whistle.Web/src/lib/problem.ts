import type { ProblemDetails } from '../api/types'

export interface MappedProblem {
  /** Messages per form field (camelCase field name as the form uses it). */
  fields: Record<string, string[]>
  /** Messages that belong to no known field (shown above the form). */
  general: string[]
}

/**
 * Normalises a validation key from ASP.NET Core's problem details to the form's field name:
 * `Title` → `title`, `$.urgency` → `urgency`, `request.MatterCode` → `matterCode`,
 * `ExtraAgencyCodes[0]` → `extraAgencyCodes`.
 */
export function normaliseFieldKey(key: string): string {
  let k = key.trim()
  if (k.startsWith('$.')) k = k.slice(2)
  else if (k === '$') return ''
  // Drop a leading "request." / "body." wrapper some binders add.
  const dot = k.indexOf('.')
  if (dot > 0 && /^(request|body|dto|model|command)$/i.test(k.slice(0, dot))) k = k.slice(dot + 1)
  // Keep only the first path segment without its indexer.
  k = k.split('.')[0].replace(/\[.*$/, '')
  if (!k) return ''
  return k.charAt(0).toLowerCase() + k.slice(1)
}

/** Maps an RFC 9457 problem (400 with `errors`) to messages per field; unknown fields go to `general`. */
export function problemToFieldErrors(problem: ProblemDetails | null | undefined, knownFields: readonly string[]): MappedProblem {
  const result: MappedProblem = { fields: {}, general: [] }
  if (!problem) return result
  const errors = problem.errors
  if (errors && typeof errors === 'object') {
    for (const [rawKey, rawMessages] of Object.entries(errors)) {
      const messages = (Array.isArray(rawMessages) ? rawMessages : [rawMessages]).filter(
        (m): m is string => typeof m === 'string' && m.length > 0,
      )
      if (messages.length === 0) continue
      const key = normaliseFieldKey(rawKey)
      const match = knownFields.find((f) => f.toLowerCase() === key.toLowerCase())
      if (match) (result.fields[match] ??= []).push(...messages)
      else result.general.push(...messages)
    }
  }
  if (Object.keys(result.fields).length === 0 && result.general.length === 0) {
    const text = problem.detail || problem.title
    if (text) result.general.push(text)
  }
  return result
}
