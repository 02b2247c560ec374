import type { Assignment, Branch, InboxAssignment, StepPhase, Urgency, User, Whistle, WhistleStatus } from '../api/types'
import { countdown, type Countdown } from './time'

export const URGENCY_RANK: Record<Urgency, number> = { routine: 0, urgent: 1, emergency: 2 }

export function isOpenAssignment(a: Pick<Assignment, 'status'>): boolean {
  return a.status === 'dispatched' || a.status === 'reported'
}

export function isOpenWhistle(status: WhistleStatus): boolean {
  return status !== 'closed' && status !== 'cancelled'
}

/**
 * Whether a unit may still act on its duties of a whistle in this status (the server's Lifecycle.CanActOnWhistle):
 * dispatched, in progress or resolved; never once it is closed or cancelled (nor before it is dispatched).
 */
export function isActionableWhistle(status: WhistleStatus | null | undefined): boolean {
  return status === 'dispatched' || status === 'in-progress' || status === 'resolved'
}

/** An inbox row that still asks something of its unit: an open duty on a whistle still live. */
export function isOpenInboxRow(a: Pick<Assignment, 'status'> & { whistle?: { status?: WhistleStatus } | null }): boolean {
  return isOpenAssignment(a) && (!a.whistle?.status || isActionableWhistle(a.whistle.status))
}

export interface AssignmentDeadlines {
  /** Countdown to report-by while the assignment waits for its report. */
  report: Countdown | null
  /** Countdown to resolve-by while the assignment is open. */
  resolve: Countdown | null
  reportOverdue: boolean
  resolveOverdue: boolean
  overdue: boolean
  /** Reported after its report-by (kept for display once reported). */
  reportedLate: boolean
  resolvedLate: boolean
}

/**
 * Has the server already escalated (督办) this assignment in its current phase? Escalations fire
 * only once a deadline has passed, so one received live marks the deadline overdue even when this
 * browser's clock runs a little behind the server's.
 */
export function escalatedInPhase(a: Assignment): StepPhase | null {
  if (!(a.escalationCount ?? 0) || !a.lastEscalatedAt) return null
  if (a.status === 'dispatched') return 'report'
  if (a.status === 'reported') {
    const at = new Date(a.lastEscalatedAt).getTime()
    const reported = a.reportedAt ? new Date(a.reportedAt).getTime() : NaN
    return Number.isFinite(reported) && at >= reported ? 'resolve' : null
  }
  return null
}

export function assignmentDeadlines(a: Assignment, now: number): AssignmentDeadlines {
  const report = a.status === 'dispatched' ? countdown(a.reportBy, now) : null
  const resolve = isOpenAssignment(a) ? countdown(a.resolveBy, now) : null
  const escalated = escalatedInPhase(a)
  const reportOverdue = !!report?.overdue || escalated === 'report'
  const resolveOverdue = !!resolve?.overdue || escalated === 'resolve'
  const late = (at?: string | null, by?: string | null) =>
    !!at && !!by && new Date(at).getTime() > new Date(by).getTime()
  return {
    report,
    resolve,
    reportOverdue,
    resolveOverdue,
    overdue: reportOverdue || resolveOverdue,
    reportedLate: late(a.reportedAt, a.reportBy),
    resolvedLate: late(a.resolvedAt, a.resolveBy),
  }
}

export function isAssignmentOverdue(a: Assignment, now: number): boolean {
  return assignmentDeadlines(a, now).overdue
}

export function isWhistleOverdue(w: Pick<Whistle, 'status' | 'assignments'>, now: number): boolean {
  if (!isOpenWhistle(w.status)) return false
  return (w.assignments ?? []).some((a) => isAssignmentOverdue(a, now))
}

/**
 * When the duty's running limit falls: report-by while it waits for its report, resolve-by while in hand (a duty the
 * server already escalated counts as due no later than that escalation); null for a duty that asks nothing more.
 */
export function nextLimitAt(a: InboxAssignment): number | null {
  if (!isOpenInboxRow(a)) return null
  const due = Date.parse((a.status === 'dispatched' ? a.reportBy : a.resolveBy) ?? '')
  if (!Number.isFinite(due)) return null
  const escalatedAt = escalatedInPhase(a) && a.lastEscalatedAt ? Date.parse(a.lastEscalatedAt) : NaN
  return Number.isFinite(escalatedAt) ? Math.min(due, escalatedAt) : due
}

/**
 * The inbox order, by the nearest limit: open duties first, the soonest due on top (so the overdue ones, the longest
 * overdue first, above those still running); then the duties that ask nothing more, newest first. Equal limits: the
 * more urgent, then the newer. The order does not depend on the clock, so rows do not jump as time passes.
 */
