import type { User, WhistleEvent } from '../api/types'
import type { Notice } from '../stores/notices'
import { isMeetingEvent, meetingIdOf } from './meetingEvents'

export interface NoticeDecision {
  notice: Omit<Notice, 'at'>
  /** Beep: work that this user must act on (or that it no longer must). */
  sound: boolean
  /** The notice makes the earlier ones of the same whistle moot (a cancel: the new duty, its 催办 and 督办 are over). */
  replacesWhistle?: boolean
}

/**
 * Is this assignment one the user must act on (their branch's, or routed to their agency itself)? At the city level
 * (issue 17): an office account its office's duties, an institution account those routed to the institution itself.
 */
export function ownsAssignment(user: Pick<User, 'role' | 'orgId'>, a: { branchId?: string | null; agencyCode?: string }): boolean {
  if (user.role === 'branch') return !!a.branchId && a.branchId === user.orgId
  if (user.role === 'agency') return !a.branchId && a.agencyCode === user.orgId
  if (user.role === 'institution') return a.branchId ? a.branchId === user.orgId : a.agencyCode === user.orgId
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
  // A meeting's event is never a whistle's: its own rules, and no whistle id on the notice.
  if (isMeetingEvent(e)) return meetingNoticeFor(e, user)
  const title = e.whistle?.title ?? ''
  const base = {
    whistleId: e.whistleId,
    assignmentId: e.assignmentId ?? e.assignment?.id ?? null,
    title,
    ...(e.whistle?.level === 'city' ? { city: true } : {}),
  }
  const a = e.assignment
  const step = stepOf(e)
  switch (user.role) {
    case 'branch':
    case 'agency':
    case 'institution': {
      // An institution's duty officer (issue 17) hears a work request as a branch hears a whistle: the duties it acts
      // on with a beep; as an agency hears its branches', only the escalations of its offices' duties.
      // The server only sends a branch the events of its own assignments; an agency also gets its branches'.
      // 撤销 and 重新办理 are news for every unit on the whistle: the duty is off, or back (with a beep on a branch's
      // phone, like a new duty). The server sends them to the units of the whistle only.
      if (e.type === 'WhistleCancelled')
        return { notice: { ...base, assignmentId: null, key: `wc:${e.whistleId}`, kind: 'cancelled' }, sound: user.role !== 'agency', replacesWhistle: true }
      if (e.type === 'WhistleReopened')
        return { notice: { ...base, assignmentId: null, key: `wr:${e.sequence}`, kind: 'reopened' }, sound: user.role !== 'agency' }
      const mine = a ? ownsAssignment(user, a) : user.role === 'branch'
      if (!mine) {
        if (user.role !== 'branch' && e.type === 'AssignmentEscalated')
          return { notice: { ...base, ...step, key: `esc:${e.sequence}`, kind: 'escalation' }, sound: true }
        return null
      }
      if (e.type === 'AssignmentDispatched')
        return { notice: { ...base, key: `a:${base.assignmentId ?? e.sequence}`, kind: 'assignment' }, sound: true }
      if (e.type === 'AssignmentReassigned')
        return { notice: { ...base, key: `a:${base.assignmentId ?? e.sequence}`, kind: 'reassigned' }, sound: true }
      if (e.type === 'AssignmentReminded')
        return { notice: { ...base, ...step, key: `rem:${e.sequence}`, kind: 'reminder' }, sound: true }
      if (e.type === 'AssignmentEscalated')
        return { notice: { ...base, ...step, key: `esc:${e.sequence}`, kind: 'escalation' }, sound: true }
      return null
    }
    case 'township':
    case 'department': // a department follows its work requests as a township its whistles (issue 17)
      if (e.type === 'AssignmentDeclined')
        return { notice: { ...base, key: `dec:${e.sequence}`, kind: 'declined' }, sound: false }
      if (e.type === 'AssignmentResolved' && e.whistle?.status === 'resolved')
        return { notice: { ...base, key: `res:${e.whistleId}:${e.sequence}`, kind: 'resolved' }, sound: false }
      return null
    case 'supervisor':
      if (e.type === 'AssignmentEscalated')
        return { notice: { ...base, ...step, key: `esc:${e.sequence}`, kind: 'escalation' }, sound: false }
      if (e.type === 'AssignmentDeclined')
        return { notice: { ...base, key: `dec:${e.sequence}`, kind: 'declined' }, sound: false }
      return null
  }
  return null
}

