using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Core.Assessment;

/// <summary>A department's ranking of the institutions it asks (its relations' institutions, on its own work requests).</summary>
public sealed record DepartmentRanking(string DepartmentId, string DepartmentName, string DepartmentNameEn, IReadOnlyList<UnitFigures> Institutions);

/// <summary>
/// The city level's figures (issue 17) over some work requests: the institutions ranked overall, each department's
/// ranking of its institutions, the institutions' offices (and linked branches), and the relations.
/// </summary>
public sealed record CityFigures(
    IReadOnlyList<UnitFigures> Institutions,
    IReadOnlyList<DepartmentRanking> Departments,
    IReadOnlyList<UnitFigures> Offices,
    IReadOnlyList<UnitFigures> Relations)
{
    public static readonly CityFigures None = new([], [], [], []);
}

/// <summary>
/// What of the city a caller's assessment covers: the establishment office and the supervisors the whole city; a
/// department its own work requests, to its relations' institutions; an institution the work requests routed to it or
/// its offices; an office account (an institution account whose organisation is one of its units) its own duties only.
/// </summary>
public sealed record CityScope(bool Wide, string? DepartmentId, string? InstitutionId, string? UnitId)
{
    public static readonly CityScope All = new(true, null, null, null);

    /// <summary>The scope of a caller; null for a role that reads no city figures.</summary>
    public static CityScope? Of(CountyCatalog catalog, Caller caller) => caller.Role switch
    {
        Roles.Supervisor or Roles.EstablishmentOffice => All,
        Roles.Department => new(false, caller.OrgId, null, null),
        Roles.Institution when catalog.FindInstitution(caller.OrgId) is not null => new(false, null, caller.OrgId, null),
        Roles.Institution when catalog.FindUnit(caller.OrgId) is not null => new(false, null, null, caller.OrgId),
        _ => null,
    };

    /// <summary>Whether a work request's duty is inside the scope (the C# form of what the figures count).</summary>
    public bool Covers(AssessedAssignment r) =>
        r.Level == WhistleLevel.City
        && (Wide
            || (DepartmentId is not null && r.TownshipId == DepartmentId)
            || (InstitutionId is not null && r.AgencyCode == InstitutionId)
            || (UnitId is not null && r.BranchId == UnitId));
}

/// <summary>
/// The assessment of the city level by the township's rules (<see cref="Assessor"/>: the same three rates over the due
/// duties, times, score and competition ranking), with the city's units: a work request's duty counts for its
/// institution (<c>agency_code</c>), its office or linked branch (<c>branch_id</c>), its requesting department
/// (<c>township_id</c>) and its relation (<c>relation_id</c>).
/// </summary>
public static class CityAssessor
{
    public const string InstitutionKind = "institution";
    public const string OfficeKind = "office";
    public const string RelationKind = "relation";

    /// <summary>
    /// The figures of some institutions over these duties (only the city's are counted), ranked among themselves;
    /// <paramref name="departmentId"/> marks a department's ranking (the rows are then that department's requests).
    /// </summary>
    public static IReadOnlyList<UnitFigures> Institutions(CountyCatalog catalog, IEnumerable<string> institutionIds, IReadOnlyList<AssessedAssignment> rows, AssessmentWeights weights, DateTimeOffset asOf, string? departmentId = null)
    {
        var city = rows.Where(r => r.Level == WhistleLevel.City).ToList();
        return Assessor.Rank(institutionIds.Distinct(StringComparer.Ordinal)
            .Select(catalog.FindInstitution).OfType<InstitutionInfo>()
            .Select(i => Assessor.Figures(InstitutionKind, i.Id, i.Name, i.NameEn, i.Id, null, city.Where(r => r.AgencyCode == i.Id).ToList(), weights, asOf)
                with { Level = WhistleLevel.City, DepartmentId = departmentId })
            .ToList());
    }

    /// <summary>The figures of some institutions' units (offices, linked branches) over these duties, ranked among themselves.</summary>
    public static IReadOnlyList<UnitFigures> Offices(CountyCatalog catalog, IEnumerable<string> unitIds, IReadOnlyList<AssessedAssignment> rows, AssessmentWeights weights, DateTimeOffset asOf)
    {
        var city = rows.Where(r => r.Level == WhistleLevel.City).ToList();
        return Assessor.Rank(unitIds.Distinct(StringComparer.Ordinal)
            .Select(catalog.FindUnit).OfType<(InstitutionInfo Institution, InstitutionUnitInfo Unit)>()
            .Select(u =>
            {
                var (name, nameEn) = catalog.UnitName(u.Unit);
                return Assessor.Figures(OfficeKind, u.Unit.Id, name, nameEn, u.Institution.Id, u.Unit.BranchId is { } b ? catalog.FindBranch(b)?.TownshipId : null,
                    city.Where(r => r.BranchId == u.Unit.Id && r.AgencyCode == u.Institution.Id).ToList(), weights, asOf) with { Level = WhistleLevel.City };
            })
            .ToList());
    }

