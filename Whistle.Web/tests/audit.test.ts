import { describe, expect, it } from 'vitest'
import { serverConstants } from './serverSource'
import auditActionsSource from '../../Whistle.Core/Storage/AuditActions.cs?raw'
import { auditChanges, auditFieldLabel, auditFileName, auditQuery, auditValueText, type AuditWords } from '../src/lib/audit'
import { messages, translate } from '../src/i18n'
import zhCN from '../src/i18n/zh-CN'

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
    expect(auditChanges({ a: 1, b: 2 }, { a: 1, b: 3 })).toEqual([{ field: 'b', before: 2, after: 3 }])
  })
})

describe('When the audit administrator reads the audit trail in either language', () => {
  const actions = serverConstants(auditActionsSource, 'AuditActions')
  const entities = serverConstants(auditActionsSource, 'AuditEntities')

  it('Should_find_every_action_the_server_writes', () => {
    // The server refuses any other action (AuditTrail.WriteAsync): this list is all there is.
    expect(actions.length).toBeGreaterThan(30)
    expect(actions).toContain('signed-in')
    expect(actions).toContain('reassigned-away')
  })

  it.each(['zh-CN', 'en'] as const)('Should_translate_every_action_and_entity_in_%s', (lang) => {
    const missing = [
      ...actions.filter((a) => !translate(messages[lang], `auditLog.actions.${a}`)),
      ...entities.filter((e) => !translate(messages[lang], `auditLog.entities.${e}`)),
    ]
    expect(missing).toEqual([])
  })
})

describe('When a matter of the catalogue is changed, the audit trail shows old → new', () => {
  const words: AuditWords = {
    segment: (name) => translate(zhCN, `auditLog.fields.${name}`) ?? name,
    value: (field, value) => (field === 'role' ? (translate(zhCN, `role.${value}`) ?? null) : null),
    yes: '是',
    no: '否',
    agencyRole: (role) => translate(zhCN, `assignmentRole.${role}`) ?? role,
    time: (iso) => iso,
    listSeparator: '、',
  }
  const before = {
    code: 'illegal-construction',
    name: '违法建设',
    agencies: [{ agencyCode: 'urban', agencyName: '县城管局', role: 'lead' }],
    limits: { routine: { reportWithinMinutes: 30, resolveWithinMinutes: 1440 }, urgent: { reportWithinMinutes: 15, resolveWithinMinutes: 480 } },
    active: true,
  }
  const after = {
    ...before,
    name: '违法建设（含违建）',
    agencies: [...before.agencies, { agencyCode: 'env', agencyName: '县生态环境局', role: 'co' }],
    limits: { ...before.limits, urgent: { reportWithinMinutes: 10, resolveWithinMinutes: 480 } },
  }

  it('Should_list_only_the_fields_that_changed_walking_into_the_limits', () => {
    expect(auditChanges(before, after).map((c) => c.field)).toEqual(['agencies', 'limits.urgent.reportWithinMinutes', 'name'])
  })

  it('Should_read_each_change_in_words_not_JSON', () => {
    const text = auditChanges(before, after).map(
      (c) => `${auditFieldLabel(c.field, words)}：${auditValueText(c.field, c.before, words)} → ${auditValueText(c.field, c.after, words)}`,
    )
    expect(text).toEqual([
      '承办单位：县城管局（牵头） → 县城管局（牵头）、县生态环境局（协办）',
      '时限 · 紧急 · 报到时限（分钟）：15 → 10',
      '名称：违法建设 → 违法建设（含违建）',
    ])
    expect(text.join('')).not.toContain('{')
  })

  it('Should_show_a_created_account_field_by_field', () => {
    const changes = auditChanges(null, { displayName: '城关 李娜', role: 'township', disabled: false })
    expect(changes.map((c) => `${auditFieldLabel(c.field, words)}：${auditValueText(c.field, c.after, words)}`)).toEqual([
      '停用：否',
      '姓名：城关 李娜',
      '角色：乡镇(街道)',
    ])
  })
})
