// Issue 13: an agency filters its branches' duties by township, branch and overdue.
import type { InboxAssignment } from '../api/types'
import { assignmentDeadlines } from './domain'

export interface UnitFilter {
  townshipId: string
  branchId: string
  overdue: boolean
}

/** Does an inbox row pass the agency's filter (overdue: an open duty past its report-by or resolve-by now)? */
export function matchesUnitFilter(a: InboxAssignment, f: UnitFilter, now: number): boolean {
  if (f.townshipId && a.whistle?.townshipId !== f.townshipId) return false
  if (f.branchId && a.branchId !== f.branchId) return false
  if (f.overdue) {
    const live = a.whistle?.status !== 'closed' && a.whistle?.status !== 'cancelled'
    if (!live || !assignmentDeadlines(a, now).overdue) return false
  }
  return true
}
