import { onBeforeUnmount, onMounted } from 'vue'
import type { WhistleEvent } from '../api/types'
import type { ApplyContext } from './eventStore'
import { onResync, onWhistleEvent } from '../stores/live'

/**
 * Subscribes a view to live events while it is mounted: `patch` applies an event's snapshot at
 * once (returning false when the event does not concern the view), and `refresh` (debounced) reloads from the API after events and after every reconnect.
 */
export function useLive(
  patch: (e: WhistleEvent, ctx: ApplyContext) => boolean | void,
  refresh: () => void,
  delay = 300,
): void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(refresh, delay)
  }
  let offEvent: (() => void) | undefined
  let offResync: (() => void) | undefined
  onMounted(() => {
    offEvent = onWhistleEvent((e, ctx) => {
      if (patch(e, ctx) !== false) schedule()
    })
    offResync = onResync(schedule)
  })
  onBeforeUnmount(() => {
    clearTimeout(timer)
    offEvent?.()
    offResync?.()
  })
}