/**
 * Meeting news: a summoned unit hears of a new summons (with a beep: it must confirm) and of a
 * cancellation; the organizer (the township; supervisors for a county-wide meeting) hears when a
 * unit cannot come. The server sends a meeting's events to the summoned units only.
 */
export function meetingNoticeFor(e: WhistleEvent, user: Pick<User, 'role' | 'orgId'>): NoticeDecision | null {
  const m = e.meeting
  const meetingId = meetingIdOf(e)
  const base = { whistleId: '', meetingId, assignmentId: null, title: m?.title ?? '' }
  switch (user.role) {
    case 'branch':
    case 'agency':
      if (e.type === 'MeetingScheduled') return { notice: { ...base, key: `m:${meetingId}`, kind: 'meeting' }, sound: true }
      if (e.type === 'MeetingCancelled') return { notice: { ...base, key: `mc:${meetingId}`, kind: 'meeting-cancelled' }, sound: false }
      return null
    case 'township':
    case 'supervisor': {
      const organizer = user.role === 'township' ? !!m && m.townshipId === user.orgId : !!m && !m.townshipId
      if (organizer && e.type === 'MeetingSummonsDeclined')
        return { notice: { ...base, key: `md:${e.sequence}`, kind: 'meeting-declined' }, sound: false }
      return null
    }
  }
  return null
}

/** The step of a 催办/督办 event (phase and level), or nothing. */
export function stepOf(e: Pick<WhistleEvent, 'step'>): { phase?: 'report' | 'resolve'; level?: number } {
  const s = e.step
  if (!s || (s.phase !== 'report' && s.phase !== 'resolve')) return {}
  return { phase: s.phase, level: typeof s.level === 'number' ? s.level : undefined }
}

/** The message key (and extra parameters) of a notice: 催办 and 督办 say which deadline. */
/** Notices a work request words in its own terms (新工作事项, 工作事项已撤销). */
export const CITY_WORDED_NOTICES: readonly string[] = ['assignment', 'cancelled']

export function noticeKey(n: Pick<Notice, 'kind' | 'phase' | 'level' | 'city'>): { key: string; params: Record<string, string | number> } {
  if (n.kind === 'submission') return { key: 'city.submissions.notice.filed', params: {} }
  if (n.kind === 'submission-answered') return { key: 'city.submissions.notice.answered', params: {} }
  if (n.city && CITY_WORDED_NOTICES.includes(n.kind)) return { key: `city.notice.${n.kind}`, params: {} }
  if (n.kind === 'reminder' && n.phase) return { key: n.phase === 'report' ? 'notice.reminderReport' : 'notice.reminderResolve', params: {} }
  if (n.kind === 'escalation' && n.phase)
    return {
      key: n.phase === 'report' ? 'notice.escalationReport' : 'notice.escalationResolve',
      params: { level: n.level && n.level > 0 ? n.level : 1 },
    }
  return { key: `notice.${n.kind}`, params: {} }
}

/** Does a (new) assignment belong in this user's inbox? A branch: its own; an agency: its own and its branches'. */
export function belongsToInbox(user: Pick<User, 'role' | 'orgId'>, a: { branchId?: string | null; agencyCode?: string }): boolean {
  if (user.role === 'branch') return !!a.branchId && a.branchId === user.orgId
  if (user.role === 'agency') return a.agencyCode === user.orgId
  // An institution: its own and its offices'; an office account: its own (issue 17).
  if (user.role === 'institution') return a.agencyCode === user.orgId || (!!a.branchId && a.branchId === user.orgId)
  return false
}
