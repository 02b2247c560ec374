// The matter catalogue (吹哨事项清单) edit form: from/to the API's shapes, and the API's validation rules.
import type { Limit, Matter, MatterUpsert, Urgency } from '../api/types'
import { URGENCIES } from '../api/types'
import type { ValidationMessage } from './validation'

export interface MatterAgencyRow {
  agencyCode: string
  role: 'lead' | 'co'
}

export interface MatterForm {
  code: string
  name: string
  nameEn: string
  category: string
  categoryEn: string
  agencies: MatterAgencyRow[]
  limits: Record<Urgency, { reportWithinMinutes: number | null; resolveWithinMinutes: number | null }>
}

export const DEFAULT_LIMITS: Record<Urgency, Limit> = {
  routine: { reportWithinMinutes: 120, resolveWithinMinutes: 2880 },
  urgent: { reportWithinMinutes: 30, resolveWithinMinutes: 480 },
  emergency: { reportWithinMinutes: 15, resolveWithinMinutes: 120 },
}

export function emptyMatterForm(): MatterForm {
  return {
    code: '',
    name: '',
    nameEn: '',
    category: '',
    categoryEn: '',
    agencies: [{ agencyCode: '', role: 'lead' }],
    limits: Object.fromEntries(URGENCIES.map((u) => [u, { ...DEFAULT_LIMITS[u] }])) as MatterForm['limits'],
  }
}

export function matterToForm(m: Matter): MatterForm {
  return {
    code: m.code,
    name: m.name ?? '',
    nameEn: m.nameEn ?? '',
    category: m.category ?? '',
    categoryEn: m.categoryEn ?? '',
    agencies: m.agencies.map((a) => ({ agencyCode: a.agencyCode, role: a.role })),
    limits: Object.fromEntries(
      URGENCIES.map((u) => [
        u,
        {
          reportWithinMinutes: m.limits?.[u]?.reportWithinMinutes ?? null,
          resolveWithinMinutes: m.limits?.[u]?.resolveWithinMinutes ?? null,
        },
      ]),
    ) as MatterForm['limits'],
  }
}

export function formToUpsert(f: MatterForm): MatterUpsert {
  return {
    name: f.name.trim(),
    nameEn: f.nameEn.trim(),
    category: f.category.trim(),
    categoryEn: f.categoryEn.trim(),
    agencies: f.agencies.filter((a) => a.agencyCode).map((a) => ({ agencyCode: a.agencyCode, role: a.role })),
    limits: Object.fromEntries(
      URGENCIES.map((u) => [u, { reportWithinMinutes: Number(f.limits[u].reportWithinMinutes), resolveWithinMinutes: Number(f.limits[u].resolveWithinMinutes) }]),
    ) as Record<Urgency, Limit>,
  }
}

/** Field keys: `code`, `name`, `agencies`, `limits.<urgency>`. */
export type MatterErrors = Record<string, ValidationMessage>

const positiveInt = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n > 0

/** Mirrors the API's rules for PUT /api/whistle-list/{code}: exactly one lead, known agencies, positive limits, resolve ≥ report. */
export function validateMatter(f: MatterForm, knownAgencyCodes: readonly string[], isNew: boolean, existingCodes: readonly string[] = []): MatterErrors {
  const errors: MatterErrors = {}
  const code = f.code.trim()
  if (!code) errors.code = { key: 'validation.required' }
  else if (!/^[A-Za-z0-9_-]{1,40}$/.test(code)) errors.code = { key: 'matters.codeInvalid' }
  else if (isNew && existingCodes.includes(code)) errors.code = { key: 'matters.codeTaken' }
  if (!f.name.trim()) errors.name = { key: 'validation.required' }
  else if (f.name.trim().length > 100) errors.name = { key: 'validation.maxLength', params: { max: 100 } }
  const rows = f.agencies.filter((a) => a.agencyCode)
  const codes = rows.map((a) => a.agencyCode)
  if (rows.filter((a) => a.role === 'lead').length !== 1) errors.agencies = { key: 'matters.oneLead' }
  else if (codes.some((c) => !knownAgencyCodes.includes(c))) errors.agencies = { key: 'matters.unknownAgency' }
  else if (new Set(codes).size !== codes.length) errors.agencies = { key: 'matters.duplicateAgency' }
  for (const u of URGENCIES) {
    const l = f.limits[u]
    const r = l.reportWithinMinutes === null ? null : Number(l.reportWithinMinutes)
    const s = l.resolveWithinMinutes === null ? null : Number(l.resolveWithinMinutes)
    if (!positiveInt(r) || !positiveInt(s)) errors[`limits.${u}`] = { key: 'matters.limitPositive' }
    else if ((s as number) < (r as number)) errors[`limits.${u}`] = { key: 'matters.resolveAfterReport' }
  }
  return errors
}
