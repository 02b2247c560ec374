import { onBeforeUnmount, onMounted } from 'vue'
import type { WhistleEvent } from '../api/types'
import type { ApplyContext } from './eventStore'
import { onOfficeEvent, onResync, onSubmissionEvent, onWhistleEvent } from '../stores/live'

/**
 * What a view did with a live event: `false` — not its concern; `true` (or nothing) — applied in full from the
 * event's snapshot; `'reload'` — its concern, but the event cannot be applied in full (a row the view does not have
 * yet, data the event does not carry): the view reloads (debounced).
 */
export type PatchOutcome = boolean | 'reload' | void

/**
 * The stream a view follows: whistles and meetings, submissions (their events carry `submission`, no whistle), or the
 * establishment office's (follow-ups and mechanisms recorded, no whistle either).
 */
export type LiveStream = 'whistles' | 'submissions' | 'office'

const SUBSCRIBE: Record<LiveStream, typeof onWhistleEvent> = {
  whistles: onWhistleEvent,
  submissions: onSubmissionEvent,
  office: onOfficeEvent,
}

/**
 * Subscribes a view to live events while it is mounted: `patch` applies an event's snapshot at once; `refresh`
 * (debounced) reloads from the API only when `patch` says the event could not be applied, and after every reconnect
 * (what happened meanwhile is caught up, but a view loaded before may miss rows). A patch never waits for a reload,
 * and an open page does not cost the server a request per event. Returns the debounced reload (for a view whose own
 * answer may have overwritten an event it had applied).
 */
export function useLive(
  patch: (e: WhistleEvent, ctx: ApplyContext) => PatchOutcome,
  refresh: () => void,
  delay = 300,
  /** Which events: the whistles' and meetings' (default), an institution's submissions' or the establishment office's (issue 17). */
  stream: LiveStream = 'whistles',
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(refresh, delay)
  }
  let offEvent: (() => void) | undefined
  let offResync: (() => void) | undefined
  onMounted(() => {
    offEvent = SUBSCRIBE[stream]((e, ctx) => {
      if (patch(e, ctx) === 'reload') schedule()
    })
    offResync = onResync(schedule)
  })
  onBeforeUnmount(() => {
    clearTimeout(timer)
    offEvent?.()
    offResync?.()
  })
  return schedule
}