export function sortInbox<T extends InboxAssignment>(items: readonly T[]): T[] {
  const keyed = items.map((a) => ({ a, due: nextLimitAt(a) }))
  keyed.sort((x, y) => {
    if (x.due !== null && y.due !== null && x.due !== y.due) return x.due - y.due
    if ((x.due === null) !== (y.due === null)) return x.due === null ? 1 : -1
    const u = (URGENCY_RANK[y.a.whistle?.urgency] ?? 0) - (URGENCY_RANK[x.a.whistle?.urgency] ?? 0)
    if (u !== 0) return u
    return new Date(y.a.dispatchedAt).getTime() - new Date(x.a.dispatchedAt).getTime()
  })
  return keyed.map((k) => k.a)
}

export interface BoardCounters {
  open: number
  unreported: number
  overdue: number
}

/** Board counters: open whistles, assignments still waiting for a report, assignments past a deadline. */
export function boardCounters(whistles: readonly Pick<Whistle, 'status' | 'assignments'>[], now: number): BoardCounters {
  let open = 0
  let unreported = 0
  let overdue = 0
  for (const w of whistles) {
    if (!isOpenWhistle(w.status)) continue
    open++
    for (const a of w.assignments ?? []) {
      if (a.status === 'dispatched') unreported++
      if (isAssignmentOverdue(a, now)) overdue++
    }
  }
  return { open, unreported, overdue }
}

/** Cancel is allowed before any branch reported. */
export function canCancel(w: Whistle): boolean {
  if (!isOpenWhistle(w.status) || w.status === 'resolved') return false
  return !(w.assignments ?? []).some((a) => !!a.reportedAt || a.status === 'reported' || a.status === 'resolved')
}

/** The assignments the township rates when it confirms: every resolved one. */
export function ratableAssignments(w: Whistle): Assignment[] {
  return (w.assignments ?? []).filter((a) => a.status === 'resolved')
}

// ---- issue 4: overdue work, declined assignments awaiting reassignment, who may reassign ----

/** The assignment that replaced this one by reassignment (改派), if any. */
export function successorOf(w: Pick<Whistle, 'assignments'>, assignmentId: string): Assignment | undefined {
  return (w.assignments ?? []).find((x) => x.previousAssignmentId === assignmentId)
}

/** Declined assignments of an open whistle that nobody has reassigned yet. */
export function awaitingReassignment(w: Pick<Whistle, 'status' | 'assignments'>): Assignment[] {
  if (!isOpenWhistle(w.status)) return []
  return (w.assignments ?? []).filter((a) => a.status === 'declined' && !successorOf(w, a.id))
}

export interface OverdueItem<W extends Pick<Whistle, 'id' | 'status' | 'assignments'> = Whistle> {
  whistle: W
  assignment: Assignment
  /** Which deadline is past: report-by while dispatched, resolve-by while reported. */
  phase: StepPhase
  /** How late, in ms (0 when only the server's escalation says so). */
  lateMs: number
}

/** Every open assignment past its current deadline, county-wide, latest first (most late on top). */
export function overdueAssignments<W extends Pick<Whistle, 'id' | 'status' | 'assignments'>>(whistles: readonly W[], now: number): OverdueItem<W>[] {
  const out: OverdueItem<W>[] = []
  for (const w of whistles) {
    if (!isOpenWhistle(w.status)) continue
    for (const a of w.assignments ?? []) {
      const d = assignmentDeadlines(a, now)
      if (d.reportOverdue) out.push({ whistle: w, assignment: a, phase: 'report', lateMs: Math.max(0, -(d.report?.remainingMs ?? 0)) })
      else if (d.resolveOverdue) out.push({ whistle: w, assignment: a, phase: 'resolve', lateMs: Math.max(0, -(d.resolve?.remainingMs ?? 0)) })
    }
  }
  return out.sort((x, y) => y.lateMs - x.lateMs || x.assignment.id.localeCompare(y.assignment.id))
}

/** Declined assignments awaiting reassignment across whistles, oldest decline first. */
export function declinedAwaiting<W extends Pick<Whistle, 'id' | 'status' | 'assignments'>>(whistles: readonly W[]): { whistle: W; assignment: Assignment }[] {
  const out: { whistle: W; assignment: Assignment }[] = []
  for (const w of whistles) for (const a of awaitingReassignment(w)) out.push({ whistle: w, assignment: a })
  const at = (a: Assignment) => new Date(a.declinedAt ?? a.dispatchedAt).getTime() || 0
  return out.sort((x, y) => at(x.assignment) - at(y.assignment))
}

/**
 * 改派: the raising township on a declined assignment; a supervisor on a declined or open one.
 * Never on a closed/cancelled whistle, nor on an assignment that was already reassigned.
 */
export function canReassign(user: Pick<User, 'role' | 'orgId'> | null | undefined, w: Pick<Whistle, 'status' | 'townshipId' | 'assignments' | 'level'>, a: Assignment): boolean {
  // A work request goes where its relation's list says: never reassigned (409 work-request-not-reassigned).
  if (!user || !isOpenWhistle(w.status) || w.level === 'city') return false
  if (successorOf(w, a.id)) return false
  if (user.role === 'supervisor') return a.status === 'declined' || isOpenAssignment(a)
  if (user.role === 'township') return user.orgId === w.townshipId && a.status === 'declined'
  return false
}

