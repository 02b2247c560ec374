import { computed, ref } from 'vue'
import { api, ApiError } from '../api/client'
import type { Assignment, City, Matter, Org, UserRole } from '../api/types'
import { pickName, t } from '../i18n'
import { DECISION_MATTER_CODE } from '../lib/meetings'
import { currentUser } from './auth'
import { cityUnitName, EMPTY_CITY, findWorkItem, isCityRole } from '../lib/city'

export const matters = ref<Matter[]>([])
export const org = ref<Org>({ townships: [], agencies: [], branches: [] })
export const referenceLoaded = ref(false)
/** The city level as the caller may read it (issue 17): its departments, institutions and relations; empty for others. */
export const city = ref<City>(EMPTY_CITY)
/**
 * Why the city level could not be read (issue 17), or null: a failure is never taken for a city without relations (a
 * department would be told it has none). A 404 is a county without a city level: empty, no error.
 */
export const cityError = ref<unknown>(null)
/**
 * The county's reminder share (settings.escalation.reminderShare): a countdown turns amber once that share of its limit
 * has passed, when the server sends its reminder (催办). The demo county's 0.5 until the organisation is loaded.
 */
export const reminderShare = computed(() => org.value.settings?.escalation?.reminderShare ?? 0.5)
let loading: Promise<void> | null = null

/**
 * Roles that read the city level (`GET /api/city`): its own roles and the supervisors; and a county branch or agency,
 * which the API answers only when it is linked to an institution (it answers that institution's work requests).
 */
export function readsCity(role: UserRole | string | null | undefined): boolean {
  return isCityRole(role) || role === 'supervisor' || linkedOnly(role)
}

/** A county branch or agency: most are not linked to an institution, and the API says so with a 403 — no city, not a failure. */
function linkedOnly(role: UserRole | string | null | undefined): boolean {
  return role === 'branch' || role === 'agency'
}

/**
 * The whistle list and the organisation, and the city level for the roles that read it (`role`); `org`: the
 * organisation alone (the security administrator reads no whistle list). `role`: the signed-in user's by default.
 */
export function loadReference(force = false, what: 'all' | 'org' = 'all', role: UserRole | string | null | undefined = currentUser.value?.role): Promise<void> {
  if (loading && !force) return loading
  loading = (async () => {
    const [m, o, c] = await Promise.all([
      what === 'all' ? api.whistleList() : Promise.resolve([] as Matter[]),
      api.org(),
      what === 'all' && readsCity(role)
        ? api.city().then(
            (value) => ({ value, failure: null as unknown }),
            (failure: unknown) =>
              failure instanceof ApiError && (failure.status === 404 || (failure.status === 403 && linkedOnly(role)))
                ? { value: EMPTY_CITY, failure: null }
                : { value: EMPTY_CITY, failure },
          )
        : Promise.resolve({ value: EMPTY_CITY, failure: null as unknown }),
    ])
    city.value = c.value ?? EMPTY_CITY
    cityError.value = c.failure
    matters.value = Array.isArray(m) ? m : []
    org.value = {
      county: o?.county,
      townships: o?.townships ?? [],
      agencies: o?.agencies ?? [],
      branches: o?.branches ?? [],
      settings: o?.settings,
    }
    referenceLoaded.value = true
    // The whistle list and the organisation are in; the city level is not: the caller shows the failure (and a later call reads again).
    if (c.failure) throw c.failure
  })().catch((e) => {
    loading = null
    throw e
  })
  return loading
}

export function resetReference(): void {
  loading = null
  referenceLoaded.value = false
  matters.value = []
  org.value = { townships: [], agencies: [], branches: [] }
  city.value = EMPTY_CITY
  cityError.value = null
}

export function matterByCode(code: string | null | undefined): Matter | undefined {
  return matters.value.find((m) => m.code === code)
}

export function matterName(code: string | null | undefined): string {
  const m = matterByCode(code)
  if (m) return pickName(m)
  // A meeting's decision becomes a whistle of this matter, which the whistle list does not hold.
  if (code === DECISION_MATTER_CODE) return t('meeting.decisionMatter')
  // A work request's matter is the work item of its relation's list (issue 17).
  const item = findWorkItem(city.value, code)
  if (item) return pickName(item.item)
  return code ?? ''
}

export function townshipName(id: string | null | undefined): string {
  const tw = org.value.townships.find((x) => x.id === id)
  if (tw) return pickName(tw)
  // A work request's requesting side is a city department (issue 17).
  return departmentName(id)
}

export function departmentName(id: string | null | undefined): string {
  const d = city.value.departments.find((x) => x.id === id)
  return d ? pickName(d) : (id ?? '')
}

export function agencyName(code: string | null | undefined): string {
  const a = org.value.agencies.find((x) => x.code === code)
  if (a) return pickName(a)
  for (const m of matters.value) {
    const ma = m.agencies.find((x) => x.agencyCode === code)
    if (ma) return pickName({ name: ma.agencyName, nameEn: ma.agencyNameEn })
  }
  return code ?? ''
}

export function branchFor(agencyCode: string, townshipId: string) {
  return org.value.branches.find((b) => b.agencyCode === agencyCode && b.townshipId === townshipId)
}

/** The unit that answers an assignment: the branch, or the agency itself ("本部"). */
export function unitName(a: Pick<Assignment, 'agencyCode' | 'branchId'>): string {
  // A work request's duty: the institution's office (or linked branch), or the institution itself (issue 17).
  const cityUnit = cityUnitName(city.value, a, (x) => pickName(x), (institution) => t('city.institutionItself', { institution }))
  if (cityUnit) return cityUnit
  if (a.branchId) {
    const b = org.value.branches.find((x) => x.id === a.branchId)
    if (b) return pickName(b)
    return `${agencyName(a.agencyCode)} · ${a.branchId}`
  }
  return t('assignment.agencyItself', { agency: agencyName(a.agencyCode) })
}
