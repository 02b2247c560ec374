import { describe, expect, it } from 'vitest'
import type { Assignment, City, Relation, WhistleEvent, WorkItem } from '../src/api/types'
import { cityUnitName, findWorkItem, isRequester, itemsFor, itemUnit, levelOf, levelOfRole, requestableRelations } from '../src/lib/city'
import { belongsToInbox, noticeFor, noticeKey, ownsAssignment } from '../src/lib/noticeRules'
import { canAddAssignment, canReassign } from '../src/lib/domain'
import { validateWorkRequest } from '../src/lib/validation'
import { timelineText } from '../src/lib/timeline'

const item = (code: string, extra: Partial<WorkItem> = {}): WorkItem => ({
  code,
  name: code,
  nameEn: '',
  process: 'p',
  content: 'c',
  standard: 's',
  reportWithinMinutes: 240,
  resolveWithinMinutes: 4320,
  active: true,
  ...extra,
})

const managed: Relation = {
  id: 'ndrc-credit',
  kind: 'one-to-one',
  name: '社会信用体系建设工作协作配合机制',
  nameEn: '',
  institutionId: 'credit-center',
  institutionName: '市信用中心',
  institutionNameEn: 'Municipal Credit Center',
  leadDepartmentId: 'city-ndrc',
  departments: [{ departmentId: 'city-ndrc', departmentName: '市发展改革委', departmentNameEn: '', role: 'lead' }],
  workItems: [
    item('credit-data-collection', { unitId: 'credit-center.data', unitName: '数据归集科', unitNameEn: 'Data Collection Section' }),
    item('credit-report-analysis'),
    item('retired', { active: false }),
  ],
  mechanism: [],
  otherRecords: [],
  mechanismInPlace: true,
}

const guidance: Relation = {
  id: 'inspection-guidance',
  kind: 'many-to-one-guidance',
  name: '检验检测认证工作协调机制',
  nameEn: '',
  institutionId: 'inspection-center',
  institutionName: '市检验检测认证技术服务中心',
  institutionNameEn: '',
  leadDepartmentId: 'city-agriculture',
  departments: [
    { departmentId: 'city-agriculture', departmentName: '市农业农村局', departmentNameEn: '', role: 'lead', field: '农产品检测' },
    { departmentId: 'city-ndrc', departmentName: '市发展改革委', departmentNameEn: '', role: 'member', field: '价格认证', fieldEn: 'Price certification' },
  ],
  workItems: [item('price-certification', { departmentId: 'city-ndrc', unitId: 'inspection-center.price' }), item('farm-product-testing', { departmentId: 'city-agriculture' })],
  mechanism: [],
  otherRecords: [],
  mechanismInPlace: false,
}

const city: City = {
  id: 'yunzhou',
  name: '云州市',
  nameEn: 'Yunzhou',
  departments: [
    { id: 'city-ndrc', name: '市发展改革委', nameEn: '' },
    { id: 'city-agriculture', name: '市农业农村局', nameEn: '' },
  ],
  institutions: [
    { id: 'credit-center', name: '市信用中心', nameEn: 'Municipal Credit Center', units: [{ id: 'credit-center.data', kind: 'office', name: '数据归集科', nameEn: 'Data Collection Section' }] },
    { id: 'inspection-center', name: '市检验检测认证技术服务中心', nameEn: '', units: [] },
  ],
  relations: [guidance, managed],
}

const zh = (x: { name: string; nameEn?: string | null } | null | undefined) => x?.name ?? ''
const en = (x: { name: string; nameEn?: string | null } | null | undefined) => x?.nameEn || x?.name || ''
const itself = (institution: string) => `${institution}（本级）`

