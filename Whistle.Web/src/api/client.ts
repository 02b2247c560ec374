import type {
  Assessment,
  AssessmentPeriod,
  AttendanceInput,
  DecisionInput,
  Meeting,
  ScheduleMeetingRequest,
  AuditEntry,
  AuditVerification,
  Account,
  CreateAccountRequest,
  DemoUser,
  MatterUpsert,
  InboxAssignment,
  Matter,
  Org,
  Page,
  ProblemDetails,
  RaiseWhistleRequest,
  RaiseWorkRequest,
  City,
  Submission,
  SubmissionKind,
  SubmitRequest,
  AnswerSubmissionRequest,
  Relation,
  SecondFactorEnrolment,
  SecondFactorStatus,
  Rating,
  TokenResponse,
  Whistle,
} from './types'
import type { CountyMap, ExportFormat, ExportKind, NoticeChannel, NoticeDelivery, SaveNoticeChannel, WhistleFilter } from './roles'
import { whistleFilterQuery } from './roles'
import { accessToken, sessionExpired } from '../stores/auth'
import { fileNameFromDisposition } from '../lib/files'
import { auditQuery, type AuditFilter } from '../lib/audit'
import { allPages, MEETINGS_MAX_PAGE_SIZE } from '../lib/meetings'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails | null,
  ) {
    super(problem?.detail || problem?.title || `HTTP ${status}`)
  }
}

/** Network failure (offline, server down): distinct from an answer with an error status. */
export class NetworkError extends Error {}

