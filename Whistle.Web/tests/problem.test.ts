import { describe, expect, it } from 'vitest'
import { normaliseFieldKey, problemToFieldErrors } from '../src/lib/problem'
import { RAISE_FIELDS } from '../src/lib/validation'

describe('problem details → field errors', () => {
  it('maps camelCase keys to fields', () => {
    const r = problemToFieldErrors(
      { status: 400, title: 'One or more validation errors occurred.', errors: { title: ['Title is required.'], address: ['Too long.'] } },
      RAISE_FIELDS,
    )
    expect(r.fields).toEqual({ title: ['Title is required.'], address: ['Too long.'] })
    expect(r.general).toEqual([])
  })

  it('normalises PascalCase, JSON paths, wrappers and indexers', () => {
    expect(normaliseFieldKey('MatterCode')).toBe('matterCode')
    expect(normaliseFieldKey('$.urgency')).toBe('urgency')
    expect(normaliseFieldKey('request.Title')).toBe('title')
    expect(normaliseFieldKey('ExtraAgencyCodes[0]')).toBe('extraAgencyCodes')
    expect(normaliseFieldKey('$')).toBe('')
    const r = problemToFieldErrors({ errors: { MatterCode: ['Unknown matter.'], '$.urgency': ['Bad value.'] } }, RAISE_FIELDS)
    expect(r.fields.matterCode).toEqual(['Unknown matter.'])
    expect(r.fields.urgency).toEqual(['Bad value.'])
  })

  it('puts unknown keys and body-level errors in general', () => {
    const r = problemToFieldErrors({ errors: { '': ['Body is required.'], somethingElse: ['x'] } }, RAISE_FIELDS)
    expect(r.fields).toEqual({})
    expect(r.general).toEqual(['Body is required.', 'x'])
  })

  it('accepts a single string instead of an array and merges duplicates', () => {
    const r = problemToFieldErrors({ errors: { title: 'Too long.', Title: ['Required.'] } }, RAISE_FIELDS)
    expect(r.fields.title).toEqual(['Too long.', 'Required.'])
  })

  it('falls back to detail, then title, when there is no errors map', () => {
    expect(problemToFieldErrors({ status: 400, title: 'Bad', detail: 'Matter X is retired.' }, RAISE_FIELDS).general).toEqual([
      'Matter X is retired.',
    ])
    expect(problemToFieldErrors({ status: 400, title: 'Bad request' }, RAISE_FIELDS).general).toEqual(['Bad request'])
    expect(problemToFieldErrors(null, RAISE_FIELDS)).toEqual({ fields: {}, general: [] })
  })
})
