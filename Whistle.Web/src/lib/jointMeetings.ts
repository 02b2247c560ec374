// Joint meetings (联席会议 / 定期会商, issue 17): a department convenes the institutions of its relations, an institution
// (its own account) the departments it serves; a decision becomes a work request along one of those relations — to the
// institution itself or to one of its offices (the API's JointSummoning rule, mirrored for the form's choices).
import type { City, Meeting, User } from '../api/types'

type Named = { name: string; nameEn?: string | null }

export interface JointPartner {
  id: string
  name: Named
}

/** May this user convene a joint meeting: a department of the city, or an institution's own account (not an office's)? */
export function convenesJointMeetings(user: Pick<User, 'role' | 'orgId'> | null | undefined, city: City): boolean {
  if (!user) return false
  if (user.role === 'department') return city.relations.some((r) => r.departments.some((d) => d.departmentId === user.orgId))
  if (user.role === 'institution') return city.relations.some((r) => r.institutionId === user.orgId)
  return false
}

/** The units a joint meeting may summon: the other side of the convener's relations, each once, in the city's order. */
export function jointPartners(user: Pick<User, 'role' | 'orgId'> | null | undefined, city: City): JointPartner[] {
  const out: JointPartner[] = []
  const seen = new Set<string>()
  const add = (id: string, name: Named) => {
    if (seen.has(id)) return
    seen.add(id)
    out.push({ id, name })
  }
  if (user?.role === 'department') {
    for (const r of city.relations)
      if (r.departments.some((d) => d.departmentId === user.orgId)) add(r.institutionId, { name: r.institutionName, nameEn: r.institutionNameEn })
  } else if (user?.role === 'institution') {
    for (const r of city.relations)
      if (r.institutionId === user.orgId)
        for (const d of r.departments) if (!seen.has(d.departmentId)) add(d.departmentId, { name: d.departmentName, nameEn: d.departmentNameEn })
  }
  return out
}

export interface JointDecisionTarget {
  /** The decision's target as the form keeps it: `relationId`, or `relationId|unitId` for an office. */
  value: string
  relationId: string
  unitId: string | null
  institution: Named
  /** The office (or linked branch), if the target is one. */
  unit: Named | null
  relation: Named
}

/**
 * Where a joint meeting's decision may go: each relation between the convener and a summoned participant, to its
 * institution itself or one of the institution's offices (the convener's city holds both).
 */
export function jointDecisionTargets(m: Pick<Meeting, 'townshipId' | 'summons'> & { convenerKind?: string | null }, city: City): JointDecisionTarget[] {
  const participants = new Set((m.summons ?? []).map((s) => s.agencyCode))
  const relations = city.relations.filter((r) =>
    m.convenerKind === 'department'
      ? r.departments.some((d) => d.departmentId === m.townshipId) && participants.has(r.institutionId)
      : m.convenerKind === 'institution'
        ? r.institutionId === m.townshipId && r.departments.some((d) => participants.has(d.departmentId))
        : false,
  )
  const out: JointDecisionTarget[] = []
  for (const r of relations) {
    const institution = { name: r.institutionName, nameEn: r.institutionNameEn }
    const relation = { name: r.name, nameEn: r.nameEn }
    out.push({ value: r.id, relationId: r.id, unitId: null, institution, unit: null, relation })
    const units = city.institutions.find((i) => i.id === r.institutionId)?.units ?? []
    for (const u of units) out.push({ value: `${r.id}|${u.id}`, relationId: r.id, unitId: u.id, institution, unit: { name: u.name, nameEn: u.nameEn }, relation })
  }
  return out
}

/** The message key of a meeting's kind: a joint meeting's in the city's words (定期会商…), a township's as before. */
export function meetingKindKey(kind: string, joint: boolean): string {
  return `${joint ? 'city.joint.kinds' : 'meeting.kinds'}.${kind}`
}

/** Is this a joint meeting (convened by a department or an institution)? */
export function isJointMeeting(m: { convenerKind?: string | null } | null | undefined): boolean {
  return m?.convenerKind === 'department' || m?.convenerKind === 'institution'
}
