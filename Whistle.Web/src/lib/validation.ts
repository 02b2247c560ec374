import type { RaiseWhistleRequest, RaiseWorkRequest } from '../api/types'
import { URGENCIES } from '../api/types'

/** The API's limits (WhistleValidation): a reason or a note 2000 characters, a rating's comment 1000. */
export const LIMITS = { title: 100, description: 2000, address: 200, reason: 2000, note: 2000, comment: 1000 } as const

export type RaiseField =
  | 'matterCode'
  | 'urgency'
  | 'title'
  | 'description'
  | 'address'
  | 'latitude'
  | 'longitude'
  | 'extraAgencyCodes'
  // a work request's (issue 17)
  | 'institutionId'
  | 'workItemCode'
export const RAISE_FIELDS: readonly RaiseField[] = ['matterCode', 'urgency', 'title', 'description', 'address', 'latitude', 'longitude', 'extraAgencyCodes']
export const WORK_REQUEST_FIELDS: readonly RaiseField[] = ['institutionId', 'workItemCode', 'title', 'description', 'address']

/** i18n keys with parameters, so the messages follow the language switch. */
export interface ValidationMessage {
  key: string
  params?: Record<string, string | number>
}

/**
 * A text longer than its limit: the message says both ("最多 2000 字，当前 3000 字"). Nothing is cut: the field keeps
 * the whole text, and the form refuses to submit until it is shortened.
 */
export function tooLong(text: string | null | undefined, max: number): ValidationMessage | null {
  const count = (text ?? '').length
  return count > max ? { key: 'validation.tooLong', params: { max, count } } : null
}

/** Mirrors the API's validation of POST /api/whistles. */
export function validateRaise(req: Partial<RaiseWhistleRequest>): Partial<Record<RaiseField, ValidationMessage>> {
  const errors: Partial<Record<RaiseField, ValidationMessage>> = {}
  if (!req.matterCode) errors.matterCode = { key: 'validation.matterRequired' }
  if (!req.urgency || !URGENCIES.includes(req.urgency)) errors.urgency = { key: 'validation.urgencyRequired' }
  const title = (req.title ?? '').trim()
  if (title.length === 0) errors.title = { key: 'validation.required' }
  else if (title.length > LIMITS.title) errors.title = tooLong(title, LIMITS.title)!
  const description = req.description ?? ''
  if (description.length > LIMITS.description) errors.description = tooLong(description, LIMITS.description)!
  const address = (req.address ?? '').trim()
  if (address.length === 0) errors.address = { key: 'validation.required' }
  else if (address.length > LIMITS.address) errors.address = tooLong(address, LIMITS.address)!
  if (req.latitude != null && (req.latitude < -90 || req.latitude > 90)) errors.latitude = { key: 'validation.latitude' }
  if (req.longitude != null && (req.longitude < -180 || req.longitude > 180)) errors.longitude = { key: 'validation.longitude' }
  return errors
}

/** Mirrors the API's validation of POST /api/work-requests (issue 17): the item from a list, a title; the rest optional. */
export function validateWorkRequest(req: Partial<RaiseWorkRequest>): Partial<Record<RaiseField, ValidationMessage>> {
  const errors: Partial<Record<RaiseField, ValidationMessage>> = {}
  if (!req.institutionId) errors.institutionId = { key: 'city.validation.institutionRequired' }
  if (!req.workItemCode) errors.workItemCode = { key: 'city.validation.workItemRequired' }
  const title = (req.title ?? '').trim()
  if (title.length === 0) errors.title = { key: 'validation.required' }
  else if (title.length > LIMITS.title) errors.title = tooLong(title, LIMITS.title)!
  const description = req.description ?? ''
  if (description.length > LIMITS.description) errors.description = tooLong(description, LIMITS.description)!
  const address = (req.address ?? '').trim()
  if (address.length > LIMITS.address) errors.address = tooLong(address, LIMITS.address)!
  return errors
}
