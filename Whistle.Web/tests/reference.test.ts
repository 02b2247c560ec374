import { beforeEach, describe, expect, it, vi } from 'vitest'

/**
 * The reference store's city level (issue 17): a failure to read GET /api/city is surfaced, never taken for a city
 * without relations (a department would be told it has none); a 404 is a county without a city level.
 */
const answers = vi.hoisted(() => ({ city: (): Promise<unknown> => Promise.resolve(null) }))

vi.mock('../src/api/client', async (original) => {
  const actual = await original<typeof import('../src/api/client')>()
  return {
    ...actual,
    api: {
      ...actual.api,
      whistleList: () => Promise.resolve([]),
      org: () => Promise.resolve({ county: { id: 'c', name: '县', nameEn: 'County' }, townships: [], agencies: [], branches: [] }),
      city: () => answers.city(),
    },
  }
})

describe('the reference store reading the city level', () => {
  beforeEach(async () => {
    const { resetReference } = await import('../src/stores/reference')
    resetReference()
  })

  it('rejects with the failure and keeps it, the rest loaded, when the city cannot be read', async () => {
    const { ApiError } = await import('../src/api/client')
    const failure = new ApiError(503, { title: 'Service Unavailable', status: 503 } as never)
    answers.city = () => Promise.reject(failure)
    const ref = await import('../src/stores/reference')
    await expect(ref.loadReference(true, 'all', 'department')).rejects.toBe(failure)
    expect(ref.cityError.value).toBe(failure)
    expect(ref.referenceLoaded.value).toBe(true)
    // A later call reads again; once it answers the error is gone.
    answers.city = () => Promise.resolve({ id: 'city', name: '市', nameEn: 'City', departments: [], institutions: [], relations: [] })
    await ref.loadReference(false, 'all', 'department')
    expect(ref.cityError.value).toBeNull()
    expect(ref.city.value.id).toBe('city')
  })

  it('takes a 404 for a county without a city level: empty, no error', async () => {
    const { ApiError } = await import('../src/api/client')
    answers.city = () => Promise.reject(new ApiError(404, { title: 'Not Found', status: 404 } as never))
    const ref = await import('../src/stores/reference')
    await ref.loadReference(true, 'all', 'supervisor')
    expect(ref.cityError.value).toBeNull()
    expect(ref.city.value.relations).toEqual([])
  })

  it("takes a county branch's or agency's 403 for a unit not linked to an institution: empty, no error; a department's 403 is a failure", async () => {
    const { ApiError } = await import('../src/api/client')
    const forbidden = new ApiError(403, { title: 'Forbidden', status: 403 } as never)
    answers.city = () => Promise.reject(forbidden)
    const ref = await import('../src/stores/reference')
    expect(ref.readsCity('branch')).toBe(true)
    expect(ref.readsCity('agency')).toBe(true)
    expect(ref.readsCity('township')).toBe(false)
    await ref.loadReference(true, 'all', 'branch')
    expect(ref.cityError.value).toBeNull()
    expect(ref.city.value.relations).toEqual([])
    await expect(ref.loadReference(true, 'all', 'department')).rejects.toBe(forbidden)
  })
})
