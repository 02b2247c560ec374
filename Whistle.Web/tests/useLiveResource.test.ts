import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { effectScope, nextTick, ref, type EffectScope } from 'vue'
import { ApiError } from '../src/api/client'
import { useLiveResource } from '../src/composables/useLiveResource'

/** A request the spec answers when it chooses. */
function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
const flush = async () => {
  for (let i = 0; i < 5; i++) await nextTick()
}

describe('useLiveResource: the load / sequence / error block of the views', () => {
  let scope: EffectScope
  beforeEach(() => (scope = effectScope()))
  afterEach(() => scope.stop())

  it('keeps only the answer to the latest request: an older answer arriving last is dropped', async () => {
    const filter = ref('open')
    const asked: { filter: string; answer: ReturnType<typeof deferred<string[]>> }[] = []
    const r = scope.run(() =>
      useLiveResource<string[]>({
        initial: [],
        fetch: () => {
          const answer = deferred<string[]>()
          asked.push({ filter: filter.value, answer })
          return answer.promise
        },
        when: filter,
        loading: 'every',
      }),
    )!
    expect(asked.map((a) => a.filter)).toEqual(['open'])
    expect(r.loading.value).toBe(true)
    filter.value = 'closed'
    await flush()
    expect(asked.map((a) => a.filter)).toEqual(['open', 'closed'])
    asked[1].answer.resolve(['closed-1'])
    await flush()
    expect(r.data.value).toEqual(['closed-1'])
    expect(r.loading.value).toBe(false)
    asked[0].answer.resolve(['open-1']) // late answer to the old filter
    await flush()
    expect(r.data.value).toEqual(['closed-1'])
  })

  it('says a failure in words, keeps what was shown, and clears the error on the next answer', async () => {
    let fail = true
    const r = scope.run(() =>
      useLiveResource<number[]>({ initial: [], fetch: async () => (fail ? Promise.reject(new Error('boom')) : [1]), when: ref(0) }),
    )!
    await flush()
    expect(r.error.value).toContain('boom')
    expect(r.loading.value).toBe(false)
    fail = false
    await r.load()
    expect(r.error.value).toBe('')
    expect(r.data.value).toEqual([1])
  })

  it('a detail page: 404 or 403 is "not found", not an error; a change of id starts from nothing', async () => {
    const id = ref('w1')
    const answers: Record<string, () => Promise<string>> = {
      w1: async () => 'whistle 1',
      w2: async () => Promise.reject(new ApiError(404, null)),
    }
    const r = scope.run(() =>
      useLiveResource<string | null>({ initial: null, fetch: () => answers[id.value](), when: () => id.value, resetOnChange: true, notFound: true }),
    )!
    await flush()
    expect(r.data.value).toBe('whistle 1')
    id.value = 'w2'
    await nextTick()
    expect(r.data.value).toBeNull()
    expect(r.loading.value).toBe(true)
    await flush()
    expect(r.notFound.value).toBe(true)
    expect(r.error.value).toBe('')
    expect(r.loading.value).toBe(false)
  })

  it('clearOnError forgets the figures of the period that failed', async () => {
    const period = ref('2026-10')
    const r = scope.run(() =>
      useLiveResource<string | null>({
        initial: null,
        fetch: async () => (period.value === '2026-10' ? 'october' : Promise.reject(new ApiError(403, null))),
        when: period,
        clearOnError: true,
      }),
    )!
    await flush()
    expect(r.data.value).toBe('october')
    period.value = '2026-11'
    await flush()
    expect(r.data.value).toBeNull()
    expect(r.error.value).not.toBe('')
  })
})