describe('the city level (issue 17): what a department may ask for', () => {
  it('offers a department the active items of its relations, in its field where an item names one, lead relations first', () => {
    const ndrc = requestableRelations(city, 'city-ndrc')
    expect(ndrc.map((r) => r.relation.id)).toEqual(['ndrc-credit', 'inspection-guidance'])
    expect(ndrc[0].items.map((i) => i.code)).toEqual(['credit-data-collection', 'credit-report-analysis']) // not the retired one
    expect(ndrc[1].items.map((i) => i.code)).toEqual(['price-certification']) // not agriculture's item
    expect(ndrc[1].role).toBe('member')
    expect(en(ndrc[1].field)).toBe('Price certification')
    expect(requestableRelations(city, 'city-agriculture').map((r) => r.relation.id)).toEqual(['inspection-guidance'])
    expect(itemsFor(managed, 'city-agriculture')).toEqual([]) // not part of the relation
    expect(requestableRelations(city, 'city-unknown')).toEqual([])
  })

  it('finds a work item by code, on its relation when given', () => {
    expect(findWorkItem(city, 'price-certification')?.relation.id).toBe('inspection-guidance')
    expect(findWorkItem(city, 'price-certification', 'ndrc-credit')).toBeNull()
    expect(findWorkItem(city, null)).toBeNull()
  })

  it('names the unit that answers: the office under its institution, or the institution itself', () => {
    const a = (agencyCode: string, branchId: string | null): Pick<Assignment, 'agencyCode' | 'branchId'> => ({ agencyCode, branchId })
    expect(cityUnitName(city, a('credit-center', 'credit-center.data'), zh, itself)).toBe('市信用中心 · 数据归集科')
    expect(cityUnitName(city, a('credit-center', 'credit-center.data'), en, itself)).toBe('Municipal Credit Center · Data Collection Section')
    expect(cityUnitName(city, a('credit-center', null), zh, itself)).toBe('市信用中心（本级）')
    // A county agency and its branch are not the city's: the county's organisation names them.
    expect(cityUnitName(city, a('urban-management', 'urban-management.chengguan'), zh, itself)).toBeNull()
    expect(itemUnit(managed, managed.workItems[0], zh, itself)).toBe('市信用中心 · 数据归集科')
    expect(itemUnit(managed, managed.workItems[1], en, itself)).toBe('Municipal Credit Center（本级）')
  })
})

describe('the city level (issue 17): who requests, who answers', () => {
  const work = { townshipId: 'city-ndrc', level: 'city' as const }
  it('the requesting department confirms a work request; a township with the same id would not', () => {
    expect(isRequester({ role: 'department', orgId: 'city-ndrc' }, work)).toBe(true)
    expect(isRequester({ role: 'department', orgId: 'city-water' }, work)).toBe(false)
    expect(isRequester({ role: 'township', orgId: 'city-ndrc' }, work)).toBe(false)
    expect(isRequester({ role: 'township', orgId: 't1' }, { townshipId: 't1' })).toBe(true) // a whistle without level: township
    expect(isRequester({ role: 'department', orgId: 't1' }, { townshipId: 't1', level: 'township' })).toBe(false)
    expect(levelOf(null)).toBe('township')
    expect(levelOfRole('institution')).toBe('city')
    expect(levelOfRole('branch')).toBe('township')
  })

  it('an institution account acts on duties routed to itself, an office account on its own; both see theirs in the inbox', () => {
    const toItself = { agencyCode: 'credit-center', branchId: null }
    const toOffice = { agencyCode: 'credit-center', branchId: 'credit-center.data' }
    const institution = { role: 'institution' as const, orgId: 'credit-center' }
    const office = { role: 'institution' as const, orgId: 'credit-center.data' }
    expect(ownsAssignment(institution, toItself)).toBe(true)
    expect(ownsAssignment(institution, toOffice)).toBe(false)
    expect(ownsAssignment(office, toOffice)).toBe(true)
    expect(ownsAssignment(office, toItself)).toBe(false)
    expect(belongsToInbox(institution, toOffice)).toBe(true)
    expect(belongsToInbox(office, toItself)).toBe(false)
    expect(belongsToInbox(office, toOffice)).toBe(true)
  })

  it('a work request is never reassigned nor given another unit', () => {
    const a: Assignment = { id: 'a1', whistleId: 'w1', agencyCode: 'credit-center', branchId: null, role: 'lead', status: 'declined', dispatchedAt: '2026-03-01T00:00:00Z', reportBy: '2026-03-01T04:00:00Z', resolveBy: '2026-03-04T00:00:00Z' }
    const w = { status: 'dispatched' as const, townshipId: 'city-ndrc', assignments: [a], level: 'city' as const }
    expect(canReassign({ role: 'supervisor', orgId: 'county' }, w, a)).toBe(false)
    expect(canReassign({ role: 'supervisor', orgId: 'county' }, { ...w, level: 'township' }, a)).toBe(true)
    expect(canAddAssignment({ role: 'supervisor' }, w)).toBe(false)
  })
})

