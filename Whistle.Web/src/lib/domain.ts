import type { Assignment, InboxAssignment, Urgency, Whistle, WhistleStatus } from '../api/types'
import { countdown, type Countdown } from './time'

export const URGENCY_RANK: Record<Urgency, number> = { routine: 0, urgent: 1, emergency: 2 }

export function isOpenAssignment(a: Pick<Assignment, 'status'>): boolean {
  return a.status === 'dispatched' || a.status === 'reported'
}

export function isOpenWhistle(status: WhistleStatus): boolean {
  return status !== 'closed' && status !== 'cancelled'
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

export function assignmentDeadlines(a: Assignment, now: number): AssignmentDeadlines {
  const report = a.status === 'dispatched' ? countdown(a.reportBy, now) : null
  const resolve = isOpenAssignment(a) ? countdown(a.resolveBy, now) : null
  const reportOverdue = !!report?.overdue
  const resolveOverdue = !!resolve?.overdue
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

/** The inbox order: work waiting for a report first, then in hand, then done; most urgent, then newest first. */
export function sortInbox<T extends InboxAssignment>(items: readonly T[]): T[] {
  const statusRank = (a: Assignment) => (a.status === 'dispatched' ? 0 : a.status === 'reported' ? 1 : 2)
  return [...items].sort((a, b) => {
    const s = statusRank(a) - statusRank(b)
    if (s !== 0) return s
    const u = (URGENCY_RANK[b.whistle?.urgency] ?? 0) - (URGENCY_RANK[a.whistle?.urgency] ?? 0)
    if (u !== 0) return u
    return new Date(b.dispatchedAt).getTime() - new Date(a.dispatchedAt).getTime()
  })
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
