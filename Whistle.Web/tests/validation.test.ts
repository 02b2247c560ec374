import { describe, expect, it } from 'vitest'
import { validateRaise } from '../src/lib/validation'

const ok = { matterCode: 'M01', urgency: 'urgent' as const, title: 'Pipe burst', description: '', address: 'No. 1 Road' }

describe('raise validation mirrors the API', () => {
  it('accepts a valid whistle', () => {
    expect(validateRaise(ok)).toEqual({})
  })

  it('requires matter, title and address', () => {
    const e = validateRaise({ ...ok, matterCode: '', title: '  ', address: '' })
    expect(Object.keys(e).sort()).toEqual(['address', 'matterCode', 'title'])
    expect(e.matterCode!.key).toBe('validation.matterRequired')
  })

  it('enforces the length limits at their edges', () => {
    expect(validateRaise({ ...ok, title: 'x'.repeat(100) }).title).toBeUndefined()
    expect(validateRaise({ ...ok, title: 'x'.repeat(101) }).title).toEqual({ key: 'validation.maxLength', params: { max: 100 } })
    expect(validateRaise({ ...ok, description: 'x'.repeat(2000) }).description).toBeUndefined()
    expect(validateRaise({ ...ok, description: 'x'.repeat(2001) }).description?.params).toEqual({ max: 2000 })
    expect(validateRaise({ ...ok, address: 'x'.repeat(200) }).address).toBeUndefined()
    expect(validateRaise({ ...ok, address: 'x'.repeat(201) }).address?.params).toEqual({ max: 200 })
  })

  it('rejects an unknown urgency and impossible coordinates', () => {
    expect(validateRaise({ ...ok, urgency: 'panic' as never }).urgency).toBeDefined()
    expect(validateRaise({ ...ok, latitude: 91, longitude: 0 }).latitude).toBeDefined()
    expect(validateRaise({ ...ok, latitude: 30, longitude: -181 }).longitude).toBeDefined()
    expect(validateRaise({ ...ok, latitude: 39.9, longitude: 116.4 })).toEqual({})
  })
})
