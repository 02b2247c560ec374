// How a timeline entry reads: 催办/督办 say which deadline and which repeat; 改派 says from whom to whom.
import type { Assignment, TimelineEntry } from '../api/types'

export interface TimelineText {
  /** i18n key of the headline. */
  key: string
  params: Record<string, string | number>
  /** The unit line: the assignment concerned, or (改派) the previous and the new one. */
  unit: Assignment | null
  previousUnit: Assignment | null
  /** Done by the system (no actor): the escalation chain. */
  system: boolean
}

export function timelineText(entry: TimelineEntry, byId: ReadonlyMap<string, Assignment>): TimelineText {
  const unit = entry.assignmentId ? (byId.get(entry.assignmentId) ?? null) : null
  const system = !entry.actor
  const step = entry.step
  if (entry.type === 'AssignmentReminded' && step?.phase)
    return { key: `timeline.reminded.${step.phase}`, params: {}, unit, previousUnit: null, system }
  if (entry.type === 'AssignmentEscalated' && step?.phase)
    return { key: `timeline.escalated.${step.phase}`, params: { level: step.level > 0 ? step.level : 1 }, unit, previousUnit: null, system }
  if (entry.type === 'AssignmentReassigned') {
    const previousUnit = unit?.previousAssignmentId ? (byId.get(unit.previousAssignmentId) ?? null) : null
    return { key: 'event.AssignmentReassigned', params: {}, unit, previousUnit, system }
  }
  return { key: `event.${entry.type}`, params: {}, unit, previousUnit: null, system }
}