interface RequestOptions {
  method?: string
  body?: unknown
  headers?: Record<string, string>
  anonymous?: boolean
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  const token = accessToken()
  if (token && !options.anonymous) headers.Authorization = `Bearer ${token}`
  let response: Response
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
  } catch (e) {
    throw new NetworkError(e instanceof Error ? e.message : String(e))
  }
  if (response.status === 401 && !options.anonymous) {
    sessionExpired()
  }
  if (!response.ok) {
    let problem: ProblemDetails | null = null
    try {
      const text = await response.text()
      problem = text ? (JSON.parse(text) as ProblemDetails) : null
    } catch {
      problem = null
    }
    throw new ApiError(response.status, problem)
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

function newKey(): string {
  const c = globalThis.crypto
  if (c?.randomUUID) return c.randomUUID()
  const bytes = new Uint8Array(16)
  c.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export const api = {
  newIdempotencyKey: newKey,
  token: (userName: string, password: string) =>
    request<TokenResponse>('/api/auth/token', { method: 'POST', body: { userName, password }, anonymous: true }),
  tokenWithCode: (challenge: string, code: string) =>
    request<TokenResponse>('/api/auth/token/second-factor', { method: 'POST', body: { challenge, code }, anonymous: true }),
  // ---- issue 11: the signed-in account's own password and second factor ----
  changePassword: (currentPassword: string, newPassword: string) =>
    request<TokenResponse>('/api/auth/password', { method: 'POST', body: { currentPassword, newPassword } }),
  secondFactor: () => request<SecondFactorStatus>('/api/auth/second-factor'),
  enrolSecondFactor: () => request<SecondFactorEnrolment>('/api/auth/second-factor/enrol', { method: 'POST', body: {} }),
  confirmSecondFactor: (code: string) => request<TokenResponse>('/api/auth/second-factor/confirm', { method: 'POST', body: { code } }),
  disableSecondFactor: (password: string) => request<TokenResponse>('/api/auth/second-factor/disable', { method: 'POST', body: { password } }),
  demoUsers: () => request<DemoUser[]>('/api/demo/users', { anonymous: true }),
  whistleList: () => request<Matter[]>('/api/whistle-list'),
  org: () => request<Org>('/api/org'),
  whistles: (status: 'open' | 'closed' | 'all', page = 1, pageSize = 50) =>
    request<Page<Whistle>>(`/api/whistles?status=${status}&page=${page}&pageSize=${pageSize}`),
  whistle: (id: string) => request<Whistle>(`/api/whistles/${encodeURIComponent(id)}`),
  raise: (body: RaiseWhistleRequest, idempotencyKey: string) =>
    request<Whistle>('/api/whistles', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } }),
  // ---- the city level (issue 17) ----
  city: () => request<City>('/api/city'),
  relation: (id: string) => request<Relation>(`/api/city/relations/${encodeURIComponent(id)}`),
  raiseWorkRequest: (body: RaiseWorkRequest, idempotencyKey: string) =>
    request<Whistle>('/api/work-requests', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } }),
  // an institution's submissions to its departments: 请示, 报告, 选拔任用备案
  submissions: (status: 'all' | 'open' | 'answered' = 'all', kind?: SubmissionKind) =>
    request<Submission[]>(`/api/submissions?status=${status}${kind ? `&kind=${kind}` : ''}`),
  submission: (id: string) => request<Submission>(`/api/submissions/${encodeURIComponent(id)}`),
  submit: (body: SubmitRequest, idempotencyKey: string) =>
    request<Submission>('/api/submissions', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } }),
  addSubmissionAttachments: (id: string, attachmentIds: string[], note?: string) =>
    request<Submission>(`/api/submissions/${encodeURIComponent(id)}/attachments`, { method: 'POST', body: { attachmentIds, note } }),
  answerSubmission: (id: string, body: AnswerSubmissionRequest) =>
    request<Submission>(`/api/submissions/${encodeURIComponent(id)}/answer`, { method: 'POST', body }),
  cancel: (id: string) => request<Whistle>(`/api/whistles/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: {} }),
  confirm: (id: string, ratings: { assignmentId: string; rating: Rating; comment?: string }[]) =>
    request<Whistle>(`/api/whistles/${encodeURIComponent(id)}/confirm`, { method: 'POST', body: { ratings } }),
  reopen: (id: string, reason: string) =>
    request<Whistle>(`/api/whistles/${encodeURIComponent(id)}/reopen`, { method: 'POST', body: { reason } }),
  assignments: (status: 'open' | 'closed' | 'all') =>
    request<Page<InboxAssignment>>(`/api/assignments?status=${status}`),
  report: (id: string, etaMinutes?: number, note?: string, attachmentIds?: string[]) =>
    request<unknown>(`/api/assignments/${encodeURIComponent(id)}/report`, { method: 'POST', body: { etaMinutes, note, attachmentIds } }),
  resolve: (id: string, note: string, attachmentIds?: string[]) =>
    request<unknown>(`/api/assignments/${encodeURIComponent(id)}/resolve`, { method: 'POST', body: { note, attachmentIds } }),
  addAttachments: (whistleId: string, attachmentIds: string[], note?: string) =>
    request<Whistle>(`/api/whistles/${encodeURIComponent(whistleId)}/attachments`, { method: 'POST', body: { attachmentIds, note } }),
  deleteAttachment: (id: string) => request<unknown>(`/api/attachments/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  decline: (id: string, reason: string) =>
    request<unknown>(`/api/assignments/${encodeURIComponent(id)}/decline`, { method: 'POST', body: { reason } }),
  // ---- issue 4: reassignment, co-handling units, assessment, whistle list upkeep ----
  reassign: (id: string, body: { agencyCode: string; branchId?: string; toAgency?: boolean; reason: string }) =>
    request<Whistle>(`/api/assignments/${encodeURIComponent(id)}/reassign`, { method: 'POST', body }),
  addAssignment: (whistleId: string, body: { agencyCode: string; branchId?: string; toAgency?: boolean; reason?: string }) =>
    request<Whistle>(`/api/whistles/${encodeURIComponent(whistleId)}/assignments`, { method: 'POST', body }),
  assessment: (q: AssessmentQuery) => request<Assessment>(`/api/stats/assessment?${assessmentQuery(q)}`),
  assessmentCsv: (q: AssessmentQuery) => download(`/api/stats/assessment?${assessmentQuery(q)}&format=csv`),
  saveMatter: (code: string, body: MatterUpsert) =>
    request<Matter>(`/api/whistle-list/${encodeURIComponent(code)}`, { method: 'PUT', body }),
  retireMatter: (code: string) => request<void>(`/api/whistle-list/${encodeURIComponent(code)}`, { method: 'DELETE' }),
  saveAgency: (code: string, body: { name: string; nameEn: string }) =>
    request<unknown>(`/api/org/agencies/${encodeURIComponent(code)}`, { method: 'PUT', body }),
  audit: (page = 1, pageSize = 20) => request<Page<AuditEntry>>(`/api/audit?page=${page}&pageSize=${pageSize}`),
  // ---- issue 11: the audit administrator ----
  auditSearch: (f: AuditFilter, page = 1, pageSize = 50) => request<Page<AuditEntry>>(`/api/audit?${auditQuery(f, { page, pageSize })}`),
  auditExport: (f: AuditFilter, format: 'csv' | 'jsonl') =>
    download(`/api/audit?${auditQuery(f, { format })}`, format === 'csv' ? 'text/csv, */*' : 'application/jsonl, */*'),
  verifyAudit: () => request<AuditVerification>('/api/audit/verify'),
  // ---- issue 11: the security administrator ----
  accounts: () => request<Account[]>('/api/users'),
  createAccount: (body: CreateAccountRequest) => request<Account>('/api/users', { method: 'POST', body }),
  disableAccount: (userName: string) => request<void>(`/api/users/${encodeURIComponent(userName)}/disable`, { method: 'POST', body: {} }),
  enableAccount: (userName: string) => request<void>(`/api/users/${encodeURIComponent(userName)}/enable`, { method: 'POST', body: {} }),
  unlockAccount: (userName: string) => request<void>(`/api/users/${encodeURIComponent(userName)}/unlock`, { method: 'POST', body: {} }),
  setAccountPassword: (userName: string, password: string) =>
    request<void>(`/api/users/${encodeURIComponent(userName)}/password`, { method: 'POST', body: { password } }),
  setAccountRole: (userName: string, role: string, orgId: string) =>
    request<Account>(`/api/users/${encodeURIComponent(userName)}/role`, { method: 'PUT', body: { role, orgId } }),
  resetSecondFactor: (userName: string) =>
    request<void>(`/api/users/${encodeURIComponent(userName)}/second-factor/disable`, { method: 'POST', body: {} }),
  // ---- issue 8: coordination meetings (协调会议) ----
  meetings: (status: 'upcoming' | 'past' | 'all', page = 1, pageSize = 20) =>
    request<Page<Meeting>>(`/api/meetings?status=${status}&page=${page}&pageSize=${pageSize}`),
  /** Every meeting of a status, page by page (for the upcoming ones: a bounded list, shown whole). */
  allMeetings: (status: 'upcoming' | 'past' | 'all') =>
    allPages((page) => api.meetings(status, page, MEETINGS_MAX_PAGE_SIZE)),
  meeting: (id: string) => request<Meeting>(`/api/meetings/${encodeURIComponent(id)}`),
  scheduleMeeting: async (body: ScheduleMeetingRequest) => listOf(await request<Meeting[] | Meeting>('/api/meetings', { method: 'POST', body })),
  meetingIcs: (id: string) => download(`/api/meetings/${encodeURIComponent(id)}/ics`, 'text/calendar, */*'),
  confirmSummons: (meetingId: string, summonsId: string, attendee: string) =>
    request<Meeting>(`/api/meetings/${encodeURIComponent(meetingId)}/summons/${encodeURIComponent(summonsId)}/confirm`, { method: 'POST', body: { attendee } }),
  declineSummons: (meetingId: string, summonsId: string, reason: string) =>
    request<Meeting>(`/api/meetings/${encodeURIComponent(meetingId)}/summons/${encodeURIComponent(summonsId)}/decline`, { method: 'POST', body: { reason } }),
  recordAttendance: (meetingId: string, entries: AttendanceInput[]) =>
    request<Meeting>(`/api/meetings/${encodeURIComponent(meetingId)}/attendance`, { method: 'POST', body: { entries } }),
  recordMinutes: (meetingId: string, minutes: string, decisions: DecisionInput[], attachmentIds?: string[]) =>
    request<Meeting>(`/api/meetings/${encodeURIComponent(meetingId)}/minutes`, { method: 'POST', body: { minutes, decisions, attachmentIds } }),
  cancelMeeting: (meetingId: string) => request<Meeting>(`/api/meetings/${encodeURIComponent(meetingId)}/cancel`, { method: 'POST', body: {} }),
  // ---- issue 13: what each role expected ----
  /** The whistles behind a chart bar, a ranking row, a map or a search: `GET /api/whistles` with its filters. */
  whistlesWhere: (f: WhistleFilter, page = 1, pageSize = 50) => request<Page<Whistle>>(`/api/whistles?${whistleFilterQuery(f, page, pageSize)}`),
  countyMap: () => request<CountyMap>('/api/map'),
  /** A meeting's decision (work due in days): the day it will be done, or nothing — no ETA in minutes. */
  reportExpected: (id: string, expectedOn: string | undefined, note?: string, attachmentIds?: string[]) =>
    request<unknown>(`/api/assignments/${encodeURIComponent(id)}/report`, { method: 'POST', body: { expectedOn, note, attachmentIds } }),
  urge: (id: string, note?: string) => request<Whistle>(`/api/assignments/${encodeURIComponent(id)}/urge`, { method: 'POST', body: { note } }),
  noticeChannels: () => request<NoticeChannel[]>('/api/notice-channels'),
  saveNoticeChannel: (id: string, body: SaveNoticeChannel) =>
    request<NoticeChannel>(`/api/notice-channels/${encodeURIComponent(id)}`, { method: 'PUT', body }),
  deleteNoticeChannel: (id: string) => request<void>(`/api/notice-channels/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  testNoticeChannel: (id: string) => request<void>(`/api/notice-channels/${encodeURIComponent(id)}/test`, { method: 'POST', body: {} }),
  noticeDeliveries: (id: string) => request<NoticeDelivery[]>(`/api/notice-channels/${encodeURIComponent(id)}/deliveries`),
  exportData: (kind: ExportKind, from: string, to: string, format: ExportFormat) =>
    download(
      `/api/export/${kind}?${new URLSearchParams({ from, to, format }).toString()}`,
      format === 'csv' ? 'text/csv, */*' : 'application/jsonl, */*',
    ),
}

/** A list answer, whether the API sends a bare array, one object or a page. */
function listOf<T>(res: T[] | Page<T> | T | null | undefined): T[] {
  if (Array.isArray(res)) return res
  if (res && typeof res === 'object' && Array.isArray((res as Page<T>).items)) return (res as Page<T>).items
  return res ? [res as T] : []
}

/** `level` (issue 17): `township`, `city` or `both`; omitted, the caller's own (the township level for a supervisor). */
export type AssessmentQuery = ({ period: AssessmentPeriod; date: string } | { from: string; to: string }) & { level?: 'township' | 'city' | 'both' }

export function assessmentQuery(q: AssessmentQuery): string {
  const p = new URLSearchParams()
  if (q.level) p.set('level', q.level)
  if ('period' in q) {
    p.set('period', q.period)
    p.set('date', q.date)
  } else {
    p.set('from', q.from)
    p.set('to', q.to)
  }
  return p.toString()
}

/** A file download through fetch (the bearer token cannot ride on a plain link). */
export async function download(path: string, accept = 'text/csv, */*'): Promise<{ blob: Blob; fileName: string | null }> {
  const headers: Record<string, string> = { Accept: accept }
  const token = accessToken()
  if (token) headers.Authorization = `Bearer ${token}`
  let response: Response
  try {
    response = await fetch(path, { headers })
  } catch (e) {
    throw new NetworkError(e instanceof Error ? e.message : String(e))
  }
  if (response.status === 401) sessionExpired()
  if (!response.ok) {
    let problem: ProblemDetails | null = null
    try {
      problem = JSON.parse(await response.text()) as ProblemDetails
    } catch {
      problem = null
    }
    throw new ApiError(response.status, problem)
  }
  return { blob: await response.blob(), fileName: fileNameFromDisposition(response.headers.get('Content-Disposition')) }
}

/** Saves a blob through a temporary object-URL link. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.rel = 'noopener'
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** Loads every page of a paged whistle list (bounded); `level`: one level's only. */
export async function allWhistles(status: 'open' | 'closed' | 'all', pageSize = 100, maxPages = 20, level?: 'township' | 'city'): Promise<Whistle[]> {
  const items: Whistle[] = []
  for (let page = 1; page <= maxPages; page++) {
    // A level (issue 17: the board's filter) asks the API for that level's only.
    const res = level ? await api.whistlesWhere({ status, level }, page, pageSize) : await api.whistles(status, page, pageSize)
    const batch = res?.items ?? []
    items.push(...batch)
    const total = res?.total ?? items.length
    if (batch.length < pageSize || items.length >= total) break
  }
  return items
}
