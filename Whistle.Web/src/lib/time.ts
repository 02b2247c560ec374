/** All times in the UI are shown in China Standard Time, whatever the browser's zone. */
export const TIME_ZONE = 'Asia/Shanghai'

const partsFormatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

function toDate(value: string | number | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value)
  return Number.isNaN(d.getTime()) ? null : d
}

function parts(d: Date): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of partsFormatter.formatToParts(d)) out[p.type] = p.value
  return out
}

/** `2025-03-01 16:05` in Asia/Shanghai (seconds with `withSeconds`). Empty for missing/invalid input. */
export function formatDateTime(value: string | number | Date | null | undefined, withSeconds = false): string {
  if (value === null || value === undefined || value === '') return ''
  const d = toDate(value)
  if (!d) return ''
  const p = parts(d)
  const base = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
  return withSeconds ? `${base}:${p.second}` : base
}

/**
 * A period the server gives as [from, to) — `to` the first instant after it — as a reader counts it: whole days in
 * Asia/Shanghai as their first and last dates, both included (`2026-12-01 – 2026-12-31`; one day alone:
 * `2026-12-01`); a period that starts or ends within a day with its times (`2026-12-01 08:00 – 2026-12-01 17:30`).
 */
export function formatPeriod(from: string | number | Date | null | undefined, to: string | number | Date | null | undefined): string {
  if (from === null || from === undefined || from === '' || to === null || to === undefined || to === '') return ''
  const start = toDate(from)
  const end = toDate(to)
  if (!start || !end) return ''
  const startParts = parts(start)
  const endParts = parts(end)
  const midnight = (p: Record<string, string>) => p.hour === '00' && p.minute === '00' && p.second === '00'
  if (midnight(startParts) && midnight(endParts) && end.getTime() > start.getTime() && start.getMilliseconds() === 0 && end.getMilliseconds() === 0) {
    const first = `${startParts.year}-${startParts.month}-${startParts.day}`
    const lastParts = parts(new Date(end.getTime() - 1))
    const last = `${lastParts.year}-${lastParts.month}-${lastParts.day}`
    return first === last ? first : `${first} – ${last}`
  }
  return `${formatDateTime(start)} – ${formatDateTime(end)}`
}

/** `16:05` in Asia/Shanghai. */
export function formatTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return ''
  const d = toDate(value)
  if (!d) return ''
  const p = parts(d)
  return `${p.hour}:${p.minute}`
}

export type DurationLanguage = 'zh-CN' | 'en'

export interface Countdown {
  /** Milliseconds until the deadline; negative once past it. */
  remainingMs: number
  overdue: boolean
  /** Whole minutes left (or overdue, as a positive number), rounded toward "more urgent". */
  minutes: number
  /** The time left (or past), in the language's units, without sign: `8分49秒`, `2 h 5 min`. */
  text: string
}

const UNITS: Record<DurationLanguage, { d: string; h: string; m: string; s: string; sep: string }> = {
  'zh-CN': { d: '天', h: '小时', m: '分', s: '秒', sep: '' },
  en: { d: ' d', h: ' h', m: ' min', s: ' s', sep: ' ' },
}

/**
 * A duration in two units at most, the larger first, in the language's words: `3天4小时`, `2小时5分`, `8分49秒`, `45秒`
 * (English `3 d 4 h`, `2 h 5 min`, `8 min 49 s`, `45 s`). A second unit of zero is left out (`2小时`). Without sign.
 */
export function formatDuration(ms: number, language: DurationLanguage = 'zh-CN'): string {
  const u = UNITS[language]
  const totalSeconds = Math.floor(Math.abs(ms) / 1000)
  const days = Math.floor(totalSeconds / 86400)
  const hours = Math.floor((totalSeconds % 86400) / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  const two = (a: number, ua: string, b: number, ub: string) => (b > 0 ? `${a}${ua}${u.sep}${b}${ub}` : `${a}${ua}`)
  if (days > 0) return two(days, u.d, hours, u.h)
  if (hours > 0) return two(hours, u.h, minutes, u.m)
  if (minutes > 0) return two(minutes, u.m, seconds, u.s)
  return `${seconds}${u.s}`
}

/** A time limit given in minutes (a matter's or a work item's) in days, hours and minutes as the rest of the UI shows time: 1440 → 1天, 90 → 1小时30分钟. */
export function limitDuration(minutes: number, language: DurationLanguage = 'zh-CN'): string {
  return formatDuration(minutes * 60_000, language)
}

export function countdown(deadline: string | number | Date | null | undefined, now: number, language: DurationLanguage = 'zh-CN'): Countdown | null {
  if (deadline === null || deadline === undefined || deadline === '') return null
  const d = toDate(deadline)
  if (!d) return null
  const remainingMs = d.getTime() - now
  const overdue = remainingMs < 0
  const minutes = overdue ? Math.ceil(-remainingMs / 60000) : Math.floor(remainingMs / 60000)
  return { remainingMs, overdue, minutes, text: formatDuration(remainingMs, language) }
}

/** Where a running limit stands: `ok`; `warning` (amber) once the county's reminder share of it has passed; `overdue` (red). */
export type LimitState = 'ok' | 'warning' | 'overdue'

/**
 * The state of a limit that runs from `start` to `deadline` at `now`, the way the server's escalation chain sees it
 * (EscalationPolicy): the reminder (催办) falls when `reminderShare` of the limit has passed, the escalation (督办) at
 * the deadline. A share outside (0, 1) means no reminder: no amber.
 */
export function limitState(
  start: string | number | Date | null | undefined,
  deadline: string | number | Date | null | undefined,
  now: number,
  reminderShare: number,
): LimitState | null {
  if (deadline === null || deadline === undefined || deadline === '') return null
  const end = toDate(deadline)
  if (!end) return null
  if (now > end.getTime()) return 'overdue'
  const from = start === null || start === undefined || start === '' ? null : toDate(start)
  if (!from || !(reminderShare > 0 && reminderShare < 1)) return 'ok'
  const remindAt = from.getTime() + (end.getTime() - from.getTime()) * reminderShare
  return now >= remindAt ? 'warning' : 'ok'
}
