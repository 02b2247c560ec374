import { describe, expect, it } from 'vitest'
import zhCN from '../src/i18n/zh-CN'
import en from '../src/i18n/en'
import { flattenKeys, translate, type MessageTree } from '../src/i18n'
import { ROLES, RATINGS, URGENCIES, WHISTLE_STATUSES } from '../src/api/types'

const zh = zhCN as MessageTree
const eng = en as MessageTree

function placeholders(s: string): string[] {
  return [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
}

describe('i18n', () => {
  it('zh-CN and en have exactly the same keys', () => {
    const a = flattenKeys(zh).sort()
    const b = flattenKeys(eng).sort()
    expect(b).toEqual(a)
    expect(a.length).toBeGreaterThan(100)
  })

  it('every message has the same placeholders in both languages and none is empty', () => {
    for (const key of flattenKeys(zh)) {
      const z = translate(zh, key)!
      const e = translate(eng, key)!
      expect(z.trim(), key).not.toBe('')
      expect(e.trim(), key).not.toBe('')
      expect(placeholders(e), key).toEqual(placeholders(z))
    }
  })

  it('covers every enum value of the API', () => {
    for (const u of URGENCIES) expect(translate(zh, `urgency.${u}`)).toBeTruthy()
    for (const s of WHISTLE_STATUSES) expect(translate(zh, `whistleStatus.${s}`)).toBeTruthy()
    for (const s of ['dispatched', 'reported', 'resolved', 'declined']) expect(translate(zh, `assignmentStatus.${s}`)).toBeTruthy()
    for (const r of ['lead', 'co', 'summoned']) expect(translate(zh, `assignmentRole.${r}`)).toBeTruthy()
    for (const r of RATINGS) expect(translate(zh, `rating.${r}`)).toBeTruthy()
    for (const r of ROLES) expect(translate(zh, `role.${r}`)).toBeTruthy()
  })

  it('uses the vocabulary of PRODUCT.md §3', () => {
    expect(translate(zh, 'urgency.routine')).toBe('日常')
    expect(translate(zh, 'urgency.urgent')).toBe('紧急')
    expect(translate(zh, 'urgency.emergency')).toBe('应急')
    expect(translate(zh, 'assignment.report')).toBe('报到')
    expect(translate(zh, 'assignment.resolve')).toBe('办结')
    expect(translate(zh, 'assignment.decline')).toBe('退回')
    expect(translate(zh, 'rating.basically-satisfied')).toBe('基本满意')
    expect(translate(zh, 'event.AssignmentReminded')).toBe('催办')
    expect(translate(zh, 'event.AssignmentEscalated')).toBe('督办')
  })

  it('fills placeholders and leaves unknown ones', () => {
    expect(translate(zh, 'assignment.eta', { minutes: 15 })).toBe('预计 15 分钟到场')
    expect(translate(eng, 'notice.assignment', {})).toBe('New assignment: {title}')
    expect(translate(zh, 'no.such.key')).toBeUndefined()
    expect(translate(zh, 'app')).toBeUndefined()
  })
})
