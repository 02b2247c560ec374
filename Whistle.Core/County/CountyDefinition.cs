using System.Text.Json;
using Whistle.Core.Domain;

namespace Whistle.Core.County;

/// <summary>
/// The county file (<c>Whistle:County:File</c>): organisation and whistle list; <see cref="Boundaries"/>, the townships'
/// boundaries as a GeoJSON FeatureCollection (each feature's <c>properties.township</c> names a township; Polygon or
/// MultiPolygon in WGS 84 longitude/latitude), drawn on the supervisor's map without any map service (<see cref="CountyBoundaries"/>).
/// </summary>
public sealed record CountyDefinition(
    CountyInfo County,
    IReadOnlyList<TownshipInfo> Townships,
    IReadOnlyList<AgencyInfo> Agencies,
    IReadOnlyList<BranchInfo> Branches,
    IReadOnlyList<MatterInfo> Matters,
    IReadOnlyList<UserInfo>? Users = null,
    EscalationSettings? Escalation = null,
    AssessmentSettings? Assessment = null,
    Heads.HeadsSettings? Heads = null,
    IReadOnlyList<Heads.BranchHeadInfo>? BranchHeads = null,
    JsonElement? Boundaries = null,
    CityInfo? City = null)
{
    public Heads.HeadsSettings HeadsOrDefault => Heads ?? new Heads.HeadsSettings();

    public EscalationSettings EscalationOrDefault => Escalation ?? new EscalationSettings();

    public AssessmentSettings AssessmentOrDefault => Assessment ?? new AssessmentSettings();
}

/// <summary>
/// The escalation chain (催办 → 督办): a reminder when <see cref="ReminderShare"/> of a limit has passed,
/// then an escalation at the deadline, repeated every <see cref="RepeatEveryMinutes"/> until the branch acts.
/// </summary>
public sealed record EscalationSettings(double ReminderShare = 0.5, int RepeatEveryMinutes = 30);

/// <summary>The weights of the three rates in a unit's score (they sum to 1).</summary>
public sealed record AssessmentWeights(double Response = 0.4, double Resolution = 0.3, double Satisfaction = 0.3);

public sealed record AssessmentSettings(AssessmentWeights? Weights = null)
{
    public AssessmentWeights WeightsOrDefault => Weights ?? new AssessmentWeights();
}

public sealed record CountyInfo(string Id, string Name, string NameEn);

public sealed record TownshipInfo(string Id, string Name, string NameEn);

public sealed record AgencyInfo(string Code, string Name, string NameEn);

public sealed record BranchInfo(string Id, string AgencyCode, string TownshipId, string Name, string NameEn);

public sealed record MatterAgency(string AgencyCode, string Role);

public sealed record MatterLimit(int ReportWithinMinutes, int ResolveWithinMinutes);

public sealed record MatterLimits(MatterLimit Routine, MatterLimit Urgent, MatterLimit Emergency);

public sealed record MatterInfo(
    string Code,
    string Name,
    string NameEn,
    string Category,
    string CategoryEn,
    IReadOnlyList<MatterAgency> Agencies,
    MatterLimits Limits,
    bool Active = true)
{
    public MatterLimit LimitsFor(string urgency) => urgency switch
    {
        Urgency.Routine => Limits.Routine,
        Urgency.Urgent => Limits.Urgent,
        Urgency.Emergency => Limits.Emergency,
        _ => throw new ArgumentOutOfRangeException(nameof(urgency), urgency, "Unknown urgency."),
    };
}

