import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { normaliseFieldKey, problemText, problemToFieldErrors } from '../src/lib/problem'
import { messages, setLocale, translate } from '../src/i18n'
import { serverConstants } from './serverSource'
import problemCodesSource from '../../Whistle.Core/Problems/ProblemCodes.cs?raw'
import { RAISE_FIELDS } from '../src/lib/validation'

describe('problem details → field errors (English UI, answers without codes)', () => {
  beforeEach(() => setLocale('en'))
  afterEach(() => setLocale('zh-CN'))

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
    expect(r.general).toEqual(['Body is required.', 'somethingElse: x'])
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

describe('When the server answers with a problem code', () => {
  afterEach(() => setLocale('zh-CN'))
  const codes = serverConstants(problemCodesSource, 'ProblemCodes')

  it('Should_find_every_code_the_server_can_emit', () => {
    expect(codes.length).toBeGreaterThan(80)
    expect(codes).toContain('whistle-cancelled')
    expect(codes).toContain('meeting-not-started')
  })

  it.each(['zh-CN', 'en'] as const)('Should_have_a_text_for_every_code_in_%s', (lang) => {
    expect(codes.filter((code) => !translate(messages[lang], `problems.${code}`))).toEqual([])
  })

  it('Should_show_a_409_in_Chinese_with_its_status_in_words_never_the_English_detail', () => {
    const problem = { status: 409, detail: 'The assignment is resolved; only a dispatched assignment can be reported.', code: 'assignment-not-dispatched', params: { assignmentStatus: 'resolved' } }
    expect(problemText(problem)).toBe('报到单当前为“已办结”，只有待报到的报到单才能报到')
    setLocale('en')
    expect(problemText(problem)).toBe('The assignment is “Resolved”; only one waiting for its report can be reported')
  })

  it('Should_say_when_a_meeting_begins_in_Asia_Shanghai', () => {
    const problem = { status: 409, code: 'meeting-not-started', params: { startsAt: '2026-11-29T01:30:00Z' }, detail: 'The meeting has not begun…' }
    expect(problemText(problem)).toBe('会议尚未开始（2026-11-29 09:30 开始），开始后才能登记')
  })

  it('Should_fall_back_to_a_generic_Chinese_message_with_the_code_for_a_code_it_does_not_know', () => {
    const problem = { status: 409, code: 'something-new', detail: 'Something new happened.' }
    expect(problemText(problem)).toBe('操作未成功（代码：something-new）')
    setLocale('en')
    expect(problemText(problem)).toBe('Something new happened.')
  })

  it('Should_translate_each_field_by_its_code_and_values', () => {
    const problem = {
      status: 400,
      code: 'invalid-request',
      errors: { title: ['The title must be at most 100 characters.'], latitude: ['The latitude must be between -90 and 90.'], extra: ['Unknown.'] },
      codes: { title: [{ code: 'too-long', params: { field: 'title', max: 100 } }], latitude: [{ code: 'out-of-range', params: { min: -90, max: 90 } }] },
    }
    const r = problemToFieldErrors(problem, ['title', 'latitude'])
    expect(r.fields).toEqual({ title: ['最多 100 字'], latitude: ['应在 -90 到 90 之间'] })
    expect(r.general).toEqual(['extra：操作未成功（代码：invalid）'])
  })

  it('Should_name_a_unit_from_its_codes', () => {
    const problem = { status: 400, errors: { agencyCode: ['…'] }, codes: { agencyCode: [{ code: 'unit-same', params: { agencyCode: 'health', branchId: 'health.chengguan' } }] } }
    const r = problemToFieldErrors(problem, ['agencyCode'], (u: { agencyCode: string; branchId: string | null }) => (u.branchId === 'health.chengguan' ? '城关街道卫生监督所' : u.agencyCode))
    expect(r.fields.agencyCode).toEqual(['该报到单已在城关街道卫生监督所，请改派给其他单位（其他派驻机构或部门本部）'])
  })
})
