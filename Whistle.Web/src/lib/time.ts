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

/** `16:05` in Asia/Shanghai. */
export function formatTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return ''
  const d = toDate(value)
  if (!d) return ''
  const p = parts(d)
  return `${p.hour}:${p.minute}`
}

export interface Countdown {
  /** Milliseconds until the deadline; negative once past it. */
  remainingMs: number
  overdue: boolean
  /** Whole minutes left (or overdue, as a positive number), rounded toward "more urgent". */
  minutes: number
  /** Compact text such as `1h05m` or `45s`, without sign. */
  text: string
}

/** Splits a duration into a compact text: `2d3h`, `1h05m`, `12m`, `45s`. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.floor(Math.abs(ms) / 1000)
  const days = Math.floor(totalSeconds / 86400)
  const hours = Math.floor((totalSeconds % 86400) / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  if (days > 0) return `${days}d${hours}h`
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`
  if (minutes > 0) return `${minutes}m${String(seconds).padStart(2, '0')}s`
  return `${seconds}s`
}

export function countdown(deadline: string | number | Date | null | undefined, now: number): Countdown | null {
  if (deadline === null || deadline === undefined || deadline === '') return null
  const d = toDate(deadline)
  if (!d) return null
  const remainingMs = d.getTime() - now
  const overdue = remainingMs < 0
  const minutes = overdue ? Math.ceil(-remainingMs / 60000) : Math.floor(remainingMs / 60000)
  return { remainingMs, overdue, minutes, text: formatDuration(remainingMs) }
}
