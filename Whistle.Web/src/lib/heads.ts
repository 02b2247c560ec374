// Helpers of the branch heads' pages (issue 16).
import { onBeforeUnmount, onMounted } from 'vue'
import { onHeadsEvent, onResync } from '../stores/live'

export function rate(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`
}

export function minutes(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—'
  const m = Math.round(seconds / 60)
  return m < 60 ? `${m} 分钟` : `${(m / 60).toFixed(1)} 小时`
}

/** The start of this year in Asia/Shanghai, as an ISO instant. */
export function yearStart(now = new Date()): string {
  const shanghai = new Date(now.getTime() + 8 * 3600_000)
  return new Date(Date.UTC(shanghai.getUTCFullYear(), 0, 1) - 8 * 3600_000).toISOString()
}

/** Reloads (debounced) on every branch head's event and after a reconnect, while the page is mounted. */
export function useHeadsLive(refresh: () => void, delay = 300): void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(refresh, delay)
  }
  let off: (() => void) | undefined
  let offResync: (() => void) | undefined
  onMounted(() => {
    off = onHeadsEvent(() => schedule())
    offResync = onResync(schedule)
  })
  onBeforeUnmount(() => {
    clearTimeout(timer)
    off?.()
    offResync?.()
  })
}
