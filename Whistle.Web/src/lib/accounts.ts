// The security administrator's page: which organisations an account of a role may belong to, and which accounts
// the page may change (三员分立: administrators' accounts are kept from the command line, not here).
import type { City, Org } from '../api/types'
import { EMPTY_CITY } from './city'

/** The server's Roles.Business: the county's four and the city level's three (issue 17). */
export const BUSINESS_ROLES = ['township', 'branch', 'agency', 'supervisor', 'department', 'institution', 'establishment-office'] as const
export const ADMIN_ROLES = ['sysadmin', 'secadmin', 'auditadmin'] as const
export type BusinessRole = (typeof BUSINESS_ROLES)[number]
export type AdminRole = (typeof ADMIN_ROLES)[number]

export function isAdministrator(role: string | null | undefined): role is AdminRole {
  return (ADMIN_ROLES as readonly string[]).includes(role ?? '')
}

export interface OrgChoice {
  id: string
  name: string
  nameEn?: string | null
}

/**
 * The organisations an account of this role may belong to (Whistle.Core CountyCatalog.OrgName): the county's townships,
 * branches, agencies, or the county itself; at the city level a department, an institution or one of its offices
 * (named "institution · office"), and the city itself for the establishment office (编办).
 */
export function orgChoices(role: string, org: Org, city: City = EMPTY_CITY): OrgChoice[] {
  switch (role) {
    case 'department':
      return city.departments.map((d) => ({ id: d.id, name: d.name, nameEn: d.nameEn }))
    case 'institution':
      return city.institutions.flatMap((i) => [
        { id: i.id, name: i.name, nameEn: i.nameEn },
        ...i.units.map((u) => ({ id: u.id, name: `${i.name} · ${u.name}`, nameEn: `${i.nameEn || i.name} · ${u.nameEn || u.name}` })),
      ])
    case 'establishment-office':
      return city.id ? [{ id: city.id, name: city.name, nameEn: city.nameEn }] : []
    case 'township':
      return org.townships.map((t) => ({ id: t.id, name: t.name, nameEn: t.nameEn }))
    case 'branch':
      return org.branches.map((b) => ({ id: b.id, name: b.name, nameEn: b.nameEn }))
    case 'agency':
      return org.agencies.map((a) => ({ id: a.code, name: a.name, nameEn: a.nameEn }))
    default:
      return org.county ? [{ id: org.county.id, name: org.county.name, nameEn: org.county.nameEn }] : []
  }
}

export interface AccountStatus {
  disabled: boolean
  lockedOut: boolean
}

/** Sort: usable accounts first, then by user name. */
export function sortAccounts<T extends AccountStatus & { userName: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => Number(a.disabled) - Number(b.disabled) || a.userName.localeCompare(b.userName))
}
