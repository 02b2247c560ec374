// Branch heads (issue 16): the record, the township's assessment forms (实绩考核) and recommendations (任免建议).
import { download, request } from './client'
import type { AssessmentUnit } from './types'

export type HeadPost = 'head' | 'deputy'
export interface Head { id: string; post: HeadPost; name: string; title: string; since: string; until: string | null; appointedBy: string; endedBy: string | null }
export interface BranchHeads {
  branchId: string; branchName: string; branchNameEn: string; townshipId: string; townshipName: string; agencyCode: string; agencyName: string
  head: Head | null; deputy: Head | null
}
export interface Grade { code: string; name: string; nameEn: string }
export interface Period { id: string; kind: 'annual' | 'quarter'; from: string; to: string; closedAt: string; dueAt: string; weight: number }
export interface HeadsSettings { quarterly: boolean; grades: Grade[]; weight: number; formDueDays: number; opinionDays: number; answerDays: number; periods: Period[] }
export interface UnsatisfiedRating { whistleId: string; whistleTitle: string; assignmentId: string; comment: string | null; dispatchedAt: string }
export interface FormEvidence { from: string; to: string; asOf: string; figures: AssessmentUnit; peers: number; unsatisfied: UnsatisfiedRating[] }
export interface FormVersion { id: string; formVersion: number; grade: string | null; submittedAt: string | null; submittedByName: string | null; correctionReason: string | null }
export interface AssessmentForm {
  id: string; periodId: string; periodKind: string; weight: number; formVersion: number; previousFormId: string | null
  townshipId: string; townshipName: string; branchId: string; branchName: string; agencyCode: string; agencyName: string
  headId: string | null; headName: string | null; headTitle: string | null
  status: 'pending' | 'submitted'; late: boolean; evidence: FormEvidence; issuedAt: string; dueAt: string
  grade: string | null; gradeName: string | null; opinion: string | null; correctionReason: string | null
  submittedAt: string | null; submittedByName: string | null; reminderCount: number; escalationCount: number; versions: FormVersion[] | null
}
export interface AgencySummary { agencyCode: string; agencyName: string; forms: number; submitted: number; pending: number; late: number; grades: Record<string, number> }
export interface FormSummary { year: number; weight: number; grades: Grade[]; agencies: AgencySummary[]; forms: number; submitted: number; pending: number; late: number }
export interface Evidence { kind: 'whistle' | 'form'; id: string; label: string }
export interface Recommendation {
  id: string; kind: 'consultation' | 'recommendation'; action: string; townshipId: string; townshipName: string; branchId: string; branchName: string
  agencyCode: string; agencyName: string; headName: string | null; candidateName: string | null; reasons: string; evidence: Evidence[]
  status: 'open' | 'answered' | 'decided'; openedAt: string; openedByName: string; dueAt: string; overdue: boolean
  answer: string | null; answerReasons: string | null; answerAction: string | null; answeredAt: string | null; answeredByName: string | null
  decision: string | null; decidedAt: string | null; decidedByName: string | null; decidedWithoutAnswer: boolean | null
  reminderCount: number; escalationCount: number
}
export interface OpenRecommendation {
  kind: 'consultation' | 'recommendation'; branchId: string; action: string; candidateName?: string; reasons: string; evidence?: { kind: string; id: string }[]
}

const enc = encodeURIComponent

export const headsApi = {
  heads: () => request<BranchHeads[]>('/api/heads'),
  history: (branchId: string) => request<Head[]>(`/api/heads/${enc(branchId)}/history`),
  setHead: (branchId: string, post: HeadPost, body: { name: string; title: string; since?: string }) =>
    request<Head[]>(`/api/heads/${enc(branchId)}/${post}`, { method: 'PUT', body }),
  settings: () => request<HeadsSettings>('/api/assessment-forms/settings'),
  forms: (q: { periodId?: string; status?: 'all' | 'pending' | 'submitted' | 'late' } = {}) =>
    request<AssessmentForm[]>(`/api/assessment-forms?status=${q.status ?? 'all'}${q.periodId ? `&periodId=${enc(q.periodId)}` : ''}`),
  form: (id: string) => request<AssessmentForm>(`/api/assessment-forms/${enc(id)}`),
  submit: (id: string, grade: string, opinion: string) =>
    request<AssessmentForm>(`/api/assessment-forms/${enc(id)}/submit`, { method: 'POST', body: { grade, opinion } }),
  correct: (id: string, body: { grade: string; opinion: string; reason: string }, idempotencyKey: string) =>
    request<AssessmentForm>(`/api/assessment-forms/${enc(id)}/corrections`, { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } }),
  summary: (year?: number) => request<FormSummary>(`/api/assessment-forms/summary${year ? `?year=${year}` : ''}`),
  exportCsv: (periodId?: string) => download(`/api/assessment-forms/export${periodId ? `?periodId=${enc(periodId)}` : ''}`),
  recommendations: (status: 'all' | 'open' = 'all') => request<Recommendation[]>(`/api/recommendations?status=${status}`),
  recommendation: (id: string) => request<Recommendation>(`/api/recommendations/${enc(id)}`),
  open: (body: OpenRecommendation, idempotencyKey: string) =>
    request<Recommendation>('/api/recommendations', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } }),
  answer: (id: string, body: { answer: string; reasons: string; actionTaken?: string }) =>
    request<Recommendation>(`/api/recommendations/${enc(id)}/answer`, { method: 'POST', body }),
  decide: (id: string, decision: string) =>
    request<Recommendation>(`/api/recommendations/${enc(id)}/decide`, { method: 'POST', body: { decision } }),
}