/// <summary>
/// The city level (issue 17): its departments (行业主管部门), institutions (事业单位) with their units, and the relations
/// between them, each with its list of work items (工作事项清单) and the records of its mechanism. A relation is one
/// institution with the department(s) it serves or is guided or managed by, led by one department (the article: 行业主管部门要牵头与事业单位协调沟通):
/// one-to-one has one department; one-to-many-service and many-to-one-guidance have several, one of them the lead,
/// each (for guidance) in its field. The relation is the unit the establishment office follows up.
/// </summary>
public sealed record CityInfo(
    string Id,
    string Name,
    string NameEn,
    IReadOnlyList<DepartmentInfo> Departments,
    IReadOnlyList<InstitutionInfo> Institutions,
    IReadOnlyList<RelationInfo> Relations);

public sealed record DepartmentInfo(string Id, string Name, string NameEn);

/// <summary>An institution; <see cref="AgencyCode"/> links it to the county's agency it is (whose stationed branches are then its units of kind branch).</summary>
public sealed record InstitutionInfo(string Id, string Name, string NameEn, IReadOnlyList<InstitutionUnitInfo>? Units = null, string? AgencyCode = null)
{
    public IReadOnlyList<InstitutionUnitInfo> UnitsOrEmpty => Units ?? [];
}

/// <summary>
/// An internal office (kind <c>office</c>: its own name) or a branch (kind <c>branch</c>): a branch stationed in a township
/// links its <c>branches</c> row by <see cref="BranchId"/> (its id is that branch's id, and its name the branch's: not copied).
/// </summary>
public sealed record InstitutionUnitInfo(string Id, string Kind, string? Name = null, string? NameEn = null, string? BranchId = null);

public sealed record RelationDepartmentInfo(string DepartmentId, string Role, string? Field = null, string? FieldEn = null);

/// <summary>One item of a relation's list (工作事项清单): what may be asked, how, to what standard, within which limits; by whom (a department of the relation, or any) and handled by whom (an office, or the institution).</summary>
public sealed record WorkItemInfo(
    string Code,
    string Name,
    string NameEn,
    string Process,
    string Content,
    string Standard,
    int ReportWithinMinutes,
    int ResolveWithinMinutes,
    string? DepartmentId = null,
    string? UnitId = null,
    bool Active = true)
{
    /// <summary>The limits as a matter's (one pair: a work request is routine).</summary>
    public MatterLimit Limit => new(ReportWithinMinutes, ResolveWithinMinutes);
}

/// <summary>
/// One record of a relation's mechanism (<see cref="Domain.MechanismKind"/>): its title, text and the document it is in;
/// a <c>request-report</c> or <c>appointment-filing</c> record may set the days the department has to answer
/// (<see cref="WithinDays"/>; else <c>Whistle:Submissions</c>).
/// </summary>
public sealed record MechanismInfo(string Kind, string Title, string? Body = null, string? Reference = null, int? WithinDays = null);

public sealed record RelationInfo(
    string Id,
    string Kind,
    string InstitutionId,
    string Name,
    string NameEn,
    IReadOnlyList<RelationDepartmentInfo> Departments,
    IReadOnlyList<WorkItemInfo>? WorkItems = null,
    IReadOnlyList<MechanismInfo>? Mechanisms = null)
{
    public IReadOnlyList<WorkItemInfo> WorkItemsOrEmpty => WorkItems ?? [];

    public IReadOnlyList<MechanismInfo> MechanismsOrEmpty => Mechanisms ?? [];

    public string LeadDepartmentId => Departments.First(d => d.Role == Domain.RelationRole.Lead).DepartmentId;

    /// <summary>Each record the establishment office expects of this kind of relation, and whether it is there.</summary>
    public IReadOnlyList<(string Kind, bool Recorded)> MechanismState() =>
        Domain.MechanismKind.Expected(Kind)
            .Select(k => (k, k == Domain.MechanismKind.WorkItems ? WorkItemsOrEmpty.Any(i => i.Active) : MechanismsOrEmpty.Any(m => m.Kind == k)))
            .ToList();
}

/// <summary>A production account in the county file; the password is stored only as a hash.</summary>
public sealed record UserInfo(string UserName, string DisplayName, string Role, string OrgId, string PasswordHash);
