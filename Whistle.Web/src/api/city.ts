// The establishment office (编办, issue 17): every relation with its mechanism, activity and figures; its follow-ups.
import { request } from './client'
import type { components } from './schema'
import type { Decoded } from './types'

// Types: the API's OpenAPI document (schema.d.ts), decoded (api/types.ts).
type Schemas = components['schemas']
export type CityRelation = Decoded<Schemas['RelationDto']>
export type FollowUp = Decoded<Schemas['FollowUpDto']>
export type OfficeRelation = Decoded<Schemas['OfficeRelationDto']>
export type OfficeView = Decoded<Schemas['OfficeViewDto']>

const enc = encodeURIComponent

export const cityApi = {
  office: (from?: string, to?: string) =>
    request<OfficeView>(`/api/city/office${from && to ? `?from=${enc(from)}&to=${enc(to)}` : ''}`),
  followUps: (status?: 'open' | 'answered' | 'closed') => request<FollowUp[]>(`/api/city/follow-ups${status ? `?status=${status}` : ''}`),
  raiseFollowUp: (body: { relationId: string; dueAt: string; note?: string }) => request<FollowUp>('/api/city/follow-ups', { method: 'POST', body }),
  replyFollowUp: (id: string, reply: string) => request<FollowUp>(`/api/city/follow-ups/${enc(id)}/reply`, { method: 'POST', body: { reply } }),
  recordMechanism: (relationId: string, kind: string, body: { title: string; body?: string; reference?: string }) =>
    request<CityRelation>(`/api/city/relations/${enc(relationId)}/mechanisms/${enc(kind)}`, { method: 'PUT', body }),
}