describe('the city level (issue 17): live notices and words', () => {
  const duty: Assignment = { id: 'a1', whistleId: 'w1', agencyCode: 'credit-center', branchId: null, role: 'lead', status: 'dispatched', dispatchedAt: '2026-03-01T00:00:00Z', reportBy: '2026-03-01T04:00:00Z', resolveBy: '2026-03-04T00:00:00Z' }
  const ev = (e: Partial<WhistleEvent>): WhistleEvent => ({
    sequence: 1,
    type: 'AssignmentDispatched',
    whistleId: 'w1',
    occurredAt: '2026-03-01T00:00:00Z',
    whistle: { id: 'w1', title: '信用分析', status: 'dispatched', townshipId: 'city-ndrc', matterCode: 'credit-report-analysis', urgency: 'routine', level: 'city' },
    assignment: duty,
    assignmentId: 'a1',
    ...e,
  })

  it('beeps for the institution that must act, in the city level words; not for an office that is not concerned', () => {
    const d = noticeFor(ev({}), { role: 'institution', orgId: 'credit-center' }, false, 0)!
    expect(d.sound).toBe(true)
    expect(d.notice.kind).toBe('assignment')
    expect(noticeKey(d.notice).key).toBe('city.notice.assignment')
    expect(noticeFor(ev({}), { role: 'institution', orgId: 'credit-center.data' }, false, 0)).toBeNull()
    // The institution hears of an office's duty only when it is escalated (as an agency of its branches').
    const officeDuty = { ...duty, branchId: 'credit-center.data' }
    expect(noticeFor(ev({ assignment: officeDuty }), { role: 'institution', orgId: 'credit-center' }, false, 0)).toBeNull()
    expect(noticeFor(ev({ type: 'AssignmentEscalated', assignment: officeDuty, step: { phase: 'report', level: 1 } }), { role: 'institution', orgId: 'credit-center' }, false, 0)?.notice.kind).toBe('escalation')
    // A withdrawn request is news with a beep for the institution.
    expect(noticeFor(ev({ type: 'WhistleCancelled' }), { role: 'institution', orgId: 'credit-center' }, false, 0)?.sound).toBe(true)
  })

  it('tells the department, silently, when all is resolved and when a unit declines', () => {
    const department = { role: 'department' as const, orgId: 'city-ndrc' }
    const resolved = noticeFor(ev({ type: 'AssignmentResolved', whistle: { ...ev({}).whistle!, status: 'resolved' } }), department, false, 0)!
    expect(resolved.notice.kind).toBe('resolved')
    expect(resolved.sound).toBe(false)
    expect(noticeFor(ev({ type: 'AssignmentDeclined' }), department, false, 0)?.notice.kind).toBe('declined')
  })

  it('words the raise and the dispatch of a work request as 发起事项 and 派发', () => {
    const entry = { sequence: 1, type: 'WhistleRaised', occurredAt: '2026-03-01T00:00:00Z' }
    expect(timelineText(entry, new Map(), 'city').key).toBe('city.event.WhistleRaised')
    expect(timelineText(entry, new Map()).key).toBe('event.WhistleRaised')
    expect(timelineText({ ...entry, type: 'AssignmentReported' }, new Map(), 'city').key).toBe('event.AssignmentReported')
  })

  it('validates a work request as the API does: an institution, an item and a title; the address optional', () => {
    expect(validateWorkRequest({ institutionId: 'credit-center', workItemCode: 'credit-report-analysis', title: '分析' })).toEqual({})
    const errors = validateWorkRequest({ title: ' ', address: 'x'.repeat(201) })
    expect(Object.keys(errors).sort()).toEqual(['address', 'institutionId', 'title', 'workItemCode'])
    expect(errors.workItemCode?.key).toBe('city.validation.workItemRequired')
  })
})
