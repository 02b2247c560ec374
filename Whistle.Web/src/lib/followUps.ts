// The establishment office's follow-ups (督促建立机制, issue 17) as the department they go to answers them: the open
// ones first, the nearest limit first; then those it has replied to, until the mechanism is complete (closed).
import type { FollowUp } from '../api/city'

/** The API's limit of a reply (FollowUpStore.NoteMax). */
export const FOLLOW_UP_REPLY_MAX = 2000

/** The follow-ups a department's workspace shows: open first (nearest limit first), then answered (latest reply first); closed ones not. */
export function followUpsToShow(list: readonly FollowUp[]): FollowUp[] {
  const open = list.filter((f) => f.status === 'open').sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))
  const answered = list
    .filter((f) => f.status === 'answered')
    .sort((a, b) => Date.parse(b.repliedAt ?? b.raisedAt) - Date.parse(a.repliedAt ?? a.raisedAt))
  return [...open, ...answered]
}

/** Is a follow-up past its limit now (open only: a reply stops the chain)? */
export function followUpOverdue(f: Pick<FollowUp, 'status' | 'dueAt'>, now: number): boolean {
  return f.status === 'open' && Date.parse(f.dueAt) < now
}

/** The form's own check of a reply: the message key, or null when it may be sent. */
export function replyProblem(text: string): { key: string; params?: Record<string, number> } | null {
  const trimmed = text.trim()
  if (!trimmed) return { key: 'city.followUps.replyRequired' }
  if (trimmed.length > FOLLOW_UP_REPLY_MAX) return { key: 'city.followUps.replyTooLong', params: { max: FOLLOW_UP_REPLY_MAX } }
  return null
}
