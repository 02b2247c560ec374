import type { RaiseWhistleRequest } from '../api/types'
import { URGENCIES } from '../api/types'

export const LIMITS = { title: 100, description: 2000, address: 200, reason: 500, note: 2000 } as const

export type RaiseField = 'matterCode' | 'urgency' | 'title' | 'description' | 'address' | 'latitude' | 'longitude' | 'extraAgencyCodes'
export const RAISE_FIELDS: readonly RaiseField[] = ['matterCode', 'urgency', 'title', 'description', 'address', 'latitude', 'longitude', 'extraAgencyCodes']

/** i18n keys with parameters, so the messages follow the language switch. */
export interface ValidationMessage {
  key: string
  params?: Record<string, string | number>
}

/** Mirrors the API's validation of POST /api/whistles. */
export function validateRaise(req: Partial<RaiseWhistleRequest>): Partial<Record<RaiseField, ValidationMessage>> {
  const errors: Partial<Record<RaiseField, ValidationMessage>> = {}
  if (!req.matterCode) errors.matterCode = { key: 'validation.matterRequired' }
  if (!req.urgency || !URGENCIES.includes(req.urgency)) errors.urgency = { key: 'validation.urgencyRequired' }
  const title = (req.title ?? '').trim()
  if (title.length === 0) errors.title = { key: 'validation.required' }
  else if (title.length > LIMITS.title) errors.title = { key: 'validation.maxLength', params: { max: LIMITS.title } }
  const description = req.description ?? ''
  if (description.length > LIMITS.description) errors.description = { key: 'validation.maxLength', params: { max: LIMITS.description } }
  const address = (req.address ?? '').trim()
  if (address.length === 0) errors.address = { key: 'validation.required' }
  else if (address.length > LIMITS.address) errors.address = { key: 'validation.maxLength', params: { max: LIMITS.address } }
  if (req.latitude !== undefined && (req.latitude < -90 || req.latitude > 90)) errors.latitude = { key: 'validation.latitude' }
  if (req.longitude !== undefined && (req.longitude < -180 || req.longitude > 180)) errors.longitude = { key: 'validation.longitude' }
  return errors
}
