import { describe, expect, it } from 'vitest'
import { isAdministrator, orgChoices, sortAccounts } from '../src/lib/accounts'
import type { Org } from '../src/api/types'

const org: Org = {
  county: { id: 'qingshan', name: '青山县', nameEn: 'Qingshan County' },
  townships: [{ id: 'baiyun', name: '白云乡', nameEn: 'Baiyun' }],
  agencies: [{ code: 'health', name: '县卫健局', nameEn: 'Health', hasBranches: true }],
  branches: [{ id: 'urban-management.baiyun', agencyCode: 'urban-management', townshipId: 'baiyun', name: '白云城管中队', nameEn: 'Baiyun squad' }],
}

describe('accounts', () => {
  it('offers the organisations of the role chosen', () => {
    expect(orgChoices('township', org).map((o) => o.id)).toEqual(['baiyun'])
    expect(orgChoices('branch', org).map((o) => o.id)).toEqual(['urban-management.baiyun'])
    expect(orgChoices('agency', org).map((o) => o.id)).toEqual(['health'])
    expect(orgChoices('supervisor', org).map((o) => o.id)).toEqual(['qingshan'])
  })

  it('knows the three administrators', () => {
    expect(['sysadmin', 'secadmin', 'auditadmin'].every(isAdministrator)).toBe(true)
    expect(isAdministrator('supervisor')).toBe(false)
    expect(isAdministrator(undefined)).toBe(false)
  })

  it('lists usable accounts first', () => {
    const list = [
      { userName: 'b', disabled: true, lockedOut: false },
      { userName: 'c', disabled: false, lockedOut: true },
      { userName: 'a', disabled: false, lockedOut: false },
    ]
    expect(sortAccounts(list).map((a) => a.userName)).toEqual(['a', 'c', 'b'])
  })
})