/** 增派协办: supervisors, while the whistle is not closed or cancelled. */
export function canAddAssignment(user: Pick<User, 'role'> | null | undefined, w: Pick<Whistle, 'status' | 'level'>): boolean {
  return user?.role === 'supervisor' && isOpenWhistle(w.status) && w.level !== 'city'
}

/** An agency's branches for the reassign dialog: the whistle's township first, then by name. */
export function branchChoices(branches: readonly Branch[], agencyCode: string, townshipId: string): Branch[] {
  return branches
    .filter((b) => b.agencyCode === agencyCode)
    .sort((x, y) => Number(y.townshipId === townshipId) - Number(x.townshipId === townshipId) || x.name.localeCompare(y.name, 'zh-CN'))
}

/** Where the server routes when no branch is given: the agency's branch in the township, else the agency itself (null). */
export function defaultBranch(branches: readonly Branch[], agencyCode: string, townshipId: string): Branch | null {
  return branches.find((b) => b.agencyCode === agencyCode && b.townshipId === townshipId) ?? null
}

// ---- issue 13: 改派 targets — 本部, and the units that may not receive the duty ----

/** Why a unit may not receive the duty: it is the unit the duty is taken from, or it already has a duty on the whistle. */
export type BlockedReason = 'current' | 'onWhistle' | 'otherTownship'

export interface UnitChoice {
  /** `'@default'`: the agency's branch in the township, else the agency itself; `'@agency'`: 本部; else a branch id. */
  value: string
  agencyCode: string
  branchId: string | null
  blocked: BlockedReason | null
}

export const AGENCY_ITSELF = '@agency'
export const DEFAULT_UNIT = '@default'

/** The key of a unit: agency and branch (none for the agency itself). */
function unitKey(agencyCode: string, branchId: string | null | undefined): string {
  return `${agencyCode}|${branchId ?? ''}`
}

/** A duty still held by its unit (not declined, not moved away): its unit is on the whistle. */
export function isCurrentAssignment(a: Pick<Assignment, 'status'>): boolean {
  return a.status !== 'declined' && a.status !== 'reassigned'
}

/**
 * The choices of the 改派 / 增派 dialog for one agency, in the order shown: the default, the agency itself (本部,
 * supervisors only: a township has it only where the agency has no branch there, which is then the default), and the
 * agency's branches (the whistle's township first). Each says why it is refused (the server answers 400 on the same):
 * the unit the duty is taken from (`from`), a unit with a current duty on the whistle, or — for a township — a branch
 * stationed elsewhere.
 */
export function reassignChoices(
  user: Pick<User, 'role' | 'orgId'> | null | undefined,
  w: Pick<Whistle, 'townshipId' | 'assignments'>,
  from: Pick<Assignment, 'id' | 'agencyCode' | 'branchId'> | null | undefined,
  agencyCode: string,
  branches: readonly Branch[],
): UnitChoice[] {
  if (!agencyCode) return []
  const onWhistle = new Set((w.assignments ?? []).filter((a) => a.id !== from?.id && isCurrentAssignment(a)).map((a) => unitKey(a.agencyCode, a.branchId)))
  const fromKey = from ? unitKey(from.agencyCode, from.branchId) : null
  const blocked = (branchId: string | null, townshipId?: string): BlockedReason | null => {
    const key = unitKey(agencyCode, branchId)
    if (key === fromKey) return 'current'
    if (onWhistle.has(key)) return 'onWhistle'
    if (user?.role === 'township' && townshipId !== undefined && townshipId !== w.townshipId) return 'otherTownship'
    return null
  }
  const own = defaultBranch(branches, agencyCode, w.townshipId)
  const choices: UnitChoice[] = [{ value: DEFAULT_UNIT, agencyCode, branchId: own?.id ?? null, blocked: blocked(own?.id ?? null) }]
  if (user?.role === 'supervisor') choices.push({ value: AGENCY_ITSELF, agencyCode, branchId: null, blocked: blocked(null) })
  for (const b of branchChoices(branches, agencyCode, w.townshipId)) choices.push({ value: b.id, agencyCode, branchId: b.id, blocked: blocked(b.id, b.townshipId) })
  return choices
}

/** The first choice that may receive the duty: the default when it may, else (a supervisor's) 本部, else nothing. */
export function firstOpenChoice(choices: readonly UnitChoice[]): string | null {
  const preferred = choices.find((c) => (c.value === DEFAULT_UNIT || c.value === AGENCY_ITSELF) && !c.blocked)
  return preferred ? preferred.value : null
}

/** The request fields for a choice: nothing (the default), `toAgency` (本部) or the branch. */
export function choiceBody(value: string): { branchId?: string; toAgency?: boolean } {
  if (value === AGENCY_ITSELF) return { toAgency: true }
  return value && value !== DEFAULT_UNIT ? { branchId: value } : {}
}
