import { describe, expect, it } from 'vitest'
import { LIMITS, tooLong, validateRaise } from '../src/lib/validation'
import zhCN from '../src/i18n/zh-CN'
import en from '../src/i18n/en'
import { translate, type MessageTree } from '../src/i18n'

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
    expect(validateRaise({ ...ok, title: 'x'.repeat(101) }).title).toEqual({ key: 'validation.tooLong', params: { max: 100, count: 101 } })
    expect(validateRaise({ ...ok, description: 'x'.repeat(2000) }).description).toBeUndefined()
    expect(validateRaise({ ...ok, description: 'x'.repeat(2001) }).description?.params).toEqual({ max: 2000, count: 2001 })
    expect(validateRaise({ ...ok, address: 'x'.repeat(200) }).address).toBeUndefined()
    expect(validateRaise({ ...ok, address: 'x'.repeat(201) }).address?.params).toEqual({ max: 200, count: 201 })
  })

  // Issue 13: a 3,000-character paste was cut to 2,000 without a word. Nothing is cut now: the field keeps the whole
  // paste and says both numbers; the form does not submit until it is shortened.
  it('says how long a pasted text is against its limit instead of cutting it', () => {
    const pasted = '情'.repeat(3000)
    const e = validateRaise({ ...ok, description: pasted })
    expect(e.description).toEqual({ key: 'validation.tooLong', params: { max: 2000, count: 3000 } })
    expect(translate(zhCN as unknown as MessageTree, e.description!.key, e.description!.params)).toBe('最多 2000 字，当前 3000 字')
    expect(translate(en as unknown as MessageTree, e.description!.key, e.description!.params)).toBe('At most 2000 characters; this has 3000')
    expect(tooLong('x'.repeat(LIMITS.note), LIMITS.note)).toBeNull()
    expect(tooLong(null, LIMITS.note)).toBeNull()
  })

  it('holds the limits of the API (a reason or a note 2000, a comment 1000)', () => {
    expect(LIMITS).toMatchObject({ title: 100, description: 2000, address: 200, reason: 2000, note: 2000, comment: 1000 })
  })

  it('rejects an unknown urgency and impossible coordinates', () => {
    expect(validateRaise({ ...ok, urgency: 'panic' as never }).urgency).toBeDefined()
    expect(validateRaise({ ...ok, latitude: 91, longitude: 0 }).latitude).toBeDefined()
    expect(validateRaise({ ...ok, latitude: 30, longitude: -181 }).longitude).toBeDefined()
    expect(validateRaise({ ...ok, latitude: 39.9, longitude: 116.4 })).toEqual({})
  })
})
