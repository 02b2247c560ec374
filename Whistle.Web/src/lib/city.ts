// The city level (issue 17) as the UI needs it: which work items a department may ask of which institution, the
// names of the city's units, and who is the requesting side of a whistle. A work request is a whistle whose `level` is
// `city`: `townshipId` is the requesting department, `matterCode` the work item, an assignment's `agencyCode` the
// institution and its `branchId` the office (or linked stationed branch) that answers.
import type { Assignment, City, CityInstitution, Relation, User, Whistle, WhistleEvent, WhistleLevel, WorkItem } from '../api/types'

type Named = { name: string; nameEn?: string | null }
type Pick_ = (item: Named | null | undefined) => string

export const EMPTY_CITY: City = { id: '', name: '', nameEn: '', departments: [], institutions: [], relations: [] }

/** The roles of the city level. */
export const CITY_ROLES = ['department', 'institution', 'establishment-office'] as const

export function isCityRole(role: string | null | undefined): boolean {
  return (CITY_ROLES as readonly string[]).includes(role ?? '')
}

/**
 * An event of the establishment office's (编办) stream (issue 17): a follow-up's (督促建立机制, `FollowUp…`, carrying
 * `followUp`) or a mechanism recorded on a relation (`MechanismRecorded`). Its `whistleId` is the follow-up's or the
 * relation's id, never a whistle's: stores/live.ts hands these to their own listeners.
 */
export function isOfficeEvent(e: Pick<WhistleEvent, 'type' | 'followUp'> | null | undefined): boolean {
  if (!e) return false
  return !!e.followUp || (typeof e.type === 'string' && (e.type.startsWith('FollowUp') || e.type === 'MechanismRecorded'))
}

/** A whistle's level; absent (an older server, a township whistle) = township. */
export function levelOf(w: { level?: WhistleLevel | string | null } | null | undefined): WhistleLevel {
  return w?.level === 'city' ? 'city' : 'township'
}

/** A list's level filter (the supervisor's board, issue 17): both (`''`), the townships' whistles or the city's work requests. */
export type LevelChoice = '' | WhistleLevel

/** The level filter an address names (`?level=township|city`); anything else is both. */
export function levelChoice(value: unknown): LevelChoice {
  return value === 'township' || value === 'city' ? value : ''
}

/** Does a whistle pass the level filter (an event's summary without a level is a township's whistle)? */
export function matchesLevel(w: { level?: WhistleLevel | string | null } | null | undefined, choice: LevelChoice): boolean {
  return !choice || levelOf(w) === choice
}

/** The level whose whistles a role raises or answers: the city level's roles, or the township level's. */
export function levelOfRole(role: string | null | undefined): WhistleLevel {
  return isCityRole(role) ? 'city' : 'township'
}

/** The requesting side of a whistle: its township (a whistle) or its department (a work request). */
export function isRequester(user: Pick<User, 'role' | 'orgId'> | null | undefined, w: Pick<Whistle, 'townshipId'> & { level?: WhistleLevel | string | null }): boolean {
  if (!user || user.orgId !== w.townshipId) return false
  return user.role === (levelOf(w) === 'city' ? 'department' : 'township')
}

/** The work items of a relation that this department may ask for: active, and in its field where the item names one. */
export function itemsFor(relation: Relation, departmentId: string): WorkItem[] {
  if (!relation.departments.some((d) => d.departmentId === departmentId)) return []
  return relation.workItems.filter((i) => i.active !== false && (!i.departmentId || i.departmentId === departmentId))
}

export interface RequestableRelation {
  relation: Relation
  /** This department's role in it: lead (牵头) or member. */
  role: string
  /** Its field (a guiding department's), if any. */
  field: Named | null
  items: WorkItem[]
}

/** The relations a department may raise work requests along (those with at least one item it may ask for), lead first. */
export function requestableRelations(city: City, departmentId: string): RequestableRelation[] {
  const out: RequestableRelation[] = []
  for (const relation of city.relations) {
    const me = relation.departments.find((d) => d.departmentId === departmentId)
    if (!me) continue
    const items = itemsFor(relation, departmentId)
    if (!items.length) continue
    out.push({ relation, role: me.role, field: me.field ? { name: me.field, nameEn: me.fieldEn } : null, items })
  }
  return out.sort((a, b) => Number(b.role === 'lead') - Number(a.role === 'lead') || a.relation.id.localeCompare(b.relation.id))
}

/** Finds a work item by code, on a given relation or any. */
export function findWorkItem(city: City, code: string | null | undefined, relationId?: string | null): { relation: Relation; item: WorkItem } | null {
  if (!code) return null
  for (const relation of city.relations) {
    if (relationId && relation.id !== relationId) continue
    const item = relation.workItems.find((i) => i.code === code)
    if (item) return { relation, item }
  }
  return null
}

export function findInstitution(city: City, id: string | null | undefined): CityInstitution | undefined {
  return city.institutions.find((i) => i.id === id)
}

/**
 * The name of the unit that answers a city duty: an office (or a linked stationed branch) as "institution · unit"; the
 * institution itself as `itself(institution)`; anything the city does not know as null (the county's organisation may).
 */
export function cityUnitName(
  city: City,
  a: Pick<Assignment, 'agencyCode' | 'branchId'>,
  pick: Pick_,
  itself: (institution: string) => string,
): string | null {
  const institution = findInstitution(city, a.agencyCode)
  if (!institution) return null
  if (!a.branchId) return itself(pick(institution))
  const unit = institution.units.find((u) => u.id === a.branchId)
  if (!unit) return null
  return `${pick(institution)} · ${pick(unit)}`
}

/** Where a work item is answered: its office or linked branch, or the institution itself. */
export function itemUnit(relation: Relation, item: WorkItem, pick: Pick_, itself: (institution: string) => string): string {
  const institution = pick({ name: relation.institutionName, nameEn: relation.institutionNameEn })
  if (!item.unitId) return itself(institution)
  const unit = item.unitName ? pick({ name: item.unitName, nameEn: item.unitNameEn }) : item.unitId
  return `${institution} · ${unit}`
}

export interface CardFacts {
  level: WhistleLevel
  /** Who asked: the township, or the requesting department (a work request). */
  requester: string
  /** A work request's answering units, each named once: the institution (本级) or "institution · office". */
  units: string[]
}

/**
 * What a whistle's card says of who asks whom (issue 17): a township's whistle names its township; a work request the
 * requesting department and the institution or office each duty is with (the city's names, never an id when the city
 * knows the unit; the institution by its id only when the caller's city holds nothing of it).
 */
export function cardFacts(
  w: Pick<Whistle, 'townshipId'> & { level?: WhistleLevel | string | null; assignments?: Pick<Assignment, 'agencyCode' | 'branchId'>[] | null },
  city: City,
  names: { pick: Pick_; requester: (id: string) => string; itself: (institution: string) => string },
): CardFacts {
  const level = levelOf(w)
  const requester = names.requester(w.townshipId)
  if (level !== 'city') return { level, requester, units: [] }
  const units: string[] = []
  for (const a of w.assignments ?? []) {
    const name = cityUnitName(city, a, names.pick, names.itself) ?? a.agencyCode
    if (!units.includes(name)) units.push(name)
  }
  return { level, requester, units }
}
