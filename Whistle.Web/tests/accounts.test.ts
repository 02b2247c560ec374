import { describe, expect, it } from 'vitest'
import { isAdministrator, orgChoices, sortAccounts } from '../src/lib/accounts'
import type { City, Org } from '../src/api/types'

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

  it('offers the city level: departments, institutions and their offices, the city for the establishment office', () => {
    const city: City = {
      id: 'lincheng',
      name: '临城市',
      nameEn: 'Lincheng',
      departments: [{ id: 'edu', name: '市教育局', nameEn: 'Education Bureau' }],
      institutions: [
        {
          id: 'school',
          agencyCode: null,
          name: '市一中',
          nameEn: 'No. 1 School',
          units: [{ id: 'school.office', kind: 'office', name: '教务处', nameEn: '', branchId: null, townshipId: null }],
        },
      ],
      relations: [],
    }
    expect(orgChoices('department', org, city).map((o) => o.id)).toEqual(['edu'])
    expect(orgChoices('institution', org, city)).toEqual([
      { id: 'school', name: '市一中', nameEn: 'No. 1 School' },
      { id: 'school.office', name: '市一中 · 教务处', nameEn: 'No. 1 School · 教务处' },
    ])
    expect(orgChoices('establishment-office', org, city).map((o) => o.id)).toEqual(['lincheng'])
    // Without the city's organisation there is nothing to offer (never the county in its place).
    expect(orgChoices('department', org)).toEqual([])
    expect(orgChoices('establishment-office', org)).toEqual([])
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
