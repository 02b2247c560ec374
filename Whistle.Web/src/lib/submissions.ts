// An institution's submissions to its departments (issue 17: 请示, 报告, 选拔任用备案) as the UI keeps them live.
// Their events (`Submission…`) carry `submission` (a snapshot: status, dueAt, answer) and no whistle; stores/live.ts
// hands them to their own listeners. A list applies a snapshot in place and reloads only for a row it does not hold
// (its names come with the API's answer); a detail page reloads for its own submission (the timeline and the answer's
// text are not in the event).
import type { Ref } from 'vue'
import type { Relation, Submission, SubmissionKind, User, WhistleEvent } from '../api/types'
import type { ApplyContext } from './eventStore'
import type { PatchOutcome } from './useLive'
import type { NoticeDecision } from './noticeRules'

export function isSubmissionEvent(e: Pick<WhistleEvent, 'type' | 'submission'> | null | undefined): boolean {
  return !!e?.submission || (typeof e?.type === 'string' && e.type.startsWith('Submission'))
}

/** Applies one event to a list: its row's status, limit and answer; the reminder and escalation counts. */
export function applyEventToSubmissions(list: readonly Submission[], e: WhistleEvent): Submission[] {
  const snap = e.submission
  if (!snap) return list as Submission[]
  return list.map((row) => {
    if (row.id !== snap.id) return row
    const next: Submission = { ...row, status: snap.status, dueAt: snap.dueAt, answer: snap.answer ?? row.answer ?? null }
    if (e.type === 'SubmissionReminded') next.reminderCount = Number(row.reminderCount ?? 0) + 1
    if (e.type === 'SubmissionEscalated') {
      next.escalationCount = Number(row.escalationCount ?? 0) + 1
      next.overdue = true
    }
    if (e.type === 'SubmissionAnswered') {
      next.answeredAt = e.occurredAt
      next.answeredByName = e.actor?.displayName ?? row.answeredByName ?? null
      next.overdue = false
    }
    return next
  })
}

/**
 * A live list of submissions: `true` applied; `'reload'` for one the list does not hold yet (a new filing: its names,
 * its body) — unless `accept` says it does not belong in this list; `false` for any other event.
 */
export function patchSubmissionList(
  e: WhistleEvent,
  ctx: ApplyContext,
  list: Ref<Submission[]>,
  accept: (s: NonNullable<WhistleEvent['submission']>) => boolean = () => true,
): PatchOutcome {
  if (ctx.stale || !e.submission) return false
  if (!list.value.some((s) => s.id === e.submission!.id)) return accept(e.submission) ? 'reload' : false
  list.value = applyEventToSubmissions(list.value, e)
  return true
}

/** A detail page: an event about this submission is applied at once and read again (its timeline, the answer's text). */
export function patchSubmissionDetail(e: WhistleEvent, ctx: ApplyContext, current: Ref<Submission | null>): PatchOutcome {
  if (ctx.stale || !e.submission || !current.value || current.value.id !== e.submission.id) return false
  current.value = applyEventToSubmissions([current.value], e)[0]
  return 'reload'
}

/** The department's inbox: its tab per kind (待批复 请示, 待阅知 报告, 待备案 选拔任用备案), open ones first. */
export function openOfKind(list: readonly Submission[], kind: SubmissionKind): Submission[] {
  return list.filter((s) => s.kind === kind && s.status === 'open').sort((a, b) => a.dueAt.localeCompare(b.dueAt))
}

/** Whether this account answers the submission: the department addressed, while it is open. */
export function canAnswer(user: Pick<User, 'role' | 'orgId'> | null | undefined, s: Pick<Submission, 'departmentId' | 'status'>): boolean {
  return !!user && user.role === 'department' && user.orgId === s.departmentId && s.status === 'open'
}

/**
 * Whether the caller may add files (补充材料) to a submission it sees: the institution's side (the institution, or its
 * office that submitted it — the only institution accounts that see it), while it is open (Whistle.Core
 * SubmissionStore.AddAttachmentsAsync).
 */
export function canAddFiles(user: Pick<User, 'role'> | null | undefined, s: Pick<Submission, 'status'>): boolean {
  return !!user && user.role === 'institution' && s.status === 'open'
}

/** Whether an answer must carry its text: a 批复 always, an objection its reasons (Whistle.Core SubmissionKind.TextRequired). */
export function answerTextRequired(answer: string | null | undefined): boolean {
  return answer === 'approved' || answer === 'disapproved' || answer === 'objected'
}

/** The relations an institution (or office) account may submit along; a filing only along a one-to-one relation. */
export function relationsFor(relations: readonly Relation[], institutionId: string, kind: SubmissionKind): Relation[] {
  return relations.filter((r) => r.institutionId === institutionId && (kind !== 'filing' || r.kind === 'one-to-one'))
}

/** The institution an account speaks for: its org, or the institution of its office (an office account). */
export function institutionOf(orgId: string | null | undefined, institutions: readonly { id: string; units: readonly { id: string }[] }[]): string | null {
  if (!orgId) return null
  if (institutions.some((i) => i.id === orgId)) return orgId
  return institutions.find((i) => i.units.some((u) => u.id === orgId))?.id ?? null
}

/**
 * The notice a submission's event makes: the department addressed hears of a new one (with a beep: it must answer), the
 * institution (or the office that filed it) of its answer. Nothing from a catch-up of what happened before this session
 * was live, nor for anyone else (the establishment office reads, it is not called).
 */
export function submissionNoticeFor(
  e: WhistleEvent,
  user: Pick<User, 'role' | 'orgId'>,
  fromCatchUp: boolean,
  liveSince: number,
): NoticeDecision | null {
  const s = e.submission
  if (!s) return null
  if (fromCatchUp && liveSince > 0 && new Date(e.occurredAt).getTime() < liveSince - 5000) return null
  const base = { whistleId: '', submissionId: s.id, submissionKind: s.kind, title: s.title }
  if (e.type === 'SubmissionFiled' && user.role === 'department' && user.orgId === s.departmentId)
    return { notice: { ...base, key: `submission:${s.id}:filed`, kind: 'submission' }, sound: true }
  if (e.type === 'SubmissionAnswered' && user.role === 'institution' && (user.orgId === s.institutionId || (!!s.unitId && user.orgId === s.unitId)))
    return { notice: { ...base, key: `submission:${s.id}:answered`, kind: 'submission-answered' }, sound: false }
  return null
}