    /// <summary>
    /// The figures of some relations (a pair's activity: the work requests raised along it) over these duties, ranked
    /// among themselves — the computation the establishment office's view reuses for a relation's figures.
    /// </summary>
    public static IReadOnlyList<UnitFigures> Relations(CountyCatalog catalog, IEnumerable<string> relationIds, IReadOnlyList<AssessedAssignment> rows, AssessmentWeights weights, DateTimeOffset asOf)
    {
        var city = rows.Where(r => r.Level == WhistleLevel.City).ToList();
        return Assessor.Rank(relationIds.Distinct(StringComparer.Ordinal)
            .Select(catalog.FindRelation).OfType<RelationInfo>()
            .Select(r => Assessor.Figures(RelationKind, r.Id, r.Name, r.NameEn, r.InstitutionId, null, city.Where(x => x.RelationId == r.Id).ToList(), weights, asOf)
                with { Level = WhistleLevel.City, DepartmentId = r.LeadDepartmentId, RelationId = r.Id })
            .ToList());
    }

    /// <summary>
    /// The city's figures as <paramref name="scope"/> sees them: <paramref name="rows"/> are cut to the scope first, so a
    /// department's figures count only its own requests, an institution's only those routed to it.
    /// </summary>
    public static CityFigures Figures(CountyCatalog catalog, CityScope scope, IReadOnlyList<AssessedAssignment> rows, AssessmentWeights weights, DateTimeOffset asOf)
    {
        if (catalog.City is not { } city)
        {
            return CityFigures.None;
        }

        var own = rows.Where(scope.Covers).ToList();
        DepartmentRanking Ranking(DepartmentInfo d, IEnumerable<string> institutions) => new(
            d.Id, d.Name, d.NameEn, Institutions(catalog, institutions, own.Where(r => r.TownshipId == d.Id).ToList(), weights, asOf, d.Id));
        IEnumerable<string> InstitutionsOf(string departmentId) => catalog.RelationsOfDepartment(departmentId).Select(r => r.InstitutionId);
        IEnumerable<string> UnitsOf(IEnumerable<string> institutions) =>
            institutions.Select(catalog.FindInstitution).OfType<InstitutionInfo>().SelectMany(i => i.UnitsOrEmpty.Select(u => u.Id));

        if (scope.Wide)
        {
            var all = city.Institutions.Select(i => i.Id).ToList();
            return new CityFigures(
                Institutions(catalog, all, own, weights, asOf),
                city.Departments.Where(d => catalog.RelationsOfDepartment(d.Id).Any()).Select(d => Ranking(d, InstitutionsOf(d.Id))).ToList(),
                Offices(catalog, UnitsOf(all), own, weights, asOf),
                Relations(catalog, city.Relations.Select(r => r.Id), own, weights, asOf));
        }

        if (scope.DepartmentId is { } department && catalog.FindDepartment(department) is { } dep)
        {
            var institutions = InstitutionsOf(department).Distinct(StringComparer.Ordinal).ToList();
            return new CityFigures(
                Institutions(catalog, institutions, own, weights, asOf, department),
                [Ranking(dep, institutions)],
                Offices(catalog, UnitsOf(institutions), own, weights, asOf),
                Relations(catalog, catalog.RelationsOfDepartment(department).Select(r => r.Id), own, weights, asOf));
        }

        if (scope.InstitutionId is { } institution)
        {
            var relations = catalog.RelationsOfInstitution(institution).ToList();
            return new CityFigures(
                Institutions(catalog, [institution], own, weights, asOf),
                relations.SelectMany(r => r.Departments.Select(d => d.DepartmentId)).Distinct(StringComparer.Ordinal)
                    .Select(catalog.FindDepartment).OfType<DepartmentInfo>().Select(d => Ranking(d, [institution])).ToList(),
                Offices(catalog, UnitsOf([institution]), own, weights, asOf),
                Relations(catalog, relations.Select(r => r.Id), own, weights, asOf));
        }

        if (scope.UnitId is { } unit)
        {
            return new CityFigures([], [], Offices(catalog, [unit], own, weights, asOf), []);
        }

        return CityFigures.None;
    }
}
