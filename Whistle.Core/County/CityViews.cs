using Whistle.Core.Domain;

namespace Whistle.Core.County;

public sealed record CityUnitDto(string Id, string Kind, string Name, string NameEn, string? BranchId, string? TownshipId);

public sealed record CityInstitutionDto(string Id, string Name, string NameEn, string? AgencyCode, IReadOnlyList<CityUnitDto> Units);

public sealed record CityDepartmentDto(string Id, string Name, string NameEn);

public sealed record RelationDepartmentDto(string DepartmentId, string DepartmentName, string DepartmentNameEn, string Role, string? Field, string? FieldEn);

public sealed record WorkItemDto(
    string Code, string Name, string NameEn, string Process, string Content, string Standard,
    int ReportWithinMinutes, int ResolveWithinMinutes, string? DepartmentId, string? UnitId, string? UnitName, string? UnitNameEn, bool Active);

/// <summary>One expected record of a relation's mechanism: recorded or missing (and, recorded, its title, text and document).</summary>
public sealed record MechanismDto(string Kind, bool Recorded, string? Title, string? Body, string? Reference);

public sealed record RelationDto(
    string Id,
    string Kind,
    string Name,
    string NameEn,
    string InstitutionId,
    string InstitutionName,
    string InstitutionNameEn,
    string LeadDepartmentId,
    IReadOnlyList<RelationDepartmentDto> Departments,
    IReadOnlyList<WorkItemDto> WorkItems,
    IReadOnlyList<MechanismDto> Mechanism,
    bool MechanismInPlace,
    IReadOnlyList<MechanismDto> OtherRecords);

public sealed record CityDto(string Id, string Name, string NameEn, IReadOnlyList<CityDepartmentDto> Departments, IReadOnlyList<CityInstitutionDto> Institutions, IReadOnlyList<RelationDto> Relations);

/// <summary>
/// The city level as a caller may read it (issue 17): the establishment office and the supervisors every relation; a
/// department only the relations it is part of; an institution (or one of its offices) only its institution's; a county
/// branch or agency linked to an institution that institution's (<see cref="LinkedInstitution"/>). The
/// departments and institutions listed are those of the relations shown.
/// </summary>
public static class CityViews
{
    /// <summary>Whether the caller may read this relation.</summary>
    public static bool CanSee(CountyCatalog catalog, Caller caller, RelationInfo r) => caller.Role switch
    {
        Roles.Supervisor or Roles.EstablishmentOffice => true,
        Roles.Department => r.Departments.Any(d => d.DepartmentId == caller.OrgId),
        Roles.Institution => catalog.InstitutionOf(caller.OrgId) == r.InstitutionId,
        // A county branch that is a unit of an institution (a stationed branch linked by its id), and a county agency
        // that is an institution, answer that institution's work requests: they read its relations (the requesting
        // department's name, the work item's process and standard), nothing else of the city.
        Roles.Branch => LinkedInstitution(catalog, caller) == r.InstitutionId,
        Roles.Agency => LinkedInstitution(catalog, caller) == r.InstitutionId,
        _ => false,
    };

    /// <summary>
    /// The institution a county branch or agency account is part of on the city level (issue 17): the institution whose
    /// unit links this branch, or whose <c>agencyCode</c> is this agency; null for any other (most county units).
    /// </summary>
    public static string? LinkedInstitution(CountyCatalog catalog, Caller caller) => caller.Role switch
    {
        Roles.Branch => catalog.FindUnit(caller.OrgId) is { } u && u.Unit.BranchId == caller.OrgId ? u.Institution.Id : null,
        Roles.Agency => catalog.City?.Institutions.FirstOrDefault(i => i.AgencyCode == caller.OrgId)?.Id,
        _ => null,
    };

    public static CityDto? For(CountyCatalog catalog, Caller caller)
    {
        if (catalog.City is not { } city)
        {
            return null;
        }

        var relations = city.Relations.Where(r => CanSee(catalog, caller, r)).ToList();
        var wide = caller.Role is Roles.Supervisor or Roles.EstablishmentOffice;
        var departments = wide ? city.Departments.Select(d => d.Id).ToHashSet() : relations.SelectMany(r => r.Departments.Select(d => d.DepartmentId)).ToHashSet();
        var institutions = wide ? city.Institutions.Select(i => i.Id).ToHashSet() : relations.Select(r => r.InstitutionId).ToHashSet();
        return new CityDto(
            city.Id,
            city.Name,
            city.NameEn,
            city.Departments.Where(d => departments.Contains(d.Id)).Select(d => new CityDepartmentDto(d.Id, d.Name, d.NameEn)).ToList(),
            city.Institutions.Where(i => institutions.Contains(i.Id)).Select(i => Institution(catalog, i)).ToList(),
            relations.Select(r => Relation(catalog, r)).ToList());
    }

    public static CityInstitutionDto Institution(CountyCatalog catalog, InstitutionInfo i) => new(
        i.Id, i.Name, i.NameEn, i.AgencyCode,
        i.UnitsOrEmpty.Select(u =>
        {
            var (name, nameEn) = catalog.UnitName(u);
            return new CityUnitDto(u.Id, u.Kind, name, nameEn, u.BranchId, u.BranchId is null ? null : catalog.FindBranch(u.BranchId)?.TownshipId);
        }).ToList());

    public static RelationDto Relation(CountyCatalog catalog, RelationInfo r)
    {
        var institution = catalog.FindInstitution(r.InstitutionId)!;
        MechanismDto Record(string kind, bool recorded)
        {
            var m = r.MechanismsOrEmpty.FirstOrDefault(x => x.Kind == kind);
            return new MechanismDto(kind, recorded, m?.Title, m?.Body, m?.Reference);
        }

        var expected = r.MechanismState();
        return new RelationDto(
            r.Id, r.Kind, r.Name, r.NameEn, r.InstitutionId, institution.Name, institution.NameEn, r.LeadDepartmentId,
            r.Departments.Select(d =>
            {
                var dep = catalog.FindDepartment(d.DepartmentId)!;
                return new RelationDepartmentDto(d.DepartmentId, dep.Name, dep.NameEn, d.Role, d.Field, d.FieldEn);
            }).ToList(),
            r.WorkItemsOrEmpty.Where(i => i.Active).Select(i =>
            {
                var unit = i.UnitId is null ? null : catalog.FindUnit(i.UnitId);
                var names = unit is { } u ? catalog.UnitName(u.Unit) : default;
                return new WorkItemDto(i.Code, i.Name, i.NameEn, i.Process, i.Content, i.Standard, i.ReportWithinMinutes, i.ResolveWithinMinutes,
                    i.DepartmentId, i.UnitId, unit is null ? null : names.Name, unit is null ? null : names.NameEn, i.Active);
            }).ToList(),
            expected.Select(e => Record(e.Kind, e.Recorded)).ToList(),
            expected.All(e => e.Recorded),
            r.MechanismsOrEmpty.Where(m => !expected.Any(e => e.Kind == m.Kind)).Select(m => Record(m.Kind, true)).ToList());
    }
}
