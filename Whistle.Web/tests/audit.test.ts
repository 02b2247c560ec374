import { describe, expect, it } from 'vitest'
import { auditChanges, auditFileName, auditQuery } from '../src/lib/audit'

describe('audit query', () => {
  it('sends only the filters that are set, the kind unless all', () => {
    expect(auditQuery({ kind: 'all' })).toBe('')
    const q = new URLSearchParams(auditQuery({ kind: 'sign-ins', user: '  li.na ', action: '' }, { page: 2, pageSize: 50 }))
    expect(q.get('kind')).toBe('sign-ins')
    expect(q.get('user')).toBe('li.na')
    expect(q.has('action')).toBe(false)
    expect(q.get('page')).toBe('2')
  })

  it('takes the last day whole: to is the start of the day after', () => {
    const q = new URLSearchParams(auditQuery({ kind: 'changes', from: '2026-11-01', to: '2026-11-30' }))
    expect(new Date(q.get('from')!).getTime()).toBe(new Date(2026, 10, 1).getTime())
    expect(new Date(q.get('to')!).getTime()).toBe(new Date(2026, 11, 1).getTime())
  })

  it('names the export by the day', () => {
    expect(auditFileName('jsonl', new Date(2026, 0, 5))).toBe('audit-2026-01-05.jsonl')
  })

  it('still lists the fields a change touched', () => {
    expect(auditChanges({ a: 1, b: 2 }, { a: 1, b: 3 })).toEqual([{ field: 'b', before: '2', after: '3' }])
  })
})
