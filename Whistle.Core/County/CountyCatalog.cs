using System.Collections.Frozen;
using Whistle.Core.Domain;

namespace Whistle.Core.County;

/// <summary>An immutable, indexed view of one county's organisation and whistle list.</summary>
public sealed class CountyCatalog
{
    private readonly FrozenDictionary<string, TownshipInfo> _townships;
    private readonly FrozenDictionary<string, AgencyInfo> _agencies;
    private readonly FrozenDictionary<string, BranchInfo> _branches;
    private readonly FrozenDictionary<(string Agency, string Township), BranchInfo> _branchByPlace;
    private readonly FrozenDictionary<string, MatterInfo> _matters;

    public CountyCatalog(CountyDefinition definition)
    {
        Definition = definition;
        _townships = definition.Townships.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);
        _agencies = definition.Agencies.ToFrozenDictionary(a => a.Code, StringComparer.Ordinal);
        _branches = definition.Branches.ToFrozenDictionary(b => b.Id, StringComparer.Ordinal);
        // Where an agency stations two offices in one township, the first listed takes new duties.
        _branchByPlace = definition.Branches
            .GroupBy(b => (b.AgencyCode, b.TownshipId))
            .ToFrozenDictionary(g => g.Key, g => g.First());
        _matters = definition.Matters.ToFrozenDictionary(m => m.Code, StringComparer.Ordinal);
        var city = definition.City;
        _departments = (city?.Departments ?? []).ToFrozenDictionary(d => d.Id, StringComparer.Ordinal);
        _institutions = (city?.Institutions ?? []).ToFrozenDictionary(i => i.Id, StringComparer.Ordinal);
        _units = (city?.Institutions ?? []).SelectMany(i => i.UnitsOrEmpty.Select(u => (u.Id, Value: (i, u))))
            .ToFrozenDictionary(x => x.Id, x => x.Value, StringComparer.Ordinal);
        _relations = (city?.Relations ?? []).ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);
        _workItems = (city?.Relations ?? []).SelectMany(r => r.WorkItemsOrEmpty.Select(w => (w.Code, Value: (r, w))))
            .ToFrozenDictionary(x => x.Code, x => x.Value, StringComparer.Ordinal);
    }

    private readonly FrozenDictionary<string, DepartmentInfo> _departments;
    private readonly FrozenDictionary<string, InstitutionInfo> _institutions;
    private readonly FrozenDictionary<string, (InstitutionInfo Institution, InstitutionUnitInfo Unit)> _units;
    private readonly FrozenDictionary<string, RelationInfo> _relations;
    private readonly FrozenDictionary<string, (RelationInfo Relation, WorkItemInfo Item)> _workItems;

    /// <summary>The city level (issue 17), or null where the file has none.</summary>
    public CityInfo? City => Definition.City;

    public DepartmentInfo? FindDepartment(string id) => _departments.GetValueOrDefault(id);

    public InstitutionInfo? FindInstitution(string id) => _institutions.GetValueOrDefault(id);

    /// <summary>An institution's office or branch, with its institution.</summary>
    public (InstitutionInfo Institution, InstitutionUnitInfo Unit)? FindUnit(string id) =>
        _units.TryGetValue(id, out var found) ? found : null;

    /// <summary>A unit's name: an office's own; a linked branch's from its <c>branches</c> row.</summary>
    public (string Name, string NameEn) UnitName(InstitutionUnitInfo unit) =>
        unit.BranchId is { } b && FindBranch(b) is { } branch ? (branch.Name, branch.NameEn) : (unit.Name ?? unit.Id, unit.NameEn ?? unit.Id);

    /// <summary>
    /// An office (or linked branch) named where it stands alone — an account's organisation, a timeline note: its
    /// institution's name and its own, run together (云州市市场监管综合行政执法支队法制科). The one place that name is made.
    /// </summary>
    public static string UnitDisplayName(string institutionName, string unitName) => $"{institutionName}{unitName}";

    /// <summary>The display name (<see cref="UnitDisplayName(string, string)"/>) of the unit with this id, or null when the city has none.</summary>
    public string? UnitDisplayName(string unitId) =>
        FindUnit(unitId) is { } u ? UnitDisplayName(u.Institution.Name, UnitName(u.Unit).Name) : null;

    public RelationInfo? FindRelation(string id) => _relations.GetValueOrDefault(id);

    /// <summary>A work item (codes are unique across the city), with its relation.</summary>
    public (RelationInfo Relation, WorkItemInfo Item)? FindWorkItem(string code) =>
        _workItems.TryGetValue(code, out var found) ? found : null;

    /// <summary>The relations a department is part of.</summary>
    public IEnumerable<RelationInfo> RelationsOfDepartment(string departmentId) =>
        (City?.Relations ?? []).Where(r => r.Departments.Any(d => d.DepartmentId == departmentId));

    /// <summary>The relations of an institution (the caller's org: the institution or one of its units).</summary>
    public IEnumerable<RelationInfo> RelationsOfInstitution(string institutionId) =>
        (City?.Relations ?? []).Where(r => r.InstitutionId == institutionId);

    /// <summary>The institution an institution account's organisation belongs to: itself, or its unit's institution.</summary>
    public string? InstitutionOf(string orgId) =>
        FindInstitution(orgId)?.Id ?? FindUnit(orgId)?.Institution.Id;

    public CountyDefinition Definition { get; }

    /// <summary>Each township's boundary (GeoJSON geometry text), where the county file gives one.</summary>
    public IReadOnlyDictionary<string, string> Boundaries => _boundaries ??= CountyBoundaries.Geometries(Definition.Boundaries);

    private IReadOnlyDictionary<string, string>? _boundaries;

    public CountyInfo County => Definition.County;

    public TownshipInfo? FindTownship(string id) => _townships.GetValueOrDefault(id);

    public AgencyInfo? FindAgency(string code) => _agencies.GetValueOrDefault(code);

    public BranchInfo? FindBranch(string id) => _branches.GetValueOrDefault(id);

    public BranchInfo? FindBranch(string agencyCode, string townshipId) =>
        _branchByPlace.GetValueOrDefault((agencyCode, townshipId));

    /// <summary>A matter of the whistle list, retired ones included (past whistles still name them).</summary>
    public MatterInfo? FindMatter(string code) => _matters.GetValueOrDefault(code);

    /// <summary>A matter a new whistle may be raised on.</summary>
    public MatterInfo? FindActiveMatter(string code) => FindMatter(code) is { Active: true } m ? m : null;

    public EscalationSettings Escalation => Definition.EscalationOrDefault;

    public AssessmentWeights Weights => Definition.AssessmentOrDefault.WeightsOrDefault;

    /// <summary>The branch heads' assessment and recommendations: periods, grades, weight, time limits (issue 16).</summary>
    public Heads.HeadsSettings Heads => Definition.HeadsOrDefault;

    public bool AgencyHasBranches(string agencyCode) => Definition.Branches.Any(b => b.AgencyCode == agencyCode);

    /// <summary>The display name of an organisation of any role (township, branch, agency, county).</summary>
    public string? OrgName(string role, string orgId) => role switch
    {
        Roles.Township => FindTownship(orgId)?.Name,
        Roles.Branch => FindBranch(orgId)?.Name,
        Roles.Agency => FindAgency(orgId)?.Name,
        Roles.Department => FindDepartment(orgId)?.Name,
        Roles.Institution => FindInstitution(orgId)?.Name ?? UnitDisplayName(orgId),
        Roles.EstablishmentOffice => City is { } c && orgId == c.Id ? $"{c.Name}委编办" : null,
        _ when Roles.IsCountyWide(role) => orgId == County.Id ? County.Name : null,
        _ => null,
    };

    /// <summary>Checks the references inside a county file; returns every problem found.</summary>
    public static IReadOnlyList<string> Validate(CountyDefinition d)
    {
        var problems = new List<string>();
        void Duplicates<T>(IEnumerable<T> items, Func<T, string> key, string what)
        {
            foreach (var g in items.GroupBy(key).Where(g => g.Count() > 1))
            {
                problems.Add($"Duplicate {what} '{g.Key}'.");
            }
        }

        Duplicates(d.Townships, t => t.Id, "township");
        Duplicates(d.Agencies, a => a.Code, "agency");
        Duplicates(d.Branches, b => b.Id, "branch");
        Duplicates(d.Matters, m => m.Code, "matter");
        var townships = d.Townships.Select(t => t.Id).ToHashSet();
        var agencies = d.Agencies.Select(a => a.Code).ToHashSet();
        foreach (var b in d.Branches)
        {
            if (!agencies.Contains(b.AgencyCode)) problems.Add($"Branch '{b.Id}' names unknown agency '{b.AgencyCode}'.");
            if (!townships.Contains(b.TownshipId)) problems.Add($"Branch '{b.Id}' names unknown township '{b.TownshipId}'.");
        }

        foreach (var m in d.Matters)
        {
            problems.AddRange(ValidateMatter(m, agencies));
        }

        var escalation = d.EscalationOrDefault;
        if (escalation.ReminderShare is < 0 or >= 1) problems.Add("escalation.reminderShare must be at least 0 and below 1 (0: no reminder).");
        if (escalation.RepeatEveryMinutes < 1) problems.Add("escalation.repeatEveryMinutes must be at least 1.");
        problems.AddRange(d.HeadsOrDefault.Problems());
        var branchIds = d.Branches.Select(b => b.Id).ToHashSet();
        foreach (var h in d.BranchHeads ?? [])
        {
            if (!branchIds.Contains(h.BranchId)) problems.Add($"branchHeads: unknown branch '{h.BranchId}'.");
            if (!Whistle.Core.Heads.HeadPost.All.Contains(h.Post)) problems.Add($"branchHeads: the post of '{h.BranchId}' is head or deputy.");
            if (string.IsNullOrWhiteSpace(h.Name) || string.IsNullOrWhiteSpace(h.Title)) problems.Add($"branchHeads: '{h.BranchId}' needs a name and a title.");
        }

        Duplicates(d.BranchHeads ?? [], h => $"{h.BranchId}/{h.Post}", "branch head");
        var w = d.AssessmentOrDefault.WeightsOrDefault;
        if (w.Response < 0 || w.Resolution < 0 || w.Satisfaction < 0 || Math.Abs(w.Response + w.Resolution + w.Satisfaction - 1) > 0.001)
        {
            problems.Add("assessment.weights must be non-negative and sum to 1.");
        }

        problems.AddRange(CountyBoundaries.Validate(d.Boundaries, townships));
        if (d.City is { } city)
        {
            problems.AddRange(ValidateCity(d, city));
        }

        foreach (var u in d.Users ?? [])
        {
            if (!Roles.All.Contains(u.Role)) problems.Add($"User '{u.UserName}' has unknown role '{u.Role}'.");
        }

        return problems;
    }

    /// <summary>
    /// The rules of the city level: ids unique across every organisation (a push group or an account's organisation
    /// names one unit), known references, one lead department per relation, the shape of each kind, sound limits,
    /// work-item codes unique across the city, known mechanism kinds.
    /// </summary>
    public static IEnumerable<string> ValidateCity(CountyDefinition d, CityInfo city)
    {
        var problems = new List<string>();
        var ids = d.Townships.Select(t => t.Id).Concat(d.Agencies.Select(a => a.Code)).Concat(d.Branches.Select(b => b.Id)).Append(d.County.Id).ToHashSet();
        var branches = d.Branches.ToDictionary(b => b.Id);
        foreach (var id in city.Departments.Select(x => x.Id).Concat(city.Institutions.Select(i => i.Id)).Append(city.Id))
        {
            if (!ids.Add(id)) problems.Add($"city: the id '{id}' is used twice (ids are unique across townships, agencies, branches, departments, institutions and the city).");
        }

        var departments = city.Departments.Select(x => x.Id).ToHashSet();
        var units = new Dictionary<string, string>();
        foreach (var i in city.Institutions)
        {
            if (i.AgencyCode is { } code && !d.Agencies.Any(a => a.Code == code)) problems.Add($"city: institution '{i.Id}' names unknown agency '{code}'.");
            foreach (var u in i.UnitsOrEmpty)
            {
                if (!units.TryAdd(u.Id, i.Id) || (u.Kind == InstitutionUnitKind.Office && ids.Contains(u.Id)))
                    problems.Add($"city: the unit id '{u.Id}' is used twice.");
                switch (u.Kind)
                {
                    case InstitutionUnitKind.Office when string.IsNullOrWhiteSpace(u.Name) || string.IsNullOrWhiteSpace(u.NameEn):
                        problems.Add($"city: office '{u.Id}' needs a name and an English name.");
                        break;
                    case InstitutionUnitKind.Branch when u.BranchId is null || !branches.TryGetValue(u.BranchId, out _) || u.BranchId != u.Id:
                        problems.Add($"city: branch unit '{u.Id}' must link the branches row of the same id (branchId).");
                        break;
                    case InstitutionUnitKind.Branch when i.AgencyCode is null || branches[u.BranchId!].AgencyCode != i.AgencyCode:
                        problems.Add($"city: branch unit '{u.Id}' must be stationed by the institution's own agency.");
                        break;
                    case InstitutionUnitKind.Office or InstitutionUnitKind.Branch:
                        break;
                    default:
                        problems.Add($"city: unit '{u.Id}' has unknown kind '{u.Kind}' (office or branch).");
                        break;
                }
            }
        }

        var relationIds = new HashSet<string>();
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in city.Relations)
        {
            if (!relationIds.Add(r.Id)) problems.Add($"city: duplicate relation '{r.Id}'.");
            if (!RelationKind.All.Contains(r.Kind)) problems.Add($"city: relation '{r.Id}' has unknown kind '{r.Kind}'.");
            var institution = city.Institutions.FirstOrDefault(i => i.Id == r.InstitutionId);
            if (institution is null) problems.Add($"city: relation '{r.Id}' names unknown institution '{r.InstitutionId}'.");
            if (r.Departments.Count(x => x.Role == RelationRole.Lead) != 1) problems.Add($"city: relation '{r.Id}' must have exactly one lead department.");
            if (r.Departments.GroupBy(x => x.DepartmentId).Any(g => g.Count() > 1)) problems.Add($"city: relation '{r.Id}' names a department twice.");
            foreach (var x in r.Departments)
            {
                if (!departments.Contains(x.DepartmentId)) problems.Add($"city: relation '{r.Id}' names unknown department '{x.DepartmentId}'.");
                if (x.Role is not (RelationRole.Lead or RelationRole.Member)) problems.Add($"city: relation '{r.Id}' gives '{x.DepartmentId}' the unknown role '{x.Role}'.");
                if (r.Kind == RelationKind.ManyToOneGuidance && string.IsNullOrWhiteSpace(x.Field)) problems.Add($"city: guidance relation '{r.Id}' must name the field of '{x.DepartmentId}'.");
            }

            if (r.Kind == RelationKind.OneToOne && r.Departments.Count != 1) problems.Add($"city: one-to-one relation '{r.Id}' has exactly one department.");
            if (r.Kind is RelationKind.OneToManyService or RelationKind.ManyToOneGuidance && r.Departments.Count < 2) problems.Add($"city: relation '{r.Id}' ({r.Kind}) has at least two departments.");
            foreach (var w in r.WorkItemsOrEmpty)
            {
                if (!codes.Add(w.Code)) problems.Add($"city: duplicate work item '{w.Code}'.");
                if (string.IsNullOrWhiteSpace(w.Name) || string.IsNullOrWhiteSpace(w.NameEn)) problems.Add($"city: work item '{w.Code}' needs a name and an English name.");
                if (w.ReportWithinMinutes <= 0 || w.ResolveWithinMinutes < w.ReportWithinMinutes) problems.Add($"city: work item '{w.Code}' has invalid limits (report within > 0 minutes, resolve within ≥ report within).");
                if (w.DepartmentId is { } dep && !r.Departments.Any(x => x.DepartmentId == dep)) problems.Add($"city: work item '{w.Code}' names department '{dep}', not of its relation.");
                if (r.Kind == RelationKind.ManyToOneGuidance && w.DepartmentId is null) problems.Add($"city: work item '{w.Code}' of a guidance relation names the department whose field it is.");
                if (w.UnitId is { } unit && (!units.TryGetValue(unit, out var of) || of != r.InstitutionId)) problems.Add($"city: work item '{w.Code}' names unit '{unit}', not of the relation's institution.");
            }

            foreach (var m in r.MechanismsOrEmpty)
            {
                if (!MechanismKind.All.Contains(m.Kind) || m.Kind == MechanismKind.WorkItems) problems.Add($"city: relation '{r.Id}' records the unknown mechanism '{m.Kind}'.");
                if (string.IsNullOrWhiteSpace(m.Title)) problems.Add($"city: relation '{r.Id}' records '{m.Kind}' without a title.");
                if (m.WithinDays is { } days && (days is < 1 or > 366 || m.Kind is not (MechanismKind.RequestReport or MechanismKind.AppointmentFiling)))
                    problems.Add($"city: relation '{r.Id}' gives '{m.Kind}' withinDays {days}: only request-report and appointment-filing take one, between 1 and 366.");
            }

            if (r.MechanismsOrEmpty.GroupBy(m => m.Kind).Any(g => g.Count() > 1)) problems.Add($"city: relation '{r.Id}' records a mechanism twice.");
        }

        return problems;
    }

    /// <summary>The rules of one matter of the whistle list: one lead, known agencies, sound limits.</summary>
    public static IEnumerable<string> ValidateMatter(MatterInfo m, IReadOnlySet<string> agencies)
    {
        if (m.Agencies.Count(a => a.Role == AssignmentRole.Lead) != 1) yield return $"Matter '{m.Code}' must have exactly one lead agency.";
        if (m.Agencies.GroupBy(a => a.AgencyCode).Any(g => g.Count() > 1)) yield return $"Matter '{m.Code}' names an agency twice.";
        foreach (var a in m.Agencies)
        {
            if (!agencies.Contains(a.AgencyCode)) yield return $"Matter '{m.Code}' names unknown agency '{a.AgencyCode}'.";
            if (a.Role is not (AssignmentRole.Lead or AssignmentRole.Co)) yield return $"Matter '{m.Code}' gives agency '{a.AgencyCode}' the unknown role '{a.Role}'.";
        }

        if (m.Limits is null)
        {
            yield return $"Matter '{m.Code}' has no limits.";
            yield break;
        }

        foreach (var urgency in Urgency.All)
        {
            var limit = m.LimitsFor(urgency);
            if (limit is null || limit.ReportWithinMinutes <= 0 || limit.ResolveWithinMinutes < limit.ReportWithinMinutes)
            {
                yield return $"Matter '{m.Code}' has invalid {urgency} limits (report within > 0 minutes, resolve within ≥ report within).";
            }
        }
    }
}
