import { onMounted, ref, watch, type Ref, type WatchSource } from 'vue'
import type { Meeting, Whistle, WhistleEvent } from '../api/types'
import { api, ApiError } from '../api/client'
import type { ApplyContext } from '../lib/eventStore'
import { errorText } from '../lib/errors'
import { applyEventToMeetings, isMeetingEvent, meetingsNeedReload } from '../lib/meetingEvents'
import { applyEventToWhistles, whistlesNeedReload } from '../lib/patch'
import { useLive, type LiveStream, type PatchOutcome } from '../lib/useLive'
import { t } from '../i18n'

export interface LiveResourceOptions<T> {
  /** What the resource holds before its first answer (and after `reset()`). */
  initial: T
  /** Reads the resource from the API; only the answer to the latest call is kept. */
  fetch: () => Promise<T>
  /**
   * Live events: applies one to `data` at once and says what it did (lib/useLive.ts: `false` not its concern, `true`
   * applied, `'reload'` a debounced reload). Without it the resource is not live.
   */
  patch?: (e: WhistleEvent, ctx: ApplyContext, data: Ref<T>) => PatchOutcome
  /** The events `patch` sees: the whistles' and meetings' (default), the submissions' or the establishment office's (issue 17). */
  stream?: LiveStream
  /**
   * When to load: `'mounted'` (default) once the view is mounted; a watch source — at once and whenever it changes
   * (the address's query, a route parameter), after `reset()` when `resetOnChange`.
   */
  when?: 'mounted' | WatchSource | WatchSource[]
  deep?: boolean
  /** A change of `when` starts from nothing again (another whistle, another filter): `reset()` before loading. */
  resetOnChange?: boolean
  /**
   * `'first'` (default): `loading` is true until the first answer (and again after `reset()`); reloads keep the page
   * as it is. `'every'`: `loading` is true during every load (a page whose whole content changes with a filter).
   */
  loading?: 'first' | 'every'
  /** A 404 or 403 sets `notFound` instead of an error (a detail page's "not found or not yours"). */
  notFound?: boolean
  /** A failed load also forgets what was shown (the figures of another period must not stay on screen). */
  clearOnError?: boolean
  /** The error text; by default 加载失败 with the failure in words (lib/errors.ts). */
  failText?: (e: unknown) => string
}

export interface LiveResource<T> {
  data: Ref<T>
  loading: Ref<boolean>
  error: Ref<string>
  notFound: Ref<boolean>
  /** Loads again (the latest call wins). */
  load: () => Promise<void>
  /** Loads with another request (e.g. the next page appended); the latest call of `load` or `run` wins. */
  run: (fetch: () => Promise<T>) => Promise<void>
  /** Back to `initial`, loading. */
  reset: () => void
}

export const loadFailed = (e: unknown) => t('errors.load', { detail: errorText(e) })
/** A page some roles may not see: 403 says "not permitted" rather than a failure. */
export const forbiddenOrFailed = (e: unknown) => (e instanceof ApiError && e.status === 403 ? t('errors.forbidden') : loadFailed(e))

/**
 * The load / sequence / error block of a page that shows a resource of the API and follows it live (issue 13): one
 * request at a time counts (an answer older than the latest request is dropped, so a slow answer to an old filter never
 * overwrites a newer one), `loading` and `error` as the page shows them, and — with `patch` — live events applied at
 * once and a debounced reload when an event cannot be applied or the hub reconnected (lib/useLive.ts).
 */
export function useLiveResource<T>(options: LiveResourceOptions<T>): LiveResource<T> {
  const data = ref(options.initial) as Ref<T>
  const everyLoad = options.loading === 'every'
  const loading = ref(!everyLoad)
  const error = ref('')
  const notFound = ref(false)
  let seq = 0
  // Live events applied to `data`: one applied while a request was out may be missing from that request's answer (read
  // before the event's change committed), and the answer replaces what the event had patched in.
  let applied = 0
  let reloadSoon: (() => void) | undefined

  async function run(fetch: () => Promise<T>): Promise<void> {
    const mine = ++seq
    const appliedBefore = applied
    if (everyLoad) loading.value = true
    try {
      const value = await fetch()
      if (mine !== seq) return
      data.value = value
      error.value = ''
      notFound.value = false
      // An event shown while this answer was on its way may be lost under it (a whistle raised as the board opened):
      // read once more, debounced, so the page never keeps an answer older than an event it already applied.
      if (applied !== appliedBefore) reloadSoon?.()
    } catch (e) {
      if (mine !== seq) return
      if (options.clearOnError) data.value = options.initial
      if (options.notFound && e instanceof ApiError && (e.status === 404 || e.status === 403)) notFound.value = true
      else error.value = (options.failText ?? loadFailed)(e)
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  const load = () => run(options.fetch)
  function reset() {
    data.value = options.initial
    loading.value = true
  }

  const patch = options.patch
  if (patch)
    reloadSoon = useLive(
      (e, ctx) => {
        const outcome = patch(e, ctx, data)
        if (outcome !== false) applied++
        return outcome
      },
      load,
      300,
      options.stream,
    )

  const when = options.when ?? 'mounted'
  if (when === 'mounted') onMounted(load)
  else
    watch(
      when,
      () => {
        if (options.resetOnChange) reset()
        void load()
      },
      { immediate: true, deep: options.deep },
    )

  return { data, loading, error, notFound, load, run, reset }
}

/** A list of whistles kept live: events patch it; a whistle it does not hold yet makes it reload. Meeting events are not its concern. */
export function patchWhistleList(e: WhistleEvent, ctx: ApplyContext, list: Ref<Whistle[]>): PatchOutcome {
  if (isMeetingEvent(e)) return false
  const reload = whistlesNeedReload(list.value, e, ctx.stale)
  list.value = applyEventToWhistles(list.value, e, ctx.stale)
  return reload ? 'reload' : true
}

/** A list of meetings kept live: only meeting events; an unknown meeting (a new one) makes it reload. */
export function patchMeetingList(e: WhistleEvent, ctx: ApplyContext, list: Ref<Meeting[]>): PatchOutcome {
  if (!isMeetingEvent(e)) return false
  const reload = meetingsNeedReload(list.value, e, ctx.stale)
  list.value = applyEventToMeetings(list.value, e, ctx.stale)
  return reload ? 'reload' : true
}

/** The county's (or the user's) upcoming meetings, kept live: the board's and the inbox's meetings section. */
export function useUpcomingMeetings(): LiveResource<Meeting[]> {
  return useLiveResource<Meeting[]>({ initial: [], fetch: () => api.allMeetings('upcoming'), patch: patchMeetingList })
}
