// The establishment office (编办, issue 17): every relation with its mechanism, activity and figures; its follow-ups.
import { request } from './client'
import type { AssessmentUnit } from './types'

export interface MechanismRecord { kind: string; recorded: boolean; title: string | null; body: string | null; reference: string | null }
export interface RelationDepartment { departmentId: string; departmentName: string; departmentNameEn: string; role: 'lead' | 'member'; field: string | null; fieldEn: string | null }
export interface CityRelation {
  id: string; kind: string; name: string; nameEn: string; institutionId: string; institutionName: string; institutionNameEn: string
  leadDepartmentId: string; departments: RelationDepartment[]; workItems: { code: string; name: string; nameEn: string }[]
  mechanism: MechanismRecord[]; mechanismInPlace: boolean; otherRecords: MechanismRecord[]
}
export interface RelationActivity { raised: number; finished: number; overdue: number; meetingsHeld: number; lastActivityAt: string | null }
export interface FollowUp {
  id: string; relationId: string; relationName: string; relationNameEn: string; departmentId: string; departmentName: string; departmentNameEn: string
  institutionId: string; institutionName: string; institutionNameEn: string; missing: string[]; note: string; status: 'open' | 'answered' | 'closed'
  raisedByName: string; raisedAt: string; dueAt: string; overdue: boolean; reply: string | null; repliedByName: string | null; repliedAt: string | null
  closedAt: string | null; reminderCount: number; escalationCount: number
}
export interface OfficeRelation { relation: CityRelation; missing: string[]; activity: RelationActivity; figures: AssessmentUnit; followUp: FollowUp | null }
export interface OfficeView { from: string; to: string; asOf: string; inPlace: number; missingCount: number; relations: OfficeRelation[] }

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
