import type { User, WhistleEvent } from '../api/types'
import type { Notice } from '../stores/notices'

export interface NoticeDecision {
  notice: Omit<Notice, 'at'>
  /** Beep: work that this user must act on. */
  sound: boolean
}

/** Is this assignment one the user must act on (their branch's, or routed to their agency itself)? */
export function ownsAssignment(user: Pick<User, 'role' | 'orgId'>, a: { branchId?: string | null; agencyCode?: string }): boolean {
  if (user.role === 'branch') return !!a.branchId && a.branchId === user.orgId
  if (user.role === 'agency') return !a.branchId && a.agencyCode === user.orgId
  return false
}

/**
 * Which live events are news for this user. Events replayed by a catch-up that happened before
 * the page went live (`liveSince`) are history, not news.
 */
export function noticeFor(
  e: WhistleEvent,
  user: Pick<User, 'role' | 'orgId'>,
  fromCatchUp: boolean,
  liveSince: number,
): NoticeDecision | null {
  if (fromCatchUp && liveSince > 0 && new Date(e.occurredAt).getTime() < liveSince - 5000) return null
  const title = e.whistle?.title ?? ''
  const base = { whistleId: e.whistleId, assignmentId: e.assignmentId ?? e.assignment?.id ?? null, title }
  const a = e.assignment
  switch (user.role) {
    case 'branch':
    case 'agency': {
      // The server only sends a branch the events of its own assignments; an agency also gets its branches'.
      const mine = a ? ownsAssignment(user, a) : user.role === 'branch'
      if (!mine) {
        if (user.role === 'agency' && e.type === 'AssignmentEscalated')
          return { notice: { ...base, key: `esc:${e.sequence}`, kind: 'escalation' }, sound: true }
        return null
      }
      if (e.type === 'AssignmentDispatched' || e.type === 'AssignmentReassigned')
        return { notice: { ...base, key: `a:${base.assignmentId ?? e.sequence}`, kind: 'assignment' }, sound: true }
      if (e.type === 'AssignmentReminded')
        return { notice: { ...base, key: `rem:${e.sequence}`, kind: 'reminder' }, sound: true }
      if (e.type === 'AssignmentEscalated')
        return { notice: { ...base, key: `esc:${e.sequence}`, kind: 'escalation' }, sound: true }
      return null
    }
    case 'township':
      if (e.type === 'AssignmentDeclined')
        return { notice: { ...base, key: `dec:${e.sequence}`, kind: 'declined' }, sound: false }
      if (e.type === 'AssignmentResolved' && e.whistle?.status === 'resolved')
        return { notice: { ...base, key: `res:${e.whistleId}:${e.sequence}`, kind: 'resolved' }, sound: false }
      return null
    case 'supervisor':
      if (e.type === 'AssignmentEscalated')
        return { notice: { ...base, key: `esc:${e.sequence}`, kind: 'escalation' }, sound: false }
      if (e.type === 'AssignmentDeclined')
        return { notice: { ...base, key: `dec:${e.sequence}`, kind: 'declined' }, sound: false }
      return null
  }
  return null
}
