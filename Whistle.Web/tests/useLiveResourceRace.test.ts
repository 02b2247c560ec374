import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, type EffectScope, type Ref } from 'vue'

/** The live subscription as the view gets it: the spec delivers events and sees the debounced reloads asked for. */
const live = vi.hoisted(() => ({
  patch: null as null | ((e: unknown, ctx: unknown) => unknown),
  reloads: 0,
}))
vi.mock('../src/lib/useLive', () => ({
  useLive: (patch: (e: unknown, ctx: unknown) => unknown) => {
    live.patch = patch
    return () => {
      live.reloads++
    }
  },
}))

const { useLiveResource } = await import('../src/composables/useLiveResource')

function deferred<T>() {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((res) => (resolve = res))
  return { promise, resolve }
}
const flush = async () => {
  for (let i = 0; i < 5; i++) await nextTick()
}

describe('useLiveResource: an event that lands while the list is being read', () => {
  let scope: EffectScope
  beforeEach(() => {
    scope = effectScope()
    live.patch = null
    live.reloads = 0
  })
  afterEach(() => scope.stop())

  it('reads the list once more when an applied event may be lost under an older answer', async () => {
    const answer = deferred<string[]>()
    const r = scope.run(() =>
      useLiveResource<string[]>({
        initial: [],
        fetch: () => answer.promise,
        when: () => 'open',
        patch: (e, _ctx, list: Ref<string[]>) => {
          list.value = [...list.value, (e as { whistleId: string }).whistleId]
          return true
        },
      }),
    )!
    // The board opens: its read is out; a whistle is raised and its event applied at once.
    live.patch!({ whistleId: 'w-new' }, {})
    expect(r.data.value).toEqual(['w-new'])
    // The read, taken before the raise committed, answers without it and replaces the list…
    answer.resolve(['w-old'])
    await flush()
    expect(r.data.value).toEqual(['w-old'])
    // …so the view asks for another read (debounced), instead of keeping the stale answer until some later event.
    expect(live.reloads).toBe(1)
  })

  it('does not read again when no event came while the answer was on its way, nor for events not its concern', async () => {
    const answer = deferred<string[]>()
    const r = scope.run(() =>
      useLiveResource<string[]>({ initial: [], fetch: () => answer.promise, when: () => 'open', patch: () => false }),
    )!
    live.patch!({ whistleId: 'meeting-1' }, {}) // not the list's concern
    answer.resolve(['w-old'])
    await flush()
    expect(r.data.value).toEqual(['w-old'])
    expect(live.reloads).toBe(0)
  })
})
