import type { FieldProblem, ProblemDetails, ProblemParams } from '../api/types'
import { locale, t, translate, messages } from '../i18n'
import { formatDateTime } from './time'

export interface MappedProblem {
  /** Messages per form field (camelCase field name as the form uses it), in the UI's language. */
  fields: Record<string, string[]>
  /** Messages that belong to no known field (shown above the form), in the UI's language. */
  general: string[]
}

/** Names a unit from its codes (the reference store's `unitName`), for problems that name one. */
export type UnitNamer = (unit: { agencyCode: string; branchId: string | null }) => string

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

/** A field's name in the UI's language (`title` → 标题), or the name itself. */
export function fieldLabel(field: string): string {
  const leaf = normaliseFieldKey(field.split('.').pop() ?? field) || field
  return translate(messages[locale.value], `auditLog.fields.${leaf}`) ?? leaf
}

const STATUS_WORDS: Record<string, string> = {
  assignmentStatus: 'assignmentStatus',
  whistleStatus: 'whistleStatus',
  meetingStatus: 'meeting.status',
  summonsStatus: 'meeting.summonsStatus',
}

/**
 * A problem's values as its text shows them: statuses in words (`cancelled` → 已撤销), times in Asia/Shanghai, field
 * names in words, a unit named from its codes (`unit`), the rest as they are.
 */
export function problemParams(params: ProblemParams | null | undefined, unitName?: UnitNamer): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === null || value === undefined) continue
    if (typeof value === 'number') out[key] = value
    else if (typeof value === 'boolean') out[key] = t(value ? 'common.yes' : 'common.no')
    else if (STATUS_WORDS[key]) out[key] = translate(messages[locale.value], `${STATUS_WORDS[key]}.${value}`) ?? value
    else if (key === 'action') out[key] = translate(messages[locale.value], `problemWords.${value}`) ?? value
    else if (key === 'field' || key === 'other') out[key] = fieldLabel(value)
    else if (key.endsWith('At')) out[key] = formatDateTime(value) || value
    else out[key] = value
  }
  const agencyCode = params?.agencyCode
  if (typeof agencyCode === 'string') {
    const branchId = typeof params?.branchId === 'string' ? params.branchId : null
    out.unit = unitName ? unitName({ agencyCode, branchId }) : (branchId ?? agencyCode)
  }
  return out
}

/** The text of a code with its values in the UI's language, or null when the UI has no text for the code. */
export function codeText(code: string | null | undefined, params?: ProblemParams | null, unitName?: UnitNamer): string | null {
  if (!code) return null
  return translate(messages[locale.value], `problems.${code}`, problemParams(params, unitName)) ?? null
}

/**
 * What a problem says to a person: its code translated; in English the API's English detail when the code is new to
 * this UI; in Chinese never the English detail — a generic Chinese message with the code.
 */
export function problemText(problem: ProblemDetails | null | undefined, unitName?: UnitNamer): string {
  const translated = codeText(problem?.code, problem?.params, unitName)
  if (translated) return translated
  if (locale.value === 'en' && (problem?.detail || problem?.title)) return (problem.detail || problem.title)!
  return t('problemWords.fallback', { code: problem?.code ?? String(problem?.status ?? '?') })
}

function fieldText(problem: FieldProblem | undefined, english: string | undefined, unitName?: UnitNamer): string {
  const translated = codeText(problem?.code, problem?.params, unitName)
  if (translated) return translated
  if (locale.value === 'en' && english) return english
  return t('problemWords.fallback', { code: problem?.code ?? 'invalid' })
}

/** One field's messages of a 400 (its `errors` key as sent), in the UI's language: by its codes, else as the English says. */
export function fieldTexts(problem: ProblemDetails, rawKey: string, unitName?: UnitNamer): string[] {
  const raw = problem.errors?.[rawKey]
  const english = (Array.isArray(raw) ? raw : [raw]).filter((m): m is string => typeof m === 'string' && m.length > 0)
  const coded = problem.codes?.[rawKey] ?? []
  return Array.from({ length: Math.max(english.length, coded.length) }, (_, i) => fieldText(coded[i], english[i], unitName))
}

/**
 * Maps an RFC 9457 problem (400 with `errors` and `codes`) to messages per field in the UI's language; unknown fields
 * go to `general` (with the field's name in front). A problem without field errors says its own text in `general`.
 */
export function problemToFieldErrors(problem: ProblemDetails | null | undefined, knownFields: readonly string[], unitName?: UnitNamer): MappedProblem {
  const result: MappedProblem = { fields: {}, general: [] }
  if (!problem) return result
  const errors = problem.errors
  if (errors && typeof errors === 'object') {
    for (const rawKey of Object.keys(errors)) {
      const texts = fieldTexts(problem, rawKey, unitName)
      if (texts.length === 0) continue
      const key = normaliseFieldKey(rawKey)
      const match = knownFields.find((f) => f.toLowerCase() === key.toLowerCase())
      if (match) (result.fields[match] ??= []).push(...texts)
      else result.general.push(...texts.map((text) => (key ? t('problemWords.onField', { field: fieldLabel(rawKey), text }) : text)))
    }
  }
  if (Object.keys(result.fields).length === 0 && result.general.length === 0) result.general.push(problemText(problem, unitName))
  return result
}
