import { computed, reactive, ref, watch } from 'vue'
import { t, locale } from '../i18n'
import { noticeKey } from '../lib/noticeRules'

export type NoticeKind =
  | 'assignment'
  | 'reassigned'
  | 'reminder'
  | 'escalation'
  | 'declined'
  | 'resolved'
  | 'cancelled'
  | 'reopened'
  | 'meeting'
  | 'meeting-cancelled'
  | 'meeting-declined'
  | 'submission'
  | 'submission-answered'

export interface Notice {
  key: string
  kind: NoticeKind
  /** The whistle concerned; empty for a meeting's notice. */
  whistleId: string
  assignmentId?: string | null
  /** The meeting concerned (meeting notices only). */
  meetingId?: string | null
  title: string
  at: number
  /** 催办/督办: which deadline (report-by or resolve-by) and the step's level (0 = 催办, 1… = 督办). */
  phase?: 'report' | 'resolve' | null
  level?: number | null
  /** About a work request (issue 17): worded in the city level's terms where they differ. */
  city?: boolean
  /** An institution's submission (issue 17: 请示, 报告, 选拔任用备案): the notice opens it; `whistleId` is empty. */
  submissionId?: string | null
  submissionKind?: string | null
}

const MAX = 20
export const notices = ref<Notice[]>([])
/** Assignment ids shown highlighted as new until looked at. */
export const highlighted = reactive(new Set<string>())
const known = new Set<string>()

export const unreadCount = computed(() => notices.value.length)
export const latestNotice = computed(() => notices.value[0] ?? null)

let audio: AudioContext | null = null

/** Browsers only let audio start after a user gesture: unlock it on the first one. */
export function unlockAudio(): void {
  try {
    const Ctor = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext
    if (!Ctor) return
    audio ??= new Ctor()
    if (audio.state === 'suspended') void audio.resume()
  } catch {
    audio = null
  }
}

/** A short two-tone beep through WebAudio. */
export function beep(): void {
  try {
    if (!audio) unlockAudio()
    if (!audio) return
    const ctx = audio
    const start = ctx.currentTime + 0.01
    for (const [i, freq] of [880, 1175].entries()) {
      const osc = ctx.createOscillator()
      const gain = ctx.createGain()
      osc.type = 'sine'
      osc.frequency.value = freq
      const t0 = start + i * 0.16
      gain.gain.setValueAtTime(0.0001, t0)
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02)
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.14)
      osc.connect(gain).connect(ctx.destination)
      osc.start(t0)
      osc.stop(t0 + 0.15)
    }
  } catch {
    /* no audio: the banner and the title still tell */
  }
}

export const notificationPermission = ref<NotificationPermission | 'unsupported'>(
  typeof window !== 'undefined' && 'Notification' in window ? Notification.permission : 'unsupported',
)

export async function requestNotificationPermission(): Promise<void> {
  if (!('Notification' in window)) return
  try {
    notificationPermission.value = await Notification.requestPermission()
  } catch {
    notificationPermission.value = Notification.permission
  }
}

function browserNotify(n: Notice, text: string): void {
  if (notificationPermission.value !== 'granted') return
  if (!document.hidden && document.hasFocus()) return
  try {
    const notification = new Notification(t('app.title'), { body: text, tag: n.key })
    notification.onclick = () => {
      window.focus()
      notification.close()
    }
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

export function noticeText(n: Notice): string {
  const k = noticeKey(n)
  const params: Record<string, string | number> = { title: n.title, ...k.params }
  if (n.submissionKind) params.kind = t(`city.submissions.kinds.${n.submissionKind}`)
  return t(k.key, params)
}

/**
 * Adds a notice once per key: beep for work that needs the user, browser notification, title count. With
 * `replacesWhistle` the earlier notices of the same whistle go (a cancel makes its new duty, 催办 and 督办 moot), so the
 * count says what is still news.
 */
export function pushNotice(n: Omit<Notice, 'at'>, sound: boolean, replacesWhistle = false): void {
  if (known.has(n.key)) return
  known.add(n.key)
  const notice: Notice = { ...n, at: Date.now() }
  let kept = notices.value
  if (replacesWhistle && n.whistleId) {
    for (const old of kept) if (old.whistleId === n.whistleId && old.assignmentId) highlighted.delete(old.assignmentId)
    kept = kept.filter((old) => old.whistleId !== n.whistleId)
  }
  notices.value = [notice, ...kept].slice(0, MAX)
  if (n.assignmentId) highlighted.add(n.assignmentId)
  if (n.meetingId && n.kind === 'meeting') highlighted.add(n.meetingId)
  if (sound) beep()
  browserNotify(notice, noticeText(notice))
}

export function dismissNotices(): void {
  notices.value = []
}

/** One notice was looked at. */
export function dismissNotice(key: string): void {
  notices.value = notices.value.filter((n) => n.key !== key)
}

/** An assignment (or a meeting's summons) was looked at or acted on: no longer new. */
export function markSeen(id: string): void {
  highlighted.delete(id)
  notices.value = notices.value.filter((n) => n.assignmentId !== id && n.meetingId !== id)
}

/**
 * A whistle's news of these kinds is over (issue 13: "已全部办结，待确认" once the township has confirmed, cancelled or
 * reopened it): those notices leave the banner and the count.
 */
export function retireWhistleNotices(whistleId: string, kinds: readonly NoticeKind[]): void {
  notices.value = notices.value.filter((n) => n.whistleId !== whistleId || !kinds.includes(n.kind))
}

/** The events after which a township's "all resolved, to confirm" notice of the whistle is over. */
export const SETTLES_RESOLVED = ['WhistleConfirmed', 'WhistleReopened', 'WhistleCancelled'] as const

export function resetNotices(): void {
  notices.value = []
  highlighted.clear()
  known.clear()
}

if (typeof document !== 'undefined') {
  watch(
    [unreadCount, locale],
    ([count]) => {
      const base = t('app.title')
      document.title = count > 0 ? `(${count}) ${base}` : base
    },
    { immediate: true },
  )
}
